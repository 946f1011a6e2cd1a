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
	url := "http://" + app.LocalAddr(a.Addr())
	var b strings.Builder
	if a.Fake == nil {
		fmt.Fprintf(&b, "\n送暖 已启动：%s/wecom/callback\n把企业微信自建应用的“接收消息”URL 指向这里。\n", url)
		if pub := a.Config.PublicURL; pub != "" {
			fmt.Fprintf(&b, "工作台：%s/app/ （设为应用主页；songnuan menu install 设置应用菜单）\n", pub)
		}
		b.WriteString("\n")
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
	fmt.Fprintf(&b, "\n然后输入：帮助 ／ 登记 甲一 低保 3人 ／ 走访 甲一 发放900元 ／ 待办\n")
	fmt.Fprintf(&b, "\n工作台（网页）：在浏览器里打开 %s/app/ ，选择一个演示身份登录。\n按 Ctrl-C 停止。\n\n", url)
	return b.String()
}
