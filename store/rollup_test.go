package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/schedule"
	"songnuan/store"
	"songnuan/store/storetest"
)

// rollupCommittees are the committees the rollup tests change, the
// street's own records among them.
var rollupCommittees = []string{"甘泉一村", "甘泉二村", "宜川一村", "宜川二村", "志丹", bot.StreetCommittee}

// TestRollupFollowsCounters changes households and counters from several
// workers at once (registrations, visits, undos of both, donations
// re-delivered, reports, alerts), then checks that the street rollup is
// exactly what every committee's counters add up to: the sums, each
// committee in the right group and place, and the committees without
// counters. A rebuild must then leave it the same.
func TestRollupFollowsCounters(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s := storetest.Open(t)
			ctx := context.Background()
			var wg sync.WaitGroup
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rollupWorker(t, s, rand.New(rand.NewPCG(seed, uint64(w))), w)
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			checkRollup(t, s, "after the changes")
			before, err := s.Rollup(ctx, rollupCommittees, 100)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.RebuildRollup(ctx); err != nil {
				t.Fatal(err)
			}
			checkRollup(t, s, "after a rebuild")
			after, err := s.Rollup(ctx, rollupCommittees, 100)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Errorf("rebuild changed the rollup:\n%v\n%v", before, after)
			}
		})
	}
}

// rollupWorker makes 60 random changes as worker w. Changes to one
// household may race with another worker's and conflict: the loser moves
// on, as the bot would after telling its user.
func rollupWorker(t *testing.T, s *store.Store, rng *rand.Rand, w int) {
	ctx := context.Background()
	actor := fmt.Sprintf("worker%d", w)
	for i := range 60 {
		committee := rollupCommittees[rng.IntN(len(rollupCommittees))]
		op := fmt.Sprintf("m:%d:%d", w, i)
		var err error
		switch k := rng.IntN(10); {
		case k <= 2:
			err = rollupRegister(ctx, s, rng, committee, actor, op)
		case k <= 5:
			err = rollupVisit(ctx, s, rng, committee, actor, op)
		case k <= 7:
			err = rollupUndo(ctx, s, actor, op)
		case k == 8:
			d := bot.CounterChange{OpID: op, Kind: bot.ChangeDonation, Actor: actor, Committee: committee,
				Deltas: map[string]int64{domain.CtrDonations: int64(1 + rng.IntN(900)), "donation:s:某公司": 100}}
			if rng.IntN(3) == 0 {
				d.Deltas = map[string]int64{schedule.ReportedCounter([]string{"plan", "list", "summary"}[rng.IntN(3)]): 1}
			}
			for range 1 + rng.IntN(2) { // re-delivered: counted once
				if _, err = s.AddCountersOnce(ctx, d); err != nil {
					break
				}
			}
		default:
			err = s.AddCounters(ctx, committee, map[string]int64{domain.CtrAlerts: int64(rng.IntN(3) - 1)})
		}
		if err != nil && !errors.Is(err, bot.ErrConflict) {
			t.Errorf("worker %d change %d: %v", w, i, err)
			return
		}
	}
}

func rollupRegister(ctx context.Context, s *store.Store, rng *rand.Rand, committee, actor, op string) error {
	code, err := s.NextCode(ctx, committee)
	if err != nil {
		return err
	}
	h := storetest.Household(committee, code, heads[rng.IntN(len(heads))])
	h.Size = 1 + rng.IntN(5)
	c := registration(&h, actor)
	c.OpID = op
	_, err = s.Apply(ctx, c)
	return err
}

func rollupVisit(ctx context.Context, s *store.Store, rng *rand.Rand, committee, actor, op string) error {
	hs, err := s.Households(ctx, committee)
	if err != nil || len(hs) == 0 {
		return err
	}
	before := hs[rng.IntN(len(hs))]
	after := visited(before, []int64{0, before.Entitlement.Total, before.Entitlement.Total + 100}[rng.IntN(3)], domain.VisitorCommittee)
	c := visit(op, &before, &after)
	c.Actor = actor
	_, err = s.Apply(ctx, c)
	return err
}

