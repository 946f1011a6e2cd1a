package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"songnuan/app"
	"songnuan/config"
	"songnuan/domain"
	"songnuan/internal/testkit"
	"songnuan/store"
	"songnuan/store/storetest"
	"songnuan/wecom"
)

// jsonLog is the logger the program uses (JSON, info and up) writing into
// a buffer.
func jsonLog() (*slog.Logger, *testkit.Buffer) {
	b := &testkit.Buffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo})), b
}

// testStaff are the people of the fault and instance tests: four workers
// in two committees and an admin.
var testStaff = []domain.Staff{
	{UserID: "w1", Name: "王一", Role: domain.RoleWorker, Committee: "甘泉一村"},
	{UserID: "w2", Name: "王二", Role: domain.RoleWorker, Committee: "甘泉一村"},
	{UserID: "w3", Name: "李三", Role: domain.RoleWorker, Committee: "甘泉二村"},
	{UserID: "w4", Name: "李四", Role: domain.RoleWorker, Committee: "甘泉二村"},
	{UserID: "admin", Name: "管理员", Role: domain.RoleAdmin},
}

// startAppWith runs an App in this process on a random port with cfg and
// log, under a random key prefix that is deleted at the end.
func startAppWith(tb testing.TB, cfg config.Config, log *slog.Logger) *app.App {
	tb.Helper()
	a, _ := launchApp(tb, cfg, log, nil)
	return a
}

// launchApp is startAppWith that lets prepare change the App before it
// runs, and returns stop, which ends Run and returns its error. The
// clean-up stops the App, unless stop did, before it deletes the keys.
func launchApp(tb testing.TB, cfg config.Config, log *slog.Logger, prepare func(*app.App)) (*app.App, func() error) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	prefix := storetest.Prefix()
	a, err := app.New(context.Background(), cfg, app.Options{Listener: ln, KeyPrefix: prefix, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	if prepare != nil {
		prepare(a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stop := sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	tb.Cleanup(func() {
		// Stop first: the broadcast runner writes until it stops.
		stop()
		if cfg.RedisURL == "" {
			return // the embedded store went with the App
		}
		st, err := store.Open(context.Background(), store.Options{URL: cfg.RedisURL, Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			tb.Errorf("clean up keys under %s: %v", prefix, err)
			return
		}
		defer st.Close()
		if err := storetest.DeletePrefix(context.Background(), st.Client(), prefix); err != nil {
			tb.Errorf("clean up keys under %s: %v", prefix, err)
		}
	})
	return a, stop
}

// sender delivers messages to one callback URL as WeCom does, with its
// deadline: WeCom waits 5 s for an answer.
type sender struct {
	url    string
	crypto *wecom.Crypto
	corpID string
	agent  string
	http   *http.Client
}

func newSender(tb testing.TB, addr, token, aesKey, corpID, agentID string) *sender {
	tb.Helper()
	c, err := wecom.NewCrypto(token, aesKey, corpID)
	if err != nil {
		tb.Fatal(err)
	}
	return &sender{url: "http://" + addr + "/wecom/callback", crypto: c, corpID: corpID, agent: agentID,
		http: &http.Client{Timeout: 5 * time.Second}}
}

// demoSender talks to an App running in demo mode.
func demoSender(tb testing.TB, a *app.App) *sender {
	return newSender(tb, a.Addr(), config.DemoToken, config.DemoAESKey, config.DemoCorpID, config.DemoAgentID)
}

// deliver posts one message and returns the HTTP status and the decrypted
// reply ("" for an empty body). A transport error (no answer within 5 s)
// is returned as err, as WeCom would see a timeout.
func (s *sender) deliver(m wecom.Message) (int, string, error) {
	m.ToUserName, m.AgentID = s.corpID, s.agent
	if m.CreateTime == 0 {
		m.CreateTime = time.Now().Unix()
	}
	if m.MsgType == "" {
		m.MsgType = "text"
	}
	q, body, err := s.crypto.SealRequest(wecom.TextMessageXML(m), s.agent)
	if err != nil {
		return 0, "", err
	}
	resp, err := s.http.Post(s.url+"?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "", err
	}
	if resp.StatusCode != http.StatusOK || len(b) == 0 {
		return resp.StatusCode, "", nil
	}
	r, err := s.crypto.OpenReply(b)
	if err != nil {
		return resp.StatusCode, "", fmt.Errorf("reply does not open: %w", err)
	}
	return resp.StatusCode, r.Content, nil
}

// text delivers a text message from user.
func (s *sender) text(user, msgID, text string) (int, string, error) {
	return s.deliver(wecom.Message{FromUserName: user, MsgID: msgID, Content: text})
}

// say delivers a text message that must be answered passively.
func (s *sender) say(tb testing.TB, user, msgID, text string) string {
	tb.Helper()
	code, reply, err := s.text(user, msgID, text)
	if err != nil || code != http.StatusOK || reply == "" {
		tb.Fatalf("%s says %q: HTTP %d %q %v", user, text, code, reply, err)
	}
	return reply
}

// recorded reports whether a reply claims a change was stored.
func recorded(reply string) bool {
	return strings.Contains(reply, "已记录") || strings.Contains(reply, "已登记") || strings.Contains(reply, "已更新")
}
