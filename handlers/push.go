package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"songnuan/bot"
	"songnuan/domain"
)

// Pusher sends replies that cannot go back passively (long, markdown,
// files, or late) with message/send, off the request path. Each reply is
// first put in the durable outbox in Redis (see store/outbox.go), which
// every instance drains: a reply not yet sent when its process dies is
// sent by another instance, or by this one restarted. Sends keep to
// WeCom's limit per member, counted with the broadcasts' limiter, and are
// retried with backoff.
type Pusher struct {
	sender   domain.Sender
	box      Outbox
	limiter  Limiter
	sealer   Sealer
	log      *slog.Logger
	metrics  *Metrics
	consumer string // this instance's name in the outbox's group
	stop     context.CancelFunc
	stopped  context.Context
	wg       sync.WaitGroup
	tries    int
	backoff  time.Duration
	// reclaim is how long an entry another consumer holds untouched
	// stays its own; touch how often a live consumer touches what it holds.
	reclaim, touch time.Duration
}

// Outbox is the durable queue of messages to send (store.Store).
type Outbox interface {
	OutboxAdd(ctx context.Context, id, payload string) (bool, error)
	// OutboxNext takes the next entry for consumer: its id, its payload
	// and when it was put in; ok is false when there was none.
	OutboxNext(ctx context.Context, consumer string, block, reclaim time.Duration) (id, payload string, added time.Time, ok bool, err error)
	OutboxTouch(ctx context.Context, consumer, id string) error
	OutboxDone(ctx context.Context, id string) error
}

// Limiter counts sends against a per-minute limit shared by every
// instance (store.Limiter).
type Limiter interface {
	Allow(ctx context.Context, key string, perMinute int) (ok bool, retryAfter time.Duration, err error)
}

// Sealer seals what the outbox holds: a reply may carry a file with the
// full numbers (导出 完整), which must not lie in Redis in clear.
type Sealer interface {
	Seal(plain string) string
	Open(sealed string) (string, error)
}

// PushOptions wire a Pusher.
type PushOptions struct {
	Sender  domain.Sender
	Outbox  Outbox
	Limiter Limiter
	Sealer  Sealer
	Workers int
	Log     *slog.Logger
	Metrics *Metrics
}

// memberPerMinute is WeCom's limit of app messages to one member; more are
// dropped silently. The broadcasts count against the same key.
const memberPerMinute = 30

// outboxBlock is how long a worker waits for a new entry before it looks
// again, and so how long Close may wait for an idle worker.
const outboxBlock = 250 * time.Millisecond

