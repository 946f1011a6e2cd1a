// Package broadcasttest provides in-memory implementations of the
// broadcast runner's Ledger and Limiter with exactly the documented
// semantics, a recording Sender that can be told to fail, a settable
// clock, and the staff, counters and expected deliveries of a whole
// built-in campaign, for tests.
package broadcasttest

import (
	"context"
	"maps"
	"sync"
	"time"

	"songnuan/domain"
)

// Clock is a campaign clock tests move by hand. It is safe for concurrent
// use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; pass c.Now as a domain.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock on by d and returns the new time.
func (c *Clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// Ledger is an in-memory broadcast.Ledger. Leases expire by Now.
type Ledger struct {
	Now func() time.Time

	mu      sync.Mutex
	leases  map[string]lease
	entries map[string]string
	lastRun time.Time
}

type lease struct {
	owner   string
	expires time.Time
}

// NewLedger returns an empty ledger whose leases expire by now.
func NewLedger(now func() time.Time) *Ledger {
	return &Ledger{Now: now, leases: map[string]lease{}, entries: map[string]string{}}
}

// Lease takes name for owner when it is free or expired, or renews it when
// owner holds it.
func (l *Ledger) Lease(_ context.Context, name, owner string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	cur, ok := l.leases[name]
	if ok && now.Before(cur.expires) && cur.owner != owner {
		return false, nil
	}
	l.leases[name] = lease{owner: owner, expires: now.Add(ttl)}
	return true, nil
}

// Release frees name if owner holds it.
func (l *Ledger) Release(_ context.Context, name, owner string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.leases[name]; ok && cur.owner == owner {
		delete(l.leases, name)
	}
	return nil
}

// MarkSent records id with info unless it is recorded already.
func (l *Ledger) MarkSent(_ context.Context, id, info string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.entries[id]; ok {
		return false, nil
	}
	l.entries[id] = info
	return true, nil
}

// Sent reports whether id is recorded.
func (l *Ledger) Sent(_ context.Context, id string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.entries[id]
	return ok, nil
}

// LastRun returns what SetLastRun stored, or the zero time.
func (l *Ledger) LastRun(context.Context) (time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastRun, nil
}

// SetLastRun stores t.
func (l *Ledger) SetLastRun(_ context.Context, t time.Time) error {
	l.mu.Lock()
	l.lastRun = t
	l.mu.Unlock()
	return nil
}

// Entries returns a copy of every recorded id and its info.
func (l *Ledger) Entries() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.entries)
}

// Limiter is an in-memory broadcast.Limiter: a sliding window of one
// minute per key, by Now.
type Limiter struct {
	Now func() time.Time

	mu   sync.Mutex
	hits map[string][]time.Time
}

// NewLimiter returns a limiter with no messages counted.
func NewLimiter(now func() time.Time) *Limiter {
	return &Limiter{Now: now, hits: map[string][]time.Time{}}
}

// Allow counts one message for key if fewer than perMinute were counted in
// the minute before now.
func (l *Limiter) Allow(_ context.Context, key string, perMinute int) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	hs := l.hits[key]
	for len(hs) > 0 && !hs[0].After(now.Add(-time.Minute)) {
		hs = hs[1:]
	}
	if len(hs) >= perMinute {
		l.hits[key] = hs
		return false, hs[0].Add(time.Minute).Sub(now), nil
	}
	l.hits[key] = append(hs, now)
	return true, 0, nil
}

// Sender records what is sent. Fail, when set, decides per attempt
// (1-based, counted per Idempotency key) whether a message fails, the way
// WeCom answers errcode != 0.
type Sender struct {
	Fail func(m domain.Message, attempt int) error

	mu       sync.Mutex
	sent     []Sent
	attempts map[string]int
}

// Sent is one message that went out.
type Sent struct {
	Message domain.Message
	Attempt int
}

// Send records m unless Fail says it fails.
func (s *Sender) Send(_ context.Context, m domain.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.attempts == nil {
		s.attempts = map[string]int{}
	}
	s.attempts[m.Idempotency]++
	n := s.attempts[m.Idempotency]
	if s.Fail != nil {
		if err := s.Fail(m, n); err != nil {
			return err
		}
	}
	s.sent = append(s.sent, Sent{Message: m, Attempt: n})
	return nil
}

// Messages returns what was sent, in order.
func (s *Sender) Messages() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Sent, len(s.sent))
	copy(out, s.sent)
	return out
}

// Attempts returns how many times a message with the given idempotency
// key was handed to Send, failed or not.
func (s *Sender) Attempts(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[key]
}
