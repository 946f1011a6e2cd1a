package app

import (
	"context"
	"fmt"
	"sort"
	"time"

	"songnuan/bot"
	"songnuan/sheet"
	"songnuan/store"
)

// Statistics gathers every committee's households and counters for the
// statistics table. full unseals ID and phone numbers (admins only, audited
// by the caller).
func Statistics(ctx context.Context, st *store.Store, sealer *bot.Sealer, now time.Time, full bool) (sheet.Statistics, error) {
	all, err := st.AllCounters(ctx)
	if err != nil {
		return sheet.Statistics{}, fmt.Errorf("read counters: %w", err)
	}
	names := make([]string, 0, len(all))
	for c := range all {
		names = append(names, c)
	}
	sort.Strings(names)
	s := sheet.Statistics{Title: "元旦春节帮困送温暖统计表", GeneratedAt: now, FullPII: full, Unseal: sealer.Open}
	for _, c := range names {
		hs, err := st.Households(ctx, c)
		if err != nil {
			return sheet.Statistics{}, fmt.Errorf("read households of %s: %w", c, err)
		}
		s.Committees = append(s.Committees, sheet.CommitteeData{Name: c, Households: hs, Counters: all[c]})
	}
	return s, nil
}
