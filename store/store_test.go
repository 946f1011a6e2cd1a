package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/store"
	"songnuan/store/storetest"
)

// at is the campaign time of every change in these tests.
var at = time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)

// register adds a realistic household under a new code and returns it.
func register(t testing.TB, s *store.Store, committee, head string) domain.Household {
	t.Helper()
	ctx := context.Background()
	code, err := s.NextCode(ctx, committee)
	if err != nil {
		t.Fatalf("NextCode: %v", err)
	}
	h := storetest.Household(committee, code, head)
	if _, err := s.Apply(ctx, registration(&h, "worker1")); err != nil {
		t.Fatalf("register %s: %v", code, err)
	}
	return h
}

// registration is the change that registers h.
func registration(h *domain.Household, actor string) bot.Change {
	return bot.Change{
		OpID: "reg:" + h.Committee + ":" + h.Code, Kind: "register", Actor: actor, At: at,
		Committee: h.Committee, Code: h.Code, After: h,
		Deltas: domain.CounterDeltas(nil, h), Todo: 1, Undo: bot.UndoPush,
		Result: "已登记 " + h.Code, Audit: "登记 " + h.Head,
	}
}

// visited returns h after a visit that paid paid yuan.
func visited(h domain.Household, paid int64, who domain.Visitor) domain.Household {
	h.Visits = append(slices.Clone(h.Visits), domain.Visit{
		At: at, Date: "2024-01-15", By: "worker1", ByName: "李四", Visitor: who, Paid: paid,
	})
	h.Version++
	h.UpdatedAt = at
	return h
}

// visit is the change that records a visit turning before into after.
func visit(opID string, before, after *domain.Household) bot.Change {
	todo := bot.TodoKeep
	if len(before.Visits) == 0 && len(after.Visits) > 0 {
		todo = bot.TodoRemove
	}
	return bot.Change{
		OpID: opID, Kind: "visit", Actor: "worker1", At: at,
		Committee: before.Committee, Code: before.Code, Before: before, After: after,
		Deltas: domain.CounterDeltas(before, after), Todo: todo, Undo: bot.UndoPush,
		Result: "已记录走访 " + opID, Audit: "走访 " + before.Head,
	}
}

// sameHousehold compares households by their stored form, so time zones
// that JSON does not keep do not count.
func sameHousehold(t testing.TB, got, want domain.Household) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("household differs:\n got %s\nwant %s", g, w)
	}
}

func TestHousehold(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")
	got, err := s.Household(ctx, "甘泉一村", h.Code)
	if err != nil {
		t.Fatal(err)
	}
	sameHousehold(t, got, h)

	for _, tc := range []struct{ committee, code string }{
		{"甘泉一村", "999"},
		{"甘泉二村", h.Code},
	} {
		if _, err := s.Household(ctx, tc.committee, tc.code); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("Household(%s, %s) error = %v, want ErrNotFound", tc.committee, tc.code, err)
		}
	}
}

