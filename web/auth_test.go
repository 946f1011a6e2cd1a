package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"songnuan/web"
)

// The redirect to WeCom names the app and asks for a silent sign-in that
// comes back to /app/auth with a state of this browser's own.
func TestUnauthenticatedVisitorIsSentToWeComOAuth(t *testing.T) {
	b := newBench(t)
	c := browser(t)
	resp, err := c.Get(b.url + "/app/c/" + esc("甘泉一村"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	q := loc.Query()
	if resp.StatusCode != http.StatusFound || loc.Path != "/connect/oauth2/authorize" {
		t.Fatalf("got %d to %s, want 302 to /connect/oauth2/authorize", resp.StatusCode, loc)
	}
	want := map[string]string{"appid": "wwtest", "redirect_uri": b.url + "/app/auth", "response_type": "code", "scope": "snsapi_base", "agentid": "1000002"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(q.Get("state")) < 16 || q.Get("state") == "STATE" {
		t.Errorf("state = %q, want a random value per sign-in", q.Get("state"))
	}
	if loc.Fragment != "wechat_redirect" {
		t.Errorf("fragment = %q, want wechat_redirect", loc.Fragment)
	}
	// after sign-in the browser lands on the page it asked for
	r2, body := b.back(t, c, b.fake.IssueCode("wang"), q.Get("state"))
	if r2.StatusCode != http.StatusFound || r2.Header.Get("Location") != "/app/c/"+esc("甘泉一村") {
		t.Fatalf("sign-in = %d to %q, want 302 to the page asked for: %s", r2.StatusCode, r2.Header.Get("Location"), body)
	}
}

func TestSessionCookieIsHttpOnlyLaxEightHours(t *testing.T) {
	b := newBench(t)
	c := browser(t)
	state := b.start(t, c)
	resp, _ := b.back(t, c, b.fake.IssueCode("wang"), state)
	var sc *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == "sn_session" {
			sc = k
		}
	}
	if sc == nil {
		t.Fatal("no session cookie set")
	}
	if !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.MaxAge != int(web.SessionTTL.Seconds()) || sc.MaxAge != 8*3600 {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Max-Age 8h", sc)
	}
	if sc.Secure {
		t.Error("session cookie is Secure over plain http: the browser would drop it")
	}

	// behind an https proxy the cookie is Secure
	req, _ := http.NewRequest(http.MethodGet, b.url+"/app/", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	r2, err := browser(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if ks := r2.Cookies(); len(ks) == 0 || !ks[0].Secure {
		t.Errorf("cookies behind https = %+v, want Secure", ks)
	}
	if loc := r2.Header.Get("Location"); !strings.Contains(loc, url.QueryEscape("https://")) {
		t.Errorf("redirect_uri behind https = %s, want https", loc)
	}
}

func TestStateMismatchIsRefused(t *testing.T) {
	b := newBench(t)
	c := browser(t)
	state := b.start(t, c)
	for name, s := range map[string]string{"other": strings.Repeat("a", len(state)), "empty": ""} {
		resp, body := b.back(t, c, b.fake.IssueCode("wang"), s)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "重新打开") {
			t.Errorf("%s state: %d, want 403 asking to reopen:\n%s", name, resp.StatusCode, body)
		}
		if cookieNamed(c, b.url, "sn_session") != nil {
			t.Fatalf("%s state: a session was set", name)
		}
	}
	// a browser that never started a sign-in has no state to match
	resp, _ := b.back(t, browser(t), b.fake.IssueCode("wang"), state)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("callback without the state cookie = %d, want 403", resp.StatusCode)
	}
}

func TestCodeWorksOnce(t *testing.T) {
	b := newBench(t)
	code := b.fake.IssueCode("wang")
	c1 := browser(t)
	if resp, body := b.back(t, c1, code, b.start(t, c1)); resp.StatusCode != http.StatusFound {
		t.Fatalf("first use = %d: %s", resp.StatusCode, body)
	}
	c2 := browser(t)
	resp, body := b.back(t, c2, code, b.start(t, c2))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "已用过或已过期") {
		t.Errorf("second use = %d, want 403 saying the link was used:\n%s", resp.StatusCode, body)
	}
	if cookieNamed(c2, b.url, "sn_session") != nil {
		t.Error("a reused code signed someone in")
	}
}

func TestStrangerIsToldWhomToAsk(t *testing.T) {
	b := newBench(t)
	c := browser(t)
	resp, body := b.back(t, c, b.fake.IssueCode("zhangsan"), b.start(t, c))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "社区服务办") || !strings.Contains(body, "zhangsan") {
		t.Errorf("stranger = %d, want 403 naming whom to ask and their userid:\n%s", resp.StatusCode, body)
	}
	if cookieNamed(c, b.url, "sn_session") != nil {
		t.Error("a stranger got a session")
	}
	// someone outside the organisation: WeCom gives no userid at all
	c = browser(t)
	resp, body = b.back(t, c, b.fake.IssueCode(""), b.start(t, c))
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "不是本单位") {
		t.Errorf("outsider = %d, want 403:\n%s", resp.StatusCode, body)
	}
}

func TestForgedSessionCookieIsIgnored(t *testing.T) {
	b := newBench(t)
	c := b.login(t, "wang")
	good := cookieNamed(c, b.url, "sn_session")
	u, _ := url.Parse(b.url + "/app/")
	// the value names another user; its signature no longer matches
	forged := &http.Cookie{Name: "sn_session", Path: "/app/",
		Value: "YWRtaW4KOTk5OTk5OTk5OQpub25jZQ." + strings.SplitN(good.Value, ".", 2)[1]}
	c = browser(t)
	c.Jar.SetCookies(u, []*http.Cookie{forged})
	resp, err := c.Get(b.url + "/app/office")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("forged session = %d, want 302 to sign in again", resp.StatusCode)
	}
}
