package handlers_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/handlers"
	"songnuan/store"
	"songnuan/store/storetest"
	"songnuan/wecom"
)

// Tencent's callback sample (WECOM.md).
const (
	vecToken  = "QDG6eK"
	vecAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecCorpID = "wx5823bf96d3bd56c7"
	vecBody   = `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`
)

// fakeBot records what it was asked and answers "收到：<text>".
type fakeBot struct {
	calls    atomic.Int64
	pure     bool
	delay    time.Duration
	err      error
	reply    func(in bot.Incoming) bot.Reply
	mu       sync.Mutex
	received []bot.Incoming
}

func (f *fakeBot) Handle(ctx context.Context, in bot.Incoming) (bot.Reply, error) {
	f.calls.Add(1)
	f.mu.Lock()
	f.received = append(f.received, in)
	f.mu.Unlock()
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.err != nil {
		return bot.Reply{}, f.err
	}
	if f.reply != nil {
		return f.reply(in), nil
	}
	return bot.Reply{Text: "收到：" + in.Text}, nil
}

func (f *fakeBot) NeedsStore(bot.Incoming) bool { return !f.pure }

// recorder is a domain.Sender that keeps what it was given.
type recorder struct {
	mu   sync.Mutex
	sent []domain.Message
}

func (r *recorder) Send(_ context.Context, m domain.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

func (r *recorder) messages() []domain.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]domain.Message(nil), r.sent...)
}

type harness struct {
	srv    *httptest.Server
	crypto *wecom.Crypto
	bot    *fakeBot
	sent   *recorder
	cb     *handlers.Callback
	store  *store.Store
}

func newHarness(t *testing.T, fb *fakeBot, now func() time.Time) *harness {
	t.Helper()
	c, err := wecom.NewCrypto(vecToken, vecAESKey, vecCorpID)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	rec := &recorder{}
	log := slog.New(slog.DiscardHandler)
	m := handlers.NewMetrics()
	p := handlers.NewPusher(handlers.PushOptions{Sender: rec, Outbox: st, Limiter: st.Limiter(nil), Workers: 2, Log: log, Metrics: m})
	cb := &handlers.Callback{
		Bot: fb, Crypto: c, CorpID: vecCorpID, Dedup: st, Pusher: p, Metrics: m, Log: log,
		MaxBody: 64 << 10, DedupTTL: 24 * time.Hour, Budget: time.Second, Now: now,
	}
	srv := httptest.NewServer(handlers.Engine(cb, st.Ping))
	t.Cleanup(func() {
		srv.Close()
		p.Close(context.Background())
	})
	return &harness{srv: srv, crypto: c, bot: fb, sent: rec, cb: cb, store: st}
}

// post sends a text message as WeCom would and returns status and the
// decrypted reply text ("" for an empty body).
func (h *harness) post(t *testing.T, from, msgID, text string) (int, string) {
	t.Helper()
	xml := wecom.TextMessageXML(wecom.Message{ToUserName: vecCorpID, FromUserName: from,
		CreateTime: time.Now().Unix(), MsgType: "text", Content: text, MsgID: msgID, AgentID: "218"})
	q, body, err := h.crypto.SealRequest(xml, "218")
	if err != nil {
		t.Fatal(err)
	}
	return h.raw(t, q, body)
}

func (h *harness) raw(t *testing.T, q url.Values, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(h.srv.URL+"/wecom/callback?"+q.Encode(), "text/xml", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || len(b) == 0 {
		return resp.StatusCode, ""
	}
	m, err := h.crypto.OpenReply(b)
	if err != nil {
		t.Fatalf("reply does not decrypt: %v (%q)", err, b)
	}
	return resp.StatusCode, m.Content
}

func TestURLCheckOfficialVector(t *testing.T) {
	h := newHarness(t, &fakeBot{}, time.Now)
	q := url.Values{
		"msg_signature": {"5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"}, "timestamp": {"1409659589"}, "nonce": {"263014780"},
		"echostr": {"P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="},
	}
	resp, err := http.Get(h.srv.URL + "/wecom/callback?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "1616140317555161061" {
		t.Fatalf("URL check = %d %q, want 200 and the bare plaintext", resp.StatusCode, b)
	}
	q.Set("msg_signature", strings.Repeat("0", 40))
	resp, _ = http.Get(h.srv.URL + "/wecom/callback?" + q.Encode())
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged URL check = %d, want 401", resp.StatusCode)
	}
}

