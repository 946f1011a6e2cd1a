package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"songnuan/wecom"
)

// Cookie names and lifetimes.
const (
	sessionCookie = "sn_session"
	stateCookie   = "sn_oauth"
	flashCookie   = "sn_flash"
	// SessionTTL is how long a sign-in lasts: a working day.
	SessionTTL = 8 * time.Hour
	stateTTL   = 10 * time.Minute
)

// signer signs and checks cookie values with HMAC-SHA256; each purpose
// has its own label so a value signed for one is useless as another.
type signer struct{ key []byte }

func (s signer) mac(purpose, v string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + "\x00" + v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sign returns v with its signature, for a cookie.
func (s signer) sign(purpose, v string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(v)) + "." + s.mac(purpose, v)
}

// open returns the value sign signed, or false.
func (s signer) open(purpose, signed string) (string, bool) {
	enc, sig, ok := strings.Cut(signed, ".")
	if !ok {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(sig), []byte(s.mac(purpose, string(raw)))) {
		return "", false
	}
	return string(raw), true
}

// session is a signed-in user: who, until when, and the nonce the CSRF
// token is derived from.
type session struct {
	UserID  string
	Expires time.Time
	Nonce   string
}

func (s session) encode() string {
	return s.UserID + "\n" + strconv.FormatInt(s.Expires.Unix(), 10) + "\n" + s.Nonce
}

func decodeSession(v string) (session, bool) {
	parts := strings.Split(v, "\n")
	if len(parts) != 3 {
		return session{}, false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return session{}, false
	}
	return session{UserID: parts[0], Expires: time.Unix(exp, 0), Nonce: parts[2]}, true
}

// csrf is the token every form of the session posts back.
func (srv *Server) csrf(s session) string { return srv.sign.mac("csrf", s.Nonce) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// secure reports whether the page is served over https, directly or
// behind a proxy that says so; cookies are then Secure.
func (srv *Server) secure(c *gin.Context) bool {
	if srv.cfg.PublicURL != "" {
		return strings.HasPrefix(srv.cfg.PublicURL, "https://")
	}
	return c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https"
}

// base is the public root pages and redirects are built from.
func (srv *Server) base(c *gin.Context) string {
	if srv.cfg.PublicURL != "" {
		return srv.cfg.PublicURL
	}
	scheme := "http"
	if srv.secure(c) {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

func (srv *Server) setCookie(c *gin.Context, name, value string, ttl time.Duration) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/app/", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: srv.secure(c), SameSite: http.SameSiteLaxMode})
}

func (srv *Server) clearCookie(c *gin.Context, name string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: "", Path: "/app/", MaxAge: -1,
		HttpOnly: true, Secure: srv.secure(c), SameSite: http.SameSiteLaxMode})
}

// current returns the request's session, if it has a valid one.
func (srv *Server) current(c *gin.Context) (session, bool) {
	v, err := c.Cookie(sessionCookie)
	if err != nil {
		return session{}, false
	}
	raw, ok := srv.sign.open("session", v)
	if !ok {
		return session{}, false
	}
	s, ok := decodeSession(raw)
	if !ok || !srv.now().Before(s.Expires) {
		return session{}, false
	}
	return s, true
}

// signIn sends a visitor without a session to WeCom's OAuth2 step, and
// remembers in a signed cookie the state it sent and the page asked for.
func (srv *Server) signIn(c *gin.Context) {
	state := randomHex(16)
	next := c.Request.URL.RequestURI()
	if c.Request.Method != http.MethodGet || !strings.HasPrefix(next, "/app/") {
		next = "/app/"
	}
	srv.setCookie(c, stateCookie, srv.sign.sign("state", state+"\n"+next), stateTTL)
	u := wecom.AuthorizeURL(srv.cfg.OAuthBase, srv.cfg.CorpID, srv.cfg.AgentID, srv.base(c)+"/app/auth", state)
	c.Redirect(http.StatusFound, u)
}

// authCallback is where WeCom sends the browser back with a code: the
// state must be the one this browser was sent with, the code is
// exchanged once for a userid, and the userid must be staff.
func (srv *Server) authCallback(c *gin.Context) {
	code, state := c.Query("code"), c.Query("state")
	v, _ := c.Cookie(stateCookie)
	raw, ok := srv.sign.open("state", v)
	want, next, _ := strings.Cut(raw, "\n")
	if !ok || state == "" || !hmac.Equal([]byte(state), []byte(want)) {
		srv.problem(c, http.StatusForbidden, "登录已失效", "请回到企业微信，重新打开“送暖”应用的工作台。", "")
		return
	}
	srv.clearCookie(c, stateCookie)
	if code == "" {
		srv.problem(c, http.StatusForbidden, "没有取得企业微信身份", "请在企业微信里打开工作台，不要在其他浏览器中打开。", "")
		return
	}
	userID, err := srv.cfg.Identity.UserIDFromCode(c.Request.Context(), code)
	var ae *wecom.APIError
	switch {
	case errors.Is(err, wecom.ErrNotMember):
		srv.problem(c, http.StatusForbidden, "您不是本单位的企业微信成员", "工作台只对街道和居委的工作人员开放。", "")
		return
	case errors.As(err, &ae) && ae.Code == wecom.CodeInvalid:
		srv.problem(c, http.StatusForbidden, "登录链接已用过或已过期", "请回到企业微信，重新打开工作台。", "")
		return
	case err != nil:
		srv.log.Error("oauth code exchange failed", "err", err)
		srv.problem(c, http.StatusBadGateway, "暂时无法确认身份", "企业微信暂时没有响应，请稍后再试。", "")
		return
	}
	if _, ok := srv.src.Member(userID); !ok {
		srv.log.Info("stranger signed in", "user", userID)
		srv.problem(c, http.StatusForbidden, "您还没有开通工作台",
			"请联系"+srv.cfg.Contact+"，把您的企业微信账号 "+userID+" 加入名单，开通后重新打开即可。", "")
		return
	}
	s := session{UserID: userID, Expires: srv.now().Add(SessionTTL), Nonce: randomHex(16)}
	srv.setCookie(c, sessionCookie, srv.sign.sign("session", s.encode()), SessionTTL)
	if !strings.HasPrefix(next, "/app/") || strings.HasPrefix(next, "/app/auth") {
		next = "/app/"
	}
	c.Redirect(http.StatusFound, next)
}

// logout ends the session.
func (srv *Server) logout(c *gin.Context) {
	srv.clearCookie(c, sessionCookie)
	srv.problem(c, http.StatusOK, "已退出", "在企业微信里重新打开工作台即可再次进入。", "")
}
