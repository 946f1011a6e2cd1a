package store_test

import (
	"context"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/store/storetest"
)

func TestClaimOwners(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	a, b := bot.NewOwner(), bot.NewOwner()
	if a == b || a == "" {
		t.Fatalf("owners %q and %q", a, b)
	}
	claim := func(owner string) bot.ClaimState {
		t.Helper()
		// A limit of one: claiming one message again must not count twice.
		st, _, over, err := s.ClaimMessageLimited(ctx, "m:own", owner, time.Minute, "wang", 1)
		if err != nil || over {
			t.Fatalf("claim: %v over=%v", err, over)
		}
		return st
	}
	if st := claim(a); st != bot.Claimed {
		t.Fatalf("first claim = %v", st)
	}
	if st := claim(a); st != bot.Claimed {
		t.Errorf("the owner's claim seen again = %v, want claimed (its own)", st)
	}
	if st := claim(b); st != bot.ClaimPending {
		t.Errorf("another owner's claim = %v, want pending", st)
	}
	// Only the owner releases its claim.
	if err := s.ReleaseClaim(ctx, "m:own", b); err != nil {
		t.Fatal(err)
	}
	if st := claim(b); st != bot.ClaimPending {
		t.Errorf("after another owner's release = %v, want still pending", st)
	}
	if err := s.ReleaseClaim(ctx, "m:own", a); err != nil {
		t.Fatal(err)
	}
	if st := claim(b); st != bot.Claimed {
		t.Errorf("after the owner's release = %v, want claimable", st)
	}
	// A reply is never released.
	if err := s.SaveReply(ctx, "m:own", "已记录", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseClaim(ctx, "m:own", b); err != nil {
		t.Fatal(err)
	}
	if st, reply, _, err := s.ClaimMessageLimited(ctx, "m:own", a, time.Minute, "", 0); err != nil || st != bot.ClaimDone || reply != "已记录" {
		t.Errorf("after releasing an answered message: %v %q %v", st, reply, err)
	}
}

func TestOwnedClaimIsPendingToReaders(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if _, _, _, err := s.ClaimMessageLimited(ctx, "m:r", bot.NewOwner(), time.Minute, "", 0); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, done, err := s.WaitReply(wctx, "m:r"); err != nil || done {
		t.Errorf("WaitReply on an owned claim = done %v, %v; want pending", done, err)
	}
	if st, _, err := s.ClaimMessage(ctx, "m:r", time.Minute); err != nil || st != bot.ClaimPending {
		t.Errorf("ClaimMessage on an owned claim = %v, %v; want pending", st, err)
	}
	if got, err := s.SaveReplyOnce(ctx, "m:r", "帮助", time.Minute); err != nil || got != "帮助" {
		t.Errorf("SaveReplyOnce on an owned claim = %q, %v", got, err)
	}
}

// TestRenewClaim: only the owner's pending claim is renewed; another
// owner's claim, or a reply saved meanwhile, is left as it is.
func TestRenewClaim(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	a, b := bot.NewOwner(), bot.NewOwner()
	if st, _, _, err := s.ClaimMessageLimited(ctx, "m:1", a, time.Second, "", 0); err != nil || st != bot.Claimed {
		t.Fatalf("claim: %v %v", st, err)
	}
	if held, err := s.RenewClaim(ctx, "m:1", a, time.Minute); err != nil || !held {
		t.Errorf("owner renews: %v %v, want held", held, err)
	}
	// The key as store/keys.go builds it.
	if ttl := s.Client().PTTL(ctx, s.Prefix()+"msg:m:1").Val(); ttl < 30*time.Second {
		t.Errorf("claim's TTL after renewal %v, want about a minute", ttl)
	}
	if held, err := s.RenewClaim(ctx, "m:1", b, time.Minute); err != nil || held {
		t.Errorf("another owner renews: %v %v, want not held", held, err)
	}
	if err := s.SaveReply(ctx, "m:1", "已记录", time.Hour); err != nil {
		t.Fatal(err)
	}
	if held, err := s.RenewClaim(ctx, "m:1", a, time.Second); err != nil || held {
		t.Errorf("renew after the reply: %v %v, want not held", held, err)
	}
	if st, reply, err := s.ClaimMessage(ctx, "m:1", time.Second); err != nil || st != bot.ClaimDone || reply != "已记录" {
		t.Errorf("after a late renewal: %v %q %v, want the reply kept", st, reply, err)
	}
}
