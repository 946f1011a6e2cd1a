package sheet

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	"songnuan/bot"
	"songnuan/domain"
)

// Source is what the statistics query reads: every committee's counters
// and households. The Redis store is one; the tests' in-memory store
// another.
type Source interface {
	AllCounters(ctx context.Context) (map[string]domain.Counters, error)
	Households(ctx context.Context, committee string) ([]domain.Household, error)
}

// Gather collects every committee's households and counters for the
// statistics table. full unseals ID and phone numbers (admins only, audited
// by the caller).
func Gather(ctx context.Context, st Source, sealer *bot.Sealer, now time.Time, full bool) (Statistics, error) {
	all, err := st.AllCounters(ctx)
	if err != nil {
		return Statistics{}, fmt.Errorf("read counters: %w", err)
	}
	names := make([]string, 0, len(all))
	for c := range all {
		names = append(names, c)
	}
	sort.Strings(names)
	s := Statistics{Title: "元旦春节帮困送温暖统计表", GeneratedAt: now, FullPII: full, Unseal: sealer.Open}
	for _, c := range names {
		hs, err := st.Households(ctx, c)
		if err != nil {
			return Statistics{}, fmt.Errorf("read households of %s: %w", c, err)
		}
		s.Committees = append(s.Committees, CommitteeData{Name: c, Households: hs, Counters: all[c]})
	}
	return s, nil
}

// exportZone names export files by the campaign's (Shanghai) date.
var exportZone = time.FixedZone("CST", 8*3600)

// Exporter is bot.Config.Exporter over a store: the statistics table of
// every committee as an .xlsx file named by the campaign date. full puts
// whole ID and phone numbers in it; the bot audits such a request before
// calling.
func Exporter(st Source, sealer *bot.Sealer, clock domain.Clock) func(ctx context.Context, full bool) (*domain.File, error) {
	return func(ctx context.Context, full bool) (*domain.File, error) {
		now := clock()
		stats, err := Gather(ctx, st, sealer, now, full)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := WriteStatistics(&buf, stats); err != nil {
			return nil, err
		}
		name := "帮困送温暖统计表_" + now.In(exportZone).Format("20060102")
		if full {
			name += "_完整"
		}
		return &domain.File{Name: name + ".xlsx", Data: buf.Bytes()}, nil
	}
}
