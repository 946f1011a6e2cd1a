package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"songnuan/app"
	"songnuan/config"
	"songnuan/internal/campaigntest"
	"songnuan/wecom"
)

// startApp runs a demo-mode bot on a random port against REDIS_URL (or an
// embedded Redis) under a random key prefix.
func startApp(tb testing.TB) *app.App {
	tb.Helper()
	cfg := config.Default()
	cfg.RedisURL = os.Getenv("REDIS_URL")
	cfg.Policy = campaigntest.PolicyPath()
	return startAppWith(tb, cfg, slog.New(slog.DiscardHandler))
}

type client struct {
	url    string
	crypto *wecom.Crypto
	n      int
}

func newClient(tb testing.TB, a *app.App) *client {
	c, err := wecom.NewCrypto(config.DemoToken, config.DemoAESKey, config.DemoCorpID)
	if err != nil {
		tb.Fatal(err)
	}
	return &client{url: "http://" + a.Addr() + "/wecom/callback", crypto: c}
}

func (c *client) request(tb testing.TB, user, msgID, text string) (string, []byte) {
	xml := wecom.TextMessageXML(wecom.Message{ToUserName: config.DemoCorpID, FromUserName: user,
		CreateTime: time.Now().Unix(), MsgType: "text", Content: text, MsgID: msgID, AgentID: config.DemoAgentID})
	q, body, err := c.crypto.SealRequest(xml, config.DemoAgentID)
	if err != nil {
		tb.Fatal(err)
	}
	return c.url + "?" + q.Encode(), body
}

func (c *client) say(tb testing.TB, user, text string) string {
	tb.Helper()
	c.n++
	return c.sayID(tb, user, fmt.Sprintf("%d", 6100000000000000000+c.n), text)
}

func (c *client) sayID(tb testing.TB, user, msgID, text string) string {
	tb.Helper()
	u, body := c.request(tb, user, msgID, text)
	resp, err := http.Post(u, "text/xml", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("%s: HTTP %d %s", text, resp.StatusCode, b)
	}
	if len(b) == 0 {
		return ""
	}
	m, err := c.crypto.OpenReply(b)
	if err != nil {
		tb.Fatal(err)
	}
	return m.Content
}

func TestEndToEndDemo(t *testing.T) {
	a := startApp(t)
	c := newClient(t, a)
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + a.Addr() + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s = %v %v", p, resp, err)
		}
		resp.Body.Close()
	}
	if r := c.say(t, "wang", "登记 甲五 低保 3人 特困供养1人 身份证:11010519491231002X 电话:13812345678"); !strings.HasSuffix(r, "\n合计 2260元") || !strings.Contains(r, "截止") ||
		strings.Contains(r, "11010519491231002X") || strings.Contains(r, "13812345678") {
		t.Fatalf("登记 reply = %q", r)
	}
	first := c.sayID(t, "wang", "6200000000000000001", "走访 甲五 发放2260元")
	again := c.sayID(t, "wang", "6200000000000000001", "走访 甲五 发放2260元")
	if !strings.Contains(first, "已记录") || again != first {
		t.Fatalf("visit %q, re-delivery %q", first, again)
	}
	if r := c.say(t, "wang", "走访 甲五 发放2260元"); !strings.Contains(r, "重复") {
		t.Fatalf("second visit = %q, want 重复", r)
	}
	ctr, err := a.Store.Counters(context.Background(), "甘泉一村")
	if err != nil || ctr["visited"] != 1 || ctr["paid"] != 2260 {
		t.Fatalf("counters = %v %v, want one visit and 2260 paid", ctr, err)
	}
	if r := c.say(t, "stranger", "帮助"); !strings.Contains(r, "没有登记") && !strings.Contains(r, "未登记") {
		t.Fatalf("stranger got %q", r)
	}
	resp, err := http.Get("http://" + a.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(m, []byte(`songnuan_messages_total{outcome="duplicate",type="text"} 1`)) ||
		!bytes.Contains(m, []byte("songnuan_dedup_hits_total 1")) {
		t.Fatalf("metrics do not count the re-delivery:\n%s", grep(m, "songnuan_"))
	}
}

// TestBroadcastRunsWithTheServer: a bot started just after the visiting
// phase began sends every worker the phase announcement through WeCom,
// with the committee's own numbers, once.
func TestBroadcastRunsWithTheServer(t *testing.T) {
	cfg := config.Default()
	cfg.Now = time.Date(2024, 1, 21, 9, 20, 0, 0, time.FixedZone("CST", 8*3600))
	a := startAppWith(t, withRedis(cfg), slog.New(slog.DiscardHandler))
	if a.Broadcast == nil || a.Fake == nil {
		t.Fatal("no broadcast runner or fake WeCom")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(a.Fake.SentTo("li", 0)) == 0 || len(a.Fake.SentTo("wang", 0)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no announcement sent; WeCom got %+v", a.Fake.Sent())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, user := range []string{"wang", "li"} {
		got := a.Fake.SentTo(user, 0)
		if len(got) != 1 || !strings.Contains(got[0].Text, "今天起进入“募捐、走访慰问”阶段") {
			t.Errorf("%s got %+v, want the phase announcement once", user, got)
		}
	}
	if got := a.Fake.SentTo("wang", 0); len(got) == 1 && !strings.Contains(got[0].Text, "甘泉一村") {
		t.Errorf("wang's announcement does not name his committee: %q", got[0].Text)
	}
}

func grep(b []byte, s string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// benchCallback measures one callback through the real engine, bot and
// store (REDIS_URL or embedded), with a distinct MsgId per message.
func benchCallback(b *testing.B, user, text string, setup func(*client)) {
	cfg := config.Default()
	// One user sends every message: a limit the benchmark never reaches
	// keeps the per-user count in each round trip without refusing.
	cfg.RateLimitPerMinute = math.MaxInt32
	a := startAppWith(b, withRedis(cfg), slog.New(slog.DiscardHandler))
	c := newClient(b, a)
	if setup != nil {
		setup(c)
	}
	urls := make([]string, b.N)
	bodies := make([][]byte, b.N)
	for i := range b.N {
		urls[i], bodies[i] = c.request(b, user, fmt.Sprintf("%d", 6300000000000000000+i), text)
	}
	h := a.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest(http.MethodPost, urls[i], bytes.NewReader(bodies[i]))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 || w.Body.Len() == 0 {
			b.Fatalf("HTTP %d", w.Code)
		}
	}
}

func BenchmarkCallbackHelp(b *testing.B) { benchCallback(b, "wang", "帮助", nil) }

func BenchmarkCallbackQuery(b *testing.B) {
	benchCallback(b, "wang", "查询 甲一", func(c *client) { c.say(b, "wang", "登记 甲一 低保 3人") })
}

func BenchmarkCallbackTodo(b *testing.B) {
	benchCallback(b, "wang", "待办", func(c *client) { c.say(b, "wang", "登记 甲一 低保 3人") })
}

// withRedis points cfg at REDIS_URL (empty: the embedded store).
func withRedis(cfg config.Config) config.Config {
	cfg.RedisURL = os.Getenv("REDIS_URL")
	return cfg
}
