package store_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/store"
	"songnuan/store/storetest"
)

// closedAddr returns an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// everyCall calls every store method once and returns their errors by name.
func everyCall(ctx context.Context, s *store.Store) map[string]error {
	h := storetest.Household("甘泉一村", "1", "张三")
	after := h
	after.Version++
	ref := bot.PersonRef{Committee: "甘泉一村", Code: "1"}
	errs := map[string]error{}
	_, errs["Household"] = s.Household(ctx, "甘泉一村", "1")
	_, errs["FindByHead"] = s.FindByHead(ctx, "甘泉一村", "张三")
	_, errs["NextCode"] = s.NextCode(ctx, "甘泉一村")
	_, errs["Apply"] = s.Apply(ctx, bot.Change{OpID: "m:1", Kind: "visit", Actor: "u", Committee: "甘泉一村", Code: "1", Before: &h, After: &after, Undo: bot.UndoPush})
	_, errs["LastUndo"] = s.LastUndo(ctx, "u")
	_, errs["ClaimPerson"] = s.ClaimPerson(ctx, "h", ref)
	errs["ReleasePerson"] = s.ReleasePerson(ctx, "h", ref)
	_, errs["Counters"] = s.Counters(ctx, "甘泉一村")
	_, errs["AllCounters"] = s.AllCounters(ctx)
	errs["AddCounters"] = s.AddCounters(ctx, "甘泉一村", map[string]int64{domain.CtrDonations: 1})
	_, _, errs["Unvisited"] = s.Unvisited(ctx, "甘泉一村", 5)
	_, errs["Households"] = s.Households(ctx, "甘泉一村")
	_, errs["Audit"] = s.Audit(ctx, "甘泉一村", 5)
	_, _, errs["ClaimMessage"] = s.ClaimMessage(ctx, "m:1", time.Second)
	errs["SaveReply"] = s.SaveReply(ctx, "m:1", "x", time.Second)
	_, errs["SaveReplyOnce"] = s.SaveReplyOnce(ctx, "m:1", "x", time.Second)
	_, _, errs["WaitReply"] = s.WaitReply(ctx, "m:1")
	errs["Ping"] = s.Ping(ctx)
	return errs
}

func TestUnreachableRedis(t *testing.T) {
	addr := closedAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := store.Open(ctx, store.Options{URL: "redis://" + addr + "/0", Logger: slog.New(slog.DiscardHandler)}); !errors.Is(err, bot.ErrUnavailable) {
		t.Errorf("Open on a closed port: %v, want ErrUnavailable", err)
	}
	s := store.New(redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1}), store.Options{Prefix: storetest.Prefix()})
	defer s.Close()
	for name, err := range everyCall(ctx, s) {
		if !errors.Is(err, bot.ErrUnavailable) {
			t.Errorf("%s on a closed port: %v, want ErrUnavailable", name, err)
		}
	}
}

func TestRedisGoesAway(t *testing.T) {
	mr := miniredis.RunT(t)
	s := store.New(redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialerRetries: 1}), store.Options{Prefix: "p:"})
	defer s.Close()
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")

	mr.SetError("LOADING Redis is loading the dataset in memory")
	after := visited(h, 100, domain.VisitorCommittee)
	if _, err := s.Apply(ctx, visit("m:1", &h, &after)); !errors.Is(err, bot.ErrUnavailable) {
		t.Errorf("Apply while Redis loads: %v, want ErrUnavailable", err)
	}
	mr.SetError("")

	mr.Close()
	if _, err := s.Apply(ctx, visit("m:2", &h, &after)); !errors.Is(err, bot.ErrUnavailable) {
		t.Errorf("Apply after Redis stopped: %v, want ErrUnavailable", err)
	}
}

func TestCommandErrorsAreNotUnavailability(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	// Something else wrote the counters key as a string.
	if err := s.Client().Set(ctx, s.Prefix()+"{c:甘泉一村}:ctr", "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Counters(ctx, "甘泉一村")
	if err == nil || errors.Is(err, bot.ErrUnavailable) {
		t.Errorf("Counters of a wrongly typed key: %v, want an error that is not ErrUnavailable", err)
	}
}

func TestOpenEmbedded(t *testing.T) {
	ctx := context.Background()
	if s, err := store.Open(ctx, store.Options{Prefix: "songnuan:{a}:"}); err == nil {
		s.Close()
		t.Error("Open accepted a prefix with a hash tag, which would put every key in one slot")
	}
	s, err := store.Open(ctx, store.Options{Prefix: "songnuan:", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	h := register(t, s, "甘泉一村", "张三")
	if got, err := s.Household(ctx, "甘泉一村", h.Code); err != nil || got.Head != "张三" {
		t.Errorf("Household on the embedded store = %+v, %v", got, err)
	}
	// TTLs run on the clock, or claims and op markers would never lapse.
	if st, _, _ := s.ClaimMessage(ctx, "m:1", 20*time.Millisecond); st != bot.Claimed {
		t.Fatal("claim")
	}
	if !eventually(func() bool {
		st, _, _ := s.ClaimMessage(ctx, "m:1", time.Second)
		return st == bot.Claimed
	}) {
		t.Errorf("embedded store kept a lapsed claim")
	}
	s.Close()
	if err := s.Ping(ctx); !errors.Is(err, bot.ErrUnavailable) {
		t.Errorf("Ping after Close: %v, want ErrUnavailable", err)
	}
}
