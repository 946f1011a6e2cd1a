// Command songnuan is 送暖, the WeCom bot that runs a street office's
// winter relief campaign. With no arguments it serves; the subcommands are
// the terminal chat, the load tool, and the office's file tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"songnuan/citygen"
)

const usage = `送暖 songnuan — 帮困送温暖 企业微信机器人

用法：
  songnuan                         启动机器人（无配置时为演示模式）
  songnuan chat --as USERID        在终端里以某个用户身份和机器人对话
  songnuan bench [--n N --c C]     向运行中的机器人发压测消息
  songnuan import FILE [--as USERID]  导入家庭名单（.xlsx/.csv）
  songnuan export --out FILE       导出统计表（.xlsx）
  songnuan policy show [FILE]      显示补助标准
  songnuan policy check FILE       检查补助标准文件
  songnuan schedule show [FILE]    显示活动日程
  songnuan schedule check FILE     检查日程文件
  songnuan gen [load|time|memory]  生成城市规模的压测数据并测量（见 BENCHMARKS.md）
  songnuan menu install            设置企业微信应用菜单（待办、进度、工作台、日程、帮助）
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := ""
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "", "serve":
		err = serve(ctx, stderr)
	case "chat":
		err = chatMain(ctx, args, stdin, stdout)
	case "bench":
		err = benchMain(ctx, args, stdout)
	case "import":
		err = importMain(ctx, args, stdout)
	case "export":
		err = exportMain(ctx, args, stdout)
	case "policy":
		err = policyMain(args, stdout)
	case "schedule":
		err = scheduleMain(args, stdout)
	case "gen":
		err = citygen.Main(ctx, args, stdout)
	case "menu":
		err = menuMain(ctx, args, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "未知命令 %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
