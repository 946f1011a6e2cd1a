// Package broadcast sends the campaign schedule's announcements and
// personal reminders: exactly once across restarts and across several
// instances sharing one Redis, late (with a note) after downtime when still
// useful, within WeCom's rate limits, retrying failed sends and telling the
// admins what could not be delivered.
//
// It imports only bot and the standard library: the ledger and the rate
// limiter it needs are the interfaces below, implemented on Redis in store/
// and in memory in broadcasttest/.
package broadcast

import (
	"context"
	"time"
)

// Ledger is the shared memory of every instance that may broadcast. All
// methods are safe for concurrent use; an error means nothing is known
// (the runner retries on its next tick).
type Ledger interface {
	// Lease acquires the named lease for owner, or renews it when owner
	// already holds it, for ttl (real time). It reports whether owner
	// holds the lease now. On Redis: SET name owner NX PX ttl; when that
	// fails and GET name == owner, PEXPIRE name ttl (both in one script, so
	// that a lease that just expired and was taken by another owner is
	// not extended).
	Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// Release gives the lease up if owner holds it, so another instance
	// can take over at once instead of after ttl. Releasing a lease that
	// is free or held by another owner does nothing and is not an error.
	// On Redis: DEL name if GET name == owner, in one script.
	Release(ctx context.Context, name, owner string) error
	// MarkSent records id with info unless id is already recorded, and
	// reports whether this call recorded it. Exactly one of any number of
	// concurrent calls for one id returns first == true. A recorded id is
	// never removed or overwritten during the campaign, so a claim made
	// once holds for every instance and restart. On Redis: HSETNX on one
	// ledger hash (field id, value info); first is its result == 1.
	MarkSent(ctx context.Context, id, info string) (first bool, err error)
	// Sent reports whether id is recorded. On Redis: HEXISTS.
	Sent(ctx context.Context, id string) (bool, error)
	// LastRun returns the time SetLastRun last stored, or the zero time
	// when it was never set.
	LastRun(ctx context.Context) (time.Time, error)
	// SetLastRun stores t, overwriting the previous value. The runner
	// stores the campaign time up to which everything due is finished
	// (sent, skipped, or reported to the admins); it may go backwards.
	SetLastRun(ctx context.Context, t time.Time) error
}

// Limiter counts messages against WeCom's per-minute limits.
type Limiter interface {
	// Allow reports whether one more message for key fits in perMinute
	// messages over the last minute, and if it does, counts it. The
	// window slides: at most perMinute calls return ok within any 60
	// seconds, because WeCom counts that way (a robot blocks the 21st
	// message in a minute with errcode 130101 for minutes); a token bucket
	// that refills continuously would exceed it. When not ok, retryAfter
	// is how long until the oldest counted message leaves the window.
	// Keys used: "robot:<hash of the key>" (20/min), "member:<userid>"
	// (30/min), "chat:<chatid>", "party:<ids>", "tag:<ids>", "admins".
	Allow(ctx context.Context, key string, perMinute int) (ok bool, retryAfter time.Duration, err error)
}
