package store_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/store"
	"songnuan/store/storetest"
)

// update is a correction of h as the bot would apply it (undoable, so the
// last-undo pointer rides in the same pipeline).
func update(opID string, h *domain.Household) (bot.Change, domain.Household) {
	after := *h
	after.Version++
	after.Size = 2 + int(after.Version%3)
	return bot.Change{
		OpID: opID, Kind: "update", Actor: "worker1", At: at, Committee: h.Committee, Code: h.Code,
		Before: h, After: &after, Deltas: domain.CounterDeltas(h, &after), Undo: bot.UndoPush,
		Result: "已更新", Audit: "更新 " + h.Head + " 人数",
	}, after
}

func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		s := storetest.Open(b)
		h := visited(register(b, s, "甘泉一村", "张三"), 500, domain.VisitorCommittee)
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
func overwrite(b *testing.B, s *store.Store, h domain.Household) domain.Household {
	cur, err := s.Household(context.Background(), h.Committee, h.Code)
	if err != nil {
		b.Fatal(err)
	}
	h.Version = cur.Version + 1
	c := bot.Change{OpID: "m:overwrite", Kind: "update", Committee: h.Committee, Code: h.Code,
		Before: &cur, After: &h, Deltas: domain.CounterDeltas(&cur, &h)}
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
