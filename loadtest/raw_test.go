package loadtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/chat"
	"songnuan/wecom"
)

// rawSetup is a fake bot, a client for it and its raw lanes.
func rawSetup(t *testing.T, c int, reply func(wecom.Message) (int, string)) (*fakeBot, *chat.Client, []lane) {
	t.Helper()
	b := newFakeBot(t, reply)
	cl, err := chat.NewClient(b.srv.URL, b.creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := rawLanes(context.Background(), b.srv.URL, c, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeLanes(ls) })
	return b, cl, ls
}

// TestRawEveryMessageOnce: over raw lanes the bot receives each built
// message exactly once, and each answer is recorded against its own
// request, whether its body was kept in a reserved block or not.
func TestRawEveryMessageOnce(t *testing.T) {
	long := strings.Repeat("暖", 600) // bodies of about 3 KB: twenty to a block
	b, cl, ls := rawSetup(t, 8, func(m wecom.Message) (int, string) { return http.StatusOK, "收到 " + m.MsgID + long })
	reqs, err := build(context.Background(), cl, &plain{opt: Options{Workers: []Worker{{UserID: "wang"}}, Text: "帮助"}}, 500, &idSet{seen: map[string]bool{}}, true)
	if err != nil {
		t.Fatal(err)
	}
	reserveBodies(ls, 8*arenaSize) // room for about 170 of the 500
	shots := fire(context.Background(), reqs, ls)

	got := map[string]int{}
	for _, m := range b.messages() {
		got[m.MsgID]++
	}
	if len(got) != len(reqs) {
		t.Errorf("bot received %d distinct MsgIds, want %d", len(got), len(reqs))
	}
	for i, r := range reqs {
		if got[r.msgID] != 1 {
			t.Errorf("request %d (MsgId %s) received %d times, want once", i, r.msgID, got[r.msgID])
		}
		x := shots[i]
		if x.err != nil || x.status != http.StatusOK || x.latency <= 0 {
			t.Fatalf("shot %d = status %d, err %v, latency %v", i, x.status, x.err, x.latency)
		}
		if text, err := cl.OpenReply(x.body); err != nil || text != "收到 "+r.msgID+long {
			t.Fatalf("reply %d = %.40q…, %v; want the answer to MsgId %s", i, text, err, r.msgID)
		}
	}
}

