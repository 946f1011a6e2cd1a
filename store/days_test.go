package store_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"songnuan/domain"
	"songnuan/store/storetest"
)

// A store whose visits were recorded before the per-day counter fields
// existed gets them from its households once: a committee's counters and
// the street rollup then hold the daily line its visits say, and a second
// run changes nothing.
func TestAddMissingDays(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	h := register(t, s, "甘泉一村", "张三")
	v := visited(h, 500, domain.VisitorCommittee)
	old := visit("m:old", &h, &v)
	// As a version without day fields applied it.
	maps.DeleteFunc(old.Deltas, func(k string, _ int64) bool { return strings.HasPrefix(k, "day:") })
	if _, err := s.Apply(ctx, old); err != nil {
		t.Fatal(err)
	}
	g := register(t, s, "甘泉二村", "李四")
	w := visited(g, 300, domain.VisitorCommittee)
	if _, err := s.Apply(ctx, visit("m:new", &g, &w)); err != nil {
		t.Fatal(err)
	}
	day := "2024-01-15"
	if ctr, _ := s.Counters(ctx, "甘泉一村"); ctr[domain.DayVisits(day)] != 0 {
		t.Fatalf("the old visit has day fields already: %v", ctr)
	}
	n, err := s.AddMissingDays(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("AddMissingDays changed %d committees, want the one with an old visit", n)
	}
	for c, paid := range map[string]int64{"甘泉一村": 500, "甘泉二村": 300} {
		ctr, err := s.Counters(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if ctr[domain.DayVisits(day)] != 1 || ctr[domain.DayPaid(day)] != paid {
			t.Errorf("%s: day fields %d visits, %d yuan; want 1 and %d", c, ctr[domain.DayVisits(day)], ctr[domain.DayPaid(day)], paid)
		}
	}
	r, err := s.Rollup(ctx, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sum[domain.DayVisits(day)] != 2 || r.Sum[domain.DayPaid(day)] != 800 {
		t.Errorf("street rollup: %d visits, %d yuan on %s; want 2 and 800", r.Sum[domain.DayVisits(day)], r.Sum[domain.DayPaid(day)], day)
	}
	if diffs, err := s.CheckRollup(ctx); err != nil || len(diffs) > 0 {
		t.Errorf("rollup check after AddMissingDays: %v %v", diffs, err)
	}
	if n, err := s.AddMissingDays(ctx); err != nil || n != 0 {
		t.Errorf("second AddMissingDays changed %d committees (%v), want none", n, err)
	}
}
