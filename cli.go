package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"songnuan/app"
	"songnuan/bot"
	"songnuan/chat"
	"songnuan/domain"
	"songnuan/loadtest"
	"songnuan/policy"
	"songnuan/schedule"
	"songnuan/sheet"
)

// quietLog is the log of the one-shot commands: warnings and errors only,
// on stderr, so their own output stays readable.
func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// offline opens the configured store for a one-shot command. The embedded
// store would vanish on exit, so these commands need REDIS_URL.
func offline(ctx context.Context, what string) (*app.App, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, err
	}
	if cfg.RedisURL == "" {
		return nil, fmt.Errorf("%s需要连接机器人使用的 Redis：请设置 REDIS_URL（例如 REDIS_URL=redis://127.0.0.1:6379/0）。"+
			"演示模式的数据在机器人进程内存里，请在 chat 里用 /file 文件路径 导入", what)
	}
	return app.Offline(ctx, cfg, quietLog())
}

// importMain is `songnuan import FILE [--as USERID]`.
func importMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	as := fs.String("as", "", "以哪个用户的身份导入（默认第一个管理员）")
	if err := fs.Parse(reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("用法：songnuan import 文件.xlsx [--as 用户ID]")
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("读取 %s：%w", path, err)
	}
	a, err := offline(ctx, "导入")
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	actor, err := pickActor(a, *as)
	if err != nil {
		return err
	}
	name := filepath.Base(path)
	rows, err := sheet.ReadRows(name, data)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	rep, err := a.Bot.Import(ctx, actor, name, rows, hex.EncodeToString(sum[:8]))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep.Text())
	return nil
}

// pickActor finds the staff member a command acts as: the one named, or
// the first admin.
func pickActor(a *app.App, userID string) (domain.Staff, error) {
	dir := a.Config.Directory()
	if userID != "" {
		s, ok := dir.Lookup(userID)
		if !ok {
			return domain.Staff{}, fmt.Errorf("用户 %q 不在配置的 staff 名单里", userID)
		}
		return s, nil
	}
	var admins []string
	for id, s := range dir {
		if s.Role == domain.RoleAdmin {
			admins = append(admins, id)
		}
	}
	if len(admins) == 0 {
		return domain.Staff{}, errors.New("配置里没有管理员：请用 --as 指定用户")
	}
	sort.Strings(admins)
	return dir[admins[0]], nil
}

// exportMain is `songnuan export --out FILE [--full]`.
func exportMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	out := fs.String("out", "", "输出文件（.xlsx）")
	full := fs.Bool("full", false, "写入完整身份证号和电话（仅限存档，慎用）")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("用法：songnuan export --out 统计表.xlsx")
	}
	a, err := offline(ctx, "导出")
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	now := a.Config.Clock()()
	if *full {
		// The archive copy holds every ID and phone number in full: it is
		// audited before it is made, as 导出 完整 in chat is.
		who := "命令行"
		if u := os.Getenv("USER"); u != "" {
			who += ":" + u
		}
		if err := a.Store.AddAudit(ctx, bot.AuditEntry{Committee: bot.StreetCommittee, Kind: "export", Actor: who, At: now,
			Detail: who + " 用 songnuan export --full 导出完整统计表（含完整身份证号和电话）到 " + filepath.Base(*out)}); err != nil {
			return fmt.Errorf("记录审计日志失败，未导出：%w", err)
		}
	}
	stats, err := sheet.Gather(ctx, a.Store, a.Sealer, now, *full)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sheet.WriteStatistics(&buf, stats); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已导出 %s：%d个居委\n", *out, len(stats.Committees))
	return nil
}

// policyMain is `songnuan policy show [FILE]` and `songnuan policy check FILE`.
func policyMain(args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "check") || (args[0] == "check" && len(args) != 2) {
		return errors.New("用法：songnuan policy show [文件] 或 songnuan policy check 文件")
	}
	p := policy.Default()
	if len(args) == 2 {
		data, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		if p, err = policy.Parse(data, args[1]); err != nil {
			return err
		}
	}
	if args[0] == "check" {
		fmt.Fprintf(stdout, "%s：补助标准 %s %s，%d项，没有发现问题\n", args[1], p.Name, p.Version, len(p.Items))
		return nil
	}
	fmt.Fprint(stdout, p.Table())
	return nil
}

// reorder puts flags before positional arguments, so `import FILE --as x`
// works as people type it.
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		if len(args[i]) > 1 && args[i][0] == '-' {
			flags = append(flags, args[i])
			if i+1 < len(args) && !bytes.Contains([]byte(args[i]), []byte("=")) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, args[i])
	}
	return append(flags, pos...)
}

// scheduleMain is `songnuan schedule show [FILE]` and `songnuan schedule check FILE`.
func scheduleMain(args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "check") || (args[0] == "check" && len(args) != 2) {
		return errors.New("用法：songnuan schedule show [文件] 或 songnuan schedule check 文件")
	}
	s := schedule.Default()
	if len(args) == 2 {
		data, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		if s, err = schedule.Parse(data, args[1]); err != nil {
			return err
		}
	}
	if args[0] == "check" {
		fmt.Fprintf(stdout, "%s：日程 %s，%d个阶段、%d项任务、%d条通知，没有发现问题\n",
			args[1], s.Name, len(s.Phases), len(s.Tasks), len(s.Announcements))
		return nil
	}
	fmt.Fprint(stdout, s.Table())
	return nil
}

// chatMain is `songnuan chat --as USERID [--url URL]`.
func chatMain(_ context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	return chat.Main(args, stdin, stdout)
}

// benchMain is `songnuan bench …`.
func benchMain(_ context.Context, args []string, stdout io.Writer) error {
	return loadtest.Main(args, stdout)
}
