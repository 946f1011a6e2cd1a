package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/handlers"
)

// flakyDedup is the real store with Redis failures injected where a crash
// of Redis puts them: a claim executed whose answer is lost, a claim sent
// twice by the client's retry, a release that cannot reach Redis.
type flakyDedup struct {
	handlers.Dedup
	loseClaimAnswers atomic.Int64 // claims executed, then reported failed
	claimTwice       atomic.Int64 // claims executed twice, the second answer returned
	failReleases     atomic.Int64 // releases refused before reaching Redis
	releases         atomic.Int64
}

var errLost = errors.New("read tcp: connection reset by peer")

func (f *flakyDedup) ClaimMessageLimited(ctx context.Context, key, owner string, ttl time.Duration, user string, perMinute int) (bot.ClaimState, string, bool, error) {
	st, reply, over, err := f.Dedup.ClaimMessageLimited(ctx, key, owner, ttl, user, perMinute)
	if err == nil && f.loseClaimAnswers.Add(-1) >= 0 {
		return 0, "", false, errLost
	}
	if err == nil && f.claimTwice.Add(-1) >= 0 {
		return f.Dedup.ClaimMessageLimited(ctx, key, owner, ttl, user, perMinute)
	}
	return st, reply, over, err
}

func (f *flakyDedup) ReleaseClaim(ctx context.Context, key, owner string) error {
	f.releases.Add(1)
	if f.failReleases.Add(-1) >= 0 {
		return errLost
	}
	return f.Dedup.ReleaseClaim(ctx, key, owner)
}

func flaky(h *harness) *flakyDedup {
	f := &flakyDedup{Dedup: h.store}
	h.cb.Dedup = f
	return f
}

// A claim another delivery made and never answered (it died, or could not
// release it while Redis was down) is not answered with an empty 200,
// which would end WeCom's retries and lose the message.
func TestUnansweredClaimIsNotAnsweredEmpty(t *testing.T) {
	fb := &fakeBot{}
	h := newHarness(t, fb, time.Now)
	if _, _, err := h.store.ClaimMessage(context.Background(), "m:720001", time.Minute); err != nil {
		t.Fatal(err)
	}
	if code, reply := h.post(t, "wang", "720001", "走访 甲一 发放900元"); code != http.StatusServiceUnavailable || reply != "" {
		t.Fatalf("message claimed elsewhere, unanswered: HTTP %d %q; want 503 so WeCom retries", code, reply)
	}
	if fb.calls.Load() != 0 {
		t.Fatal("a message claimed elsewhere was handled")
	}
}

// A claim that lapses while a re-delivery waits for its answer is taken
// over by that re-delivery.
func TestLapsedClaimIsHandledByTheWaitingDelivery(t *testing.T) {
	fb := &fakeBot{}
	h := newHarness(t, fb, time.Now)
	if _, _, err := h.store.ClaimMessage(context.Background(), "m:720002", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	code, reply := h.post(t, "wang", "720002", "走访 甲一 发放900元")
	if code != http.StatusOK || reply != "收到：走访 甲一 发放900元" || fb.calls.Load() != 1 {
		t.Fatalf("after the claim lapsed: HTTP %d %q with %d calls; want the message handled", code, reply, fb.calls.Load())
	}
}

// Redis executed the claim but its answer was lost: the delivery answers
// 503 and releases its own claim, so WeCom's retry is handled at once
// rather than after the claim lapses.
func TestClaimWithLostAnswerIsReleased(t *testing.T) {
	fb := &fakeBot{}
	h := newHarness(t, fb, time.Now)
	f := flaky(h)
	f.loseClaimAnswers.Store(1)
	if code, _ := h.post(t, "wang", "720003", "走访 甲一 发放900元"); code != http.StatusServiceUnavailable {
		t.Fatalf("lost claim answer: HTTP %d, want 503", code)
	}
	if code, reply := h.post(t, "wang", "720003", "走访 甲一 发放900元"); code != http.StatusOK || reply != "收到：走访 甲一 发放900元" {
		t.Fatalf("WeCom's retry: HTTP %d %q; want it handled", code, reply)
	}
	if fb.calls.Load() != 1 {
		t.Fatalf("handled %d times, want 1", fb.calls.Load())
	}
}

// The client sent the claim again after a dropped connection, and Redis
// had executed the first: the second sees the delivery's own claim, which
// is still its to handle.
func TestOwnClaimSeenAgainIsStillOwn(t *testing.T) {
	fb := &fakeBot{}
	h := newHarness(t, fb, time.Now)
	f := flaky(h)
	f.claimTwice.Store(1)
	if code, reply := h.post(t, "wang", "720004", "走访 甲一 发放900元"); code != http.StatusOK || reply != "收到：走访 甲一 发放900元" {
		t.Fatalf("claim sent twice: HTTP %d %q; want the message handled", code, reply)
	}
}

// Handling failed while Redis was down, and so did the release: it is
// retried in the background, so WeCom's retry moments later is handled.
func TestReleaseRetriedUntilRedisIsBack(t *testing.T) {
	fb := &fakeBot{err: bot.ErrUnavailable}
	h := newHarness(t, fb, time.Now)
	f := flaky(h)
	f.failReleases.Store(2)
	if code, _ := h.post(t, "wang", "720005", "走访 甲一 发放900元"); code != http.StatusServiceUnavailable {
		t.Fatalf("store down: HTTP %d, want 503", code)
	}
	fb.err = nil
	waitFor(t, func() bool { return f.releases.Load() >= 3 })
	if code, reply := h.post(t, "wang", "720005", "走访 甲一 发放900元"); code != http.StatusOK || reply != "收到：走访 甲一 发放900元" {
		t.Fatalf("WeCom's retry once Redis is back: HTTP %d %q; want it handled", code, reply)
	}
}
