package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/app"
	"songnuan/broadcast"
	"songnuan/config"
)

// watchedLedger is the App's own ledger with a watch on the broadcast
// runner. It holds the runner's first SetLastRun until the runner's
// context ends, so that a tick is in flight when the App is stopped, and
// it counts the calls that start after the test has seen Run return.
type watchedLedger struct {
	broadcast.Ledger
	held       chan struct{} // closed once the first SetLastRun is being held
	holdOnce   sync.Once
	mu         sync.Mutex
	released   bool        // Release, the runner's last call, has been made
	releaseErr error       // and failed
	stopped    atomic.Bool // Run has returned
	late       atomic.Int32
}

func newWatchedLedger() *watchedLedger { return &watchedLedger{held: make(chan struct{})} }

func (w *watchedLedger) call() {
	if w.stopped.Load() {
		w.late.Add(1)
	}
}

func (w *watchedLedger) Lease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	w.call()
	return w.Ledger.Lease(ctx, name, owner, ttl)
}

func (w *watchedLedger) Release(ctx context.Context, name, owner string) error {
	w.call()
	err := w.Ledger.Release(ctx, name, owner)
	w.mu.Lock()
	w.released, w.releaseErr = true, err
	w.mu.Unlock()
	return err
}

func (w *watchedLedger) MarkSent(ctx context.Context, id, info string) (bool, error) {
	w.call()
	return w.Ledger.MarkSent(ctx, id, info)
}

func (w *watchedLedger) Sent(ctx context.Context, id string) (bool, error) {
	w.call()
	return w.Ledger.Sent(ctx, id)
}

func (w *watchedLedger) LastRun(ctx context.Context) (time.Time, error) {
	w.call()
	return w.Ledger.LastRun(ctx)
}

func (w *watchedLedger) SetLastRun(ctx context.Context, t time.Time) error {
	w.call()
	w.holdOnce.Do(func() {
		close(w.held)
		<-ctx.Done()
	})
	return w.Ledger.SetLastRun(ctx, t)
}

// TestRunReturnsOnceTheBroadcastRunnerHasStopped: the App is stopped while
// a broadcast tick is about to store its last-run mark. Run returns only
// after the runner has finished that tick and released its lease, and the
// runner touches the ledger no more, so the keys may be deleted, or the
// process exit, as soon as Run has returned. A runner that outlived Run
// would race with the rest of the shutdown and be caught only some of the
// time, so the test stops a few Apps.
func TestRunReturnsOnceTheBroadcastRunnerHasStopped(t *testing.T) {
	for i := range 5 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			w := newWatchedLedger()
			// Registered first, so it runs last: after the App's keys are deleted.
			t.Cleanup(func() {
				if n := w.late.Load(); n > 0 {
					t.Errorf("the broadcast runner made %d ledger calls after Run returned", n)
				}
			})
			_, stop := launchApp(t, withRedis(config.Default()), slog.New(slog.DiscardHandler), func(a *app.App) {
				w.Ledger = a.Broadcast.Ledger
				a.Broadcast.Ledger = w
			})
			<-w.held
			if err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			w.stopped.Store(true)
			w.mu.Lock()
			released, err := w.released, w.releaseErr
			w.mu.Unlock()
			switch {
			case !released:
				t.Error("Run returned before the broadcast runner had stopped and released its lease")
			case err != nil:
				t.Errorf("the broadcast runner's release of its lease failed (the store closed before it stopped?): %v", err)
			}
		})
	}
}
