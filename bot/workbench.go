package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"songnuan/domain"
	"songnuan/policy"
	"songnuan/schedule"
)

// This file is what the workbench pages read: flat, masked views of the
// street, a committee and a household, built from the same counters and
// the same scope rules as 进度, 待办 and 查询, so a page and a chat reply
// never disagree. Nothing here changes anything; pages change data by
// sending the chat's own commands through Handle.

// Household states as the workbench lists them.
const (
	StateUnvisited = "未走访"
	StateShort     = "少发"
	StatePaid      = "已足额"
)

// CommitteeStats is one committee's (or the street's) numbers, read from
// its counters exactly as 进度 reads them.
type CommitteeStats struct {
	Name                                          string
	Households, Persons, Visited, LeaderVisited   int64
	Due, Paid, Short, Over, NeedAmount, Donations int64
	Overdue                                       []string // short names of its overdue tasks
	// CategoryDue and CategoryPaid are the filtered category's money,
	// when a filter is chosen.
	CategoryDue, CategoryPaid int64
	HasStaff                  bool
}

// Percent is the share visited in whole percent, rounded down as 进度 does.
func (s CommitteeStats) Percent() int64 { return percent(s.Visited, s.Households) }

// MoneyLine is due and paid under one fund or category.
type MoneyLine struct {
	Name      string
	Due, Paid int64
}

// TaskCount is an overdue task and how many committees have it overdue.
type TaskCount struct {
	Name       string
	Committees int
}

// DayPoint is one day of visits: how many were recorded and what they paid.
type DayPoint struct {
	Date   string // YYYY-MM-DD
	Visits int
	Paid   int64
}

// StreetStats is the street at a glance: the same totals and the same
// worst-first order as 进度, plus money by fund and by category.
type StreetStats struct {
	AsOf       string
	Total      CommitteeStats
	Committees []CommitteeStats // worst first, as 进度 lists them
	Funds      []MoneyLine
	Categories []MoneyLine
	Overdue    []TaskCount // in deadline order
	// Category is the filter applied ("" for none): each committee's
	// CategoryDue and CategoryPaid are then that category's money.
	Category string
}

// StreetStats reads the street's numbers for a leader or admin; a worker
// gets a UserError. It reads counters only, never households, through the
// one function the chat's 进度 uses too.
func (b *Bot) StreetStats(ctx context.Context, userID, category string) (StreetStats, error) {
	st, err := b.reader(userID)
	if err != nil {
		return StreetStats{}, err
	}
	if st.Role == domain.RoleWorker {
		return StreetStats{}, msgOtherCommittee(st)
	}
	all, err := b.store.AllCounters(ctx)
	if err != nil {
		return StreetStats{}, fmt.Errorf("read all counters: %w", err)
	}
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
	out := StreetStats{AsOf: b.asOf(), Category: category}
	for _, r := range rows {
		s := b.stats(r, committees[r.name])
		s.CategoryDue, s.CategoryPaid = committees[r.name][domain.CatDue(category)], committees[r.name][domain.CatPaid(category)]
		out.Committees = append(out.Committees, s)
	}
	sum := sumCounters(all)
	t := sumRows(rows)
	t.name = "全街道"
	out.Total = b.stats(t, sum)
	out.Total.Donations = t.donations + all[StreetCommittee][domain.CtrDonations]
	out.Total.Overdue = nil
	out.Total.CategoryDue, out.Total.CategoryPaid = sum[domain.CatDue(category)], sum[domain.CatPaid(category)]
	out.Funds = moneySplit(sum, domain.DueFundPrefix, domain.PaidFundPrefix)
	out.Categories = moneySplit(sum, domain.DueCatPrefix, domain.PaidCatPrefix)
	out.Overdue = overdueCounts(rows)
	return out, nil
}

// overdueCounts is each overdue task of the rows with how many
// committees have it overdue, in deadline order.
func overdueCounts(rows []progressRow) []TaskCount {
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
	out := make([]TaskCount, len(order))
	for i, t := range order {
		out[i] = TaskCount{Name: shortTaskName(t), Committees: count[t.ID]}
	}
	return out
}

// stats turns a progress row and its counters into CommitteeStats.
func (b *Bot) stats(r progressRow, ctr domain.Counters) CommitteeStats {
	s := CommitteeStats{Name: r.name, Households: r.hh, Persons: ctr[domain.CtrPersons], Visited: r.visited,
		LeaderVisited: ctr[domain.CtrLeader], Due: r.due, Paid: r.paid, Short: r.short, Over: r.over,
		NeedAmount: r.need, Donations: r.donations, HasStaff: slices.Contains(b.committees, r.name)}
	for _, t := range r.overdue {
		s.Overdue = append(s.Overdue, shortTaskName(t))
	}
	return s
}

