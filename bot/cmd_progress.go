package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"songnuan/domain"
	"songnuan/schedule"
)

// maxMessageBytes is WeCom's limit on one text or markdown message.
const maxMessageBytes = 2048

// progressRescues is how many open rough-sleeper reports a progress view
// names; the rest are counted.
const progressRescues = 3

// progressArgs is a parsed 进度: one committee or the street, and which
// view of the money.
type progressArgs struct {
	Committee string
	View      string // "", viewCategory or viewFund
}

const (
	viewCategory = "类别"
	viewFund     = "资金"
)

const fmtProgress = "进度格式：进度，或 进度 甘泉一村，或 进度 类别，或 进度 资金"

// parseProgress reads 进度 [<居委>|居委:…] [类别|资金].
func parseProgress(args string) (progressArgs, error) {
	var a progressArgs
	for _, tok := range tokens(args) {
		if key, _, v, ok := splitKV(tok); ok {
			if key != keyCommittee || v == "" || a.Committee != "" {
				return a, domain.Userf("看不懂" + shown(tok) + "。" + fmtProgress)
			}
			a.Committee = v
			continue
		}
		switch tok {
		case "类别", "按类别", "分类", "类型":
			a.View = viewCategory
		case "资金", "按资金", "资金来源", "经费", "列支":
			a.View = viewFund
		default:
			if a.Committee != "" || !validHead(tok) {
				return a, inferable("看不懂" + shown(tok) + "。" + fmtProgress)
			}
			a.Committee = tok
		}
	}
	return a, nil
}

// progress handles 进度. Leaders and admins see the street, worst
// committee first, or drill into one; a worker sees their own committee
// only, and asking for another is refused without saying anything of it.
// Every view reads counters, never households.
func (b *Bot) progress(ctx context.Context, m *msg) (Reply, error) {
	a, err := parseProgress(m.args[0])
	if err != nil {
		return Reply{}, err
	}
	committee := a.Committee
	if committee == StreetCommittee && m.staff.Role != domain.RoleWorker {
		committee = "" // the street's own records belong to the street's view
	}
	if m.staff.Role == domain.RoleWorker {
		if committee, err = b.changeScope(m.staff, committee); err != nil {
			return Reply{}, err
		}
	}
	if committee == "" {
		all, err := b.store.AllCounters(ctx)
		if err != nil {
			return Reply{}, fmt.Errorf("read all counters: %w", err)
		}
		if a.View != "" {
			return fitReply(b.splitText("全街道", a.View, sumCounters(all))), nil
		}
		return b.streetProgress(ctx, all)
	}
	ctr, err := b.store.Counters(ctx, committee)
	if err != nil {
		return Reply{}, fmt.Errorf("read counters %s: %w", committee, err)
	}
	if len(ctr) == 0 && m.staff.Role != domain.RoleWorker {
		if err := b.knownCommittee(committee); err != nil {
			return Reply{}, err
		}
	}
	if a.View != "" {
		return fitReply(b.splitText(committee, a.View, ctr)), nil
	}
	return b.committeeProgress(ctx, committee, ctr)
}

// fitReply sends a text that fits one WeCom text message as text, and a
// longer one as markdown, which the HTTP layer pushes in pieces that fit.
func fitReply(s string) Reply {
	if len(s) <= maxMessageBytes {
		return Reply{Text: s}
	}
	return Reply{Markdown: s}
}

// sumCounters adds up every committee's counters, the street's own
// included.
func sumCounters(all map[string]domain.Counters) domain.Counters {
	sum := domain.Counters{}
	for _, ctr := range all {
		for k, v := range ctr {
			sum[k] += v
		}
	}
	return sum
}

// asOf is the "截至1月20日 10:00" of every progress view, with the phase.
func (b *Bot) asOf() string {
	now := b.now()
	s := fmt.Sprintf("截至%s %02d:%02d", cnDate(now), now.Hour(), now.Minute())
	if p, ok := b.schedule.PhaseAt(now); ok {
		s += "，" + p.Name + "阶段"
	}
	return s
}