// TestRawAnswerShapes: a bot that closes connections, answers chunked,
// refuses with 503, stalls and drops a connection without answering. Each
// answer lands in its bucket, the tool redials, and every message is
// sent.
func TestRawAnswerShapes(t *testing.T) {
	const n = 200
	b := newFakeBot(t, func(m wecom.Message) (int, string) { return http.StatusOK, "好" })
	var (
		arrived atomic.Int64
		conns   atomic.Int64
		shapes  sync.Map // shape → *atomic.Int64
	)
	count := func(shape string) {
		v, _ := shapes.LoadOrStore(shape, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		b.serve(rec, r) // opens and records the message, seals the reply
		k := arrived.Add(1)
		switch {
		case k == 37:
			count("drop")
			nc, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			nc.Close()
		case k%10 == 3:
			count("503")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case k%10 == 5:
			count("close")
			w.Header().Set("Connection", "close")
			w.Write(rec.Body.Bytes())
		case k%10 == 7:
			count("chunked")
			body := rec.Body.Bytes()
			w.Write(body[:len(body)/2])
			http.NewResponseController(w).Flush() // no Content-Length yet: chunked
			w.Write(body[len(body)/2:])
		default:
			w.Write(rec.Body.Bytes())
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	const c = 4
	res, err := Run(context.Background(), Options{URL: srv.URL, Credentials: b.creds, N: n, C: c, Warmup: -1})
	if err != nil {
		t.Fatal(err)
	}
	shape := func(s string) int {
		v, ok := shapes.Load(s)
		if !ok {
			return 0
		}
		return int(v.(*atomic.Int64).Load())
	}
	// Arrivals 1..200: 20 end in 3, 20 in 5, 20 in 7 of which the 37th is dropped.
	if shape("503") != 20 || shape("close") != 20 || shape("chunked") != 19 || shape("drop") != 1 {
		t.Fatalf("answer shapes: 503 %d, close %d, chunked %d, drop %d", shape("503"), shape("close"), shape("chunked"), shape("drop"))
	}
	ms := b.messages()
	distinctIDs(t, ms)
	if len(ms) != n || res.Sent != n {
		t.Errorf("bot received %d, tool sent %d, want %d", len(ms), res.Sent, n)
	}
	if res.OK != n-21 || res.Non200 != 20 || res.Statuses[503] != 20 || res.NoAnswer != 1 || res.BadReply != 0 || res.Empty != 0 {
		t.Errorf("result: ok %d non200 %d statuses %v no_answer %d bad_reply %d empty %d; want ok %d, 503 ×20, no_answer 1",
			res.OK, res.Non200, res.Statuses, res.NoAnswer, res.BadReply, res.Empty, n-21)
	}
	if res.FirstErr == "" {
		t.Error("the dropped connection left no error in the report")
	}
	// One connection per lane, and one more after each close or drop.
	if got, most := conns.Load(), int64(c+20+1); got > most {
		t.Errorf("tool opened %d connections, want at most %d: connections are not kept", got, most)
	}
}

// TestRawTimeout: a request the bot never answers times out as no answer
// and the run goes on.
func TestRawTimeout(t *testing.T) {
	release := make(chan struct{})
	var arrived atomic.Int64
	b := newFakeBot(t, func(wecom.Message) (int, string) { return http.StatusOK, "好" })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == 5 {
			<-release
			return
		}
		b.serve(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	res, err := Run(context.Background(), Options{URL: srv.URL, Credentials: b.creds, N: 20, C: 2, Warmup: -1, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 20 || res.OK != 19 || res.NoAnswer != 1 || !strings.Contains(res.FirstErr, "timeout") {
		t.Errorf("result: sent %d ok %d no_answer %d first error %q; want 19 ok and 1 timed out", res.Sent, res.OK, res.NoAnswer, res.FirstErr)
	}
}

// TestRawInterrupted: cancelling the run ends requests in flight at once,
// without waiting for the per-request timeout.
func TestRawInterrupted(t *testing.T) {
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := newFakeBot(t, func(wecom.Message) (int, string) { return http.StatusOK, "好" })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	res, err := Run(ctx, Options{URL: srv.URL, Credentials: b.creds, N: 10, C: 2, Warmup: -1, Timeout: time.Hour})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	if res.OK != 0 || res.NoAnswer == 0 {
		t.Errorf("result: ok %d no_answer %d; want the requests in flight without answer", res.OK, res.NoAnswer)
	}
}

// seen is what a server read of one request.
type seen struct {
	method, uri, host, contentType string
	length                         int64
	header                         http.Header
	body                           []byte
}

// TestRawWireForm: a raw lane puts on the wire what net/http sends for
// the same request.
func TestRawWireForm(t *testing.T) {
	creds := testCreds(t)
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h := r.Header.Clone()
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, r.Host, r.Header.Get("Content-Type"), r.ContentLength, h, body})
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	cl, err := chat.NewClient(srv.URL, creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	req, err := cl.Request(context.Background(), cl.Text("wang", "走访 12 发放900元"))
	if err != nil {
		t.Fatal(err)
	}
	viaHTTP := req.Clone(context.Background())
	if viaHTTP.Body, err = req.GetBody(); err != nil {
		t.Fatal(err)
	}
	wire, err := wireForm(req)
	if err != nil {
		t.Fatal(err)
	}

	hl := httpLanes(&http.Client{Transport: newTransport(1)}, 1)[0]
	if x := hl.send(&request{req: viaHTTP}); x.err != nil || x.status != http.StatusOK {
		t.Fatalf("net/http send: status %d, %v", x.status, x.err)
	}
	ls, err := rawLanes(context.Background(), srv.URL, 1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer closeLanes(ls)
	if x := ls[0].send(&request{wire: wire}); x.err != nil || x.status != http.StatusOK {
		t.Fatalf("raw send: status %d, %v", x.status, x.err)
	}

	if len(got) != 2 {
		t.Fatalf("server read %d requests, want 2", len(got))
	}
	h, r := got[0], got[1]
	if r.method != http.MethodPost || r.method != h.method || r.uri != h.uri || r.host != h.host ||
		r.contentType != h.contentType || r.length != h.length || r.length != int64(len(r.body)) || !bytes.Equal(r.body, h.body) {
		t.Errorf("raw request = %s %s host %s type %q length %d body %d bytes\nnet/http     = %s %s host %s type %q length %d body %d bytes",
			r.method, r.uri, r.host, r.contentType, r.length, len(r.body), h.method, h.uri, h.host, h.contentType, h.length, len(h.body))
	}
	if !strings.HasPrefix(r.uri, "/wecom/callback?") || !strings.Contains(r.uri, "msg_signature=") || !strings.HasPrefix(r.contentType, "text/xml") {
		t.Errorf("raw request %s type %q is not a signed callback", r.uri, r.contentType)
	}
	for k := range h.header {
		if r.header.Get(k) != h.header.Get(k) {
			t.Errorf("header %s: raw %q, net/http %q", k, r.header.Get(k), h.header.Get(k))
		}
	}
	for k := range r.header {
		if _, ok := h.header[k]; !ok {
			t.Errorf("raw request sends header %s that net/http does not", k)
		}
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	http.RoundTripper
	n atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.RoundTripper.RoundTrip(r)
}

// TestRunTransport: a caller's Transport carries every request.
func TestRunTransport(t *testing.T) {
	b := newFakeBot(t, func(wecom.Message) (int, string) { return http.StatusOK, "好" })
	tr := &countingTransport{RoundTripper: newTransport(3)}
	res, err := Run(context.Background(), Options{URL: b.srv.URL, Credentials: b.creds, N: 60, C: 3, Warmup: 15, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	if tr.n.Load() != 75 || len(b.messages()) != 75 || res.OK != 60 {
		t.Errorf("transport carried %d, bot received %d, ok %d; want 75, 75, 60", tr.n.Load(), len(b.messages()), res.OK)
	}
}

// cannedServer answers every request of wireLen bytes with answer, over
// loopback TCP, allocating nothing per request, so a benchmark's
// allocations are the client's.
func cannedServer(tb testing.TB, wireLen int, answer []byte) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				buf := make([]byte, wireLen)
				for {
					if _, err := io.ReadFull(nc, buf); err != nil {
						return
					}
					if _, err := nc.Write(answer); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// BenchmarkRawSend is a raw lane's cost per request in the timed phase:
// write, wait, parse a bot-sized answer, keep the body. The time includes
// the canned server's side of the loopback; allocs/op are the lane's.
func BenchmarkRawSend(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 700)
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nDate: Mon, 15 Jan 2024 09:00:00 GMT\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + string(body))
	r := &request{wire: bytes.Repeat([]byte("y"), 900)}
	ls, err := rawLanes(context.Background(), cannedServer(b, len(r.wire), answer), 1, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	defer closeLanes(ls)
	ls[0].send(r) // dial before the loop
	b.ReportAllocs()
	for b.Loop() {
		if x := ls[0].send(r); x.status != http.StatusOK || len(x.body) != len(body) {
			b.Fatalf("shot = %d, %d bytes, %v", x.status, len(x.body), x.err)
		}
	}
}
