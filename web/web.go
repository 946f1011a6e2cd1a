// Package web is the workbench: the pages a WeCom user opens from the
// app's home (工作台), from the app's menu and from links in chat.
// Leaders see the street at a glance, workers their committee's
// households and tasks, the office the import, broadcast and export
// tools.
//
// Identity is WeCom's silent OAuth2 (snsapi_base): /app/ sends a visitor
// without a session to the authorize step, the code that comes back is
// exchanged once for a userid, and a signed cookie (HttpOnly, SameSite=Lax,
// Secure behind https) keeps the session for eight hours. Every POST
// carries the session's CSRF token; every change also carries a one-time
// form token that becomes the MsgId of the chat command the page runs, so
// a double tap counts once, and the change is audited, checked and
// answered exactly as in chat.
//
// Pages are rendered on the server with html/template; the stylesheet
// and templates are embedded in the binary and charts are inline SVG drawn
// here (chart.go). No script, no CDN and no chart library: WeCom's in-app
// browser may sit on an intranet, every page works without JavaScript,
// and the few chart shapes the pages need (bars, a daily line) are
// shorter to draw than a library is to vendor.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"songnuan/bot"
	"songnuan/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what a Server is built from.
type Config struct {
	Source   Source
	Identity Identity
	// CorpID and AgentID name the app in the OAuth2 redirect.
	CorpID, AgentID string
	// OAuthBase is where the authorize step lives
	// (https://open.weixin.qq.com, or the fake in demo mode).
	OAuthBase string
	// PublicURL is the root WeCom users reach the pages at; empty means
	// the request's scheme and host.
	PublicURL string
	// SessionKey signs cookies; at least 32 random bytes.
	SessionKey []byte
	// Contact is whom a stranger is told to ask, e.g. 街道社区服务办管理员.
	Contact string
	// Now is the real clock for cookie expiry; time.Now when nil.
	Now func() time.Time
	// Campaign is the campaign clock the forms' dates start from; Now
	// when nil.
	Campaign func() time.Time
	Logger   *slog.Logger
}

// Server serves the workbench under /app/.
type Server struct {
	cfg   Config
	src   Source
	sign  signer
	now   func() time.Time
	log   *slog.Logger
	pages map[string]*template.Template
}

// New checks cfg and builds a Server.
func New(cfg Config) (*Server, error) {
	var missing []string
	if cfg.Source == nil {
		missing = append(missing, "Source")
	}
	if cfg.Identity == nil {
		missing = append(missing, "Identity")
	}
	if len(cfg.SessionKey) < 32 {
		missing = append(missing, "SessionKey (32 bytes)")
	}
	if cfg.OAuthBase == "" || cfg.CorpID == "" || cfg.AgentID == "" {
		missing = append(missing, "OAuthBase, CorpID and AgentID")
	}
	if len(missing) > 0 {
		return nil, errors.New("web config: missing " + strings.Join(missing, ", "))
	}
	if cfg.Contact == "" {
		cfg.Contact = "街道社区服务办管理员"
	}
	s := &Server{cfg: cfg, src: cfg.Source, sign: signer{key: cfg.SessionKey}, now: cfg.Now, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cfg.Campaign == nil {
		s.cfg.Campaign = s.now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "web")
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	return s, nil
}

// Mount adds the workbench's routes to a gin engine.
func (srv *Server) Mount(r gin.IRouter) {
	static, _ := fs.Sub(staticFS, "static")
	g := r.Group("/app")
	g.GET("/static/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.FileFromFS(c.Param("file"), http.FS(static))
	})
	g.GET("/auth", srv.authCallback)
	g.GET("/logout", srv.logout)
	a := g.Group("", srv.authed)
	a.GET("/", srv.home)
	a.GET("/street", srv.street)
	a.GET("/c/:committee", srv.committee)
	a.GET("/c/:committee/h/:code", srv.household)
	a.GET("/todo", srv.todo)
	a.GET("/register", srv.registerForm)
	a.GET("/office", srv.office)
	a.POST("/visit", srv.postVisit)
	a.POST("/register", srv.postRegister)
	a.POST("/undo", srv.postUndo)
	a.POST("/office/import", srv.postImport)
	a.POST("/office/problems", srv.postProblems)
	a.POST("/office/broadcast", srv.postBroadcast)
	a.POST("/office/confirm", srv.postConfirm)
	a.POST("/office/export", srv.postExport)
}