// percent is part of whole in whole percent, rounded down; 0 of nothing
// is 0.
func percent(part, whole int64) int64 {
	if whole <= 0 {
		return 0
	}
	return part * 100 / whole
}

// progressRow is one committee in the street view.
type progressRow struct {
	name                                      string
	hh, visited, due, paid, short, over, need int64
	donations                                 int64
	overdue                                   []schedule.Task
}

func (b *Bot) progressRow(name string, ctr domain.Counters) progressRow {
	r := progressRow{name: name, hh: ctr[domain.CtrHouseholds], visited: ctr[domain.CtrVisited], due: ctr[domain.CtrDue],
		paid: ctr[domain.CtrPaid], short: ctr[domain.CtrShort], over: ctr[domain.CtrOver], need: ctr[domain.CtrNeedAmount], donations: ctr[domain.CtrDonations]}
	for _, st := range b.committeeTasks(ctr) {
		if st.State == schedule.TaskOverdue {
			r.overdue = append(r.overdue, st.Task)
		}
	}
	return r
}

// worseFirst orders committees by how far behind they are: more overdue
// tasks, then nothing registered, then the lower share visited, then more
// money unpaid.
func worseFirst(x, y progressRow) int {
	return cmp.Or(
		cmp.Compare(len(y.overdue), len(x.overdue)),
		cmp.Compare(boolInt(y.hh == 0), boolInt(x.hh == 0)),
		cmp.Compare(x.visited*max(y.hh, 1), y.visited*max(x.hh, 1)),
		cmp.Compare(y.short, x.short),
		strings.Compare(x.name, y.name),
	)
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}

// line is the row as one phone line.
func (r progressRow) line(n int) string {
	var s string
	if r.hh == 0 {
		s = fmt.Sprintf("%d. %s 尚未登记帮困对象", n, r.name)
	} else {
		s = fmt.Sprintf("%d. %s 已走访 %d/%d户，已发 %d/%d元", n, r.name, r.visited, r.hh, r.paid, r.due)
	}
	if len(r.overdue) > 0 {
		s += fmt.Sprintf("，逾期%d项", len(r.overdue))
	}
	return s
}

// streetProgress is 进度 for the whole street: totals, overdue tasks by
// how many committees have them, one line per committee worst first, and
// the open rough-sleeper reports. When it does not fit one text message it
// becomes markdown that lists the worst committees and sums up the rest.
func (b *Bot) streetProgress(ctx context.Context, all map[string]domain.Counters) (Reply, error) {
	committees := committeeOnly(all)
	// Committees with staff but nothing recorded yet count too; a set
	// keeps this linear at a city's thousands of committees.
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
	rescues, nRescues, err := b.store.OpenRescues(ctx, progressRescues)
	if err != nil {
		return Reply{}, fmt.Errorf("read open rescue reports: %w", err)
	}

	total := sumRows(rows)
	head := []string{
		fmt.Sprintf("全街道%d个居委：已走访 %d/%d户（%d%%），已发 %d/%d元，未发 %d元",
			len(rows), total.visited, total.hh, percent(total.visited, total.hh), total.paid, total.due, total.short),
		b.moneyNotes(total.need, total.over, total.donations+all[StreetCommittee][domain.CtrDonations], all[StreetCommittee][domain.CtrDonations]),
		b.overdueSummary(rows),
	}
	foot := []string{rescueLine(rescues, nRescues), "细看：进度 " + b.exampleCommittee() + "｜进度 类别｜进度 资金"}

	ls := append([]string{"【进度】" + b.asOf()}, head...)
	for i, r := range rows {
		ls = append(ls, r.line(i+1))
	}
	text := lines(append(ls, foot...)...)
	if len(text) <= maxMessageBytes {
		return Reply{Text: text}, nil
	}
	return Reply{Markdown: b.streetMarkdown(head, rows, foot)}, nil
}

