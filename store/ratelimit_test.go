package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
	"songnuan/store/storetest"
)

func TestClaimMessageLimited(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	claim := func(key, user string) (bot.ClaimState, string, bool) {
		t.Helper()
		st, reply, over, err := s.ClaimMessageLimited(ctx, key, "", time.Minute, user, 60)
		if err != nil {
			t.Fatal(err)
		}
		return st, reply, over
	}
	for i := range 60 {
		key := fmt.Sprint("m:", i)
		if st, _, over := claim(key, "wang"); st != bot.Claimed || over {
			t.Fatalf("message %d: %v over=%v, want claimed within the limit", i+1, st, over)
		}
		if err := s.SaveReply(ctx, key, fmt.Sprint("回复", i), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if st, _, over := claim("m:60", "wang"); st != bot.Claimed || !over {
		t.Fatalf("61st message: %v over=%v, want claimed and over", st, over)
	}
	if st, _, over := claim("m:li", "li"); st != bot.Claimed || over {
		t.Fatalf("another user: %v over=%v, want claimed within the limit", st, over)
	}
	// Re-deliveries are answered, never refused, however many came before.
	if st, reply, over := claim("m:0", "wang"); st != bot.ClaimDone || reply != "回复0" || over {
		t.Fatalf("re-delivery of an answered message: %v %q over=%v", st, reply, over)
	}
	if st, _, over := claim("m:li", "li"); st != bot.ClaimPending || over {
		t.Fatalf("re-delivery of a message being handled: %v over=%v", st, over)
	}
	// No limit, or no user (events): never over.
	for _, c := range []struct {
		user  string
		limit int
	}{{"wang", 0}, {"", 60}} {
		st, _, over, err := s.ClaimMessageLimited(ctx, fmt.Sprint("m:free:", c.user, c.limit), "", time.Minute, c.user, c.limit)
		if err != nil || st != bot.Claimed || over {
			t.Errorf("user %q limit %d: %v over=%v %v, want claimed", c.user, c.limit, st, over, err)
		}
	}
	// The window is a minute from the first message; later ones do not
	// extend it.
	ttl := s.Client().PTTL(ctx, s.Prefix()+"ur:wang").Val()
	if ttl <= 0 || ttl > time.Minute {
		t.Errorf("rate window TTL = %v, want within a minute", ttl)
	}
}

func TestSaveReplyOnceLimited(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	save := func(key, reply, user string) (string, bool) {
		t.Helper()
		text, over, err := s.SaveReplyOnceLimited(ctx, key, reply, time.Hour, user, 60)
		if err != nil {
			t.Fatal(err)
		}
		return text, over
	}
	for i := range 60 {
		if text, over := save(fmt.Sprint("m:", i), "帮助", "wang"); text != "帮助" || over {
			t.Fatalf("message %d: %q over=%v", i+1, text, over)
		}
	}
	if text, over := save("m:60", "帮助", "wang"); text != "" || !over {
		t.Fatalf("61st message: %q over=%v, want refused", text, over)
	}
	// The refused message's reply was taken back: a re-delivery is new.
	if st, _, err := s.ClaimMessage(ctx, "m:60", time.Minute); err != nil || st != bot.Claimed {
		t.Fatalf("refused message after the refusal: %v %v, want claimable", st, err)
	}
	if text, over := save("m:li", "帮助", "li"); text != "帮助" || over {
		t.Fatalf("another user: %q over=%v", text, over)
	}
	if text, over := save("m:0", "changed", "wang"); text != "帮助" || over {
		t.Fatalf("re-delivery of an answered message: %q over=%v, want the stored reply", text, over)
	}
}

// handshake are the commands a new connection sends before any of ours.
var handshake = map[string]bool{"hello": true, "client": true, "auth": true, "select": true, "readonly": true}

// roundTrips counts the commands and pipelines a client sends, leaving out
// connection handshakes.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake[cmd.Name()] {
			r.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			if !handshake[c.Name()] {
				r.n.Add(1)
				break
			}
		}
		return next(ctx, cmds)
	}
}

// TestLimitedDedupIsOneRoundTrip: counting the user costs no round trip of
// its own for a message within the limit.
func TestLimitedDedupIsOneRoundTrip(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	rt := &roundTrips{}
	s.Client().AddHook(rt)
	if _, _, _, err := s.ClaimMessageLimited(ctx, "m:1", "", time.Minute, "wang", 60); err != nil {
		t.Fatal(err)
	}
	if n := rt.n.Swap(0); n != 1 {
		t.Errorf("ClaimMessageLimited took %d round trips, want 1", n)
	}
	if _, _, err := s.SaveReplyOnceLimited(ctx, "m:2", "帮助", time.Minute, "wang", 60); err != nil {
		t.Fatal(err)
	}
	if n := rt.n.Swap(0); n != 1 {
		t.Errorf("SaveReplyOnceLimited took %d round trips, want 1", n)
	}
}
