package store_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/store"
	"songnuan/store/storetest"
)

// TestCountersFollowHouseholds applies random registrations, visits,
// corrections, removals and donations, each with the deltas the bot would
// send, and checks that the stored counters are the sum of
// domain.CounterFields over the stored households (plus donations), and that
// the heads index and the not-yet-visited set agree with the households.
func TestCountersFollowHouseholds(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s := storetest.Open(t)
			rng := rand.New(rand.NewPCG(seed, 2024))
			m := model{s: s, rng: rng, t: t, live: map[string]domain.Household{}}
			for step := range 150 {
				m.step(step)
			}
			m.check()
		})
	}
}

type model struct {
	s         *store.Store
	rng       *rand.Rand
	t         *testing.T
	live      map[string]domain.Household // what should be stored, by code
	donations int64
}

const committee = "甘泉一村"

var heads = []string{"张三", "李四", "王五", "赵六", "张三丰"}

func (m *model) step(i int) {
	ctx := context.Background()
	codes := slices.Sorted(maps.Keys(m.live))
	op := m.rng.IntN(10)
	if len(codes) == 0 {
		op = 0
	}
	var c bot.Change
	switch {
	case op <= 2: // register
		code, err := m.s.NextCode(ctx, committee)
		if err != nil {
			m.t.Fatal(err)
		}
		h := storetest.Household(committee, code, heads[m.rng.IntN(len(heads))])
		h.Size = 1 + m.rng.IntN(5)
		c = registration(&h, "worker1")
	case op <= 5: // visit, by committee staff or a leader
		before := m.live[codes[m.rng.IntN(len(codes))]]
		who := []domain.Visitor{domain.VisitorCommittee, domain.VisitorCommittee, domain.VisitorDistrict, domain.VisitorStreet}[m.rng.IntN(4)]
		after := visited(before, int64(m.rng.IntN(3000)), who)
		c = visit(fmt.Sprintf("m:%d", i), &before, &after)
	case op <= 7: // correction: size, head, an item needing its amount
		before := m.live[codes[m.rng.IntN(len(codes))]]
		after := before
		after.Version++
		after.Size = 1 + m.rng.IntN(6)
		after.Head = heads[m.rng.IntN(len(heads))]
		after.Entitlement.Items = slices.Clone(before.Entitlement.Items)
		if m.rng.IntN(2) == 0 {
			after.Entitlement.Items = append(after.Entitlement.Items, domain.EntitlementItem{
				Item: "18", Name: "妇联帮困", Category: "妇联", Fund: "市妇联拨款", NeedsAmount: true,
			})
		} else {
			after.Entitlement.Items[0].Amount = int64(500 + m.rng.IntN(1500))
		}
		after.Entitlement.Total = 0
		for _, it := range after.Entitlement.Items {
			after.Entitlement.Total += it.Amount
		}
		c = bot.Change{OpID: fmt.Sprintf("m:%d", i), Kind: "update", Actor: "worker1", Committee: committee,
			Code: before.Code, Before: &before, After: &after, Deltas: domain.CounterDeltas(&before, &after), Undo: bot.UndoPush}
	case op == 8: // removal, as an undo of a registration
		before := m.live[codes[m.rng.IntN(len(codes))]]
		c = bot.Change{OpID: fmt.Sprintf("m:%d", i), Kind: "undo", Actor: "worker1", Committee: committee,
			Code: before.Code, Before: &before, Deltas: domain.CounterDeltas(&before, nil), Todo: -1, Undo: bot.UndoPop}
	default: // donation
		d := int64(m.rng.IntN(1000))
		if err := m.s.AddCounters(ctx, committee, map[string]int64{domain.CtrDonations: d}); err != nil {
			m.t.Fatal(err)
		}
		m.donations += d
		return
	}
	applied, err := m.s.Apply(ctx, c)
	if err != nil {
		m.t.Fatalf("step %d %s: %v", i, c.Kind, err)
	}
	if c.After == nil {
		delete(m.live, c.Code)
	} else {
		m.live[c.Code] = *c.After
	}
	if want := m.want(); !maps.Equal(applied.Counters, want) {
		m.t.Fatalf("step %d %s: Applied.Counters = %v, want %v", i, c.Kind, applied.Counters, want)
	}
}

// want is what the counters must be: the fields of every live household
// and the donations.
func (m *model) want() domain.Counters {
	want := domain.Counters{}
	for _, h := range m.live {
		for k, v := range domain.CounterFields(&h) {
			want[k] += v
		}
	}
	want[domain.CtrDonations] += m.donations
	maps.DeleteFunc(want, func(_ string, v int64) bool { return v == 0 })
	return want
}

func (m *model) check() {
	ctx := context.Background()
	got, err := m.s.Counters(ctx, committee)
	if err != nil {
		m.t.Fatal(err)
	}
	if want := m.want(); !maps.Equal(got, want) {
		m.t.Errorf("Counters = %v\nwant %v", got, want)
	}
	hs, err := m.s.Households(ctx, committee)
	if err != nil {
		m.t.Fatal(err)
	}
	if len(hs) != len(m.live) {
		m.t.Errorf("%d households stored, want %d", len(hs), len(m.live))
	}
	for _, h := range hs {
		sameHousehold(m.t, h, m.live[h.Code])
	}
	for _, head := range heads {
		found, err := m.s.FindByHead(ctx, committee, head)
		if err != nil {
			m.t.Fatal(err)
		}
		var got, want []string
		for _, h := range found {
			got = append(got, h.Code)
		}
		for _, h := range hs {
			if h.Head == head {
				want = append(want, h.Code)
			}
		}
		if !slices.Equal(got, want) {
			m.t.Errorf("FindByHead(%s) = %v, want %v", head, got, want)
		}
	}
	refs, total, err := m.s.Unvisited(ctx, committee, 1000)
	if err != nil {
		m.t.Fatal(err)
	}
	var got2, want2 []string
	for _, r := range refs {
		got2 = append(got2, r.Code+":"+r.Head)
	}
	for _, h := range hs {
		if len(h.Visits) == 0 {
			want2 = append(want2, h.Code+":"+h.Head)
		}
	}
	if !slices.Equal(got2, want2) || total != len(want2) {
		m.t.Errorf("Unvisited = %v (%d), want %v", got2, total, want2)
	}
}
