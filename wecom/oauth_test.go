package wecom_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"songnuan/wecom"
	"songnuan/wecom/fakeapi"
)

func TestAuthorizeURLIsWeComsShape(t *testing.T) {
	got := wecom.AuthorizeURL("https://open.weixin.qq.com", "ww1", "1000002", "https://wb.example.gov.cn/app/auth", "s1")
	want := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=ww1&redirect_uri=https%3A%2F%2Fwb.example.gov.cn%2Fapp%2Fauth" +
		"&response_type=code&scope=snsapi_base&state=s1&agentid=1000002#wechat_redirect"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if u, err := url.Parse(got); err != nil || u.Query().Get("redirect_uri") != "https://wb.example.gov.cn/app/auth" {
		t.Errorf("redirect_uri does not survive a round trip: %v", err)
	}
}

func TestUserIDFromCode(t *testing.T) {
	fake := fakeapi.New()
	api := httptest.NewServer(fake)
	defer api.Close()
	c, err := wecom.NewClient(wecom.ClientConfig{CorpID: "ww1", Secret: "s", AgentID: "1000002", APIBase: api.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	code := fake.IssueCode("wang")
	if id, err := c.UserIDFromCode(context.Background(), code); err != nil || id != "wang" {
		t.Fatalf("first use = %q, %v", id, err)
	}
	var ae *wecom.APIError
	if _, err := c.UserIDFromCode(context.Background(), code); !errors.As(err, &ae) || ae.Code != wecom.CodeInvalid {
		t.Errorf("second use: %v, want errcode %d", err, wecom.CodeInvalid)
	}
	if _, err := c.UserIDFromCode(context.Background(), fake.IssueCode("")); !errors.Is(err, wecom.ErrNotMember) {
		t.Errorf("outsider: %v, want ErrNotMember", err)
	}
}
