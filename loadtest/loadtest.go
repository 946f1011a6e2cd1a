// Package loadtest drives a running bot with encrypted WeCom callbacks to
// measure what it sustains: `songnuan bench` sends N distinct messages
// with C in flight and reports messages per second, latency percentiles
// and every request that failed.
//
// The tool measures the bot, not itself: it shares the bot's cores, so
// every request is signed, encrypted and serialised to its wire form
// before the clock starts, each request in flight has its own persistent
// connection, and replies are decrypted and checked only after the clock
// stops.
package loadtest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"songnuan/chat"
)

// Worker is a staff member who registers and visits households in a
// mixed run.
type Worker struct {
	UserID string
	// Committee, when set, is named in every message (居委:…), as an
	// admin must; empty means the worker's own committee, as a worker
	// writes.
	Committee string
}

// Options configure a run. Zero values take the defaults of `songnuan
// bench`.
type Options struct {
	URL         string // the bot's base URL; default http://127.0.0.1:8080
	Credentials chat.Credentials

	N      int // timed messages; default 20000
	C      int // requests in flight; default 32
	Warmup int // untimed messages sent first; default 500, negative for none

	// Workers send the messages: Text round-robin in a plain run;
	// registrations, visits and 待办 in a mixed one. Default wang.
	Workers []Worker
	// Leaders ask 进度 in a mixed run. Default zhao.
	Leaders []string
	// Text is every message of a plain run; default 帮助.
	Text string

	// Mix sends the mixed traffic of the campaign's busy weeks: 80% visits
	// (走访 <code> 发放<N>元), 15% 待办, 5% 进度, after registering
	// Households households (untimed) spread over Workers.
	Mix        bool
	Households int   // default 1000
	Seed       int64 // orders the mixed traffic; 0 means from the clock

	Timeout time.Duration // per request; default 10 s
	// Out receives progress lines; nil discards them.
	Out io.Writer
	// Transport carries every request; nil means, for an http:// URL, C
	// raw persistent connections for the warm-up and the timed messages
	// (see rawConn) and a keep-alive transport for the rest, and for an
	// https:// URL a keep-alive transport for everything.
	Transport http.RoundTripper
}

func (o *Options) defaults() {
	if o.URL == "" {
		o.URL = "http://127.0.0.1:8080"
	}
	if o.N == 0 {
		o.N = 20000
	}
	if o.C <= 0 {
		o.C = 32
	}
	if o.Warmup == 0 {
		o.Warmup = 500
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if len(o.Workers) == 0 {
		o.Workers = []Worker{{UserID: "wang"}}
	}
	if len(o.Leaders) == 0 {
		o.Leaders = []string{"zhao"}
	}
	if o.Text == "" {
		o.Text = "帮助"
	}
	if o.Households <= 0 {
		o.Households = 1000
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
}

// Run registers households (mixed runs), warms up, then sends N timed
// messages and returns what it measured. The error is for a run that
// could not be made (bad options, setup refused); failed requests are
// counted in the Result (see Result.Failed).
func Run(ctx context.Context, opt Options) (Result, error) {
	opt.defaults()
	if opt.N < 0 {
		return Result{}, fmt.Errorf("--n 应为正数，例如 --n 20000（收到 %d）", opt.N)
	}
	tr := opt.Transport
	if tr == nil {
		tr = newTransport(opt.C)
	}
	hc := &http.Client{Transport: tr, Timeout: opt.Timeout}
	c, err := chat.NewClient(opt.URL, opt.Credentials, hc)
	if err != nil {
		return Result{}, err
	}
	ids := &idSet{seen: map[string]bool{}}
	setupLanes := httpLanes(hc, opt.C)
	lanes, raw := setupLanes, false
	if opt.Transport == nil && strings.HasPrefix(c.URL(), "http://") {
		rl, err := rawLanes(ctx, c.URL(), opt.C, opt.Timeout)
		if err != nil {
			return Result{}, err
		}
		defer closeLanes(rl)
		lanes, raw = rl, true
	}

	var gen generator = &plain{opt: opt}
	res := Result{URL: c.URL(), N: opt.N, C: opt.C, Warmup: opt.Warmup, Mix: opt.Mix}
	if opt.Mix {
		fmt.Fprintf(opt.Out, "登记 %d 户（不计时）…\n", opt.Households)
		m, setup, err := register(ctx, c, setupLanes, opt, ids)
		res.Setup = setup
		if err != nil {
			return res, err
		}
		gen = m
	}

	fmt.Fprintf(opt.Out, "加密 %d 条消息（不计时）…\n", opt.Warmup+opt.N)
	warm, err := build(ctx, c, gen, opt.Warmup, ids, raw)
	if err != nil {
		return res, err
	}
	timed, err := build(ctx, c, gen, opt.N, ids, raw)
	if err != nil {
		return res, err
	}

	if len(warm) > 0 {
		fmt.Fprintf(opt.Out, "预热 %d 条（不计时）…\n", len(warm))
		w := fire(ctx, warm, lanes)
		res.WarmupFailed = w.failures(c)
		if raw {
			// Room for the timed bodies, a quarter more than the warm-up's
			// sizes foretell.
			reserveBodies(lanes, w.bodyBytes()*len(timed)/len(warm)*5/4)
		}
	}

	fmt.Fprintf(opt.Out, "计时发送 %d 条，并发 %d…\n", len(timed), opt.C)
	start, cpu := time.Now(), selfCPU()
	shots := fire(ctx, timed, lanes)
	res.Elapsed = time.Since(start)
	res.ToolCPU = selfCPU() - cpu
	fmt.Fprintf(opt.Out, "计时结束，核对 %d 条回复…\n", len(timed))
	res.Sent = len(timed)
	res.summarise(c, timed, shots)
	return res, ctx.Err()
}

// newTransport keeps a connection per request in flight alive between
// requests: a load test that reconnects measures the TCP handshake.
func newTransport(c int) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * c,
		MaxIdleConnsPerHost: 2 * c,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// message is one message to send: who, what, and its kind for the report.
type message struct {
	user string
	text string
	kind string
}

// generator yields the messages of a run, in order.
type generator interface {
	next() message
}

// plain sends the same text from each worker in turn.
type plain struct {
	opt Options
	i   int
}

func (p *plain) next() message {
	w := p.opt.Workers[p.i%len(p.opt.Workers)]
	p.i++
	return message{user: w.UserID, text: p.opt.Text, kind: kindText}
}

// Message kinds in the report.
const (
	kindText     = "消息"
	kindRegister = "登记"
	kindVisit    = "走访"
	kindTodo     = "待办"
	kindProgress = "进度"
)

// request is one prepared request and what it carries.
type request struct {
	req   *http.Request // for a net/http lane
	wire  []byte        // for a raw lane: the request as sent, headers and body
	msgID string
	kind  string
}

// idSet guarantees MsgIds are distinct over a whole run: the bot would
// answer a repeated one from its dedup store and skew the measure.
type idSet struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (s *idSet) fresh() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		id := chat.NewMsgID()
		if !s.seen[id] {
			s.seen[id] = true
			return id
		}
	}
}