func TestOfficialPostVectorAndReplayWindow(t *testing.T) {
	q := url.Values{"msg_signature": {"477715d11cdb4164915debcba66cb864d751f3e6"}, "timestamp": {"1409659813"}, "nonce": {"1372623149"}}
	// On the real clock the 2014 sample is a replay and is refused.
	h := newHarness(t, &fakeBot{}, time.Now)
	if code, _ := h.raw(t, q, []byte(vecBody)); code != http.StatusForbidden || h.bot.calls.Load() != 0 {
		t.Fatalf("stale sample = %d with %d calls, want 403 and no handling", code, h.bot.calls.Load())
	}
	// At the sample's own time it decrypts to mycreate's "hello".
	h = newHarness(t, &fakeBot{}, func() time.Time { return time.Unix(1409659813, 0) })
	code, reply := h.raw(t, q, []byte(vecBody))
	if code != 200 || reply != "收到：hello" {
		t.Fatalf("sample = %d %q, want 200 and a reply to hello", code, reply)
	}
	in := h.bot.received[0]
	if in.From != "mycreate" || in.MsgID != "4561255354251345929" || in.Text != "hello" {
		t.Fatalf("decrypted message = %+v", in)
	}
}

func TestRefusesBadCallbacks(t *testing.T) {
	h := newHarness(t, &fakeBot{}, time.Now)
	other, _ := wecom.NewCrypto(vecToken, vecAESKey, "wwanothercorp0000")
	good := wecom.TextMessageXML(wecom.Message{ToUserName: vecCorpID, FromUserName: "u", CreateTime: time.Now().Unix(),
		MsgType: "text", Content: "hi", MsgID: "1"})
	forgedQ, forgedBody, _ := h.crypto.SealRequest(good, "1")
	forgedQ.Set("msg_signature", strings.Repeat("a", 40))
	otherQ, otherBody, _ := other.SealRequest(good, "1")
	ts := fmt.Sprint(time.Now().Unix())
	garbage := "<xml><Encrypt><![CDATA[bm90IGEgcmVhbCBjaXBoZXJ0ZXh0IGF0IGFsbA==]]></Encrypt></xml>"
	garbageQ := url.Values{"timestamp": {ts}, "nonce": {"1"},
		"msg_signature": {h.crypto.Signature(ts, "1", "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0IGF0IGFsbA==")}}
	cases := []struct {
		name string
		q    url.Values
		body []byte
		want int
	}{
		{"forged signature", forgedQ, forgedBody, http.StatusUnauthorized},
		{"another corp", otherQ, otherBody, http.StatusForbidden},
		{"garbage ciphertext", garbageQ, []byte(garbage), http.StatusBadRequest},
		{"malformed xml", garbageQ, []byte("<xml><Encrypt>"), http.StatusBadRequest},
		{"no query", url.Values{}, forgedBody, http.StatusBadRequest},
		{"body over the cap", forgedQ, bytes.Repeat([]byte("x"), 128<<10), http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, reply := h.raw(t, c.q, c.body)
			if code != c.want || reply != "" {
				t.Fatalf("got %d %q, want %d and no reply", code, reply, c.want)
			}
		})
	}
	if n := h.bot.calls.Load(); n != 0 {
		t.Fatalf("bot handled %d refused callbacks", n)
	}
}

func TestConcurrentRedeliveriesHaveOneEffect(t *testing.T) {
	fb := &fakeBot{delay: 50 * time.Millisecond}
	h := newHarness(t, fb, time.Now)
	const want = "收到：走访 甲一 发放900元"
	var wg sync.WaitGroup
	replies := make([]string, 3)
	codes := make([]int, 3)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], replies[i] = h.post(t, "wang", "777001", "走访 甲一 发放900元")
		}()
	}
	wg.Wait()
	if n := fb.calls.Load(); n != 1 {
		t.Fatalf("three concurrent deliveries handled %d times, want 1", n)
	}
	// Each delivery gets the one reply, or — when the first is still
	// being handled after the wait — a 503 so that WeCom tries again;
	// never another answer, and never an empty 200 that would end the
	// retries.
	answered := 0
	for i, r := range replies {
		switch {
		case codes[i] == 200 && r == want:
			answered++
		case codes[i] == http.StatusServiceUnavailable && r == "":
		default:
			t.Errorf("delivery %d got %d %q, want 200 %q or a 503", i, codes[i], r, want)
		}
	}
	if answered == 0 {
		t.Fatalf("no delivery got the reply: %v %q", codes, replies)
	}
	// A re-delivery after the first finished gets the same reply again.
	if _, r := h.post(t, "wang", "777001", "走访 甲一 发放900元"); r != want || fb.calls.Load() != 1 {
		t.Fatalf("late re-delivery = %q after %d calls", r, fb.calls.Load())
	}
	// A different MsgId is a different message.
	h.post(t, "wang", "777002", "走访 甲一 发放900元")
	if fb.calls.Load() != 2 {
		t.Fatalf("a new MsgId was not handled")
	}
}

