package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"

	"github.com/gin-gonic/gin"

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
		Source: web.BotSource{Bot: a.Bot}, Identity: a.WeCom,
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