// build signs and encrypts n messages from gen; raw serialises each to
// its wire form for a raw lane.
func build(ctx context.Context, c *chat.Client, gen generator, n int, ids *idSet, raw bool) ([]request, error) {
	out := make([]request, n)
	for i := range out {
		m := gen.next()
		wm := c.Text(m.user, m.text)
		wm.MsgID = ids.fresh()
		req, err := c.Request(ctx, wm)
		if err != nil {
			return nil, err
		}
		out[i] = request{req: req, msgID: wm.MsgID, kind: m.kind}
		if raw {
			if out[i].wire, err = wireForm(req); err != nil {
				return nil, err
			}
			out[i].req = nil // its body is spent; the wire form replaces it
		}
	}
	return out, nil
}

// shot is what one request got back.
type shot struct {
	status  int // 0: no answer
	latency time.Duration
	body    []byte
	err     error
}

type shots []shot

// lane sends requests one after the other; fire runs one goroutine per
// lane, so a lane needs no locking.
type lane interface {
	send(r *request) shot
}

// fire sends reqs over lanes, one request in flight on each, and records
// each answer. Replies are kept raw: decrypting them here would spend the
// bot's CPU on the tool.
func fire(ctx context.Context, reqs []request, lanes []lane) shots {
	out := make(shots, len(reqs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, l := range lanes[:min(len(lanes), len(reqs))] {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				out[i] = l.send(&reqs[i])
			}
		})
	}
	wg.Wait()
	return out
}

// httpLane sends through net/http: for https://, a caller's Transport,
// and the untimed registrations of a mixed run.
type httpLane struct{ hc *http.Client }

// httpLanes is c lanes sharing hc, whose transport keeps the connections.
func httpLanes(hc *http.Client, c int) []lane {
	ls := make([]lane, c)
	for i := range ls {
		ls[i] = httpLane{hc}
	}
	return ls
}

func (l httpLane) send(r *request) shot {
	start := time.Now()
	resp, err := l.hc.Do(r.req)
	if err != nil {
		return shot{latency: time.Since(start), err: err}
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return shot{status: resp.StatusCode, latency: time.Since(start), body: body, err: err}
}

// bodyBytes is the size of all the bodies in s.
func (s shots) bodyBytes() int {
	n := 0
	for _, x := range s {
		n += len(x.body)
	}
	return n
}

// failures counts the shots that did not get a good answer.
func (s shots) failures(c *chat.Client) int {
	n := 0
	for _, x := range s {
		if x.err != nil || x.status != http.StatusOK {
			n++
			continue
		}
		if _, err := c.OpenReply(x.body); err != nil {
			n++
		}
	}
	return n
}
