package bottest_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"songnuan/bot"
	"songnuan/bottest"
	"songnuan/domain"
	"songnuan/store/storetest"
)

// fillStore registers perCommittee households in each of committees
// committees straight through the store, as fast as it takes them.
func fillStore(b *testing.B, bt *bottest.Bot, committees, perCommittee int) {
	b.Helper()
	ctx := context.Background()
	for c := range committees {
		name := fmt.Sprintf("甘泉%02d村", c)
		for i := range perCommittee {
			code := strconv.Itoa(i + 1)
			h := storetest.Household(name, code, "户主"+code)
			_, err := bt.Store.Apply(ctx, bot.Change{
				OpID: "bench:" + name + ":" + code, Kind: "register", Actor: "bench", At: bottest.Start,
				Committee: name, Code: code, After: &h, Deltas: domain.CounterDeltas(nil, &h), Todo: 1,
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkProgress measures 进度 for the whole street and for one
// committee at two sizes: ten times the households must not cost more,
// since the views read counters only.
func BenchmarkProgress(b *testing.B) {
	for _, size := range []int{20, 200} {
		bt := bottest.New(b)
		fillStore(b, bt, 30, size)
		for _, view := range []struct{ name, user, text string }{
			{"street", "li", "进度"},
			{"committee", "li", "进度 甘泉07村"},
			{"category", "li", "进度 类别"},
		} {
			b.Run(fmt.Sprintf("%s/households=%d", view.name, 30*size), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := bt.Deliver(view.user, bt.NextMsgID(), view.text); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
