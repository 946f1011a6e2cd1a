package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/store"
	"songnuan/store/storetest"
)

// update is a correction of h as the bot would apply it (undoable, so the
// last-undo pointer rides in the same pipeline).
func update(opID string, h *bot.Household) (bot.Change, bot.Household) {
	after := *h
	after.Version++
	after.Size = 2 + int(after.Version%3)
	return bot.Change{
		OpID: opID, Kind: "update", Actor: "worker1", At: at, Committee: h.Committee, Code: h.Code,
		Before: h, After: &after, Deltas: bot.CounterDeltas(h, &after), Undoable: true,
		Result: "已更新", Audit: "更新 " + h.Head + " 人数",
	}, after
}

func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		s := storetest.Open(b)
		h := visited(register(b, s, "甘泉一村", "张三"), 500, bot.VisitorCommittee)
		h.Version = 1
		h = overwrite(b, s, h)
		i := 0
		for b.Loop() {
			c, after := update("m:"+strconv.Itoa(i), &h)
			if _, err := s.Apply(ctx, c); err != nil {
				b.Fatal(err)
			}
			h = after
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := storetest.Open(b)
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			w := n.Add(1)
			committee := fmt.Sprintf("居委%d", w%4)
			h := register(b, s, committee, fmt.Sprintf("户主%d", w))
			for i := 0; pb.Next(); i++ {
				c, after := update(fmt.Sprintf("m:%d:%d", w, i), &h)
				if _, err := s.Apply(ctx, c); err != nil {
					b.Error(err)
					return
				}
				h = after
			}
		})
	})
}

// overwrite stores h as the next version of its household and returns it.
func overwrite(b *testing.B, s *store.Store, h bot.Household) bot.Household {
	cur, err := s.Household(context.Background(), h.Committee, h.Code)
	if err != nil {
		b.Fatal(err)
	}
	h.Version = cur.Version + 1
	c := bot.Change{OpID: "m:overwrite", Kind: "update", Committee: h.Committee, Code: h.Code,
		Before: &cur, After: &h, Deltas: bot.CounterDeltas(&cur, &h)}
	if _, err := s.Apply(context.Background(), c); err != nil {
		b.Fatal(err)
	}
	return h
}

func BenchmarkClaimMessage(b *testing.B) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		s := storetest.Open(b)
		i := 0
		for b.Loop() {
			if _, _, err := s.ClaimMessage(ctx, strconv.Itoa(i), time.Minute); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := storetest.Open(b)
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := s.ClaimMessage(ctx, strconv.FormatInt(n.Add(1), 10), time.Minute); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkSaveReplyOnce(b *testing.B) {
	ctx := context.Background()
	s := storetest.Open(b)
	i := 0
	for b.Loop() {
		if _, err := s.SaveReplyOnce(ctx, strconv.Itoa(i), "帮助：登记 张三 低保 3人 居委:甘泉一村", time.Minute); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkHouseholdMemory stores 1000 realistic households (each
// registered and visited once) and reports what Redis spends per
// household: on the household itself (JSON, version, heads index,
// not-yet-visited set, counters) and on its history (undo records, audit
// entries, op markers until they expire). Only on a real Redis: the
// embedded one cannot measure memory.
func BenchmarkHouseholdMemory(b *testing.B) {
	if os.Getenv("REDIS_URL") == "" {
		b.Skip("MEMORY USAGE needs a real Redis: set REDIS_URL")
	}
	ctx := context.Background()
	s := storetest.Open(b)
	const n = 1000
	for i := range n {
		h := register(b, s, "甘泉一村", fmt.Sprintf("户主%d", i))
		after := visited(h, 1460, bot.VisitorCommittee)
		if i%2 == 0 { // half are still to visit
			continue
		}
		if _, err := s.Apply(ctx, visit("m:"+h.Code, &h, &after)); err != nil {
			b.Fatal(err)
		}
	}
	usage := func(key string) int64 {
		v, err := s.Client().MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			b.Fatalf("MEMORY USAGE %s: %v", key, err)
		}
		return v
	}
	p := s.Prefix() + "{c:甘泉一村}:"
	var household, history int64
	for _, k := range []string{"hh", "ver", "head", "todo", "ctr"} {
		household += usage(p + k)
	}
	history = usage(p+"undo:worker1") + usage(p+"audit")
	iter := s.Client().Scan(ctx, 0, p+"op:*", 1000).Iterator()
	for iter.Next(ctx) {
		history += usage(iter.Val())
	}
	for b.Loop() { // the timed part: one MEMORY USAGE of the households hash
		usage(p + "hh")
	}
	b.ReportMetric(float64(household)/n, "B/household")
	b.ReportMetric(float64(history)/n, "B-history/household")
}
