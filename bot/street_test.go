package bot

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"songnuan/domain"
	"songnuan/internal/campaigntest"
	"songnuan/schedule"
)

// TestStreetProgressFromRollup checks city-wide 进度, read from the
// rollup, against the street view as it was built before there was one:
// from every committee's counters, one row per committee. Random streets
// of a few to a city's thousands of committees (some with staff and no
// records, some with records and no staff, the street's own records), at
// moments before, during and after the deadlines, must get the same
// reply to the byte, as text or as markdown.
func TestStreetProgressFromRollup(t *testing.T) {
	days := []time.Time{
		time.Date(2023, 12, 25, 9, 0, 0, 0, campaignZone),
		time.Date(2024, 1, 15, 9, 0, 0, 0, campaignZone),
		time.Date(2024, 1, 25, 9, 0, 0, 0, campaignZone),
		time.Date(2024, 2, 10, 9, 0, 0, 0, campaignZone),
		time.Date(2024, 3, 10, 9, 0, 0, 0, campaignZone),
	}
	for _, n := range []int{0, 3, 12, 40, 150, 2500} {
		for seed := range uint64(3) {
			rng := rand.New(rand.NewPCG(seed, uint64(n)))
			st := randomStreet(rng, n)
			for _, day := range days {
				name := fmt.Sprintf("%d committees, seed %d, %s", n, seed, day.Format("2006-01-02"))
				t.Run(name, func(t *testing.T) {
					b := streetBot(t, st, day)
					got, err := b.Handle(context.Background(), Incoming{MsgID: "1", From: "leader", MsgType: "text", Text: "进度"})
					if err != nil {
						t.Fatal(err)
					}
					want := oracleStreetProgress(b, st.all)
					if got.Text != want.Text || got.Markdown != want.Markdown {
						t.Errorf("reply differs from the view built from every committee:\n got %q\n%q\nwant %q\n%q",
							got.Text, got.Markdown, want.Text, want.Markdown)
					}
					if st.rollupReads == 0 {
						t.Error("进度 did not read the rollup")
					}
				})
			}
		}
	}
}

// streetStore is a street in memory: its Rollup groups the committees by
// the tasks they have done, each group worst first.
type streetStore struct {
	noStore
	all         map[string]domain.Counters // every committee with counters
	staffed     []string                   // committees with a worker
	rollupReads int
}

func (s *streetStore) OpenRescues(context.Context, int) ([]RescueReport, int, error) {
	return nil, 0, nil
}

// RememberAsked keeps nothing: 进度 is remembered for follow-ups, which
// this test does not ask.
func (s *streetStore) RememberAsked(context.Context, string, string, time.Duration) error {
	return nil
}

func (s *streetStore) Rollup(_ context.Context, roster []string, top int) (Rollup, error) {
	s.rollupReads++
	r := Rollup{Sum: domain.Counters{}, Street: s.all[StreetCommittee]}
	groups := map[string][]progressRow{}
	sched := campaigntest.Schedule()
	for c, ctr := range s.all {
		r.Sum.Add(ctr)
		if c == StreetCommittee {
			continue
		}
		var done []string
		for _, st := range sched.CommitteeStatus(time.Time{}, ctr) {
			if st.State == schedule.TaskDone {
				done = append(done, st.Task.ID)
			}
		}
		key := strings.Join(done, ",")
		groups[key] = append(groups[key], bareRow(c, ctr))
	}
	for _, key := range slices.Sorted(maps.Keys(groups)) {
		rows := groups[key]
		slices.SortFunc(rows, worseFirst)
		g := RollupGroup{Count: len(rows)}
		for _, row := range rows[:min(top, len(rows))] {
			g.Worst = append(g.Worst, CommitteeCounters{Name: row.name, Counters: s.all[row.name]})
		}
		r.Groups = append(r.Groups, g)
	}
	for _, c := range roster {
		if _, ok := s.all[c]; !ok || c == StreetCommittee {
			r.Missing = append(r.Missing, c)
		}
	}
	slices.Sort(r.Missing)
	return r, nil
}

