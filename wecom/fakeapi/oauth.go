package fakeapi

import (
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Member is someone the fake's sign-in page offers: in demo mode the demo
// staff, so a browser can sign in as any of them.
type Member struct {
	UserID string
	Name   string
	Note   string // 甘泉一村 社工
}

// Unlisted is the userid the sign-in page's last choice signs in as: a
// member of the organisation who is not on the bot's staff list.
const Unlisted = "xiaoliu"

// codeTTL is how long an OAuth code works, as in WeCom.
const codeTTL = 5 * time.Minute

type oauthCode struct {
	userID  string // "" for someone outside the organisation
	expires time.Time
}

type oauthState struct {
	mu      sync.Mutex
	members []Member
	codes   map[string]oauthCode
	menu    json.RawMessage
	menuAt  string // agentid the menu was set for
}

func (s *Server) addOAuth() {
	s.oauth.codes = map[string]oauthCode{}
	s.mux.HandleFunc("GET /connect/oauth2/authorize", s.authorize)
	s.mux.HandleFunc("GET /cgi-bin/auth/getuserinfo", s.authed(s.getUserInfo))
	s.mux.HandleFunc("POST /cgi-bin/menu/create", s.authed(s.menuCreate))
}

// SetMembers sets who the sign-in page offers.
func (s *Server) SetMembers(ms []Member) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	s.oauth.members = append([]Member(nil), ms...)
}

// IssueCode returns a fresh OAuth code for userID ("" for someone outside
// the organisation), as WeCom's authorize step would.
func (s *Server) IssueCode(userID string) string {
	code := randomID(32)
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	s.oauth.codes[code] = oauthCode{userID: userID, expires: s.now().Add(codeTTL)}
	return code
}

// Menu returns the body of the last menu/create and the agentid it was
// set for.
func (s *Server) Menu() (json.RawMessage, string) {
	s.oauth.mu.Lock()
	defer s.oauth.mu.Unlock()
	return s.oauth.menu, s.oauth.menuAt
}

var pickPage = template.Must(template.New("pick").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>企业微信登录（演示）</title>
<style>
body{font:16px/1.5 -apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f2f3f5;margin:0;color:#1f2329}
main{max-width:420px;margin:0 auto;padding:24px 16px}
h1{font-size:20px;margin:8px 0 4px}p{color:#646a73;margin:0 0 16px;font-size:14px}
a.u{display:flex;justify-content:space-between;align-items:center;background:#fff;border-radius:12px;padding:14px 16px;margin:10px 0;
text-decoration:none;color:inherit;box-shadow:0 1px 2px rgba(0,0,0,.06)}
a.u b{font-size:17px}a.u span{color:#646a73;font-size:14px}a.o{background:transparent;box-shadow:none;border:1px dashed #c9cdd4}
</style></head><body><main>
<h1>演示：选择登录身份</h1>
<p>真实环境中，企业微信会直接识别当前成员，不会出现这一页。</p>
{{range .Members}}<a class="u" href="{{$.Back}}code={{.Code}}&state={{$.State}}"><b>{{.Name}}</b><span>{{.Note}}</span></a>
{{end}}<a class="u o" href="{{.Back}}code={{.Outsider}}&state={{.State}}"><b>未登记的成员</b><span>不在名单中的同事</span></a>
</main></body></html>`))

// authorize is WeCom's OAuth2 step, served as a page to pick a member.
// It checks what WeCom checks that a fake can: the parameters are there.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || back.Scheme == "" || q.Get("appid") == "" || q.Get("response_type") != "code" ||
		q.Get("scope") != "snsapi_base" || q.Get("agentid") == "" {
		http.Error(w, "redirect_uri参数错误", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	corp := s.corpID
	s.mu.Unlock()
	if corp != "" && q.Get("appid") != corp {
		http.Error(w, "appid参数错误", http.StatusBadRequest)
		return
	}
	s.oauth.mu.Lock()
	members := append([]Member(nil), s.oauth.members...)
	s.oauth.mu.Unlock()
	type choice struct {
		Member
		Code string
	}
	data := struct {
		Members         []choice
		Back            string
		State, Outsider string
	}{Back: back.String(), State: q.Get("state"), Outsider: s.IssueCode(Unlisted)}
	if back.RawQuery == "" {
		data.Back += "?"
	} else {
		data.Back += "&"
	}
	for _, m := range members {
		data.Members = append(data.Members, choice{m, s.IssueCode(m.UserID)})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pickPage.Execute(w, data)
}

// getUserInfo is auth/getuserinfo: a code works once and for five
// minutes; an outsider's code gives an openid and no userid.
func (s *Server) getUserInfo(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("code")
	now := s.now()
	s.oauth.mu.Lock()
	c, ok := s.oauth.codes[code]
	delete(s.oauth.codes, code)
	for k, v := range s.oauth.codes { // drop expired codes so a long demo stays small
		if now.After(v.expires) {
			delete(s.oauth.codes, k)
		}
	}
	s.oauth.mu.Unlock()
	switch {
	case !ok || now.After(c.expires):
		writeErr(w, CodeInvalidCode)
	case c.userID == "":
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "openid": "o" + randomID(16)})
	default:
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "userid": c.userID})
	}
}

// menuCreate is menu/create: it needs an agentid and a body with buttons.
func (s *Server) menuCreate(w http.ResponseWriter, r *http.Request) {
	agent := r.URL.Query().Get("agentid")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	var m struct {
		Button []json.RawMessage `json:"button"`
	}
	if err != nil || json.Unmarshal(body, &m) != nil {
		writeErr(w, CodeInvalidJSON)
		return
	}
	if agent == "" || len(m.Button) == 0 || len(m.Button) > 3 {
		writeErr(w, CodeMissingParam)
		return
	}
	s.oauth.mu.Lock()
	s.oauth.menu, s.oauth.menuAt = body, agent
	s.oauth.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}