func TestPureRepliesDedupInOneStep(t *testing.T) {
	fb := &fakeBot{pure: true}
	h := newHarness(t, fb, time.Now)
	_, a := h.post(t, "wang", "888001", "帮助")
	fb.reply = func(bot.Incoming) bot.Reply { return bot.Reply{Text: "changed"} }
	_, b := h.post(t, "wang", "888001", "帮助")
	if a != "收到：帮助" || b != a {
		t.Fatalf("re-delivered pure message got %q then %q; want the stored first reply twice", a, b)
	}
}

func TestStoreDownAnswers503AndNoReply(t *testing.T) {
	fb := &fakeBot{err: fmt.Errorf("apply: %w", bot.ErrUnavailable)}
	h := newHarness(t, fb, time.Now)
	code, reply := h.post(t, "wang", "999001", "走访 甲一 发放900元")
	if code != http.StatusServiceUnavailable || reply != "" {
		t.Fatalf("store down = %d %q, want 503 and no reply", code, reply)
	}
	// The claim was released: WeCom's re-delivery is handled afresh.
	fb.err = nil
	if code, reply := h.post(t, "wang", "999001", "走访 甲一 发放900元"); code != 200 || reply == "" || fb.calls.Load() != 2 {
		t.Fatalf("re-delivery after the outage = %d %q (%d calls)", code, reply, fb.calls.Load())
	}
}

func TestSlowAndLongRepliesArePushed(t *testing.T) {
	fb := &fakeBot{delay: 1300 * time.Millisecond}
	h := newHarness(t, fb, time.Now)
	code, reply := h.post(t, "wang", "555001", "导出")
	if code != 200 || reply != "" {
		t.Fatalf("slow reply = %d %q, want an empty 200 at once", code, reply)
	}
	waitFor(t, func() bool { return len(h.sent.messages()) == 1 })
	if m := h.sent.messages()[0]; m.ToUsers[0] != "wang" || m.Text != "收到：导出" {
		t.Fatalf("pushed %+v", m)
	}
	// A re-delivery of the slow message is not handled or pushed again.
	h.post(t, "wang", "555001", "导出")
	time.Sleep(100 * time.Millisecond)
	if fb.calls.Load() != 1 || len(h.sent.messages()) != 1 {
		t.Fatalf("re-delivery of a pushed reply: %d calls, %d pushes", fb.calls.Load(), len(h.sent.messages()))
	}

	fb2 := &fakeBot{reply: func(bot.Incoming) bot.Reply { return bot.Reply{Text: strings.Repeat("很长的一行回复\n", 200)} }}
	h2 := newHarness(t, fb2, time.Now)
	if code, reply := h2.post(t, "li", "555002", "进度"); code != 200 || reply != "" {
		t.Fatalf("long reply = %d %q, want an empty 200", code, reply)
	}
	waitFor(t, func() bool { return len(h2.sent.messages()) >= 2 })
	for _, m := range h2.sent.messages() {
		if len(m.Text) > 2048 {
			t.Fatalf("pushed a %d-byte text", len(m.Text))
		}
	}
}

func TestEventsDedupByUserTimeAndEvent(t *testing.T) {
	fb := &fakeBot{}
	h := newHarness(t, fb, time.Now)
	ev := func(user, event string, at int64) {
		xml := wecom.TextMessageXML(wecom.Message{ToUserName: vecCorpID, FromUserName: user, CreateTime: at,
			MsgType: "event", Event: event, AgentID: "1"})
		q, body, _ := h.crypto.SealRequest(xml, "1")
		h.raw(t, q, body)
	}
	now := time.Now().Unix()
	ev("wang", "enter_agent", now)
	ev("wang", "enter_agent", now) // the same event again
	ev("li", "enter_agent", now)   // another user
	ev("wang", "subscribe", now)   // another event
	if n := fb.calls.Load(); n != 3 {
		t.Fatalf("events handled %d times, want 3", n)
	}
}