// randomStreet makes n committees' counters: most with staff, a few
// without, some with staff and nothing recorded, and the street's own.
func randomStreet(rng *rand.Rand, n int) *streetStore {
	st := &streetStore{all: map[string]domain.Counters{}}
	chars := []rune("甘泉宜川志丹梅浦新村虹林枫庄五六七一二三四")
	names := map[string]bool{}
	for len(names) < n {
		var b strings.Builder
		for range 2 + rng.IntN(4) {
			b.WriteRune(chars[rng.IntN(len(chars))])
		}
		names[b.String()] = true
	}
	for _, c := range slices.Sorted(maps.Keys(names)) {
		if rng.IntN(10) > 0 {
			st.staffed = append(st.staffed, c)
		}
		if rng.IntN(8) == 0 {
			continue // nothing recorded
		}
		ctr := domain.Counters{}
		if hh := int64(rng.IntN(81)); hh > 0 && rng.IntN(10) > 0 {
			ctr[domain.CtrHouseholds] = hh
			ctr[domain.CtrPersons] = hh + int64(rng.IntN(int(hh)+1))
			ctr[domain.CtrVisited] = []int64{0, hh, int64(rng.IntN(int(hh) + 1))}[rng.IntN(3)]
			ctr[domain.CtrDue] = hh * int64(500+rng.IntN(5)*100)
			ctr[domain.CtrPaid] = []int64{0, ctr[domain.CtrDue], ctr[domain.CtrDue] * ctr[domain.CtrVisited] / hh}[rng.IntN(3)]
			ctr[domain.CtrShort] = ctr[domain.CtrDue] - ctr[domain.CtrPaid]
			if rng.IntN(5) == 0 {
				ctr[domain.CtrOver] = int64(rng.IntN(300))
				ctr[domain.CtrPaid] += ctr[domain.CtrOver]
			}
			ctr[domain.CtrNeedAmount] = int64(rng.IntN(2))
		}
		for _, task := range []string{"plan", "list", "summary"} {
			if rng.IntN(2) == 0 {
				ctr[schedule.ReportedCounter(task)] = 1
			}
		}
		if rng.IntN(4) == 0 {
			ctr[domain.CtrDonations] = int64(rng.IntN(5000))
		}
		maps.DeleteFunc(ctr, func(_ string, v int64) bool { return v == 0 })
		if len(ctr) > 0 {
			st.all[c] = ctr
		}
	}
	if n > 0 {
		st.all[StreetCommittee] = domain.Counters{domain.CtrDonations: 120000}
	}
	return st
}

// streetBot is a bot over st at day, with a leader and a worker for each
// staffed committee.
func streetBot(tb testing.TB, st *streetStore, day time.Time) *Bot {
	tb.Helper()
	staff := domain.Directory{"leader": {UserID: "leader", Name: "赵敏", Role: domain.RoleLeader}}
	for i, c := range st.staffed {
		id := fmt.Sprintf("w%d", i)
		staff[id] = domain.Staff{UserID: id, Name: "社工", Role: domain.RoleWorker, Committee: c}
	}
	sealer, err := NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := New(Config{Store: st, Policy: campaigntest.Policy(), Schedule: campaigntest.Schedule(), Staff: staff,
		Clock: func() time.Time { return day }, Sealer: sealer})
	if err != nil {
		tb.Fatal(err)
	}
	st.rollupReads = 0
	return b
}

// oracleStreetProgress is city-wide 进度 as it was built before the
// rollup: a row per committee from every committee's counters.
func oracleStreetProgress(b *Bot, all map[string]domain.Counters) Reply {
	committees := committeeOnly(all)
	names := slices.Clone(b.committees)
	known := make(map[string]bool, len(names))
	for _, c := range names {
		known[c] = true
	}
	for c := range committees {
		if !known[c] {
			names = append(names, c)
		}
	}
	rows := make([]progressRow, 0, len(names))
	for _, c := range names {
		rows = append(rows, b.progressRow(c, committees[c]))
	}
	slices.SortFunc(rows, worseFirst)

	total := sumRows(rows)
	head := []string{
		fmt.Sprintf("全街道%d个居委：已走访 %d/%d户（%d%%），已发 %d/%d元，未发 %d元",
			len(rows), total.visited, total.hh, percent(total.visited, total.hh), total.paid, total.due, total.short),
		b.moneyNotes(total.need, total.over, total.donations+all[StreetCommittee][domain.CtrDonations], all[StreetCommittee][domain.CtrDonations]),
		oracleOverdue(rows),
	}
	foot := []string{rescueLine(nil, 0), "细看：进度 " + b.exampleCommittee() + "｜进度 类别｜进度 资金"}
	ls := append([]string{"【进度】" + b.asOf()}, head...)
	for i, r := range rows {
		ls = append(ls, r.line(i+1))
	}
	text := lines(append(ls, foot...)...)
	if len(text) <= maxMessageBytes {
		return Reply{Text: text}
	}
	top := lines(append([]string{"**帮困送温暖进度**（" + b.asOf() + "）"}, head...)...)
	bottom := lines(foot...)
	build := func(n int) string {
		ls := []string{top}
		for i, r := range rows[:n] {
			l := r.line(i + 1)
			if len(r.overdue) > 0 {
				l = `<font color="warning">` + l + `</font>`
			}
			ls = append(ls, l)
		}
		rest := ""
		if n < len(rows) {
			t := sumRows(rows[n:])
			late := 0
			for _, r := range rows[n:] {
				if len(r.overdue) > 0 {
					late++
				}
			}
			rest = fmt.Sprintf("……另有%d个居委：已走访 %d/%d户，已发 %d/%d元，其中%d个有逾期事项；发送“进度 居委名”查看",
				len(rows)-n, t.visited, t.hh, t.paid, t.due, late)
		}
		return lines(append(ls, rest, bottom)...)
	}
	n := 0
	for n < len(rows) && len(build(n+1)) <= maxMessageBytes {
		n++
	}
	return Reply{Markdown: build(n)}
}