func TestNextCode(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		codes = map[string]bool{}
		wg    sync.WaitGroup
	)
	for range 20 {
		wg.Go(func() {
			code, err := s.NextCode(ctx, "甘泉一村")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			codes[code] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	for i := 1; i <= 20; i++ {
		if !codes[strconv.Itoa(i)] {
			t.Errorf("code %d was not handed out; got %v", i, slices.Sorted(maps.Keys(codes)))
		}
	}
	if code, err := s.NextCode(ctx, "甘泉二村"); err != nil || code != "1" {
		t.Errorf("first code of another committee = %q, %v; want 1", code, err)
	}
}

func TestApplyReturnsCounters(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")
	after := visited(h, 2260, domain.VisitorCommittee)
	got, err := s.Apply(ctx, visit("m:1", &h, &after))
	if err != nil {
		t.Fatal(err)
	}
	want := domain.CounterFields(&after)
	if !maps.Equal(got.Counters, want) {
		t.Errorf("Applied.Counters = %v, want %v", got.Counters, want)
	}
	if got.Replayed || got.Result != "已记录走访 m:1" {
		t.Errorf("Applied = %+v, want the change's result, not replayed", got)
	}
	stored, err := s.Counters(ctx, "甘泉一村")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(stored, want) {
		t.Errorf("Counters = %v, want %v", stored, want)
	}
	if stored[domain.CtrVisited] != 1 || stored[domain.CtrPaid] != 2260 || stored[domain.CtrShort] != 0 {
		t.Errorf("Counters = %v, want one household visited and 2260 paid in full", stored)
	}
}

func TestApplyConflict(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")
	after := visited(h, 500, domain.VisitorCommittee)
	if _, err := s.Apply(ctx, visit("m:1", &h, &after)); err != nil {
		t.Fatal(err)
	}
	ctrBefore, _ := s.Counters(ctx, "甘泉一村")
	auditBefore, _ := s.Audit(ctx, "甘泉一村", 100)

	stale := visited(h, 700, domain.VisitorCommittee) // from version 1, now 2
	again := storetest.Household("甘泉一村", h.Code, "王五")
	taken := registration(&again, "worker1")
	taken.OpID = "m:taken"
	for name, c := range map[string]bot.Change{
		"stale version":  visit("m:2", &h, &stale),
		"code taken":     taken,
		"household gone": visit("m:3", ptr(storetest.Household("甘泉一村", "77", "赵六")), ptr(visited(storetest.Household("甘泉一村", "77", "赵六"), 1, domain.VisitorCommittee))),
		"stale removal":  {OpID: "m:4", Kind: "undo", Actor: "worker1", Committee: "甘泉一村", Code: h.Code, Before: &h, Deltas: domain.CounterDeltas(&h, nil)},
	} {
		_, err := s.Apply(ctx, c)
		if !errors.Is(err, bot.ErrConflict) {
			t.Errorf("%s: Apply error = %v, want ErrConflict", name, err)
		}
		if errors.Is(err, bot.ErrUnavailable) {
			t.Errorf("%s: a conflict is not unavailability: %v", name, err)
		}
	}
	got, err := s.Household(ctx, "甘泉一村", h.Code)
	if err != nil {
		t.Fatal(err)
	}
	sameHousehold(t, got, after)
	ctr, _ := s.Counters(ctx, "甘泉一村")
	if !maps.Equal(ctr, ctrBefore) {
		t.Errorf("conflicts changed the counters: %v, was %v", ctr, ctrBefore)
	}
	audit, _ := s.Audit(ctx, "甘泉一村", 100)
	if len(audit) != len(auditBefore) {
		t.Errorf("conflicts wrote %d audit entries", len(audit)-len(auditBefore))
	}
	// A retry of a refused change is refused again: no op marker was kept.
	if _, err := s.Apply(ctx, visit("m:2", &h, &stale)); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("retry of a conflicting change: %v, want ErrConflict", err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestApplyReplay(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")
	first := visited(h, 500, domain.VisitorCommittee)
	c := visit("m:42", &h, &first)
	applied, err := s.Apply(ctx, c)
	if err != nil {
		t.Fatal(err)
	}

	// WeCom delivers the same message again: same OpID, the bot's view may
	// even differ; nothing may change.
	other := visited(h, 900, domain.VisitorDistrict)
	retry := visit("m:42", &h, &other)
	retry.Result = "另一个结果"
	for range 3 {
		got, err := s.Apply(ctx, retry)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if !got.Replayed || got.Result != applied.Result {
			t.Errorf("replay = %+v, want Replayed with result %q", got, applied.Result)
		}
		if !maps.Equal(got.Counters, applied.Counters) {
			t.Errorf("replay counters = %v, want %v", got.Counters, applied.Counters)
		}
	}
	stored, _ := s.Household(ctx, "甘泉一村", h.Code)
	sameHousehold(t, stored, first)
	ctr, _ := s.Counters(ctx, "甘泉一村")
	if ctr[domain.CtrPaid] != 500 || ctr[domain.CtrLeader] != 0 {
		t.Errorf("counters after replays = %v, want 500 paid, no leader visit", ctr)
	}
	audit, _ := s.Audit(ctx, "甘泉一村", 10)
	if len(audit) != 2 {
		t.Errorf("audit has %d entries, want 2 (registration, one visit)", len(audit))
	}
	undo, _ := s.LastUndo(ctx, "worker1")
	if undo.OpID != "m:42" {
		t.Errorf("undo top = %q, want m:42", undo.OpID)
	}
}

// TestReplayedReadsWhatApplyAndAddCountersRecorded: the look-up a command
// makes before answering a re-delivered message finds an op applied by
// either write, with its stored result, in its committee only, and
// changes nothing.
func TestReplayedReadsWhatApplyAndAddCountersRecorded(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")
	after := visited(h, 500, domain.VisitorCommittee)
	applied, err := s.Apply(ctx, visit("m:43", &h, &after))
	if err != nil {
		t.Fatal(err)
	}
	donation := bot.CounterChange{OpID: "m:44", Kind: "donation", Actor: "wang", At: at, Committee: "甘泉一村",
		Deltas: map[string]int64{domain.CtrDonations: 100}, Result: "已记录捐款 100元", Audit: "王芳 捐款 100元"}
	if _, err := s.AddCountersOnce(ctx, donation); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Counters(ctx, "甘泉一村")
	for _, tt := range []struct {
		committee, op string
		want          string
		ok            bool
	}{
		{"甘泉一村", "m:43", applied.Result, true},
		{"甘泉一村", "m:44", donation.Result, true},
		{"甘泉一村", "m:45", "", false},
		{"甘泉二村", "m:43", "", false},
	} {
		got, ok, err := s.Replayed(ctx, tt.committee, tt.op)
		if err != nil || got != tt.want || ok != tt.ok {
			t.Errorf("Replayed(%s, %s) = %q, %v, %v; want %q, %v", tt.committee, tt.op, got, ok, err, tt.want, tt.ok)
		}
	}
	if now, _ := s.Counters(ctx, "甘泉一村"); !maps.Equal(now, before) {
		t.Errorf("counters after look-ups = %v, want %v", now, before)
	}
}

func TestApplyConcurrentVisits(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")
	const n = 50
	var (
		wg        sync.WaitGroup
		ok        = make(chan string, n)
		conflicts = make(chan error, n)
	)
	for i := range n {
		wg.Go(func() {
			after := visited(h, 2260, domain.VisitorCommittee)
			after.Visits[0].MsgID = strconv.Itoa(i)
			_, err := s.Apply(ctx, visit(fmt.Sprintf("m:%d", i), &h, &after))
			switch {
			case err == nil:
				ok <- after.Visits[0].MsgID
			case errors.Is(err, bot.ErrConflict):
				conflicts <- err
			default:
				t.Errorf("Apply: %v", err)
			}
		})
	}
	wg.Wait()
	close(ok)
	if len(ok) != 1 || len(conflicts) != n-1 {
		t.Fatalf("%d applied, %d conflicts; want 1 and %d", len(ok), len(conflicts), n-1)
	}
	winner := <-ok
	ctr, _ := s.Counters(ctx, "甘泉一村")
	if ctr[domain.CtrVisited] != 1 || ctr[domain.CtrPaid] != 2260 {
		t.Errorf("counters = %v, want one visit of 2260", ctr)
	}
	got, _ := s.Household(ctx, "甘泉一村", h.Code)
	if len(got.Visits) != 1 || got.Visits[0].MsgID != winner {
		t.Errorf("stored visits = %+v, want only the winner's (%s)", got.Visits, winner)
	}
	if refs, total, _ := s.Unvisited(ctx, "甘泉一村", 10); total != 0 || len(refs) != 0 {
		t.Errorf("Unvisited = %v, %d; want none", refs, total)
	}
}

// TestApplyOpMarkerExpires: a change is remembered, and replayed, for at
// least the op TTL and at most a quarter more; then it is forgotten.
func TestApplyOpMarkerExpires(t *testing.T) {
	base := storetest.Open(t)
	ctx := context.Background()
	now := time.Now()
	s := store.New(base.Client(), store.Options{Prefix: base.Prefix(), Now: func() time.Time { return now }})
	h := register(t, s, "甘泉一村", "张三")
	after := visited(h, 500, domain.VisitorCommittee)
	c := visit("m:expiry", &h, &after)
	if _, err := s.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	var bucketTTL time.Duration
	iter := s.Client().Scan(ctx, 0, s.Prefix()+"{c:甘泉一村}:ops:*", 100).Iterator()
	for iter.Next(ctx) {
		bucketTTL = max(bucketTTL, s.Client().PTTL(ctx, iter.Val()).Val())
	}
	if bucketTTL <= store.DefaultOpTTL-time.Minute || bucketTTL > store.DefaultOpTTL*5/4 {
		t.Errorf("op markers expire in %v, want between %v and a quarter more", bucketTTL, store.DefaultOpTTL)
	}
	for _, d := range []time.Duration{time.Hour, store.DefaultOpTTL - time.Second} {
		now = time.Now().Add(d)
		if ap, err := s.Apply(ctx, c); err != nil || !ap.Replayed {
			t.Fatalf("%v later: %+v, %v; want a replay", d, ap, err)
		}
	}
	// Past the TTL and its last stretch the change is new again, and its
	// Before no longer matches.
	now = time.Now().Add(store.DefaultOpTTL * 5 / 4)
	if _, err := s.Apply(ctx, c); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("after the op TTL: %v, want a conflict (the change is forgotten)", err)
	}
}

func TestApplyRefusesMalformedChanges(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := storetest.Household("甘泉一村", "1", "张三")
	same := h // version not bumped
	other := storetest.Household("甘泉二村", "1", "张三")
	for name, c := range map[string]bot.Change{
		"no op id":          {Committee: "甘泉一村", Code: "1", After: &h},
		"no household":      {OpID: "x", Committee: "甘泉一村", Code: "1"},
		"unknown undo":      {OpID: "x", Actor: "u", Committee: "甘泉一村", Code: "1", After: &h, Undo: "both"},
		"undo without user": {OpID: "x", Committee: "甘泉一村", Code: "1", After: &h, Undo: bot.UndoPush},
		"version kept":      {OpID: "x", Committee: "甘泉一村", Code: "1", Before: &h, After: &same},
		"wrong committee":   {OpID: "x", Committee: "甘泉一村", Code: "1", After: &other},
		"todo out of range": {OpID: "x", Committee: "甘泉一村", Code: "1", After: &h, Todo: 2},
	} {
		if _, err := s.Apply(ctx, c); err == nil || errors.Is(err, bot.ErrConflict) || errors.Is(err, bot.ErrUnavailable) {
			t.Errorf("%s: Apply error = %v, want a plain error", name, err)
		}
	}
	if hs, _ := s.Households(ctx, "甘泉一村"); len(hs) != 0 {
		t.Errorf("malformed changes stored %d households", len(hs))
	}
}

func TestFindByHead(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	a := register(t, s, "甘泉一村", "张三")
	register(t, s, "甘泉一村", "张三丰")
	register(t, s, "甘泉一村", "李四")
	b := register(t, s, "甘泉一村", "张三")
	register(t, s, "甘泉二村", "张三")

	codes := func(head string) []string {
		t.Helper()
		hs, err := s.FindByHead(ctx, "甘泉一村", head)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hs {
			out = append(out, h.Code)
		}
		return out
	}
	for _, tc := range []struct {
		head string
		want []string
	}{
		{"张三", []string{a.Code, b.Code}},
		{"张三丰", []string{"2"}},
		{"张", nil},
		{"三", nil},
		{"王五", nil},
	} {
		if got := codes(tc.head); !slices.Equal(got, tc.want) {
			t.Errorf("FindByHead(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}

	// The head changes: the index follows.
	renamed := a
	renamed.Head = "张叁"
	renamed.Version++
	c := bot.Change{OpID: "m:rename", Kind: "update", Actor: "worker1", At: at, Committee: a.Committee, Code: a.Code, Before: &a, After: &renamed}
	if _, err := s.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	if got := codes("张三"); !slices.Equal(got, []string{b.Code}) {
		t.Errorf("after rename FindByHead(张三) = %v, want [%s]", got, b.Code)
	}
	if got := codes("张叁"); !slices.Equal(got, []string{a.Code}) {
		t.Errorf("after rename FindByHead(张叁) = %v, want [%s]", got, a.Code)
	}

	// Removing a household removes it from the index.
	del := bot.Change{OpID: "m:del", Kind: "undo", Actor: "worker1", At: at, Committee: b.Committee, Code: b.Code, Before: &b, Deltas: domain.CounterDeltas(&b, nil)}
	if _, err := s.Apply(ctx, del); err != nil {
		t.Fatal(err)
	}
	if got := codes("张三"); len(got) != 0 {
		t.Errorf("after removal FindByHead(张三) = %v, want none", got)
	}
}

func TestUnvisited(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var hs []domain.Household
	for i := range 12 {
		hs = append(hs, register(t, s, "甘泉一村", fmt.Sprintf("户主%d", i+1)))
	}
	// Visit 2 and 11: numeric order must keep 10 and 12 after 9.
	for _, i := range []int{1, 10} {
		after := visited(hs[i], 100, domain.VisitorCommittee)
		if _, err := s.Apply(ctx, visit("m:"+hs[i].Code, &hs[i], &after)); err != nil {
			t.Fatal(err)
		}
	}
	refs, total, err := s.Unvisited(ctx, "甘泉一村", 9)
	if err != nil {
		t.Fatal(err)
	}
	if total != 10 {
		t.Errorf("total = %d, want 10", total)
	}
	var got []string
	for _, r := range refs {
		got = append(got, r.Code+":"+r.Head)
	}
	want := []string{"1:户主1", "3:户主3", "4:户主4", "5:户主5", "6:户主6", "7:户主7", "8:户主8", "9:户主9", "10:户主10"}
	if !slices.Equal(got, want) {
		t.Errorf("Unvisited = %v, want %v", got, want)
	}
	if refs, total, err := s.Unvisited(ctx, "甘泉一村", 0); err != nil || len(refs) != 0 || total != 10 {
		t.Errorf("Unvisited(limit 0) = %v, %d, %v; want only the count 10", refs, total, err)
	}
	if refs, total, err := s.Unvisited(ctx, "无此居委", 5); err != nil || len(refs) != 0 || total != 0 {
		t.Errorf("Unvisited(empty committee) = %v, %d, %v", refs, total, err)
	}
}

func TestHouseholds(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var want []domain.Household
	for i := range 11 {
		want = append(want, register(t, s, "甘泉一村", fmt.Sprintf("户主%d", i+1)))
	}
	register(t, s, "甘泉二村", "别村")
	got, err := s.Households(ctx, "甘泉一村")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Households = %d, want %d", len(got), len(want))
	}
	for i := range want {
		sameHousehold(t, got[i], want[i])
	}
}

func TestAudit(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")
	after := visited(h, 300, domain.VisitorCommittee)
	c := visit("m:7", &h, &after)
	c.At = at.Add(time.Hour)
	c.Audit = "走访 张三 310107********1234 发放300元"
	if _, err := s.Apply(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.Audit(ctx, "甘泉一村", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("Audit(limit 1) = %d entries", len(got))
	}
	e := got[0]
	if e.Kind != "visit" || e.Actor != "worker1" || e.OpID != "m:7" || e.Committee != "甘泉一村" ||
		!e.At.Equal(c.At) || e.Detail != c.Audit || e.ID == "" {
		t.Errorf("newest audit entry = %+v", e)
	}
	all, _ := s.Audit(ctx, "甘泉一村", 10)
	if len(all) != 2 || all[1].Kind != "register" {
		t.Errorf("Audit = %+v, want the visit then the registration", all)
	}
}

func TestUndoStack(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if _, err := s.LastUndo(ctx, "worker1"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("LastUndo of a new user = %v, want ErrNotFound", err)
	}
	h := register(t, s, "甘泉一村", "张三")
	r, err := s.LastUndo(ctx, "worker1")
	if err != nil {
		t.Fatal(err)
	}
	if r.OpID != "reg:甘泉一村:"+h.Code || r.Kind != "register" || r.Before != nil || r.AfterVersion != 1 ||
		r.Committee != "甘泉一村" || r.Code != h.Code || !r.At.Equal(at) {
		t.Errorf("undo record of a registration = %+v", r)
	}

	after := visited(h, 300, domain.VisitorCommittee)
	if _, err := s.Apply(ctx, visit("m:1", &h, &after)); err != nil {
		t.Fatal(err)
	}
	r, _ = s.LastUndo(ctx, "worker1")
	if r.OpID != "m:1" || r.Before == nil || r.Before.Version != 1 || r.AfterVersion != 2 {
		t.Errorf("undo record of a visit = %+v", r)
	}

	// Undo the visit: the record pops, the one below is on top again.
	back := *r.Before
	back.Version = after.Version + 1
	undo := bot.Change{
		OpID: "m:undo", Kind: "undo", Actor: "worker1", At: at, Committee: "甘泉一村", Code: h.Code,
		Before: &after, After: &back, Deltas: domain.CounterDeltas(&after, &back), Todo: 1, Undo: bot.UndoPop,
	}
	if _, err := s.Apply(ctx, undo); err != nil {
		t.Fatal(err)
	}
	r, _ = s.LastUndo(ctx, "worker1")
	if r.OpID != "reg:甘泉一村:"+h.Code {
		t.Errorf("after undo the top is %q, want the registration", r.OpID)
	}
	ctr, _ := s.Counters(ctx, "甘泉一村")
	if ctr[domain.CtrVisited] != 0 || ctr[domain.CtrPaid] != 0 || ctr[domain.CtrHouseholds] != 1 {
		t.Errorf("counters after undo = %v, want one unvisited household", ctr)
	}
	if _, total, _ := s.Unvisited(ctx, "甘泉一村", 5); total != 1 {
		t.Errorf("after undo %d unvisited, want 1", total)
	}
	// Another user's stack is their own.
	if _, err := s.LastUndo(ctx, "worker2"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("LastUndo(worker2) = %v, want ErrNotFound", err)
	}
}

func TestUndoStackDepth(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	h := register(t, s, "甘泉一村", "张三")
	for i := range 30 {
		after := h
		after.Size = 3 + i%2
		after.Version++
		c := bot.Change{OpID: fmt.Sprintf("m:%d", i), Kind: "update", Actor: "worker1", At: at,
			Committee: h.Committee, Code: h.Code, Before: &h, After: &after, Undo: bot.UndoPush}
		if _, err := s.Apply(ctx, c); err != nil {
			t.Fatal(err)
		}
		h = after
	}
	n, err := s.Client().LLen(ctx, s.Prefix()+"{c:甘泉一村}:undo:worker1").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 20 {
		t.Errorf("undo stack holds %d records, want 20", n)
	}
	if r, _ := s.LastUndo(ctx, "worker1"); r.OpID != "m:29" {
		t.Errorf("top = %q, want m:29", r.OpID)
	}
}

func TestUndoPointerFollowsCommittees(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	a := register(t, s, "甘泉一村", "张三") // worker1's latest: 甘泉一村
	b := register(t, s, "甘泉二村", "李四") // then 甘泉二村
	if r, _ := s.LastUndo(ctx, "worker1"); r.Committee != "甘泉二村" || r.Code != b.Code {
		t.Errorf("LastUndo = %+v, want the 甘泉二村 registration", r)
	}

	// A change refused in 甘泉一村 must not move the pointer there.
	stale := a
	stale.Version = 0
	after := visited(a, 1, domain.VisitorCommittee)
	if _, err := s.Apply(ctx, visit("m:stale", &stale, &after)); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("stale change: %v, want ErrConflict", err)
	}
	if r, _ := s.LastUndo(ctx, "worker1"); r.Committee != "甘泉二村" {
		t.Errorf("after a conflict LastUndo is in %s, want 甘泉二村", r.Committee)
	}
	// Nor a replay of an old change there.
	if _, err := s.Apply(ctx, registration(&a, "worker1")); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if r, _ := s.LastUndo(ctx, "worker1"); r.Committee != "甘泉二村" {
		t.Errorf("after a replay LastUndo is in %s, want 甘泉二村", r.Committee)
	}
	// A user with no pointer before a conflict has none after it.
	c := visit("m:stale2", &stale, &after)
	c.Actor = "worker9"
	if _, err := s.Apply(ctx, c); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("stale change: %v", err)
	}
	if _, err := s.LastUndo(ctx, "worker9"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("LastUndo(worker9) after a conflict = %v, want ErrNotFound", err)
	}
}

func TestPersonClaims(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	one := bot.PersonRef{Committee: "甘泉一村", Code: "1"}
	two := bot.PersonRef{Committee: "甘泉二村", Code: "5"}
	steps := []struct {
		name string
		do   func() (bot.PersonRef, error)
		want bot.PersonRef
	}{
		{"first claim", func() (bot.PersonRef, error) { return s.ClaimPerson(ctx, "h1", one) }, one},
		{"same household again", func() (bot.PersonRef, error) { return s.ClaimPerson(ctx, "h1", one) }, one},
		{"another household", func() (bot.PersonRef, error) { return s.ClaimPerson(ctx, "h1", two) }, one},
		{"release by a non-holder", func() (bot.PersonRef, error) { return one, s.ReleasePerson(ctx, "h1", two) }, one},
		{"still held", func() (bot.PersonRef, error) { return s.ClaimPerson(ctx, "h1", two) }, one},
		{"release by the holder", func() (bot.PersonRef, error) { return one, s.ReleasePerson(ctx, "h1", one) }, one},
		{"free again", func() (bot.PersonRef, error) { return s.ClaimPerson(ctx, "h1", two) }, two},
		{"another person", func() (bot.PersonRef, error) { return s.ClaimPerson(ctx, "h2", one) }, one},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: holder %+v, want %+v", st.name, got, st.want)
		}
	}
}

func TestAllCounters(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if all, err := s.AllCounters(ctx); err != nil || len(all) != 0 {
		t.Errorf("AllCounters of an empty store = %v, %v", all, err)
	}
	a := register(t, s, "甘泉一村", "张三")
	register(t, s, "甘泉一村", "李四")
	register(t, s, "甘泉二村", "王五")
	if _, err := s.NextCode(ctx, "甘泉三村"); err != nil { // a committee with a code but no household yet
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, "甘泉二村", map[string]int64{domain.CtrDonations: 5000, domain.CtrAlerts: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, "街道", map[string]int64{domain.CtrDonations: 120000}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, "甘泉二村", map[string]int64{domain.CtrAlerts: -1, domain.CtrDonations: 0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AllCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	one := domain.CounterFields(&a)
	for k, v := range one {
		one[k] = 2 * v
	}
	want := map[string]domain.Counters{
		"甘泉一村": one,
		"甘泉二村": withAdded(domain.CounterFields(&a), domain.CtrDonations, 5000),
		"街道":   {domain.CtrDonations: 120000},
	}
	if !maps.EqualFunc(got, want, maps.Equal) {
		t.Errorf("AllCounters = %v\nwant %v", got, want)
	}
}

func withAdded(c domain.Counters, field string, v int64) domain.Counters {
	c[field] += v
	return c
}