// streetMarkdown lists as many committees, worst first, as one markdown
// message holds, and sums up the rest in one line.
func (b *Bot) streetMarkdown(head []string, rows []progressRow, foot []string) string {
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
		return lines(append(ls, restLine(rows[n:]), bottom)...)
	}
	n := 0
	for n < len(rows) && len(build(n+1)) <= maxMessageBytes {
		n++
	}
	return build(n)
}

// restLine sums up the committees a view had no room to list.
func restLine(rows []progressRow) string {
	if len(rows) == 0 {
		return ""
	}
	t := sumRows(rows)
	late := 0
	for _, r := range rows {
		if len(r.overdue) > 0 {
			late++
		}
	}
	return fmt.Sprintf("……另有%d个居委：已走访 %d/%d户，已发 %d/%d元，其中%d个有逾期事项；发送“进度 居委名”查看",
		len(rows), t.visited, t.hh, t.paid, t.due, late)
}

// sumRows adds rows up.
func sumRows(rows []progressRow) progressRow {
	var t progressRow
	for _, r := range rows {
		t.hh += r.hh
		t.visited += r.visited
		t.due += r.due
		t.paid += r.paid
		t.short += r.short
		t.over += r.over
		t.need += r.need
		t.donations += r.donations
	}
	return t
}

// moneyNotes is the line under the totals: donations, amounts still to be
// stated, overpayments; "" when there is nothing to say.
func (b *Bot) moneyNotes(need, over, donations, streetDonations int64) string {
	var parts []string
	if donations > 0 {
		s := fmt.Sprintf("捐款 %d元", donations)
		if streetDonations > 0 {
			s += fmt.Sprintf("（其中街道本级 %d元）", streetDonations)
		}
		parts = append(parts, s)
	}
	if need > 0 {
		parts = append(parts, fmt.Sprintf("另有%d户补助金额待填", need))
	}
	if over > 0 {
		parts = append(parts, fmt.Sprintf("多发 %d元，请核对", over))
	}
	return strings.Join(parts, "；")
}

// overdueSummary names each overdue task with how many committees have it
// overdue, in deadline order.
func (b *Bot) overdueSummary(rows []progressRow) string {
	counts := overdueCounts(rows)
	if len(counts) == 0 {
		return "暂无逾期事项"
	}
	parts := make([]string, len(counts))
	for i, t := range counts {
		parts[i] = fmt.Sprintf("%s（%d个居委）", t.Name, t.Committees)
	}
	return "逾期：" + strings.Join(parts, "、")
}

// rescueLine names the oldest open rough-sleeper reports.
func rescueLine(rs []RescueReport, n int) string {
	if n == 0 {
		return ""
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s号 %s（%s）", r.ID, r.Place, cnDate(r.At.In(campaignZone)))
	}
	s := fmt.Sprintf("流浪求助未结案 %d起：%s", n, strings.Join(parts, "、"))
	if n > len(rs) {
		s += "等"
	}
	return s
}

// committeeProgress is 进度 for one committee: households, visits, money,
// donations, every committee task with its state, and the open
// rough-sleeper reports its staff made.
func (b *Bot) committeeProgress(ctx context.Context, committee string, ctr domain.Counters) (Reply, error) {
	r := b.progressRow(committee, ctr)
	ls := []string{"【进度】" + committee + "（" + b.asOf() + "）"}
	if r.hh == 0 {
		ls = append(ls, "尚未登记帮困对象")
	} else {
		l := fmt.Sprintf("已登记 %d户 %d人，已走访 %d/%d户（%d%%）", r.hh, ctr[domain.CtrPersons], r.visited, r.hh, percent(r.visited, r.hh))
		if n := ctr[domain.CtrLeader]; n > 0 {
			l += fmt.Sprintf("，其中领导走访 %d户", n)
		}
		ls = append(ls, l, fmt.Sprintf("应发 %d元，已发 %d元，未发 %d元", r.due, r.paid, r.short))
	}
	ls = append(ls, b.moneyNotes(r.need, r.over, 0, 0))
	if r.donations > 0 {
		ls = append(ls, fmt.Sprintf("捐款 %d元：%s", r.donations, donationSources(ctr)))
	}
	sts := b.committeeTasks(ctr)
	if len(sts) > 0 {
		ls = append(ls, "事项：")
		for i, st := range sts {
			ls = append(ls, b.taskLine(i+1, st))
		}
	}
	ls = append(ls, reportHint(sts))
	open, _, err := b.store.OpenRescues(ctx, rescueScan)
	if err != nil {
		return Reply{}, fmt.Errorf("read open rescue reports: %w", err)
	}
	var mine []RescueReport
	for _, rr := range open {
		if rr.Committee == committee {
			mine = append(mine, rr)
		}
	}
	if len(mine) > progressRescues {
		ls = append(ls, rescueLine(mine[:progressRescues], len(mine)))
	} else {
		ls = append(ls, rescueLine(mine, len(mine)))
	}
	return fitReply(lines(ls...)), nil
}

