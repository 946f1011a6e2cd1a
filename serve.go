package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"songnuan/app"
	"songnuan/config"
)

// loadConfig reads SONGNUAN_CONFIG (if set) and the environment.
func loadConfig() (config.Config, error) {
	return config.Load(os.Getenv("SONGNUAN_CONFIG"), os.LookupEnv)
}

// serve runs the bot until ctx ends.
func serve(ctx context.Context, stderr io.Writer) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	lw := app.NewLogWriter(os.Stdout, 200*time.Millisecond)
	defer lw.Close()
	log := slog.New(slog.NewJSONHandler(lw, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	slog.SetDefault(log)
	for _, w := range cfg.Warnings() {
		log.Warn(w)
	}
	gc := app.TuneGC()
	app.LimitMemory()
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	log.Info("starting", "addr", a.Addr(), "config", a.Config, "gogc", gc)
	lw.Flush()
	fmt.Fprint(stderr, banner(a))
	return a.Run(ctx)
}

// banner tells a person who just started the bot what to type next.
func banner(a *app.App) string {
	self := "songnuan"
	if strings.Contains(os.Args[0], "go-build") {
		self = "go run ."
	} else if len(os.Args) > 0 {
		self = os.Args[0]
	}
	url := "http://" + displayAddr(a.Addr())
	var b strings.Builder
	if a.Fake == nil {
		fmt.Fprintf(&b, "\n送暖 已启动：%s/wecom/callback\n把企业微信自建应用的“接收消息”URL 指向这里。\n\n", url)
		return b.String()
	}
	fmt.Fprintf(&b, "\n送暖 已启动（演示模式，未配置企业微信）：%s\n", url)
	if a.Config.RedisURL == "" {
		b.WriteString("数据存放在内存里，退出即丢失。\n")
	}
	fmt.Fprintf(&b, "活动时钟：%s\n\n", a.Config.Clock()().Format("2006-01-02 15:04"))
	b.WriteString("在另一个终端里和机器人对话：\n")
	for _, s := range a.Config.Staff {
		who := map[string]string{"worker": "社工", "leader": "领导", "admin": "管理员"}[string(s.Role)]
		if s.Committee != "" {
			who = s.Committee + " " + who
		}
		fmt.Fprintf(&b, "  %s chat --as %-8s # %s %s\n", self, s.UserID, s.Name, who)
	}
	fmt.Fprintf(&b, "\n然后输入：帮助 ／ 登记 甲一 低保 3人 ／ 走访 甲一 发放900元 ／ 待办\n按 Ctrl-C 停止。\n\n")
	return b.String()
}

// displayAddr turns ":8080" into "127.0.0.1:8080".
func displayAddr(addr string) string {
	if strings.HasPrefix(addr, ":") || strings.HasPrefix(addr, "[::]:") || strings.HasPrefix(addr, "0.0.0.0:") {
		return "127.0.0.1" + addr[strings.LastIndex(addr, ":"):]
	}
	return addr
}