// moneySplit is due and paid by the name after the prefixes, most due
// first, as 进度 类别 and 进度 资金 list them.
func moneySplit(ctr domain.Counters, duePrefix, paidPrefix string) []MoneyLine {
	by := map[string]*MoneyLine{}
	at := func(name string) *MoneyLine {
		if by[name] == nil {
			by[name] = &MoneyLine{Name: name}
		}
		return by[name]
	}
	for k, v := range ctr {
		if name, ok := strings.CutPrefix(k, duePrefix); ok {
			at(name).Due += v
		} else if name, ok := strings.CutPrefix(k, paidPrefix); ok {
			at(name).Paid += v
		}
	}
	out := make([]MoneyLine, 0, len(by))
	for _, m := range by {
		if m.Name == "" {
			m.Name = "（未注明）"
		}
		out = append(out, *m)
	}
	slices.SortFunc(out, func(x, y MoneyLine) int { return cmp.Or(cmp.Compare(y.Due, x.Due), strings.Compare(x.Name, y.Name)) })
	return out
}

// maxDailyCommittees bounds how many committees' households the daily line
// reads: it is the one view that reads households rather than counters.
const maxDailyCommittees = 200

// Daily is the visits and money recorded per visit date in the committees
// the user may read ("" for all of them), oldest first. Beyond
// maxDailyCommittees committees it returns nil: the line would cost a read
// of every household.
func (b *Bot) Daily(ctx context.Context, userID, committee string) ([]DayPoint, error) {
	st, err := b.reader(userID)
	if err != nil {
		return nil, err
	}
	committees, err := b.readScope(ctx, st, committee)
	if err != nil {
		return nil, err
	}
	if len(committees) > maxDailyCommittees {
		return nil, nil
	}
	by := map[string]*DayPoint{}
	for _, c := range committees {
		hs, err := b.store.Households(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("read households of %s: %w", c, err)
		}
		addDays(by, hs)
	}
	return sortedDays(by), nil
}

// addDays counts the households' visits and money by visit date.
func addDays(by map[string]*DayPoint, hs []domain.Household) {
	for _, h := range hs {
		for _, v := range h.Visits {
			p := by[v.Date]
			if p == nil {
				p = &DayPoint{Date: v.Date}
				by[v.Date] = p
			}
			p.Visits++
			p.Paid += v.Paid
		}
	}
}

// sortedDays is the days oldest first; never nil, since nil says the
// line was not read.
func sortedDays(by map[string]*DayPoint) []DayPoint {
	out := make([]DayPoint, 0, len(by))
	for _, p := range by {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(x, y DayPoint) int { return strings.Compare(x.Date, y.Date) })
	return out
}

// HouseholdRow is one household in a committee's list.
type HouseholdRow struct {
	Code, Head string
	Size       int
	Categories string // 低保、特困供养1人
	Due, Paid  int64
	State      string // StateUnvisited, StateShort or StatePaid
}

// TaskView is one of a committee's tasks with its deadline.
type TaskView struct {
	No       int // the number 上报 takes
	Text     string
	Overdue  bool
	Done     bool
	DaysLeft int
	Reported bool // done by 上报
}

// CommitteeView is one committee as its page shows it.
type CommitteeView struct {
	AsOf       string
	Stats      CommitteeStats
	Households []HouseholdRow // by code; only those matching the search
	Total      int            // households before the search
	Tasks      []TaskView
	ReportHint string
	Funds      []MoneyLine
	Categories []MoneyLine
	Daily      []DayPoint // visits and money by visit date, oldest first
}

// CommitteeView reads one committee for userID: a worker only their own
// ("" means their own), leaders and admins any. search keeps the
// households whose head contains it.
func (b *Bot) CommitteeView(ctx context.Context, userID, committee, search string) (CommitteeView, error) {
	st, err := b.reader(userID)
	if err != nil {
		return CommitteeView{}, err
	}
	if committee == "" && st.Role != domain.RoleWorker {
		return CommitteeView{}, domain.Userf("请选择居委，例如：" + b.exampleCommittee())
	}
	cs, err := b.readScope(ctx, st, committee)
	if err != nil {
		return CommitteeView{}, err
	}
	c := cs[0]
	ctr, err := b.store.Counters(ctx, c)
	if err != nil {
		return CommitteeView{}, fmt.Errorf("read counters %s: %w", c, err)
	}
	hs, err := b.store.Households(ctx, c)
	if err != nil {
		return CommitteeView{}, fmt.Errorf("read households of %s: %w", c, err)
	}
	v := CommitteeView{AsOf: b.asOf(), Stats: b.stats(b.progressRow(c, ctr), ctr), Total: len(hs),
		Funds: moneySplit(ctr, domain.DueFundPrefix, domain.PaidFundPrefix), Categories: moneySplit(ctr, domain.DueCatPrefix, domain.PaidCatPrefix)}
	days := map[string]*DayPoint{}
	addDays(days, hs)
	v.Daily = sortedDays(days)
	search = strings.TrimSpace(search)
	for i := range hs {
		h := &hs[i]
		if search != "" && !strings.Contains(h.Head, search) {
			continue
		}
		v.Households = append(v.Households, HouseholdRow{Code: h.Code, Head: h.Head, Size: h.Size,
			Categories: claimsText(h.Categories), Due: h.Entitlement.Total, Paid: paidTotal(h), State: householdState(h)})
	}
	slices.SortFunc(v.Households, func(x, y HouseholdRow) int {
		return cmp.Or(cmp.Compare(len(x.Code), len(y.Code)), strings.Compare(x.Code, y.Code))
	})
	sts := b.committeeTasks(ctr)
	for i, t := range sts {
		v.Tasks = append(v.Tasks, TaskView{No: i + 1, Text: t.Line(b.schedule), Overdue: t.State == schedule.TaskOverdue,
			Done: t.State == schedule.TaskDone, DaysLeft: t.DaysLeft, Reported: t.Task.Measure == schedule.MeasureReported})
	}
	v.ReportHint = reportHint(sts)
	return v, nil
}

