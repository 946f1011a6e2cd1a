package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/store/storetest"
)

func TestAddCountersOnceCountsARedeliveryOnce(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	c := bot.CounterChange{
		OpID: "m:7301", Kind: "donation", Actor: "wang", At: at, Committee: "甘泉一村",
		Deltas: map[string]int64{domain.CtrDonations: 5000, "donation:s:一日捐": 5000},
		Result: "已记录捐款 5000元", Audit: "王芳 捐款 一日捐 5000元",
	}
	first, err := s.AddCountersOnce(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if first.Replayed || first.Result != c.Result || first.Counters[domain.CtrDonations] != 5000 {
		t.Fatalf("first add = %+v, want applied with 5000 donated", first)
	}
	again := c
	again.Result = "a different answer"
	again.Deltas = map[string]int64{domain.CtrDonations: 9999}
	second, err := s.AddCountersOnce(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Replayed || second.Result != c.Result || second.Counters[domain.CtrDonations] != 5000 {
		t.Errorf("re-delivery = %+v, want a replay of %q with 5000 donated", second, c.Result)
	}
	ctr, err := s.Counters(ctx, "甘泉一村")
	if err != nil {
		t.Fatal(err)
	}
	if ctr[domain.CtrDonations] != 5000 || ctr["donation:s:一日捐"] != 5000 {
		t.Errorf("counters = %v, want 5000 donated once", ctr)
	}
	all, err := s.AllCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if all["甘泉一村"][domain.CtrDonations] != 5000 {
		t.Errorf("AllCounters misses the committee: %v", all)
	}
	audit, err := s.Audit(ctx, "甘泉一村", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Kind != "donation" || audit[0].OpID != "m:7301" || audit[0].Detail != c.Audit {
		t.Errorf("audit = %+v, want the one donation", audit)
	}
}

func TestAddCountersOnceConcurrentDeliveries(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var applied atomic.Int32
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Four messages, each delivered twice at once.
			op := fmt.Sprintf("m:%d", i%4)
			a, err := s.AddCountersOnce(ctx, bot.CounterChange{OpID: op, Kind: "donation", At: at, Committee: "c1",
				Deltas: map[string]int64{domain.CtrDonations: 100}, Result: op})
			if err != nil {
				t.Error(err)
				return
			}
			if !a.Replayed {
				applied.Add(1)
			}
		}()
	}
	wg.Wait()
	ctr, err := s.Counters(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if applied.Load() != 4 || ctr[domain.CtrDonations] != 400 {
		t.Errorf("%d applied, donations %d; want 4 and 400", applied.Load(), ctr[domain.CtrDonations])
	}
}

func TestAddCountersOnceRefusesAnIncompleteChange(t *testing.T) {
	s := storetest.Open(t)
	for _, c := range []bot.CounterChange{
		{Committee: "c1", Deltas: map[string]int64{domain.CtrDonations: 1}},
		{OpID: "m:1", Deltas: map[string]int64{domain.CtrDonations: 1}},
	} {
		if _, err := s.AddCountersOnce(context.Background(), c); err == nil {
			t.Errorf("AddCountersOnce(%+v) succeeded", c)
		}
	}
}

func TestAddAudit(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	e := bot.AuditEntry{Committee: bot.StreetCommittee, Kind: "export", Actor: "admin", At: at, OpID: "m:9", Detail: "导出完整统计表"}
	if err := s.AddAudit(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.Audit(ctx, bot.StreetCommittee, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != e.Kind || got[0].Actor != e.Actor || !got[0].At.Equal(at) || got[0].OpID != e.OpID || got[0].Detail != e.Detail {
		t.Errorf("audit = %+v, want %+v", got, e)
	}
	if err := s.AddAudit(ctx, bot.AuditEntry{Kind: "export"}); err == nil {
		t.Error("an entry without a committee was accepted")
	}
	// A standalone entry is no committee's counters.
	all, err := s.AllCounters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 0 {
		t.Errorf("AllCounters = %v after an audit entry, want none", all)
	}
}

func TestPendingIsTakenOnce(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if _, err := s.TakePending(ctx, "admin", "broadcast"); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("take with nothing pending: %v, want ErrNotFound", err)
	}
	if err := s.PutPending(ctx, "admin", "broadcast", "first", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPending(ctx, "admin", "broadcast", "second", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPending(ctx, "other", "broadcast", "theirs", time.Minute); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	got := make(chan string, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.TakePending(ctx, "admin", "broadcast")
			switch {
			case err == nil:
				got <- v
			case !errors.Is(err, bot.ErrNotFound):
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	close(got)
	var vs []string
	for v := range got {
		vs = append(vs, v)
	}
	if len(vs) != 1 || vs[0] != "second" {
		t.Errorf("concurrent takes got %q, want the latest value once", vs)
	}
	if v, err := s.TakePending(ctx, "other", "broadcast"); err != nil || v != "theirs" {
		t.Errorf("another user's pending = %q, %v", v, err)
	}
	if err := s.PutPending(ctx, "admin", "broadcast", "x", 0); err == nil {
		t.Error("a pending value without a TTL was accepted")
	}
}

func TestPendingExpires(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if err := s.PutPending(ctx, "admin", "broadcast", "v", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// The embedded Redis counts TTLs down every 100ms of real time.
	time.Sleep(400 * time.Millisecond)
	if v, err := s.TakePending(ctx, "admin", "broadcast"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("expired pending = %q, %v; want ErrNotFound", v, err)
	}
}

func rescueReport(place string) bot.RescueReport {
	return bot.RescueReport{Place: place, Situation: "老人衣着单薄", By: "wang", ByName: "王芳", Committee: "甘泉一村", At: at, MsgID: "7301"}
}

func TestRescueReports(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	r1, created, err := s.OpenRescue(ctx, "m:1", rescueReport("甘泉公园"))
	if err != nil || !created || r1.ID != "1" {
		t.Fatalf("first report = %+v, %v, %v; want number 1 created", r1, created, err)
	}
	again, created, err := s.OpenRescue(ctx, "m:1", rescueReport("别处"))
	if err != nil || created || again.ID != "1" || again.Place != "甘泉公园" {
		t.Errorf("re-delivered report = %+v, created %v, %v; want report 1 as first recorded", again, created, err)
	}
	r2, _, err := s.OpenRescue(ctx, "m:2", rescueReport("宜川路桥下"))
	if err != nil || r2.ID != "2" {
		t.Fatalf("second report = %+v, %v", r2, err)
	}
	if r2.Situation != "老人衣着单薄" || r2.ByName != "王芳" || r2.Committee != "甘泉一村" || !r2.At.Equal(at) || !r2.ClosedAt.IsZero() {
		t.Errorf("second report = %+v, fields lost", r2)
	}
	open, n, err := s.OpenRescues(ctx, 10)
	if err != nil || n != 2 || len(open) != 2 || open[0].ID != "1" || open[1].ID != "2" {
		t.Fatalf("open = %+v, %d, %v; want 1 and 2", open, n, err)
	}
	closedAt := at.Add(time.Hour)
	c, closed, err := s.CloseRescue(ctx, "1", "admin", closedAt)
	if err != nil || !closed || c.ID != "1" || c.ClosedBy != "admin" || !c.ClosedAt.Equal(closedAt) || c.Place != "甘泉公园" {
		t.Errorf("close = %+v, %v, %v", c, closed, err)
	}
	c, closed, err = s.CloseRescue(ctx, "1", "li", closedAt.Add(time.Hour))
	if err != nil || closed || c.ClosedBy != "admin" || !c.ClosedAt.Equal(closedAt) {
		t.Errorf("second close = %+v, %v, %v; want the first closing unchanged", c, closed, err)
	}
	for _, id := range []string{"3", "x", ""} {
		if _, _, err := s.CloseRescue(ctx, id, "admin", closedAt); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("close %q: %v, want ErrNotFound", id, err)
		}
	}
	open, n, err = s.OpenRescues(ctx, 1)
	if err != nil || n != 1 || len(open) != 1 || open[0].ID != "2" {
		t.Errorf("open after closing 1 = %+v, %d, %v; want only 2", open, n, err)
	}
	if open, n, err = s.OpenRescues(ctx, 0); err != nil || n != 1 || len(open) != 0 {
		t.Errorf("count only = %+v, %d, %v", open, n, err)
	}
}

func TestRescueAlerted(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.OpenRescue(ctx, "m:1", rescueReport("甘泉公园")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.OpenRescue(ctx, "m:2", rescueReport("宜川路桥下")); err != nil {
		t.Fatal(err)
	}
	if r, created, err := s.OpenRescue(ctx, "m:1", rescueReport("甘泉公园")); err != nil || created || !r.Alerted.IsZero() {
		t.Fatalf("re-delivery before any alert = %+v, created %v, %v; want not alerted", r, created, err)
	}
	sent := at.Add(time.Minute)
	if err := s.MarkRescueAlerted(ctx, "1", sent); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRescueAlerted(ctx, "1", sent.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, created, err := s.OpenRescue(ctx, "m:1", rescueReport("别处"))
	if err != nil || created || r.ID != "1" || r.Place != "甘泉公园" || !r.Alerted.Equal(sent) {
		t.Errorf("re-delivery after the alert = %+v, created %v, %v; want report 1 alerted at %v, the first mark", r, created, err, sent)
	}
	if r, _, err := s.OpenRescue(ctx, "m:2", rescueReport("宜川路桥下")); err != nil || r.ID != "2" || !r.Alerted.IsZero() {
		t.Errorf("report 2 = %+v, %v; want it not alerted", r, err)
	}
	if r, created, err := s.OpenRescue(ctx, "m:3", rescueReport("新地点")); err != nil || !created || !r.Alerted.IsZero() {
		t.Errorf("new report = %+v, created %v, %v; want created, not alerted", r, created, err)
	}
	for _, id := range []string{"9", "x", ""} {
		if err := s.MarkRescueAlerted(ctx, id, sent); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("mark %q: %v, want ErrNotFound", id, err)
		}
	}
}

func TestUnalertedRescues(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	if got, err := s.UnalertedRescues(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("no reports: %+v, %v; want none", got, err)
	}
	for i, place := range []string{"甘泉公园", "宜川路桥下", "志丹路", "西乡路", "沪太路"} {
		if _, _, err := s.OpenRescue(ctx, fmt.Sprintf("m:%d", i), rescueReport(place)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkRescueAlerted(ctx, "2", at); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CloseRescue(ctx, "3", "admin", at); err != nil {
		t.Fatal(err)
	}
	ids := func(rs []bot.RescueReport) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID+r.Place)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		newest int
		want   string
	}{
		{10, "1甘泉公园,4西乡路,5沪太路"},
		{4, "1甘泉公园,4西乡路,5沪太路"}, // the newest four open: 1, 2, 4, 5
		{3, "4西乡路,5沪太路"},
		{1, "5沪太路"},
		{0, ""},
	}
	for _, tt := range tests {
		got, err := s.UnalertedRescues(ctx, tt.newest)
		if err != nil {
			t.Fatal(err)
		}
		if ids(got) != tt.want {
			t.Errorf("UnalertedRescues(%d) = %s, want %s", tt.newest, ids(got), tt.want)
		}
	}
}

func TestRescueNumbersUnderConcurrency(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Ten messages, each delivered twice at once.
			r, _, err := s.OpenRescue(ctx, "m:"+strconv.Itoa(i%10), rescueReport("p"+strconv.Itoa(i%10)))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = r.ID
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range 10 {
		if ids[i] != ids[i+10] {
			t.Errorf("deliveries of message %d got reports %s and %s", i, ids[i], ids[i+10])
		}
		if seen[ids[i]] {
			t.Errorf("report %s given to two messages", ids[i])
		}
		seen[ids[i]] = true
	}
	if _, n, err := s.OpenRescues(ctx, 0); err != nil || n != 10 {
		t.Errorf("%d open, %v; want 10", n, err)
	}
}
