package broadcasttest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2024, 2, 3, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func TestLedgerLease(t *testing.T) {
	ctx := context.Background()
	clock := NewClock(t0)
	l := NewLedger(clock.Now)
	steps := []struct {
		advance time.Duration
		owner   string
		want    bool
	}{
		{0, "a", true},
		{10 * time.Second, "b", false}, // a holds it
		{10 * time.Second, "a", true},  // renewed: now until t0+80s
		{55 * time.Second, "b", false}, // would have expired at t0+60s without the renewal
		{30 * time.Second, "b", true},  // expired
		{0, "a", false},
	}
	for i, s := range steps {
		clock.Add(s.advance)
		if got, _ := l.Lease(ctx, "x", s.owner, time.Minute); got != s.want {
			t.Fatalf("step %d: Lease(%s) = %v, want %v", i, s.owner, got, s.want)
		}
	}
	_ = l.Release(ctx, "x", "a") // not the holder: no effect
	if got, _ := l.Lease(ctx, "x", "a", time.Minute); got {
		t.Fatal("Release by a non-holder freed the lease")
	}
	_ = l.Release(ctx, "x", "b")
	if got, _ := l.Lease(ctx, "x", "a", time.Minute); !got {
		t.Fatal("lease not free after its holder released it")
	}
}

func TestLedgerMarkSentOnceUnderConcurrency(t *testing.T) {
	l := NewLedger(time.Now)
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if first, _ := l.MarkSent(context.Background(), "occ", "info"); first {
				firsts.Add(1)
			}
		}()
	}
	wg.Wait()
	if firsts.Load() != 1 {
		t.Fatalf("%d callers were first", firsts.Load())
	}
	if ok, _ := l.Sent(context.Background(), "occ"); !ok {
		t.Fatal("Sent = false after MarkSent")
	}
	if ok, _ := l.Sent(context.Background(), "other"); ok {
		t.Fatal("Sent = true for an unknown id")
	}
}

func TestLimiterSlidingWindow(t *testing.T) {
	ctx := context.Background()
	clock := NewClock(t0)
	l := NewLimiter(clock.Now)
	for i := 0; i < 20; i++ {
		if ok, _, _ := l.Allow(ctx, "robot:k", 20); !ok {
			t.Fatalf("message %d refused", i+1)
		}
		clock.Add(time.Second)
	}
	// t0+20s: the window still holds 20.
	ok, wait, _ := l.Allow(ctx, "robot:k", 20)
	if ok || wait != 40*time.Second {
		t.Fatalf("21st: ok=%v wait=%v, want refused for 40s", ok, wait)
	}
	if ok, _, _ := l.Allow(ctx, "robot:other", 20); !ok {
		t.Fatal("keys must not share a window")
	}
	clock.Set(t0.Add(time.Minute)) // the first message is exactly a minute old
	if ok, _, _ := l.Allow(ctx, "robot:k", 20); !ok {
		t.Fatal("refused after the oldest left the window")
	}
	if ok, _, _ := l.Allow(ctx, "robot:k", 20); ok {
		t.Fatal("allowed a second one although only one left the window")
	}
}
