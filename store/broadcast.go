package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Ledger is broadcast.Ledger on Redis, shared by every instance that uses
// the same Redis and key prefix. Each method is one command or one
// single-key script, so it works on Redis Cluster unchanged.
type Ledger struct {
	client redis.UniversalClient
	k      keys
}

// Ledger returns the broadcast ledger kept in s's Redis under its prefix.
func (s *Store) Ledger() *Ledger { return &Ledger{client: s.client, k: s.k} }

// leaseScript takes a lease that is free, or renews it for the owner that
// holds it. Both in one script: a separate GET then PEXPIRE could extend a
// lease that expired in between and was taken by another owner.
// KEYS: lease. ARGV: owner, ttl in ms. Returns 1 when owner holds it.
var leaseScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`)

// Lease acquires or renews the named lease for owner for ttl of real time
// (Redis's own clock), and reports whether owner holds it now.
func (l *Ledger) Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	ms := max(ttl.Milliseconds(), 1)
	n, err := leaseScript.Run(ctx, l.client, []string{l.k.lease(name)}, owner, ms).Int()
	if err != nil {
		return false, fail("take lease "+name, err)
	}
	return n == 1, nil
}

// Release gives the lease up if owner holds it; otherwise it does nothing.
// The compare-and-delete is releaseScript, the one message claims use.
func (l *Ledger) Release(ctx context.Context, name, owner string) error {
	if err := releaseScript.Run(ctx, l.client, []string{l.k.lease(name)}, owner).Err(); err != nil {
		return fail("release lease "+name, err)
	}
	return nil
}

// MarkSent records id with info unless it is recorded already (HSETNX), and
// reports whether this call recorded it. Records never expire: the ids
// carry their occurrence's date, and a ledger of a whole campaign is a few
// thousand short fields.
func (l *Ledger) MarkSent(ctx context.Context, id, info string) (bool, error) {
	first, err := l.client.HSetNX(ctx, l.k.ledger(), id, info).Result()
	if err != nil {
		return false, fail("mark broadcast "+id, err)
	}
	return first, nil
}

// Sent reports whether id is recorded.
func (l *Ledger) Sent(ctx context.Context, id string) (bool, error) {
	ok, err := l.client.HExists(ctx, l.k.ledger(), id).Result()
	if err != nil {
		return false, fail("read broadcast "+id, err)
	}
	return ok, nil
}

// Entries returns every recorded id and its info, for tests and for an
// operator reading what went out.
func (l *Ledger) Entries(ctx context.Context) (map[string]string, error) {
	m, err := l.client.HGetAll(ctx, l.k.ledger()).Result()
	if err != nil {
		return nil, fail("read broadcast ledger", err)
	}
	return m, nil
}

// LastRun returns the time SetLastRun stored, or the zero time.
func (l *Ledger) LastRun(ctx context.Context) (time.Time, error) {
	v, err := l.client.Get(ctx, l.k.lastRun()).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fail("read broadcast last run", err)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("read broadcast last run: %w", err)
	}
	return t, nil
}

// SetLastRun stores t, overwriting the previous value.
func (l *Ledger) SetLastRun(ctx context.Context, t time.Time) error {
	if err := l.client.Set(ctx, l.k.lastRun(), t.Format(time.RFC3339Nano), 0).Err(); err != nil {
		return fail("store broadcast last run", err)
	}
	return nil
}

// Limiter is broadcast.Limiter on Redis: a sliding one-minute window per
// key, kept as a sorted set of send times, shared by every instance.
type Limiter struct {
	client redis.UniversalClient
	k      keys
	now    func() time.Time
	// id and seq make every counted send a distinct set member, even when
	// two instances count one in the same millisecond.
	id  string
	seq atomic.Uint64
}

// Limiter returns a rate limiter kept in s's Redis. now is the clock the
// window slides by; nil means the real clock, which is what WeCom counts
// by. Instances sharing a limiter should have clocks within a few
// milliseconds of each other (NTP), or the window shifts by the skew.
func (s *Store) Limiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &Limiter{client: s.client, k: s.k, now: now, id: hex.EncodeToString(b[:])}
}

// rateWindow is the window WeCom counts its per-minute limits over.
const rateWindow = time.Minute

// allowScript counts one send in a sliding window unless the window is
// full. Sends at or before now-window have left it, as in
// broadcasttest.Limiter. KEYS: the set. ARGV: now in ms, window in ms,
// limit, member. Returns {1, 0} when counted, else {0, ms until the
// oldest counted send leaves the window}.
var allowScript = redis.NewScript(`
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}`)

// Allow reports whether one more message for key fits in perMinute over
// the last minute and, if so, counts it.
func (l *Limiter) Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration, error) {
	now := l.now().UnixMilli()
	member := strconv.FormatInt(now, 36) + ":" + l.id + ":" + strconv.FormatUint(l.seq.Add(1), 36)
	r, err := allowScript.Run(ctx, l.client, []string{l.k.sendRate(key)},
		now, rateWindow.Milliseconds(), perMinute, member).Int64Slice()
	if err != nil {
		return false, 0, fail("rate limit "+key, err)
	}
	if len(r) != 2 {
		return false, 0, fmt.Errorf("rate limit %s: unexpected reply of %d values", key, len(r))
	}
	return r[0] == 1, time.Duration(r[1]) * time.Millisecond, nil
}
