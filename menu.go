package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"songnuan/app"
	"songnuan/config"
	"songnuan/wecom"
)

// menuMain is `songnuan menu install`: it sets the app's menu (待办, 进度,
// and under 更多 the workbench, 日程 and 帮助) through WeCom's menu API.
func menuMain(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "install" {
		return errors.New("用法：songnuan menu install（需要 WECOM_CORP_ID、WECOM_SECRET、WECOM_AGENT_ID 和 SONGNUAN_PUBLIC_URL）")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	return installMenu(ctx, cfg, stdout)
}

// installMenu sets the menu of the app cfg names.
func installMenu(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	if cfg.Demo() {
		return errors.New("演示模式没有真实的企业微信应用，无需设置菜单。请先配置 WECOM_CORP_ID、WECOM_SECRET 和 WECOM_AGENT_ID")
	}
	if cfg.PublicURL == "" {
		return errors.New("菜单里的“工作台”需要公开地址：请设置 SONGNUAN_PUBLIC_URL，例如 SONGNUAN_PUBLIC_URL=https://songnuan.example.gov.cn")
	}
	c, err := wecom.NewClient(wecom.ClientConfig{CorpID: cfg.WeCom.CorpID, Secret: cfg.WeCom.Secret, AgentID: cfg.WeCom.AgentID,
		APIBase: cfg.WeCom.APIBase, Timeout: 10 * time.Second, Logger: quietLog()})
	if err != nil {
		return err
	}
	if err := c.CreateMenu(ctx, app.Menu(cfg.PublicURL)); err != nil {
		return fmt.Errorf("设置菜单失败：%w", err)
	}
	fmt.Fprintf(stdout, "已设置应用菜单：待办｜进度｜更多（工作台 %s/app/、日程、帮助）\n", cfg.PublicURL)
	return nil
}