// NewPusher starts workers draining the outbox.
func NewPusher(o PushOptions) *Pusher {
	ctx, stop := context.WithCancel(context.Background())
	p := &Pusher{sender: o.Sender, box: o.Outbox, limiter: o.Limiter, sealer: o.Sealer, log: o.Log, metrics: o.Metrics,
		consumer: bot.NewOwner(), stop: stop, stopped: ctx, tries: 5, backoff: 500 * time.Millisecond,
		reclaim: 15 * time.Second, touch: 3 * time.Second}
	for range max(o.Workers, 1) {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

// job is what the outbox holds for one reply: its messages, sent in
// order by one consumer (a long text in parts, then its attachment).
type job struct {
	Msgs []domain.Message `json:"m"`
}

// Push puts a reply to user in the outbox. id makes it once only: a reply
// pushed again under the same id (a re-handled message) is not sent
// twice; it is the message's dedup key. When the outbox cannot be reached
// the reply is sent from memory, as the best that can be done.
func (p *Pusher) Push(user string, r bot.Reply, id string) {
	msgs := Messages(user, r)
	if len(msgs) == 0 {
		return
	}
	for i := range msgs {
		msgs[i].Idempotency = id + ":" + string(rune('a'+i))
	}
	err := p.enqueue(id, msgs)
	if err == nil {
		return
	}
	p.metrics.Errors.WithLabelValues("outbox").Inc()
	if p.stopped.Err() != nil {
		p.log.Error("outbox unavailable while closing; reply dropped", "user", user, "key", id, "err", err)
		return
	}
	p.log.Error("outbox unavailable; sending from memory", "user", user, "key", id, "err", err)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.sendAll(msgs)
	}()
}

func (p *Pusher) enqueue(id string, msgs []domain.Message) error {
	b, err := json.Marshal(job{Msgs: msgs})
	if err != nil {
		return err
	}
	payload := string(b)
	if p.sealer != nil {
		payload = p.sealer.Seal(payload)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = p.box.OutboxAdd(ctx, id, payload)
	return err
}

// sendAll sends a reply's messages in order, and reports whether it got
// to the end (false: the Pusher is closing).
func (p *Pusher) sendAll(msgs []domain.Message) bool {
	for _, m := range msgs {
		if !p.send(p.stopped, m) {
			return false
		}
	}
	return true
}

// Close stops taking entries from the outbox and waits until the sends in
// progress end or ctx does. Entries not yet sent stay in the outbox for
// another instance, or this one restarted.
func (p *Pusher) Close(ctx context.Context) error {
	p.stop()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Pusher) work() {
	defer p.wg.Done()
	var looked time.Time // when entries of dead consumers were last looked for
	wait := time.Second  // after a failed read, doubling to 10 s while Redis stays away
	for p.stopped.Err() == nil {
		reclaim := time.Duration(0)
		if time.Since(looked) >= p.touch {
			reclaim, looked = p.reclaim, time.Now()
		}
		id, payload, _, ok, err := p.box.OutboxNext(p.stopped, p.consumer, outboxBlock, reclaim)
		switch {
		case p.stopped.Err() != nil:
			return
		case err != nil:
			p.log.Warn("read outbox", "err", err, "retry_in", wait.String())
			sleep(p.stopped, wait)
			wait = min(2*wait, 10*time.Second)
			continue
		}
		wait = time.Second
		if !ok {
			continue
		}
		p.deliver(id, payload)
	}
}

// deliver sends one outbox entry and removes it, unless the Pusher is
// closing first: then it stays for another consumer.
func (p *Pusher) deliver(id, payload string) {
	var j job
	var err error
	if p.sealer != nil {
		payload, err = p.sealer.Open(payload)
	}
	if err == nil {
		err = json.Unmarshal([]byte(payload), &j)
	}
	if err != nil {
		p.metrics.Pushes.WithLabelValues("failed").Inc()
		p.log.Error("outbox entry unreadable; dropped", "entry", id, "err", err)
		p.done(id)
		return
	}
	held, release := context.WithCancel(context.Background())
	defer release()
	go p.hold(held, id)
	// A process killed part way through sends the reply again from its
	// start; WeCom's duplicate check (Idempotency) drops the texts that
	// had gone out.
	if p.sendAll(j.Msgs) {
		p.done(id)
	}
}

// hold touches entry id until ctx ends, so no other consumer takes it.
func (p *Pusher) hold(ctx context.Context, id string) {
	t := time.NewTicker(p.touch)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		tctx, cancel := context.WithTimeout(ctx, p.touch)
		if err := p.box.OutboxTouch(tctx, p.consumer, id); err != nil && ctx.Err() == nil {
			p.log.Warn("touch outbox entry", "entry", id, "err", err)
		}
		cancel()
	}
}

func (p *Pusher) done(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.box.OutboxDone(ctx, id); err != nil {
		// It will be sent again once reclaimed; WeCom's duplicate check
		// (Idempotency) drops the repeat within 30 minutes.
		p.log.Warn("remove outbox entry", "entry", id, "err", err)
	}
}

// send sends m within the member's rate limit, retrying with backoff. It
// reports whether m was sent or given up (false: the Pusher is closing).
func (p *Pusher) send(stopped context.Context, m domain.Message) bool {
	wait := p.backoff
	for try := 1; ; {
		if len(m.ToUsers) == 1 && p.limiter != nil {
			ok, after, err := p.limiter.Allow(stopped, "member:"+m.ToUsers[0], memberPerMinute)
			if err != nil {
				p.log.Warn("rate limiter unavailable; sending anyway", "err", err)
			} else if !ok {
				if !sleep(stopped, max(after, 100*time.Millisecond)) {
					return false
				}
				continue
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := p.sender.Send(ctx, m)
		cancel()
		if err == nil {
			p.metrics.Pushes.WithLabelValues("sent").Inc()
			return true
		}
		if try >= p.tries || errors.Is(err, context.Canceled) {
			p.metrics.Pushes.WithLabelValues("failed").Inc()
			p.log.Error("push reply failed", "user", strings.Join(m.ToUsers, "|"), "tries", try, "err", err)
			return true
		}
		if !sleep(stopped, wait) {
			return false
		}
		wait *= 2
		try++
	}
}

// sleep waits d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// maxText is WeCom's limit for a text or markdown message, in bytes.
const maxText = 2048

// Messages turns a reply into the app messages that carry it: markdown
// as is, a file as a file, and text cut at line ends into pieces that
// each fit WeCom's 2048-byte limit.
func Messages(user string, r bot.Reply) []domain.Message {
	var out []domain.Message
	to := []string{user}
	if r.Text != "" {
		for _, part := range SplitText(r.Text, maxText) {
			out = append(out, domain.Message{ToUsers: to, Kind: domain.KindText, Text: part})
		}
	}
	if r.Markdown != "" {
		for _, part := range SplitText(r.Markdown, maxText) {
			out = append(out, domain.Message{ToUsers: to, Kind: domain.KindMarkdown, Text: part})
		}
	}
	if r.File != nil {
		out = append(out, domain.Message{ToUsers: to, Kind: domain.KindFile, File: r.File})
	}
	return out
}

// SplitText cuts s into pieces of at most n bytes, at line ends where it
// can and never inside a UTF-8 character.
func SplitText(s string, n int) []string {
	var out []string
	for len(s) > n {
		cut := strings.LastIndexByte(s[:n], '\n')
		if cut <= 0 {
			cut = n
			for cut > 0 && s[cut]&0xC0 == 0x80 {
				cut--
			}
		}
		out = append(out, s[:cut])
		s = strings.TrimPrefix(s[cut:], "\n")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}