// householdState is 未走访 before any visit, then 少发 until what was paid
// reaches what is due.
func householdState(h *domain.Household) string {
	switch {
	case len(h.Visits) == 0:
		return StateUnvisited
	case paidTotal(h) < h.Entitlement.Total:
		return StateShort
	}
	return StatePaid
}

// claimsText is a household's categories as a worker writes them.
func claimsText(cs []domain.CategoryClaim) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Category
		if c.Persons > 0 {
			parts[i] += fmt.Sprintf("%d人", c.Persons)
		}
	}
	return strings.Join(parts, "、")
}

// ItemView is one item of an entitlement.
type ItemView struct {
	Name        string
	Category    string
	Persons     int
	Amount      int64
	Fund        string
	NeedsAmount bool
	Range       string // 500–2000元 for an item whose amount must be stated
}

// VisitView is one recorded visit.
type VisitView struct {
	Date, Kind, ByName, Goods string
	Paid                      int64
}

// HouseholdView is one household, masked, as its page shows it.
type HouseholdView struct {
	Committee, Code, Head string
	Size                  int
	Categories            string
	IDMasked, PhoneMasked string
	Address               string
	Items                 []ItemView
	Visits                []VisitView
	Due, Paid             int64
	Balance               string // 少发 200元 / 多发 … / 已足额
	State                 string
	// Owed is what a visit today would pay to reach what is due (0 when
	// nothing is owed): the amount a visit form starts with.
	Owed int64
}

// HouseholdView reads one household for userID under the same scope as
// 查询; ErrNotFound-like misses are UserErrors.
func (b *Bot) HouseholdView(ctx context.Context, userID, committee, code string) (HouseholdView, error) {
	st, err := b.reader(userID)
	if err != nil {
		return HouseholdView{}, err
	}
	cs, err := b.readScope(ctx, st, committee)
	if err != nil {
		return HouseholdView{}, err
	}
	if len(cs) != 1 {
		return HouseholdView{}, domain.Userf("请写明居委，例如：" + b.exampleCommittee())
	}
	h, err := b.store.Household(ctx, cs[0], code)
	if errors.Is(err, ErrNotFound) {
		return HouseholdView{}, domain.Userf(cs[0] + "没有编号" + code + "的户，请回到名单重新选择。")
	}
	if err != nil {
		return HouseholdView{}, fmt.Errorf("read household %s/%s: %w", cs[0], code, err)
	}
	v := HouseholdView{Committee: h.Committee, Code: h.Code, Head: h.Head, Size: h.Size, Categories: claimsText(h.Categories),
		IDMasked: h.IDMasked, PhoneMasked: h.PhoneMasked, Address: h.Address, Due: h.Entitlement.Total, Paid: paidTotal(&h),
		State: householdState(&h)}
	v.Balance = balance(v.Due, v.Paid)
	v.Owed = max(v.Due-v.Paid, 0)
	for _, it := range h.Entitlement.Items {
		iv := ItemView{Name: it.Name, Category: it.Category, Persons: it.Persons, Amount: it.Amount, Fund: it.Fund, NeedsAmount: it.NeedsAmount}
		if it.NeedsAmount {
			iv.Range = "金额由居委酌定"
			if it.Max > 0 {
				iv.Range = fmt.Sprintf("%d–%d元", it.Min, it.Max)
			}
		}
		v.Items = append(v.Items, iv)
	}
	for _, vis := range h.Visits {
		kind := string(vis.Visitor) + "走访"
		if vis.TopUp {
			kind = "补发"
		}
		v.Visits = append(v.Visits, VisitView{Date: vis.Date, Kind: kind, ByName: vis.ByName, Goods: vis.Goods, Paid: vis.Paid})
	}
	return v, nil
}