// oracleOverdue is the overdue line as it was counted from every row.
func oracleOverdue(rows []progressRow) string {
	return overdueLine(oracleOverdueCounts(rows))
}

// oracleOverdueCounts is each overdue task with how many rows have it,
// in deadline order, as it was counted from every row.
func oracleOverdueCounts(rows []progressRow) []TaskCount {
	count := map[string]int{}
	var order []schedule.Task
	for _, r := range rows {
		for _, t := range r.overdue {
			if count[t.ID] == 0 {
				order = append(order, t)
			}
			count[t.ID]++
		}
	}
	slices.SortStableFunc(order, func(x, y schedule.Task) int { return x.Due.Compare(y.Due) })
	var out []TaskCount
	for _, t := range order {
		out = append(out, TaskCount{Name: shortTaskName(t), Committees: count[t.ID]})
	}
	return out
}

// TestStreetStatsFromRollup checks the workbench's street view, read from
// the rollup, against the one built from every committee's counters on
// the same random streets: the same totals, money by fund and category,
// overdue counts and worst committees, with and without a category filter.
func TestStreetStatsFromRollup(t *testing.T) {
	days := []time.Time{
		time.Date(2024, 1, 15, 9, 0, 0, 0, campaignZone),
		time.Date(2024, 2, 10, 9, 0, 0, 0, campaignZone),
	}
	for _, n := range []int{0, 3, 40, 150, 2500} {
		for seed := range uint64(2) {
			rng := rand.New(rand.NewPCG(seed+7, uint64(n)))
			st := randomStreet(rng, n)
			for _, day := range days {
				t.Run(fmt.Sprintf("%d committees, seed %d, %s", n, seed, day.Format("2006-01-02")), func(t *testing.T) {
					b := streetBot(t, st, day)
					want := oracleStreetStats(b, st.all, "")
					cats := []string{""}
					for _, m := range want.Categories {
						cats = append(cats, m.Name)
					}
					for _, cat := range cats[:min(len(cats), 3)] {
						got, err := b.StreetStats(context.Background(), "leader", cat)
						if err != nil {
							t.Fatal(err)
						}
						// Printed, so that an empty list and none read alike.
						if got, want := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", oracleStreetStats(b, st.all, cat)); got != want {
							t.Errorf("category %q: street view differs from the one built from every committee:\n got %s\nwant %s", cat, got, want)
						}
					}
					if st.rollupReads == 0 {
						t.Error("the street view did not read the rollup")
					}
				})
			}
		}
	}
}

// oracleStreetStats is StreetStats as it was built before the rollup:
// a row per committee from every committee's counters.
func oracleStreetStats(b *Bot, all map[string]domain.Counters, category string) StreetStats {
	committees := committeeOnly(all)
	names := slices.Clone(b.committees)
	for c := range committees {
		if !slices.Contains(b.committees, c) {
			names = append(names, c)
		}
	}
	rows := make([]progressRow, 0, len(names))
	for _, c := range names {
		rows = append(rows, b.progressRow(c, committees[c]))
	}
	slices.SortFunc(rows, worseFirst)
	out := StreetStats{AsOf: b.asOf(), Category: category, N: len(rows)}
	for _, r := range rows[:min(len(rows), StreetListed)] {
		s := b.stats(r, committees[r.name])
		s.CategoryDue, s.CategoryPaid = committees[r.name][domain.CatDue(category)], committees[r.name][domain.CatPaid(category)]
		out.Committees = append(out.Committees, s)
	}
	sum := domain.Counters{}
	for _, ctr := range all {
		sum.Add(ctr)
	}
	t := sumRows(rows)
	t.name = "全街道"
	out.Total = b.stats(t, sum)
	out.Total.Donations = t.donations + all[StreetCommittee][domain.CtrDonations]
	out.Total.CategoryDue, out.Total.CategoryPaid = sum[domain.CatDue(category)], sum[domain.CatPaid(category)]
	out.Funds = moneySplit(sum, domain.DueFundPrefix, domain.PaidFundPrefix)
	out.Categories = moneySplit(sum, domain.DueCatPrefix, domain.PaidCatPrefix)
	out.Overdue = oracleOverdueCounts(rows)
	return out
}