func TestBotPanicIsAnsweredNotFatal(t *testing.T) {
	fb := &fakeBot{reply: func(bot.Incoming) bot.Reply { panic("boom") }}
	h := newHarness(t, fb, time.Now)
	code, reply := h.post(t, "wang", "444001", "查询 甲一")
	if code != 200 || reply != bot.MsgBusy {
		t.Fatalf("panicking bot = %d %q, want 200 and %q", code, reply, bot.MsgBusy)
	}
	if code, _ := h.post(t, "wang", "444002", "查询 甲一"); code != 200 {
		t.Fatalf("server did not survive the panic: %d", code)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRateLimitPerUser(t *testing.T) {
	const refusal = "消息太频繁：每分钟最多60条，请稍等1分钟再发。"
	for _, pure := range []bool{false, true} {
		t.Run(fmt.Sprint("pure=", pure), func(t *testing.T) {
			fb := &fakeBot{pure: pure}
			h := newHarness(t, fb, time.Now)
			h.cb.RateLimit = 60
			for i := range 60 {
				if code, r := h.post(t, "wang", fmt.Sprint(700000+i), fmt.Sprint("查询 甲", i)); code != 200 || r != fmt.Sprint("收到：查询 甲", i) {
					t.Fatalf("message %d = %d %q", i+1, code, r)
				}
			}
			code, r := h.post(t, "wang", "700060", "查询 甲六十")
			if code != 200 || r != refusal {
				t.Fatalf("61st message = %d %q, want %q", code, r, refusal)
			}
			// A pure reply is worked out before its one round trip to the
			// store, which also counts it, so the bot saw the 61st; it had
			// no effect and its reply was dropped. Anything else is refused
			// before the bot sees it.
			wantCalls := int64(60)
			if pure {
				wantCalls = 61
			}
			if n := fb.calls.Load(); n != wantCalls {
				t.Fatalf("bot handled %d messages, want %d", n, wantCalls)
			}
			var m dto.Metric
			if err := h.cb.Metrics.RateLimit.Write(&m); err != nil {
				t.Fatal(err)
			}
			if n := m.GetCounter().GetValue(); n != 1 {
				t.Errorf("rate-limited metric = %v, want 1", n)
			}
			// The refused message was not remembered: WeCom's re-delivery
			// after the window would be handled.
			if st, _, err := h.store.ClaimMessage(context.Background(), "m:700060", time.Second); err != nil || st != bot.Claimed {
				t.Errorf("refused message left a dedup mark: %v %v", st, err)
			}
			// A re-delivery of an answered message gets its answer, not a refusal.
			if _, r := h.post(t, "wang", "700001", "查询 甲1"); r != "收到：查询 甲1" {
				t.Errorf("re-delivery of an answered message = %q", r)
			}
			// Another user is not affected.
			if _, r := h.post(t, "li", "710000", "查询 乙"); r != "收到：查询 乙" {
				t.Errorf("another user got %q", r)
			}
			// (A pure re-delivery reruns the bot too, to no effect.)
			if n := fb.calls.Load(); !pure && n != 61 {
				t.Errorf("bot handled %d messages, want 61", n)
			}
		})
	}
}

// roundTrips counts what a Redis client sends: each command or pipeline
// once, leaving out a new connection's handshake.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake[cmd.Name()] {
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		r.n.Add(1)
		return next(ctx, cmds)
	}
}

var handshake = map[string]bool{"hello": true, "client": true, "auth": true, "select": true, "readonly": true}

// TestPureMessageIsOneRoundTrip: a message answered without the store
// (帮助) costs one round trip to Redis, rate limit included.
func TestPureMessageIsOneRoundTrip(t *testing.T) {
	h := newHarness(t, &fakeBot{pure: true}, time.Now)
	h.cb.RateLimit = 60
	h.post(t, "wang", "720000", "帮助") // warm the connection
	rt := &roundTrips{}
	h.store.Client().AddHook(rt)
	if _, r := h.post(t, "wang", "720001", "帮助"); r != "收到：帮助" {
		t.Fatalf("reply %q", r)
	}
	if n := rt.n.Load(); n != 1 {
		t.Errorf("a pure message took %d round trips to Redis, want 1", n)
	}
}

// A body shorter than its Content-Length (the client hung up) is a bad
// request, not one too large, and never reaches the bot.
func TestIncompleteBody(t *testing.T) {
	h := newHarness(t, &fakeBot{}, time.Now)
	q, body, err := h.crypto.SealRequest(wecom.TextMessageXML(wecom.Message{
		ToUserName: "corp", FromUserName: "wang", CreateTime: time.Now().Unix(), MsgID: "778001", Content: "帮助",
	}), "1")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /wecom/callback?%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n",
		q.Encode(), len(body)+100)
	conn.Write(body)
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("body 100 bytes short: HTTP %d, want 400", resp.StatusCode)
	}
	if n := h.bot.calls.Load(); n != 0 {
		t.Errorf("bot handled an incomplete callback %d times", n)
	}
}