// Member returns the staff member with userID, for the pages' sign-in.
func (b *Bot) Member(userID string) (domain.Staff, bool) { return b.staff.Lookup(userID) }

// Committees lists the committees a user may read: a worker's own, or
// every committee with staff or records, sorted.
func (b *Bot) Committees(ctx context.Context, userID string) ([]string, error) {
	st, err := b.reader(userID)
	if err != nil {
		return nil, err
	}
	return b.readScope(ctx, st, "")
}

// CategoryForm is a policy category as the registration form offers it.
type CategoryForm struct {
	Name string
	// PerPerson is set when the category counts members (特困供养1人)
	// rather than covering the household.
	PerPerson bool
	// TakesAmount is set when an item of the category has its amount
	// stated at registration (a range or discretionary item: 妇联1人800元).
	TakesAmount bool
}

// RegisterCategories lists the policy's categories for the registration
// form, in the policy's order.
func (b *Bot) RegisterCategories() []CategoryForm {
	out := make([]CategoryForm, len(b.policy.Categories))
	for i, c := range b.policy.Categories {
		out[i] = CategoryForm{Name: c.Key, PerPerson: c.Level == policy.PerPerson}
		for _, id := range c.Items {
			if it, ok := b.policy.Item(id); ok && (it.Kind == policy.ItemRange || it.Kind == policy.ItemDiscretionary) {
				out[i].TakesAmount = true
			}
		}
	}
	return out
}

// reader is the staff member behind a page request.
func (b *Bot) reader(userID string) (domain.Staff, error) {
	st, ok := b.staff.Lookup(userID)
	if !ok {
		return domain.Staff{}, domain.Userf(msgUnregistered)
	}
	return st, nil
}

// Menu keys: a click on the app's menu arrives as an event with one of
// these EventKeys and is answered as the command it names.
var menuCommands = map[string]string{
	"todo":     "待办",
	"progress": "进度",
	"schedule": "日程",
	"help":     "帮助",
}

// MenuCommand returns the command a menu click with eventKey stands for.
func MenuCommand(eventKey string) (string, bool) {
	c, ok := menuCommands[eventKey]
	return c, ok
}

// clickAsText turns a menu click into the text message it stands for, so
// it takes the same route, the same checks and the same reply.
func clickAsText(in Incoming) (Incoming, bool) {
	if in.MsgType != "event" || in.Event != "click" {
		return in, false
	}
	cmd, ok := MenuCommand(in.EventKey)
	if !ok {
		return in, false
	}
	in.MsgType, in.Text = "text", cmd
	return in, true
}

// Workbench page paths a chat reply links to, under Config.WorkbenchURL.
const (
	PageProgress = "/app/"
	PageTodo     = "/app/todo"
)

// withPageLink adds a link to the matching workbench page to a 进度 or
// 待办 answer, when the bot knows the workbench's public address.
func (b *Bot) withPageLink(route string, m *msg, rep Reply) Reply {
	if b.workbench == "" {
		return rep
	}
	var url, label string
	switch route {
	case "progress":
		url, label = b.workbench+PageProgress, "图表和各居委明细"
		if m.staff.Role == domain.RoleWorker {
			label = "本居委全部户和事项"
		}
	case "todo":
		url, label = b.workbench+PageTodo, "待办清单"
	default:
		return rep
	}
	switch {
	case rep.Markdown != "":
		rep.Markdown += "\n[在工作台查看" + label + "](" + url + ")"
	case rep.Text != "":
		line := "\n在工作台查看" + label + "：" + url
		if len(rep.Text)+len(line) <= maxMessageBytes {
			rep.Text += line
		} else {
			rep.Markdown, rep.Text = rep.Text+"\n[在工作台查看"+label+"]("+url+")", ""
		}
	}
	return rep
}

// ImportFile imports a household list uploaded on a page by userID, the
// same import a file message makes: every row goes through 登记's parser
// and checks, keyed by the file's content so a second upload creates
// nothing new. The report lists each refused row.
func (b *Bot) ImportFile(ctx context.Context, userID, fileName string, data []byte) (Reply, ImportReport, error) {
	st, err := b.reader(userID)
	if err != nil {
		return Reply{}, ImportReport{}, err
	}
	if st.Role == domain.RoleLeader {
		return Reply{}, ImportReport{}, domain.Userf("领导账号只能查看，不能导入名单。")
	}
	if b.readSheet == nil {
		return Reply{}, ImportReport{}, domain.Userf("暂时不能导入文件，请联系社区服务办。也可以逐户登记，例如：登记 张三 低保 3人")
	}
	return b.importFile(ctx, st, fileName, data)
}
