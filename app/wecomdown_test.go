package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"songnuan/config"
	"songnuan/domain"
	"songnuan/wecom"
)

// TestSlowOrFailingWeComAPI: while WeCom's API stalls, the callback still
// answers within WeCom's 5 s (the sender's deadline), passively for
// everything that needs no API call; a file, which does, is answered
// empty in time and its reply pushed once the API answers; and pushes that
// WeCom refuses with an errcode are retried until they go through.
func TestSlowOrFailingWeComAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a slow API")
	}
	cfg := config.Default()
	cfg.RedisURL = os.Getenv("REDIS_URL")
	a := startAppWith(t, cfg, slog.New(slog.DiscardHandler))
	s := demoSender(t, a)
	const sendPath = "/cgi-bin/message/send"

	a.Fake.SetDelay(6 * time.Second) // longer than the callback's budget
	if r := s.say(t, "wang", "7700000000000000001", "帮助"); !strings.Contains(r, "登记") {
		t.Fatalf("帮助 = %q", r)
	}
	if r := s.say(t, "wang", "7700000000000000002", "登记 庚一 低保 3人"); !strings.HasPrefix(r, "已登记") {
		t.Fatalf("登记 = %q", r)
	}
	if r := s.say(t, "wang", "7700000000000000003", "走访 庚一 发放900元"); !strings.HasPrefix(r, "已记录") {
		t.Fatalf("走访 = %q", r)
	}
	a.Fake.PutMedia("media-slow-1", "名单.csv", []byte("户主,人数,类别,居委\n庚二,2,低保,甘泉一村\n庚三,1,低保,甘泉一村\n"))
	code, reply, err := s.deliver(wecom.Message{FromUserName: "wang", MsgType: "file", MediaID: "media-slow-1",
		FileName: "名单.csv", MsgID: "7700000000000000004"})
	if err != nil || code != http.StatusOK || reply != "" {
		t.Fatalf("file while the API stalls: HTTP %d %q %v; want an empty 200 within 5 s", code, reply, err)
	}
	if n := a.Fake.Calls(sendPath); n != 0 {
		t.Fatalf("%d sends before the import could be read", n)
	}

	// WeCom answers again, but refuses the first two sends.
	a.Fake.SetDelay(0)
	a.Fake.FailNext(sendPath, -1, 2)
	var pushed string
	for end := time.Now().Add(30 * time.Second); pushed == "" && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if recs := a.Fake.SentTo("wang", 0); len(recs) > 0 {
			pushed = recs[0].Text
		}
	}
	if !strings.Contains(pushed, "新增2户") {
		t.Fatalf("pushed %q, want the import report", pushed)
	}
	if n := a.Fake.Calls(sendPath); n != 3 {
		t.Errorf("message/send called %d times, want 2 refused and 1 accepted", n)
	}
	ctr, err := a.Store.Counters(context.Background(), "甘泉一村")
	if err != nil || ctr[domain.CtrHouseholds] != 3 {
		t.Errorf("counters %v %v, want 3 households", ctr, err)
	}
}
