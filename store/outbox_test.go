package store_test

import (
	"context"
	"testing"
	"time"

	"songnuan/store/storetest"
)

// TestOutbox: a message is put in once per id; one consumer takes it; a
// consumer that stays silent loses it to another after the reclaim time,
// but not while it touches it; a done entry is gone.
func TestOutbox(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		added, err := s.OutboxAdd(ctx, "m:1:a", "reply one")
		if err != nil || added != want {
			t.Fatalf("add %d: %v %v, want %v", i, added, err, want)
		}
	}
	e, ok, err := s.OutboxTake(ctx, "A", 10*time.Millisecond, time.Hour)
	if err != nil || !ok || e.Payload != "reply one" || e.Added.IsZero() {
		t.Fatalf("A takes: %+v %v %v", e, ok, err)
	}
	if _, ok, err := s.OutboxTake(ctx, "B", 10*time.Millisecond, time.Hour); err != nil || ok {
		t.Fatalf("B takes what A holds: %v %v", ok, err)
	}
	time.Sleep(30 * time.Millisecond)
	if err := s.OutboxTouch(ctx, "A", e.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.OutboxTake(ctx, "B", 10*time.Millisecond, 25*time.Millisecond); err != nil || ok {
		t.Fatalf("B takes what A has just touched: %v %v", ok, err)
	}
	time.Sleep(30 * time.Millisecond)
	got, ok, err := s.OutboxTake(ctx, "B", 10*time.Millisecond, 25*time.Millisecond)
	if err != nil || !ok || got.ID != e.ID {
		t.Fatalf("B reclaims from silent A: %+v %v %v", got, ok, err)
	}
	if err := s.OutboxDone(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.OutboxLen(ctx); err != nil || n != 0 {
		t.Errorf("outbox length after done: %d %v", n, err)
	}
	if _, ok, err := s.OutboxTake(ctx, "A", 10*time.Millisecond, time.Millisecond); err != nil || ok {
		t.Errorf("a done entry is taken again: %v %v", ok, err)
	}
}
