package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"songnuan/bot"
	"songnuan/config"
	"songnuan/domain"
	"songnuan/web"
	"songnuan/wecom"
	"songnuan/wecom/fakeapi"
)

// workbenchURL is where chat answers link to the pages: the public URL,
// or in demo mode the local address a browser on this machine reaches.
func workbenchURL(cfg config.Config, addr string) string {
	if cfg.PublicURL != "" || !cfg.Demo() {
		return cfg.PublicURL
	}
	return "http://" + LocalAddr(addr)
}

// LocalAddr turns a listen address (":8080", "[::]:8080") into one a
// browser on this machine can open.
func LocalAddr(addr string) string {
	if strings.HasPrefix(addr, ":") || strings.HasPrefix(addr, "[::]:") || strings.HasPrefix(addr, "0.0.0.0:") {
		return "127.0.0.1" + addr[strings.LastIndex(addr, ":"):]
	}
	return addr
}

// sessionKey derives the key that signs the pages' cookies from the data
// key, so a deployment has one secret to keep, and the cookies of every
// instance agree.
func sessionKey(dataKey []byte) []byte {
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte("songnuan workbench session cookies"))
	return m.Sum(nil)
}

// mountWorkbench adds the pages to the engine and, in demo mode, offers
// the demo staff on the fake's sign-in page.
func (a *App) mountWorkbench(engine *gin.Engine) error {
	cfg := a.Config
	var admins []string
	for _, s := range cfg.Staff {
		if s.Role == domain.RoleAdmin {
			admins = append(admins, s.Name)
		}
	}
	contact := "街道社区服务办管理员"
	if len(admins) > 0 && len(admins) <= 3 {
		contact += "（" + strings.Join(admins, "、") + "）"
	}
	srv, err := web.New(web.Config{
		Source: gatedSource{BotSource: web.BotSource{Bot: a.Bot}, slots: a.imports}, Identity: a.WeCom,
		CorpID: cfg.WeCom.CorpID, AgentID: cfg.WeCom.AgentID, OAuthBase: cfg.WeCom.OAuthBase, PublicURL: cfg.PublicURL,
		SessionKey: sessionKey(cfg.SealKey()), Contact: contact, Campaign: a.clock, Logger: a.Log,
	})
	if err != nil {
		return err
	}
	srv.Mount(engine)
	if a.Fake != nil {
		var ms []fakeapi.Member
		for _, s := range cfg.Staff {
			note := map[domain.Role]string{domain.RoleWorker: "社工", domain.RoleLeader: "街道领导", domain.RoleAdmin: "社区服务办"}[s.Role]
			if s.Committee != "" {
				note = s.Committee + " " + note
			}
			ms = append(ms, fakeapi.Member{UserID: s.UserID, Name: s.Name, Note: note})
		}
		a.Fake.SetMembers(ms)
	}
	return nil
}

// Menu is the app's menu: 待办 and 进度 at hand, and under 更多 the
// schedule, help and the workbench. Each click key is one bot.MenuCommand
// knows, so a click is answered as the typed command.
func Menu(publicURL string) []wecom.MenuButton {
	return []wecom.MenuButton{
		{Type: "click", Name: "待办", Key: "todo"},
		{Type: "click", Name: "进度", Key: "progress"},
		{Name: "更多", SubButtons: []wecom.MenuButton{
			{Type: "view", Name: "工作台", URL: strings.TrimRight(publicURL, "/") + "/app/"},
			{Type: "click", Name: "日程", Key: "schedule"},
			{Type: "click", Name: "帮助", Key: "help"},
		}},
	}
}

// gatedSource is the pages' source with uploads of lists counted against
// the same import places as file messages, so the bound on memory holds
// whichever way a list comes.
type gatedSource struct {
	web.BotSource
	slots chan struct{}
}

// uploadWait is how long an upload waits for a place: under the server's
// write timeout, so the page still gets an answer.
const uploadWait = 20 * time.Second

// msgUploadBusy answers an upload that found no place in time.
const msgUploadBusy = "导入繁忙：前面还有名单在导入，请过1分钟再上传这个文件，已导入的不会重复。"

// ImportFile imports an uploaded list once a place is free.
func (g gatedSource) ImportFile(ctx context.Context, userID, fileName string, data []byte) (bot.Reply, bot.ImportReport, error) {
	if g.slots == nil {
		return g.BotSource.ImportFile(ctx, userID, fileName, data)
	}
	t := time.NewTimer(uploadWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-t.C:
		return bot.Reply{Text: msgUploadBusy}, bot.ImportReport{}, nil
	case <-ctx.Done():
		return bot.Reply{}, bot.ImportReport{}, ctx.Err()
	}
	defer func() { <-g.slots }()
	return g.BotSource.ImportFile(ctx, userID, fileName, data)
}