// rescueScan bounds how many open reports a committee view reads to find
// its own: open reports are few, and a view must not grow with them.
const rescueScan = 50

// donationSources lists donations by source, largest first.
func donationSources(ctr domain.Counters) string {
	type src struct {
		name string
		n    int64
	}
	var ss []src
	for k, v := range ctr {
		if name, ok := strings.CutPrefix(k, ctrDonationSource); ok && v != 0 {
			ss = append(ss, src{name, v})
		}
	}
	slices.SortFunc(ss, func(x, y src) int { return cmp.Or(cmp.Compare(y.n, x.n), strings.Compare(x.name, y.name)) })
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%s %d元", s.name, s.n)
	}
	return strings.Join(parts, "、")
}

// splitText is 进度 类别 or 进度 资金: due and paid by category or by fund,
// largest first, with a totals line that agrees with the other views (a
// payment beyond what was due belongs to no item and is shown apart).
// The fund view adds the donations by source.
func (b *Bot) splitText(scope, view string, ctr domain.Counters) string {
	duePrefix, paidPrefix := domain.DueCatPrefix, domain.PaidCatPrefix
	if view == viewFund {
		duePrefix, paidPrefix = domain.DueFundPrefix, domain.PaidFundPrefix
	}
	type part struct {
		name      string
		due, paid int64
	}
	byName := map[string]*part{}
	at := func(name string) *part {
		p := byName[name]
		if p == nil {
			p = &part{name: name}
			byName[name] = p
		}
		return p
	}
	for k, v := range ctr {
		if name, ok := strings.CutPrefix(k, duePrefix); ok {
			at(name).due += v
		} else if name, ok := strings.CutPrefix(k, paidPrefix); ok {
			at(name).paid += v
		}
	}
	parts := make([]*part, 0, len(byName))
	for _, p := range byName {
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(x, y *part) int { return cmp.Or(cmp.Compare(y.due, x.due), strings.Compare(x.name, y.name)) })

	ls := []string{"【进度·按" + view + "】" + scope + "（" + b.asOf() + "）"}
	if len(parts) == 0 {
		ls = append(ls, "还没有应发金额。登记帮困对象后再看，例如：登记 张三 低保 3人")
	}
	var due, paid int64
	for _, p := range parts {
		name := p.name
		if name == "" {
			name = "（未注明）"
		}
		ls = append(ls, fmt.Sprintf("%s：已发 %d/%d元", name, p.paid, p.due))
		due += p.due
		paid += p.paid
	}
	if len(parts) > 0 {
		ls = append(ls, fmt.Sprintf("合计：已发 %d/%d元", paid, due))
	}
	if over := ctr[domain.CtrOver]; over > 0 {
		ls = append(ls, fmt.Sprintf("另多发 %d元，不属于任何%s，请核对", over, view))
	}
	if n := ctr[domain.CtrNeedAmount]; n > 0 {
		ls = append(ls, fmt.Sprintf("另有%d户补助金额待填，未计入", n))
	}
	if view == viewFund && ctr[domain.CtrDonations] > 0 {
		ls = append(ls, fmt.Sprintf("捐款（街道帮困专户）%d元：%s", ctr[domain.CtrDonations], donationSources(ctr)))
	}
	return lines(ls...)
}