// rollupUndo takes back actor's last change, as 撤销 does.
func rollupUndo(ctx context.Context, s *store.Store, actor, op string) error {
	u, err := s.LastUndo(ctx, actor)
	if errors.Is(err, bot.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	cur, err := s.Household(ctx, u.Committee, u.Code)
	if err != nil {
		if errors.Is(err, bot.ErrNotFound) {
			return nil
		}
		return err
	}
	if cur.Version != u.AfterVersion {
		return nil // changed since: 撤销 refuses too
	}
	c := bot.Change{OpID: op, Kind: bot.ChangeUndo, Actor: actor, Committee: u.Committee, Code: u.Code,
		Before: &cur, Undo: bot.UndoPop}
	if u.Before == nil {
		c.Deltas, c.Todo = domain.CounterDeltas(&cur, nil), bot.TodoRemove
	} else {
		back := *u.Before
		back.Version = cur.Version + 1
		c.After, c.Deltas = &back, domain.CounterDeltas(&cur, &back)
		if len(cur.Visits) > 0 && len(back.Visits) == 0 {
			c.Todo = bot.TodoAdd
		}
	}
	_, err = s.Apply(ctx, c)
	return err
}

// checkRollup compares the rollup with the committees' counters, read
// here one by one rather than through CheckRollup, so the test does not
// take the store's word for what the counters are.
func checkRollup(t *testing.T, s *store.Store, when string) {
	t.Helper()
	ctx := context.Background()
	roster := append(slices.Clone(rollupCommittees), "无人登记")
	r, err := s.Rollup(ctx, roster, 1000)
	if err != nil {
		t.Fatal(err)
	}
	sum := domain.Counters{}
	listed := map[string]domain.Counters{}
	for _, g := range r.Groups {
		if g.Count != len(g.Worst) {
			t.Errorf("%s: group of %d lists %d", when, g.Count, len(g.Worst))
		}
		for _, c := range g.Worst {
			listed[c.Name] = c.Counters
		}
	}
	var missing []string
	for _, c := range roster {
		ctr, err := s.Counters(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		sum.Add(ctr)
		switch {
		case c == bot.StreetCommittee: // in no group: 进度 lists it as a committee without records
			if !maps.Equal(ctr, r.Street) {
				t.Errorf("%s: the street's own counters are %v in the rollup, %v stored", when, r.Street, ctr)
			}
			missing = append(missing, c)
		case len(ctr) == 0:
			missing = append(missing, c)
		case !maps.Equal(ctr, listed[c]):
			t.Errorf("%s: %s is %v in the rollup, %v stored", when, c, listed[c], ctr)
		}
	}
	if got := domain.Sub(r.Sum, nil); !maps.Equal(got, domain.Sub(sum, nil)) {
		t.Errorf("%s: rollup sum %v, counters add up to %v", when, got, sum)
	}
	slices.Sort(missing)
	if !slices.Equal(r.Missing, missing) {
		t.Errorf("%s: missing %v, want %v", when, r.Missing, missing)
	}
	diffs, err := s.CheckRollup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Errorf("%s: CheckRollup: %s", when, d)
	}
}

// TestCheckRollupFindsDrift spoils the rollup behind the store's back and
// expects CheckRollup to say so, and RebuildRollup to put it right.
func TestCheckRollupFindsDrift(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	for i, c := range rollupCommittees[:3] {
		h := storetest.Household(c, "1", heads[i])
		if _, err := s.Apply(ctx, registration(&h, "worker1")); err != nil {
			t.Fatal(err)
		}
	}
	if diffs, err := s.CheckRollup(ctx); err != nil || len(diffs) > 0 {
		t.Fatalf("CheckRollup before = %v, %v", diffs, err)
	}
	if err := s.Client().HIncrBy(ctx, s.Prefix()+"{r}:sum", domain.CtrHouseholds, 1).Err(); err != nil {
		t.Fatal(err)
	}
	diffs, err := s.CheckRollup(ctx)
	if err != nil || len(diffs) != 1 {
		t.Fatalf("CheckRollup after spoiling the sum = %q, %v; want one difference", diffs, err)
	}
	if n, err := s.RebuildRollup(ctx); err != nil || n != 3 {
		t.Fatalf("RebuildRollup = %d, %v; want 3 committees", n, err)
	}
	if diffs, err := s.CheckRollup(ctx); err != nil || len(diffs) > 0 {
		t.Fatalf("CheckRollup after the rebuild = %v, %v", diffs, err)
	}
}

// TestRollupOrder checks that a group lists its committees as 进度 orders
// committees with the same tasks overdue: none registered first, then by
// the share visited, more unpaid first, then by name.
func TestRollupOrder(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	set := func(c string, ctr map[string]int64) {
		t.Helper()
		if err := s.AddCounters(ctx, c, ctr); err != nil {
			t.Fatal(err)
		}
	}
	set("丁", map[string]int64{domain.CtrHouseholds: 3, domain.CtrVisited: 1, domain.CtrShort: 10})
	set("乙", map[string]int64{domain.CtrHouseholds: 2, domain.CtrVisited: 1, domain.CtrShort: 5})
	set("甲", map[string]int64{domain.CtrHouseholds: 4, domain.CtrVisited: 2, domain.CtrShort: 5})
	set("丙", map[string]int64{domain.CtrDonations: 100})
	set("戊", map[string]int64{domain.CtrHouseholds: 3, domain.CtrVisited: 1, domain.CtrShort: 10})
	set("己", map[string]int64{domain.CtrHouseholds: 2, domain.CtrVisited: 2})
	r, err := s.Rollup(ctx, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range r.Groups {
		var names []string
		for _, c := range g.Worst {
			names = append(names, c.Name)
		}
		got = append(got, fmt.Sprint(names))
	}
	slices.Sort(got)
	// 己 has every household visited and paid: a group of its own.
	want := []string{"[丙 丁 戊 乙 甲]", "[己]"}
	if !slices.Equal(got, want) {
		t.Errorf("groups %v, want %v", got, want)
	}
	set("丁", map[string]int64{domain.CtrVisited: 2, domain.CtrShort: -10})
	r, err = s.Rollup(ctx, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range r.Groups {
		if g.Count == 4 && (len(g.Worst) != 2 || g.Worst[0].Name != "丙" || g.Worst[1].Name != "戊") {
			t.Errorf("first two of the group = %v, want 丙 and 戊", g.Worst)
		}
	}
}

// TestRollupAfterScriptFlush empties Redis's script cache, as a restart or
// a failover does, between two changes: the rollup's step queued with
// the second change then runs before it (the change's script is sent
// again), and the store must still bring the change into the rollup.
func TestRollupAfterScriptFlush(t *testing.T) {
	if os.Getenv("REDIS_URL") != "" {
		t.Skip("flushes the script cache, which other users of a shared Redis rely on")
	}
	s := storetest.Open(t)
	ctx := context.Background()
	h := storetest.Household("甘泉一村", "1", "张三")
	if _, err := s.Apply(ctx, registration(&h, "worker1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Client().ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	after := visited(h, 300, domain.VisitorCommittee)
	if _, err := s.Apply(ctx, visit("m:2", &h, &after)); err != nil {
		t.Fatal(err)
	}
	r, err := s.Rollup(ctx, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sum[domain.CtrVisited] != 1 || r.Sum[domain.CtrPaid] != 300 {
		t.Errorf("rollup sum %v: the visit after the flush is missing", r.Sum)
	}
	checkRollup(t, s, "after a script flush")
}

// TestEnsureRollup builds the rollup of a store that has counters but no
// rollup, as after an upgrade, and writes nothing to an empty store.
func TestEnsureRollup(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if err := s.EnsureRollup(ctx); err != nil {
		t.Fatal(err)
	}
	// The rollup's keys share one slot, so one EXISTS counts them.
	r := s.Prefix() + "{r}:"
	rollupKeys := []string{r + "snap", r + "sum", r + "groups", r + "members", r + "epoch", r + "built"}
	if n, err := s.Client().Exists(ctx, rollupKeys...).Result(); err != nil || n > 0 {
		t.Fatalf("EnsureRollup on an empty store wrote %d keys (%v)", n, err)
	}
	h := storetest.Household("甘泉一村", "1", "张三")
	if _, err := s.Apply(ctx, registration(&h, "worker1")); err != nil {
		t.Fatal(err)
	}
	// The store of a version before the rollup: nothing but the counters.
	groups, err := s.Client().HKeys(ctx, r+"groups").Result()
	if err != nil || len(groups) != 1 {
		t.Fatalf("rollup groups %v (%v), want one", groups, err)
	}
	for _, k := range append(rollupKeys, r+"worst:"+groups[0]) {
		if err := s.Client().Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EnsureRollup(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Rollup(ctx, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sum[domain.CtrHouseholds] != 1 || len(got.Groups) != 1 {
		t.Errorf("rollup after EnsureRollup: sum %v, %d groups; want the one household", got.Sum, len(got.Groups))
	}
	checkRollup(t, s, "after EnsureRollup")
}

// TestRollupListsALargeGroup lists a group of more committees than the
// read script fetches at once, in order.
func TestRollupListsALargeGroup(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	const n = 1200
	for i := range n {
		c := fmt.Sprintf("居委%04d", i)
		if err := s.AddCounters(ctx, c, map[string]int64{domain.CtrHouseholds: 10, domain.CtrVisited: int64(i % 10)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.Rollup(ctx, nil, n+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Groups) != 1 || r.Groups[0].Count != n || len(r.Groups[0].Worst) != n {
		t.Fatalf("want one group listing all %d committees, got %d groups", n, len(r.Groups))
	}
	for i, c := range r.Groups[0].Worst[1:] {
		prev := r.Groups[0].Worst[i]
		if len(c.Counters) == 0 || prev.Counters[domain.CtrVisited] > c.Counters[domain.CtrVisited] {
			t.Fatalf("%s (%v) listed after %s (%v)", c.Name, c.Counters, prev.Name, prev.Counters)
		}
	}
}
