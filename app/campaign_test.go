package app_test

import (
	"bytes"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"songnuan/app"
	"songnuan/config"
	"songnuan/wecom/fakeapi"
)

// startCampaignApp runs a demo-mode bot like startApp, with rescue
// targets configured.
func startCampaignApp(tb testing.TB, rescue config.Rescue) *app.App {
	tb.Helper()
	cfg := config.Default()
	cfg.RedisURL = os.Getenv("REDIS_URL")
	cfg.Rescue = rescue
	return startAppWith(tb, cfg, slog.New(slog.DiscardHandler))
}

// waitSent polls the fake WeCom API until keep accepts a record.
func waitSent(t *testing.T, fake *fakeapi.Server, keep func(fakeapi.Record) bool) fakeapi.Record {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range fake.Sent() {
			if keep(r) {
				return r
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no such message was sent; sent: %+v", fake.Sent())
	return fakeapi.Record{}
}

// TestCampaignWiring checks that the app hands the bot the rescue targets
// from the configuration and the exporter: a 流浪 report reaches every
// configured target through the real WeCom client, and 导出 comes back as
// a file pushed with message/send.
func TestCampaignWiring(t *testing.T) {
	a := startCampaignApp(t, config.Rescue{Users: []string{"rescue1"}, ChatID: "chat-rescue", RobotKey: "robot-rescue"})
	c := newClient(t, a)
	r := c.say(t, "wang", "流浪 甘泉公园东门 老人衣着单薄")
	if !strings.Contains(r, "已通知救助组") {
		t.Fatalf("流浪 reply = %q", r)
	}
	for _, keep := range []func(fakeapi.Record) bool{
		func(r fakeapi.Record) bool { return slices.Equal(r.ToUsers, []string{"rescue1"}) },
		func(r fakeapi.Record) bool { return r.ChatID == "chat-rescue" },
		func(r fakeapi.Record) bool { return r.RobotKey == "robot-rescue" },
	} {
		rec := waitSent(t, a.Fake, keep)
		if !strings.Contains(rec.Text, "甘泉公园东门") {
			t.Errorf("alert %+v lacks the place", rec)
		}
	}

	c.say(t, "wang", "登记 甲一 低保 3人")
	if r := c.say(t, "zhao", "导出"); r != "" {
		t.Logf("导出 answered passively: %q", r)
	}
	rec := waitSent(t, a.Fake, func(r fakeapi.Record) bool { return r.Kind == "file" && slices.Contains(r.ToUsers, "zhao") })
	if !strings.HasSuffix(rec.FileName, ".xlsx") {
		t.Errorf("exported file is named %q", rec.FileName)
	}
	f, err := excelize.OpenReader(bytes.NewReader(rec.File))
	if err != nil {
		t.Fatalf("exported file does not open: %v", err)
	}
	defer f.Close()
	if !slices.Contains(f.GetSheetList(), "甘泉一村") {
		t.Errorf("sheets %v lack 甘泉一村", f.GetSheetList())
	}
}
