package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/store/storetest"
)

func TestReleaseClaim(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if st, _, err := s.ClaimMessage(ctx, "m:rel", time.Minute); err != nil || st != bot.Claimed {
		t.Fatalf("claim = %v, %v", st, err)
	}
	if err := s.ReleaseClaim(ctx, "m:rel", ""); err != nil {
		t.Fatal(err)
	}
	if st, _, err := s.ClaimMessage(ctx, "m:rel", time.Minute); err != nil || st != bot.Claimed {
		t.Fatalf("claim after release = %v, %v; want Claimed", st, err)
	}
	if err := s.SaveReply(ctx, "m:rel", "已记录", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseClaim(ctx, "m:rel", ""); err != nil {
		t.Fatal(err)
	}
	if st, reply, err := s.ClaimMessage(ctx, "m:rel", time.Minute); err != nil || st != bot.ClaimDone || reply != "已记录" {
		t.Fatalf("release must keep a saved reply: got %v %q %v", st, reply, err)
	}
}

func TestRedeliveriesCountOnceAgainstTheRateLimit(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	for i := range 3 {
		key := fmt.Sprintf("m:rl%d", i)
		for d := range 4 { // WeCom re-delivers; several instances each get it
			_, _, over, err := s.ClaimMessageLimited(ctx, key, "", time.Minute, "wang", 3)
			if err != nil || over {
				t.Fatalf("message %d delivery %d: over=%v err=%v; three distinct messages are within a limit of 3", i, d, over, err)
			}
		}
	}
	if _, _, over, err := s.ClaimMessageLimited(ctx, "m:rl3", "", time.Minute, "wang", 3); err != nil || !over {
		t.Fatalf("a 4th distinct message: over=%v err=%v, want over", over, err)
	}
}
