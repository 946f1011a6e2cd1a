package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"songnuan/chat"
)

// Main parses `songnuan bench` flags, runs, prints the report to stdout
// and returns an error when the run could not be made or any request
// failed, so the command exits non-zero.
func Main(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("songnuan bench", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var opt Options
	fs.StringVar(&opt.URL, "url", "http://127.0.0.1:8080", "机器人的地址")
	fs.IntVar(&opt.N, "n", 20000, "计时发送的消息数（每条 MsgId 都不同）")
	fs.IntVar(&opt.C, "c", 32, "同时在途的请求数")
	fs.IntVar(&opt.Warmup, "warmup", 500, "计时前的预热消息数（不计时，0 为不预热）")
	as := fs.String("as", "wang", "发消息的社工 userid，逗号分隔；userid@居委 表示在消息里写明 居委:…（管理员须写）")
	leaders := fs.String("leader", "zhao", "混合流量里问“进度”的领导 userid，逗号分隔")
	staff := fs.String("staff", "", "从 YAML 文件的 staff: 列表取社工和领导（与机器人的配置文件同格式）；--as/--leader 另给时以它们为准")
	fs.StringVar(&opt.Text, "text", "帮助", "单一消息压测时每条的内容")
	fs.BoolVar(&opt.Mix, "mix", false, "混合流量：80% 走访、15% 待办、5% 进度，先登记 --households 户（不计时）")
	fs.IntVar(&opt.Households, "households", 1000, "混合流量前登记的户数，分给各个社工")
	fs.Int64Var(&opt.Seed, "seed", 0, "混合流量的随机种子（0 为按时间）")
	fs.DurationVar(&opt.Timeout, "timeout", 10*time.Second, "单个请求的超时")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "用法：songnuan bench [--url U] [--n 20000] [--c 32] [--as wang] [--text 帮助] [--mix --households 1000 --leader zhao]")
		fmt.Fprintln(stdout, "凭据取自 WECOM_CORP_ID、WECOM_TOKEN、WECOM_ENCODING_AES_KEY、WECOM_AGENT_ID；都不设时用演示凭据。")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h printed the usage; that is not a failure
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("多余的参数 %q，例如：songnuan bench --n 20000 --c 32", fs.Args())
	}
	if opt.N <= 0 || opt.C <= 0 || opt.Households <= 0 {
		return errors.New("--n、--c、--households 都应为正数，例如：songnuan bench --n 20000 --c 32")
	}
	if opt.Warmup == 0 {
		opt.Warmup = -1 // Options reads 0 as the default
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *staff != "" {
		ws, ls, err := readStaff(*staff)
		if err != nil {
			return err
		}
		opt.Workers, opt.Leaders = ws, ls
	}
	if *staff == "" || set["as"] {
		ws, err := parseWorkers(*as)
		if err != nil {
			return err
		}
		opt.Workers = ws
	}
	if *staff == "" || set["leader"] {
		opt.Leaders = splitList(*leaders)
	}
	if len(opt.Workers) == 0 || opt.Mix && len(opt.Leaders) == 0 {
		return errors.New("没有社工或领导可用：请用 --as wang --leader zhao，或 --staff 文件里写 role: worker / leader 的人员")
	}
	creds, err := chat.CredentialsFromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	opt.Credentials = creds
	opt.Out = stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := Run(ctx, opt)
	if ctx.Err() != nil {
		return errors.New("压测被中断，结果不完整")
	}
	if err != nil {
		return err
	}
	res.Write(stdout)
	if n := res.Failed(); n > 0 {
		return fmt.Errorf("有 %d 个请求失败（非200 %d，无应答 %d，回复解不开 %d，预热失败 %d）",
			n, res.Non200, res.NoAnswer, res.BadReply, res.WarmupFailed)
	}
	return nil
}

// parseWorkers reads "wang,li@甘泉二村".
func parseWorkers(s string) ([]Worker, error) {
	var ws []Worker
	for _, item := range splitList(s) {
		user, committee, _ := strings.Cut(item, "@")
		if user == "" {
			return nil, fmt.Errorf("--as 里的 %q 缺少 userid，例如 --as wang,li@甘泉二村", item)
		}
		ws = append(ws, Worker{UserID: user, Committee: strings.TrimSpace(committee)})
	}
	return ws, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// staffFile is the staff: list of the bot's configuration file; every
// other key of that file is ignored, so the bot's own file can be used.
type staffFile struct {
	Staff []struct {
		UserID    string `yaml:"userid"`
		Role      string `yaml:"role"`
		Committee string `yaml:"committee"`
	} `yaml:"staff"`
}

// readStaff takes workers and leaders from a staff list, so a city-scale
// run points at any set of committees with the same file the bot is
// configured with. Workers write as workers do, in their own committee,
// so the file's committees are the ones the run touches.
func readStaff(path string) (workers []Worker, leaders []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("读不了 --staff 文件：%w", err)
	}
	var f staffFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, nil, fmt.Errorf("--staff 文件 %s 不是有效的 YAML：%w", path, err)
	}
	for _, s := range f.Staff {
		switch s.Role {
		case "worker":
			if s.UserID != "" {
				workers = append(workers, Worker{UserID: s.UserID})
			}
		case "leader":
			if s.UserID != "" {
				leaders = append(leaders, s.UserID)
			}
		}
	}
	if len(workers) == 0 {
		return nil, nil, fmt.Errorf("--staff 文件 %s 里没有 role: worker 的人员，例如：\nstaff:\n  - {userid: wang, name: 王芳, role: worker, committee: 甘泉一村}", path)
	}
	return workers, leaders, nil
}
