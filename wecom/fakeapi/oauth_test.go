package fakeapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func getJSON(t *testing.T, u string) map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOAuthCodeWorksOnceAndOutsidersHaveNoUserID(t *testing.T) {
	s := New()
	ts := httptest.NewServer(s)
	defer ts.Close()
	tok := getJSON(t, ts.URL+"/cgi-bin/gettoken?corpid=c&corpsecret=s")["access_token"].(string)
	info := func(code string) map[string]any {
		return getJSON(t, ts.URL+"/cgi-bin/auth/getuserinfo?access_token="+tok+"&code="+code)
	}
	code := s.IssueCode("wang")
	if m := info(code); m["userid"] != "wang" || m["errcode"].(float64) != 0 {
		t.Errorf("first use = %v", m)
	}
	if m := info(code); m["errcode"].(float64) != CodeInvalidCode {
		t.Errorf("second use = %v, want errcode %d", m, CodeInvalidCode)
	}
	if m := info(s.IssueCode("")); m["userid"] != nil || m["openid"] == nil {
		t.Errorf("outsider = %v, want an openid and no userid", m)
	}
}

func TestAuthorizePageOffersMembers(t *testing.T) {
	s := New()
	s.SetMembers([]Member{{UserID: "wang", Name: "王芳", Note: "甘泉一村 社工"}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	q := url.Values{"appid": {"ww1"}, "redirect_uri": {"http://127.0.0.1:1/app/auth"}, "response_type": {"code"},
		"scope": {"snsapi_base"}, "state": {"abc123"}, "agentid": {"1000002"}}
	resp, err := http.Get(ts.URL + "/connect/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "王芳") || !strings.Contains(string(body), "http://127.0.0.1:1/app/auth?code=") ||
		!strings.Contains(string(body), "state=abc123") {
		t.Errorf("page does not offer 王芳 with a code back to redirect_uri:\n%s", body)
	}
	q.Del("agentid")
	resp, _ = http.Get(ts.URL + "/connect/oauth2/authorize?" + q.Encode())
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("without agentid = %d, want 400", resp.StatusCode)
	}
}