// ctxKey names what authed puts on the gin context.
const (
	keyStaff   = "web.staff"
	keySession = "web.session"
)

// authed lets a signed-in staff member through; a visitor without a
// session is sent to sign in (a POST is refused: its form would be lost
// anyway), and every POST must carry the session's CSRF token.
func (srv *Server) authed(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "same-origin")
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	s, ok := srv.current(c)
	if !ok {
		if c.Request.Method != http.MethodGet {
			srv.problem(c, http.StatusForbidden, "登录已过期", "请回到企业微信，重新打开工作台后再提交。", "")
			c.Abort()
			return
		}
		srv.signIn(c)
		c.Abort()
		return
	}
	st, ok := srv.src.Member(s.UserID)
	if !ok {
		srv.clearCookie(c, sessionCookie)
		srv.problem(c, http.StatusForbidden, "您的账号已不在名单中", "请联系"+srv.cfg.Contact+"。", "")
		c.Abort()
		return
	}
	if c.Request.Method == http.MethodPost {
		if err := c.Request.ParseMultipartForm(maxUpload); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			srv.problem(c, http.StatusBadRequest, "提交的内容太大或不完整", "文件请小于20MB，然后重新提交。", "")
			c.Abort()
			return
		}
		if got := c.Request.PostFormValue("_csrf"); got == "" || got != srv.csrf(s) {
			srv.log.Warn("csrf refused", "user", s.UserID, "path", c.Request.URL.Path)
			srv.problem(c, http.StatusForbidden, "页面已过期", "为了安全，这次提交没有执行。请返回，刷新页面后重新提交。", "")
			c.Abort()
			return
		}
	}
	c.Set(keyStaff, st)
	c.Set(keySession, s)
	c.Next()
}

// maxUpload bounds an uploaded household list, as WeCom bounds a file.
const maxUpload = 20 << 20

func staffOf(c *gin.Context) domain.Staff { return c.MustGet(keyStaff).(domain.Staff) }

// page is what every page template gets.
type page struct {
	Title  string
	Header string // the bar's title when it is not Title
	Nav    string // which tab is current
	Staff  domain.Staff
	Role   string
	CSRF   string
	Flash  *flash
	Back   string // where the back arrow goes, "" for none
	Data   any
}

// NewOp is a fresh one-time token for one change form: each form on a
// page gets its own, so one form's action never stands for another's.
func (page) NewOp() string { return randomHex(16) }

// roleNames are the roles as the pages name them.
var roleNames = map[domain.Role]string{domain.RoleWorker: "社工", domain.RoleLeader: "领导", domain.RoleAdmin: "管理员"}

// render writes a page with the layout.
func (srv *Server) render(c *gin.Context, status int, name string, p page) {
	if v, ok := c.Get(keyStaff); ok {
		p.Staff = v.(domain.Staff)
		p.Role = roleNames[p.Staff.Role]
	}
	if v, ok := c.Get(keySession); ok {
		p.CSRF = srv.csrf(v.(session))
		if p.Flash == nil {
			p.Flash = srv.takeFlash(c)
		}
	}
	t := srv.pages[name]
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := t.ExecuteTemplate(c.Writer, "layout", p); err != nil {
		srv.log.Error("render page", "page", name, "err", err)
	}
}

// problem is a page that says what went wrong and what to do.
func (srv *Server) problem(c *gin.Context, status int, title, text, back string) {
	srv.render(c, status, "problem", page{Title: title, Header: "送暖工作台", Back: back, Data: struct{ Text string }{text}})
}

// fail answers a Source error: a user's mistake is shown as the chat
// would show it; anything else is logged once and the user sees MsgBusy.
func (srv *Server) fail(c *gin.Context, err error, back string) {
	var ue *domain.UserError
	if errors.As(err, &ue) {
		srv.problem(c, http.StatusForbidden, "无法打开", ue.Message, back)
		return
	}
	srv.log.Error("page failed", "path", c.Request.URL.Path, "err", err)
	srv.problem(c, http.StatusServiceUnavailable, "系统繁忙", bot.MsgBusy, back)
}

// ctx is the request's context.
func ctx(c *gin.Context) context.Context { return c.Request.Context() }
