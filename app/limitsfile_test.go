package app_test

import (
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"songnuan/config"
	"songnuan/wecom"
)

// TestFileOverTheSizeCapIsAnswered: a file larger than WeCom media's 20 MiB
// cap is the user's mistake, not the system's. It gets the reply that says
// to split it, at the first delivery, instead of a 503 for each of WeCom's
// three tries and then nothing.
func TestFileOverTheSizeCapIsAnswered(t *testing.T) {
	if testing.Short() {
		t.Skip("moves a 20 MiB file")
	}
	cfg := config.Default()
	cfg.RedisURL = os.Getenv("REDIS_URL")
	a := startAppWith(t, cfg, slog.New(slog.DiscardHandler))
	s := demoSender(t, a)
	a.Fake.PutMedia("media-huge-1", "名单.xlsx", make([]byte, wecom.MaxMediaBytes+1))
	since := lastSeq(a, "wang")
	code, reply, err := s.deliver(wecom.Message{FromUserName: "wang", MsgType: "file", MediaID: "media-huge-1",
		FileName: "名单.xlsx", MsgID: "7710000000000000001"})
	if err != nil || code != http.StatusOK {
		t.Fatalf("file over 20 MiB: HTTP %d %q %v; want 200", code, reply, err)
	}
	if reply == "" {
		reply = waitPush(a, "wang", since, 30e9)
	}
	if !strings.Contains(reply, "文件超过 20MB") {
		t.Errorf("file over 20 MiB answered %q, want the reply saying to split it", reply)
	}
}
