package store_test

import (
	"context"
	"testing"
	"time"

	"songnuan/store"
	"songnuan/store/storetest"
)

func TestReleaseClaim(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if st, _, err := s.ClaimMessage(ctx, "m:rel", time.Minute); err != nil || st != store.Claimed {
		t.Fatalf("claim = %v, %v", st, err)
	}
	if err := s.ReleaseClaim(ctx, "m:rel"); err != nil {
		t.Fatal(err)
	}
	if st, _, err := s.ClaimMessage(ctx, "m:rel", time.Minute); err != nil || st != store.Claimed {
		t.Fatalf("claim after release = %v, %v; want Claimed", st, err)
	}
	if err := s.SaveReply(ctx, "m:rel", "已记录", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseClaim(ctx, "m:rel"); err != nil {
		t.Fatal(err)
	}
	if st, reply, err := s.ClaimMessage(ctx, "m:rel", time.Minute); err != nil || st != store.Done || reply != "已记录" {
		t.Fatalf("release must keep a saved reply: got %v %q %v", st, reply, err)
	}
}
