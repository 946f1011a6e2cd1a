package store_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/broadcast"
	"songnuan/broadcast/broadcasttest"
	"songnuan/domain"
	"songnuan/internal/campaigntest"
	"songnuan/internal/testkit"
	"songnuan/schedule"
	"songnuan/store"
	"songnuan/store/storetest"
)

// The Redis ledger and limiter are what broadcast runs on; the program
// wires them, so the assertion lives here rather than in store.
var (
	_ broadcast.Ledger  = (*store.Ledger)(nil)
	_ broadcast.Limiter = (*store.Limiter)(nil)
)

var cst = time.FixedZone("CST", 8*3600)

func TestLedgerLease(t *testing.T) {
	s := storetest.Open(t)
	l := s.Ledger()
	ctx := context.Background()
	lease := func(owner string, ttl time.Duration) bool {
		t.Helper()
		ok, err := l.Lease(ctx, "x", owner, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !lease("a", time.Hour) {
		t.Fatal("a free lease was refused")
	}
	if lease("b", time.Hour) {
		t.Fatal("b took a's lease")
	}
	// Renewing extends the TTL; a refused owner does not touch it.
	if !lease("a", 3*time.Hour) {
		t.Fatal("the holder could not renew")
	}
	lease("b", time.Minute)
	key := s.Prefix() + "bc:lease:x"
	if ttl := s.Client().PTTL(ctx, key).Val(); ttl <= 2*time.Hour {
		t.Fatalf("TTL after renewal = %v, want about 3h", ttl)
	}
	if err := l.Release(ctx, "x", "b"); err != nil {
		t.Fatal(err)
	}
	if lease("b", time.Hour) {
		t.Fatal("a release by a non-holder freed the lease")
	}
	if err := l.Release(ctx, "x", "a"); err != nil {
		t.Fatal(err)
	}
	if !lease("b", 50*time.Millisecond) {
		t.Fatal("lease not free after its holder released it")
	}
	// An expired lease is free for anyone; the old holder cannot extend it.
	deadline := time.Now().Add(5 * time.Second)
	for !lease("a", time.Hour) {
		if time.Now().After(deadline) {
			t.Fatal("a 50 ms lease never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if lease("b", time.Hour) {
		t.Fatal("the holder of an expired lease renewed it after another owner took it")
	}
}

func TestLedgerMarkSentOnceUnderConcurrency(t *testing.T) {
	s := storetest.Open(t)
	l := s.Ledger()
	ctx := context.Background()
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			first, err := l.MarkSent(ctx, "occ", fmt.Sprint("by ", i))
			if err != nil {
				t.Error(err)
			}
			if first {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if firsts.Load() != 1 {
		t.Fatalf("%d callers were first", firsts.Load())
	}
	entries, err := l.Entries(ctx)
	if err != nil || len(entries) != 1 || !strings.HasPrefix(entries["occ"], "by ") {
		t.Fatalf("entries = %v, %v", entries, err)
	}
	for id, want := range map[string]bool{"occ": true, "other": false} {
		if got, err := l.Sent(ctx, id); err != nil || got != want {
			t.Errorf("Sent(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
}

func TestLedgerLastRun(t *testing.T) {
	s := storetest.Open(t)
	l := s.Ledger()
	ctx := context.Background()
	if got, err := l.LastRun(ctx); err != nil || !got.IsZero() {
		t.Fatalf("LastRun before any = %v, %v; want zero", got, err)
	}
	for _, want := range []time.Time{
		time.Date(2024, 1, 21, 9, 3, 7, 123456789, cst),
		time.Date(2024, 1, 20, 23, 59, 59, 999999999, cst), // it may go backwards
	} {
		if err := l.SetLastRun(ctx, want); err != nil {
			t.Fatal(err)
		}
		if got, err := l.LastRun(ctx); err != nil || !got.Equal(want) {
			t.Fatalf("LastRun = %v, %v; want %v", got, err, want)
		}
	}
}

func TestLimiterSlidingWindow(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	t0 := time.Date(2024, 2, 3, 9, 0, 0, 0, cst)
	clock := broadcasttest.NewClock(t0)
	l := s.Limiter(clock.Now)
	allow := func(key string) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := l.Allow(ctx, key, 20)
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	for i := range 20 {
		if ok, _ := allow("robot:k"); !ok {
			t.Fatalf("message %d refused", i+1)
		}
		clock.Add(time.Second)
	}
	// t0+20s: the window still holds 20.
	if ok, wait := allow("robot:k"); ok || wait != 40*time.Second {
		t.Fatalf("21st: ok=%v wait=%v, want refused for 40s", ok, wait)
	}
	if ok, _ := allow("robot:other"); !ok {
		t.Fatal("keys must not share a window")
	}
	clock.Set(t0.Add(time.Minute)) // the first message is exactly a minute old
	if ok, _ := allow("robot:k"); !ok {
		t.Fatal("refused after the oldest left the window")
	}
	if ok, _ := allow("robot:k"); ok {
		t.Fatal("allowed a second one although only one left the window")
	}
}

// TestLimiterSharedAcrossInstances: 25 sends in one minute from two
// instances (two limiters on one Redis, at the same instant) let 20 through.
func TestLimiterSharedAcrossInstances(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	clock := broadcasttest.NewClock(time.Date(2024, 2, 3, 9, 0, 0, 0, cst))
	limiters := []broadcast.Limiter{s.Limiter(clock.Now), s.Limiter(clock.Now)}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 25 {
		wg.Go(func() {
			yes, _, err := limiters[i%2].Allow(ctx, broadcast.RobotLimitKey("robotkey1"), 20)
			if err != nil {
				t.Error(err)
			}
			if yes {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 20 {
		t.Fatalf("%d of 25 allowed in one minute, want 20", ok.Load())
	}
	clock.Add(time.Minute)
	if yes, _, _ := limiters[0].Allow(ctx, broadcast.RobotLimitKey("robotkey1"), 20); !yes {
		t.Fatal("refused a minute later")
	}
}

// newRunner is a runner on the store's ledger and a limiter on clock.
func newRunner(l broadcast.Ledger, lim broadcast.Limiter, s *schedule.Schedule, clock *broadcasttest.Clock,
	sender domain.Sender, owner string, logs *testkit.Buffer) *broadcast.Runner {
	counters := broadcasttest.Counters()
	return &broadcast.Runner{
		Schedule:   s,
		Sender:     sender,
		Ledger:     l,
		Limiter:    lim,
		Clock:      clock.Now,
		Recipients: func(context.Context) ([]broadcast.Recipient, error) { return broadcasttest.Staff(), nil },
		Counters: func(_ context.Context, c string) (domain.Counters, error) {
			return counters[c], nil
		},
		Admins: []string{"admin"},
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Owner:  owner,
	}
}

// alwaysLease lets every runner believe it holds the lease, as two
// instances do when a paused holder's lease expired under it.
type alwaysLease struct{ broadcast.Ledger }

func (alwaysLease) Lease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}

// TestTwoRunnersOnRedisSendEveryOccurrenceOnce runs two runners, as two
// instances would, on one Redis ledger and limiter through the whole
// built-in campaign, ticking together. Between steps the lease lapses at
// random (as a 60 s lease does between ten-minute steps), so the holder
// changes hands; in the split-brain cases both always believe they hold
// it. Every delivery must go out exactly once.
func TestTwoRunnersOnRedisSendEveryOccurrenceOnce(t *testing.T) {
	for _, c := range []struct {
		name       string
		splitBrain bool
		flaky      bool // every first attempt to li fails
	}{
		{"lease", false, false},
		{"lease, flaky sends", false, true},
		{"split brain", true, false},
		{"split brain, flaky sends", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := storetest.Open(t)
			ctx := context.Background()
			sched := campaigntest.Schedule()
			start := time.Date(2023, 12, 20, 0, 0, 0, 0, cst)
			clock := broadcasttest.NewClock(start)
			sender := &broadcasttest.Sender{}
			if c.flaky {
				sender.Fail = func(m domain.Message, attempt int) error {
					if slices.Contains(m.ToUsers, "li") && attempt == 1 {
						return errors.New("errcode 45009")
					}
					return nil
				}
			}
			logs := &testkit.Buffer{}
			ledger := st.Ledger()
			runners := []*broadcast.Runner{
				newRunner(ledger, st.Limiter(clock.Now), sched, clock, sender, "a", logs),
				newRunner(ledger, st.Limiter(clock.Now), sched, clock, sender, "b", logs),
			}
			if c.splitBrain {
				for _, r := range runners {
					r.Ledger = alwaysLease{ledger}
				}
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for _, at := range steps(sched, start, time.Date(2024, 3, 2, 0, 0, 0, 0, cst)) {
				clock.Set(at)
				if rng.IntN(2) == 0 {
					// The lease lapses: whoever ticks first takes it.
					if err := st.Client().Del(ctx, st.Prefix()+"bc:lease:"+broadcast.LeaseName).Err(); err != nil {
						t.Fatal(err)
					}
				}
				var wg sync.WaitGroup
				for _, r := range runners {
					wg.Go(func() {
						if err := r.Tick(ctx, at); err != nil {
							t.Errorf("tick at %s: %v", at.Format(time.RFC3339), err)
						}
					})
				}
				wg.Wait()
			}
			got := map[string]int{}
			for _, s := range sender.Messages() {
				got[s.Message.Idempotency]++
			}
			var ids []string
			for id, n := range got {
				if n != 1 {
					t.Errorf("%s sent %d times", id, n)
				}
				ids = append(ids, id)
			}
			slices.Sort(ids)
			if want := broadcasttest.ExpectedDefault(sched); !slices.Equal(ids, want) {
				t.Errorf("delivered %d, want %d\n got %v\nwant %v", len(ids), len(want), ids, want)
			}
			if strings.Contains(logs.String(), "in doubt") {
				t.Error("a delivery was reported in doubt without any crash")
			}
			entries, err := ledger.Entries(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range broadcasttest.ExpectedDefault(sched) {
				if !strings.HasPrefix(entries[id+"#ok"], "sent at ") {
					t.Errorf("ledger has no #ok for %s", id)
				}
			}
		})
	}
}

// steps are the times the exactly-once test ticks at: every six hours,
// and every ten minutes from just before each occurrence to an hour after.
func steps(s *schedule.Schedule, from, to time.Time) []time.Time {
	var out []time.Time
	for at := from; at.Before(to); at = at.Add(6 * time.Hour) {
		out = append(out, at)
	}
	for _, o := range s.Occurrences() {
		for d := -10 * time.Minute; d <= time.Hour; d += 10 * time.Minute {
			out = append(out, o.At.Add(d))
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// TestRunnerRateLimitedRobotOnRedis: 25 robot announcements due at once go
// out 20 in the first minute and the other 5 once the window slides.
func TestRunnerRateLimitedRobotOnRedis(t *testing.T) {
	st := storetest.Open(t)
	var b strings.Builder
	b.WriteString(`name: 测试
timezone: Asia/Shanghai
phases:
  - {name: 走访慰问, start: 2024-01-01, end: 2024-02-06}
announcements:
`)
	for i := range 25 {
		fmt.Fprintf(&b, "  - {id: n%02d, when: {at: 2024-01-09T09:00:00+08:00}, to: {robot_key: robotkey1}, template: 第%d条}\n", i, i)
	}
	sched, err := schedule.Parse([]byte(b.String()), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 9, 9, 10, 0, 0, cst) // every one of them is due
	clock := broadcasttest.NewClock(start)
	sender := &broadcasttest.Sender{}
	r := newRunner(st.Ledger(), st.Limiter(clock.Now), sched, clock, sender, "a", &testkit.Buffer{})
	for _, c := range []struct {
		after time.Duration
		want  int
	}{{0, 20}, {30 * time.Second, 20}, {time.Minute, 25}} {
		at := start.Add(c.after)
		clock.Set(at)
		if err := r.Tick(context.Background(), at); err != nil {
			t.Fatal(err)
		}
		if got := len(sender.Messages()); got != c.want {
			t.Fatalf("at +%v: sent %d, want %d", c.after, got, c.want)
		}
	}
	for _, s := range sender.Messages() {
		if s.Attempt != 1 {
			t.Errorf("%s took %d attempts: the limiter should keep it from failing", s.Message.Idempotency, s.Attempt)
		}
	}
}
