package handlers

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"songnuan/bot"
	"songnuan/domain"
)

// Pusher sends replies that cannot go back passively (long, markdown,
// files, or late) with message/send, off the request path. It retries
// with backoff and drains its queue on Close.
type Pusher struct {
	sender  domain.Sender
	log     *slog.Logger
	metrics *Metrics
	queue   chan push
	wg      sync.WaitGroup
	closeMu sync.Mutex
	closed  bool
	tries   int
	backoff time.Duration
}

type push struct {
	user  string
	reply bot.Reply
	key   string
}

// NewPusher starts workers sending through sender.
func NewPusher(sender domain.Sender, workers int, log *slog.Logger, m *Metrics) *Pusher {
	p := &Pusher{sender: sender, log: log, metrics: m, queue: make(chan push, 1024), tries: 5, backoff: 500 * time.Millisecond}
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

// Push queues a reply to user. key makes the sends idempotent on the
// WeCom side of a retry; it is the message's dedup key.
func (p *Pusher) Push(user string, r bot.Reply, key string) {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		p.log.Error("push after close", "user", user, "key", key)
		return
	}
	p.queue <- push{user: user, reply: r, key: key}
}

// Close stops taking pushes and waits until the queue is sent or ctx ends.
func (p *Pusher) Close(ctx context.Context) error {
	p.closeMu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.closeMu.Unlock()
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
	for j := range p.queue {
		for i, m := range Messages(j.user, j.reply) {
			m.Idempotency = j.key + ":" + string(rune('a'+i))
			p.send(m)
		}
	}
}

func (p *Pusher) send(m domain.Message) {
	wait := p.backoff
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := p.sender.Send(ctx, m)
		cancel()
		if err == nil {
			p.metrics.Pushes.WithLabelValues("sent").Inc()
			return
		}
		if try >= p.tries || errors.Is(err, context.Canceled) {
			p.metrics.Pushes.WithLabelValues("failed").Inc()
			p.log.Error("push reply failed", "user", strings.Join(m.ToUsers, "|"), "tries", try, "err", err)
			return
		}
		time.Sleep(wait)
		wait *= 2
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
