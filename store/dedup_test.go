package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/store/storetest"
)

func TestClaimMessage(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	claim := func(key string) (bot.ClaimState, string) {
		t.Helper()
		st, reply, err := s.ClaimMessage(ctx, key, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return st, reply
	}
	if st, _ := claim("4561255354251345929"); st != bot.Claimed {
		t.Errorf("first delivery: %v, want claimed", st)
	}
	if st, _ := claim("4561255354251345929"); st != bot.ClaimPending {
		t.Errorf("retry while handling: %v, want pending", st)
	}
	if st, _ := claim("4561255354251345930"); st != bot.Claimed {
		t.Errorf("the next message id: %v, want claimed", st)
	}
	if err := s.SaveReply(ctx, "4561255354251345929", "已记录走访：张三 发放2260元", time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, reply := claim("4561255354251345929"); st != bot.ClaimDone || reply != "已记录走访：张三 发放2260元" {
		t.Errorf("retry after the reply: %v %q, want done with the reply", st, reply)
	}
	// An empty reply is a reply, not a pending mark.
	claim("ev:zhangsan:1409659813:enter_agent")
	if err := s.SaveReply(ctx, "ev:zhangsan:1409659813:enter_agent", "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, reply := claim("ev:zhangsan:1409659813:enter_agent"); st != bot.ClaimDone || reply != "" {
		t.Errorf("retry of an event answered with nothing: %v %q, want done with an empty reply", st, reply)
	}
	// A reply that looks like a mark is still a reply.
	if err := s.SaveReply(ctx, "m:p", "p", time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, reply := claim("m:p"); st != bot.ClaimDone || reply != "p" {
		t.Errorf("reply %q read back as %v %q", "p", st, reply)
	}
}

func TestClaimMessagePendingLapses(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if st, _, err := s.ClaimMessage(ctx, "m:1", 30*time.Millisecond); err != nil || st != bot.Claimed {
		t.Fatalf("claim: %v %v", st, err)
	}
	ttl, err := s.Client().PTTL(ctx, s.Prefix()+"msg:m:1").Result()
	if err != nil || ttl <= 0 || ttl > 30*time.Millisecond {
		t.Fatalf("pending mark TTL = %v, %v; want at most 30ms", ttl, err)
	}
	if !eventually(func() bool {
		st, _, err := s.ClaimMessage(ctx, "m:1", time.Second)
		return err == nil && st == bot.Claimed
	}) {
		t.Errorf("the pending mark never lapsed")
	}
}

func TestClaimMessageConcurrent(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	const n = 50
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		states = map[bot.ClaimState]int{}
	)
	for range n {
		wg.Go(func() {
			st, _, err := s.ClaimMessage(ctx, "4561255354251345929", 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			states[st]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if states[bot.Claimed] != 1 || states[bot.ClaimPending] != n-1 {
		t.Errorf("states = %v, want exactly one claimed and %d pending", states, n-1)
	}
}

func TestSaveReplyOnce(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	got, err := s.SaveReplyOnce(ctx, "m:help", "帮助：登记 张三 低保 3人", time.Hour)
	if err != nil || got != "帮助：登记 张三 低保 3人" {
		t.Fatalf("first: %q, %v", got, err)
	}
	got, err = s.SaveReplyOnce(ctx, "m:help", "另一个回答", time.Hour)
	if err != nil || got != "帮助：登记 张三 低保 3人" {
		t.Errorf("second delivery got %q, %v; want the first reply", got, err)
	}
	if st, reply, _ := s.ClaimMessage(ctx, "m:help", time.Second); st != bot.ClaimDone || reply != "帮助：登记 张三 低保 3人" {
		t.Errorf("claim after SaveReplyOnce: %v %q", st, reply)
	}
	// While another delivery holds the message, this answer is sent as is
	// and the pending mark is left to its owner.
	s.ClaimMessage(ctx, "m:busy", time.Minute)
	if got, err := s.SaveReplyOnce(ctx, "m:busy", "好的", time.Hour); err != nil || got != "好的" {
		t.Errorf("SaveReplyOnce on a pending message = %q, %v", got, err)
	}
	if st, _, _ := s.ClaimMessage(ctx, "m:busy", time.Minute); st != bot.ClaimPending {
		t.Errorf("pending mark was replaced: %v", st)
	}
	// Concurrent deliveries all send the same reply.
	var wg sync.WaitGroup
	replies := make(chan string, 20)
	for i := range 20 {
		wg.Go(func() {
			r, err := s.SaveReplyOnce(ctx, "m:race", string(rune('a'+i)), time.Hour)
			if err != nil {
				t.Error(err)
			}
			replies <- r
		})
	}
	wg.Wait()
	close(replies)
	first := <-replies
	for r := range replies {
		if r != first {
			t.Errorf("concurrent deliveries sent %q and %q", first, r)
		}
	}
}

func TestWaitReply(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	s.ClaimMessage(ctx, "m:slow", 10*time.Second)
	go func() {
		time.Sleep(60 * time.Millisecond)
		s.SaveReply(ctx, "m:slow", "已记录", time.Hour)
	}()
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	reply, done, err := s.WaitReply(wctx, "m:slow")
	if err != nil || !done || reply != "已记录" {
		t.Errorf("WaitReply = %q %v %v, want the reply", reply, done, err)
	}

	// Nobody answers: the wait ends with the context.
	s.ClaimMessage(ctx, "m:stuck", 10*time.Second)
	wctx, cancel = context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if reply, done, err := s.WaitReply(wctx, "m:stuck"); err != nil || done || reply != "" {
		t.Errorf("WaitReply on a stuck message = %q %v %v, want not done", reply, done, err)
	}

	// The pending mark lapses: the wait ends at once, not with the context.
	s.ClaimMessage(ctx, "m:lapsed", 40*time.Millisecond)
	wctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	if _, done, err := s.WaitReply(wctx, "m:lapsed"); err != nil || done {
		t.Errorf("WaitReply on a lapsed claim = %v %v, want not done", done, err)
	}
	if wctx.Err() != nil {
		t.Errorf("WaitReply on a lapsed claim waited %v, until the context ended", time.Since(start))
	}
}

// eventually reports whether cond becomes true within two seconds (the
// embedded Redis counts TTLs down in ticks).
func eventually(cond func() bool) bool {
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

func TestMessageKeysNeedATTL(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.ClaimMessage(ctx, "m:1", 0); err == nil {
		t.Error("ClaimMessage with no TTL accepted")
	}
	if err := s.SaveReply(ctx, "m:1", "x", 0); err == nil {
		t.Error("SaveReply with no TTL accepted")
	}
	if _, err := s.SaveReplyOnce(ctx, "m:1", "x", -time.Second); err == nil {
		t.Error("SaveReplyOnce with a negative TTL accepted")
	}
	if n, _ := s.Client().Exists(ctx, s.Prefix()+"msg:m:1").Result(); n != 0 {
		t.Error("a refused call stored the key")
	}
}
