package sheet

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"songnuan/domain"
)

// Statistics is what the statistics table (统计表) shows: one sheet per
// committee after a 汇总 summary sheet.
type Statistics struct {
	Title       string
	GeneratedAt time.Time // shown in the title line; campaign time, not wall time
	Committees  []CommitteeData
	// FullPII puts full ID and phone numbers in the table, unsealed with
	// Unseal, for the copy the street office files; otherwise the masked
	// forms are written and Unseal is not called.
	FullPII bool
	Unseal  func(sealed string) (string, error)
}

// CommitteeData is one committee's part of the table.
type CommitteeData struct {
	Name       string
	Households []domain.Household
	// Counters are the committee's stored counters. Every total in the
	// table is computed from Households; when Counters is given the summary
	// adds a 核对 column saying whether the two agree, so a drift between
	// the 进度 view and the records shows up in the export.
	Counters domain.Counters
	// Donations is the money the committee raised (yuan). When it is zero,
	// Counters[domain.CtrDonations] is used.
	Donations int64
}

// SummarySheet is the name of the first sheet.
const SummarySheet = "汇总"

// Column headers of the committee sheets, in order.
var householdHeader = []string{"编号", "户主", "人数", "类别", "身份证", "电话", "地址", "享受项目",
	"应发(元)", "已发(元)", "差额(元)", "走访日期", "走访人", "走访类型", "物品"}

// errNoUnseal is returned when full numbers are asked for without a way to
// unseal them; it is a wiring mistake, not a user's.
var errNoUnseal = errors.New("full ID and phone numbers requested without an Unseal function")

// WriteStatistics writes the statistics table as an .xlsx workbook.
//
// Every total is computed from the households: due is the sum of
// Entitlement.Total, paid the sum of Visits[].Paid, and the split by
// category and by fund is the sum of domain.CounterFields, so the table agrees
// with the bot's counters and with the 进度 view to the yuan. Money cells
// are numbers, so Excel can sum and filter them.
//
// It fails only on a wiring or unseal error (FullPII without Unseal, or
// Unseal failing) or when w fails; the error never contains a personal
// number.
func WriteStatistics(w io.Writer, in Statistics) error {
	if in.FullPII && in.Unseal == nil {
		return fmt.Errorf("write statistics: %w", errNoUnseal)
	}
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("write statistics: %w", err)
	}
	names := sheetNames(in.Committees)
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return fmt.Errorf("write statistics: %w", err)
	}
	if err := writeGrid(f, SummarySheet, summaryGrid(in, st), 2); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	for i, c := range in.Committees {
		g, err := committeeGrid(c, in, st)
		if err != nil {
			return fmt.Errorf("write committee %s: %w", c.Name, err)
		}
		if _, err := f.NewSheet(names[i]); err != nil {
			return fmt.Errorf("write committee %s: %w", c.Name, err)
		}
		if err := writeGrid(f, names[i], g, 1); err != nil {
			return fmt.Errorf("write committee %s: %w", c.Name, err)
		}
	}
	// The summary is sheet 0 and a new workbook opens on sheet 0 already;
	// SetActiveSheet would parse every streamed sheet back into memory.
	stamp := in.GeneratedAt.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{Title: in.Title, Creator: "送暖", Created: stamp, Modified: stamp}); err != nil {
		return fmt.Errorf("write statistics: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write statistics: %w", err)
	}
	return nil
}

// styles are the cell styles of the workbook.
type styles struct {
	title, header, money, percent, totalText, totalNum, totalMoney, totalPercent int
}

func newStyles(f *excelize.File) (styles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "B7B7B7", Style: 1}, {Type: "right", Color: "B7B7B7", Style: 1},
		{Type: "top", Color: "B7B7B7", Style: 1}, {Type: "bottom", Color: "B7B7B7", Style: 1},
	}
	top := []excelize.Border{{Type: "top", Color: "000000", Style: 1}}
	bold := &excelize.Font{Bold: true}
	fill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}
	var s styles
	defs := []struct {
		id *int
		s  excelize.Style
	}{
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&s.header, excelize.Style{Font: bold, Fill: fill, Border: border,
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&s.money, excelize.Style{NumFmt: 3, NegRed: true}}, // #,##0, overpayments in red
		{&s.percent, excelize.Style{NumFmt: 10}},            // 0.00%
		{&s.totalText, excelize.Style{Font: bold, Border: top}},
		{&s.totalNum, excelize.Style{Font: bold, Border: top, NumFmt: 1}},
		{&s.totalMoney, excelize.Style{Font: bold, Border: top, NumFmt: 3, NegRed: true}},
		{&s.totalPercent, excelize.Style{Font: bold, Border: top, NumFmt: 10}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(&d.s)
		if err != nil {
			return styles{}, err
		}
		*d.id = id
	}
	return s, nil
}

// grid is a sheet built in memory first, because the stream writer needs
// column widths before the first row.
type grid struct {
	rows   [][]any
	widths []int // display width of the widest cell per column
}

// add appends a row; measured is false for a title row that may overflow
// into empty cells and must not widen its column.
func (g *grid) add(measured bool, cells ...any) {
	g.rows = append(g.rows, cells)
	if !measured {
		return
	}
	for i, c := range cells {
		for len(g.widths) <= i {
			g.widths = append(g.widths, 0)
		}
		g.widths[i] = max(g.widths[i], cellWidth(c))
	}
}

func (g *grid) blank() { g.rows = append(g.rows, nil) }

// writeGrid streams g into sheet, freezing the top frozen rows.
func writeGrid(f *excelize.File, sheet string, g *grid, frozen int) error {
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, w := range g.widths {
		if err := sw.SetColWidth(i+1, i+1, colWidth(w)); err != nil {
			return err
		}
	}
	if frozen > 0 {
		top := "A" + strconv.Itoa(frozen+1)
		err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: frozen, TopLeftCell: top, ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: "bottomLeft"}}})
		if err != nil {
			return err
		}
	}
	for i, r := range g.rows {
		if r == nil {
			continue
		}
		if err := sw.SetRow("A"+strconv.Itoa(i+1), r); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// money is one pair of due and paid amounts.
type money struct{ due, paid int64 }

// split adds up amounts by category or fund, listing keys in the order
// they first appear so the table follows the policy's order of items.
type split struct {
	keys []string
	m    map[string]*money
}

// at returns the amounts of key, adding key if it is new.
func (s *split) at(key string) *money {
	if s.m == nil {
		s.m = map[string]*money{}
	}
	v, ok := s.m[key]
	if !ok {
		v = &money{}
		s.m[key] = v
		s.keys = append(s.keys, key)
	}
	return v
}

// Prefixes of the per-category and per-fund counter fields, taken from bot
// so the split reads exactly the fields the counters keep.
var (
	catDuePrefix   = domain.CatDue("")
	catPaidPrefix  = domain.CatPaid("")
	fundDuePrefix  = domain.FundDue("")
	fundPaidPrefix = domain.FundPaid("")
)

// addCounters adds one household's counter fields to the splits. Items
// are visited first only to fix the order of keys.
func addCounters(h *domain.Household, cf domain.Counters, byCat, byFund *split) {
	for _, it := range h.Entitlement.Items {
		if !it.NeedsAmount {
			byCat.at(it.Category)
			byFund.at(it.Fund)
		}
	}
	for k, v := range cf {
		switch {
		case strings.HasPrefix(k, catDuePrefix):
			byCat.at(k[len(catDuePrefix):]).due += v
		case strings.HasPrefix(k, catPaidPrefix):
			byCat.at(k[len(catPaidPrefix):]).paid += v
		case strings.HasPrefix(k, fundDuePrefix):
			byFund.at(k[len(fundDuePrefix):]).due += v
		case strings.HasPrefix(k, fundPaidPrefix):
			byFund.at(k[len(fundPaidPrefix):]).paid += v
		}
	}
}

// committeeTotals is one line of the summary.
type committeeTotals struct {
	households, visited, due, paid, short, over, donations int64
}

// checkedFields are the counters the 核对 column compares with the records.
var checkedFields = []struct{ field, label string }{
	{domain.CtrHouseholds, "户数"}, {domain.CtrVisited, "已走访"}, {domain.CtrDue, "应发"},
	{domain.CtrPaid, "已发"}, {domain.CtrShort, "未发"},
}

// summarise totals a committee from its households and splits due and
// paid by category and fund through domain.CounterFields.
func summarise(c CommitteeData, byCat, byFund *split) (committeeTotals, domain.Counters) {
	var t committeeTotals
	sum := domain.Counters{}
	for i := range c.Households {
		h := &c.Households[i]
		cf := domain.CounterFields(h)
		sum.Add(cf)
		t.households++
		if len(h.Visits) > 0 {
			t.visited++
		}
		t.due += h.Entitlement.Total
		for _, v := range h.Visits {
			t.paid += v.Paid
		}
		addCounters(h, cf, byCat, byFund)
	}
	t.short = sum[domain.CtrShort]
	t.over = sum[domain.CtrOver]
	t.donations = c.Donations
	if t.donations == 0 {
		t.donations = c.Counters[domain.CtrDonations]
	}
	return t, sum
}

// check compares stored counters with what the records add up to.
func check(stored, records domain.Counters) string {
	var diffs []string
	for _, f := range checkedFields {
		if stored[f.field] != records[f.field] {
			diffs = append(diffs, fmt.Sprintf("%s%d", f.label, stored[f.field]))
		}
	}
	if len(diffs) == 0 {
		return "一致"
	}
	return "不一致，计数器：" + strings.Join(diffs, " ")
}

func rate(visited, households int64) float64 {
	if households == 0 {
		return 0
	}
	return float64(visited) / float64(households)
}

// summaryGrid lays out the 汇总 sheet: by committee, then by category and
// by fund, each with a totals row.
func summaryGrid(in Statistics, st styles) *grid {
	g := &grid{}
	title := in.Title
	if title == "" {
		title = "帮困送温暖统计表"
	}
	g.add(false, excelize.Cell{StyleID: st.title, Value: fmt.Sprintf("%s（%s 生成）", title, in.GeneratedAt.Format("2006-01-02 15:04"))})

	withCheck := false
	for _, c := range in.Committees {
		withCheck = withCheck || c.Counters != nil
	}
	head := []string{"居委", "户数", "已走访", "走访率", "应发(元)", "已发(元)", "未发(元)", "捐款(元)"}
	if withCheck {
		head = append(head, "核对")
	}
	g.add(true, headerCells(st, head...)...)

	var byCat, byFund split
	var total committeeTotals
	for _, c := range in.Committees {
		t, records := summarise(c, &byCat, &byFund)
		row := []any{c.Name, t.households, t.visited,
			excelize.Cell{StyleID: st.percent, Value: rate(t.visited, t.households)},
			excelize.Cell{StyleID: st.money, Value: t.due}, excelize.Cell{StyleID: st.money, Value: t.paid},
			excelize.Cell{StyleID: st.money, Value: t.short}, excelize.Cell{StyleID: st.money, Value: t.donations}}
		if withCheck {
			v := ""
			if c.Counters != nil {
				v = check(c.Counters, records)
			}
			row = append(row, v)
		}
		g.add(true, row...)
		total.households += t.households
		total.visited += t.visited
		total.due += t.due
		total.paid += t.paid
		total.short += t.short
		total.over += t.over
		total.donations += t.donations
	}
	g.add(true, excelize.Cell{StyleID: st.totalText, Value: "合计"},
		excelize.Cell{StyleID: st.totalNum, Value: total.households}, excelize.Cell{StyleID: st.totalNum, Value: total.visited},
		excelize.Cell{StyleID: st.totalPercent, Value: rate(total.visited, total.households)},
		excelize.Cell{StyleID: st.totalMoney, Value: total.due}, excelize.Cell{StyleID: st.totalMoney, Value: total.paid},
		excelize.Cell{StyleID: st.totalMoney, Value: total.short}, excelize.Cell{StyleID: st.totalMoney, Value: total.donations})

	splitRows(g, st, "类别", &byCat, total.over)
	splitRows(g, st, "资金来源", &byFund, total.over)
	return g
}

// splitRows adds a by-category or by-fund table. Payments beyond what was
// due belong to no item; they get their own line so the paid total matches
// the committee table's.
func splitRows(g *grid, st styles, label string, s *split, over int64) {
	g.blank()
	g.add(true, headerCells(st, label, "应发(元)", "已发(元)")...)
	var due, paid int64
	for _, k := range s.keys {
		v := s.m[k]
		name := k
		if name == "" {
			name = "（未注明）"
		}
		g.add(true, name, excelize.Cell{StyleID: st.money, Value: v.due}, excelize.Cell{StyleID: st.money, Value: v.paid})
		due += v.due
		paid += v.paid
	}
	if over > 0 {
		g.add(true, "超出应发部分", excelize.Cell{StyleID: st.money, Value: int64(0)}, excelize.Cell{StyleID: st.money, Value: over})
		paid += over
	}
	g.add(true, excelize.Cell{StyleID: st.totalText, Value: "合计"},
		excelize.Cell{StyleID: st.totalMoney, Value: due}, excelize.Cell{StyleID: st.totalMoney, Value: paid})
}

func headerCells(st styles, names ...string) []any {
	cells := make([]any, len(names))
	for i, n := range names {
		cells[i] = excelize.Cell{StyleID: st.header, Value: n}
	}
	return cells
}

// committeeGrid lays out one committee's households, ordered by code, with
// a totals row.
func committeeGrid(c CommitteeData, in Statistics, st styles) (*grid, error) {
	g := &grid{}
	g.add(true, headerCells(st, householdHeader...)...)
	hs := make([]*domain.Household, len(c.Households))
	for i := range c.Households {
		hs[i] = &c.Households[i]
	}
	slices.SortStableFunc(hs, func(a, b *domain.Household) int { return compareCodes(a.Code, b.Code) })
	var persons, due, paid int64
	for _, h := range hs {
		id, phone, addr := h.IDMasked, h.PhoneMasked, h.Address
		visits := h.Visits
		if in.FullPII {
			var err error
			if id, err = unseal(in.Unseal, h.IDSealed, id); err != nil {
				return nil, fmt.Errorf("unseal ID number of household %s: %w", h.Code, err)
			}
			if phone, err = unseal(in.Unseal, h.PhoneSealed, phone); err != nil {
				return nil, fmt.Errorf("unseal phone number of household %s: %w", h.Code, err)
			}
			if addr, err = unseal(in.Unseal, h.AddressSealed, addr); err != nil {
				return nil, fmt.Errorf("unseal address of household %s: %w", h.Code, err)
			}
			visits = slices.Clone(visits)
			for i := range visits {
				if visits[i].Goods, err = unseal(in.Unseal, visits[i].GoodsSealed, visits[i].Goods); err != nil {
					return nil, fmt.Errorf("unseal goods of household %s: %w", h.Code, err)
				}
			}
		}
		var p int64
		for _, v := range h.Visits {
			p += v.Paid
		}
		d := h.Entitlement.Total
		dates, by, kinds, goods := visitColumns(visits)
		g.add(true, h.Code, h.Head, h.Size, categoryText(h.Categories), id, phone, addr,
			itemsText(h.Entitlement.Items),
			excelize.Cell{StyleID: st.money, Value: d}, excelize.Cell{StyleID: st.money, Value: p},
			excelize.Cell{StyleID: st.money, Value: d - p},
			dates, by, kinds, goods)
		persons += int64(h.Size)
		due += d
		paid += p
	}
	g.add(true, excelize.Cell{StyleID: st.totalText, Value: "合计"}, excelize.Cell{StyleID: st.totalText, Value: fmt.Sprintf("%d户", len(hs))},
		excelize.Cell{StyleID: st.totalNum, Value: persons}, nil, nil, nil, nil, nil,
		excelize.Cell{StyleID: st.totalMoney, Value: due}, excelize.Cell{StyleID: st.totalMoney, Value: paid},
		excelize.Cell{StyleID: st.totalMoney, Value: due - paid})
	return g, nil
}

// unseal opens a sealed number, keeping the masked form when nothing was
// sealed (a household registered without that number).
func unseal(fn func(string) (string, error), sealed, masked string) (string, error) {
	if sealed == "" {
		return masked, nil
	}
	return fn(sealed)
}

// compareCodes orders household codes as numbers when both are numbers,
// so 2 comes before 12.
func compareCodes(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(x, y)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func categoryText(cs []domain.CategoryClaim) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		var note []string
		if c.Persons > 0 {
			note = append(note, fmt.Sprintf("%d人", c.Persons))
		}
		if c.Amount > 0 {
			note = append(note, fmt.Sprintf("%d元", c.Amount))
		}
		if len(note) > 0 {
			parts = append(parts, c.Category+"("+strings.Join(note, ",")+")")
		} else {
			parts = append(parts, c.Category)
		}
	}
	return strings.Join(parts, "、")
}

func itemsText(items []domain.EntitlementItem) string {
	parts := make([]string, 0, len(items))
	for _, it := range items {
		if it.NeedsAmount {
			parts = append(parts, it.Name+" 待定")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %d元", it.Name, it.Amount))
	}
	return strings.Join(parts, "；")
}

// visitColumns flattens a household's visits into the four visit columns;
// names and visitor kinds repeat across visits, so each is listed once.
func visitColumns(vs []domain.Visit) (dates, by, kinds, goods string) {
	var d, b, k, g []string
	for _, v := range vs {
		d = append(d, v.Date)
		if v.ByName != "" && !slices.Contains(b, v.ByName) {
			b = append(b, v.ByName)
		}
		if v.Visitor != "" && !slices.Contains(k, string(v.Visitor)) {
			k = append(k, string(v.Visitor))
		}
		if v.Goods != "" {
			g = append(g, v.Goods)
		}
	}
	return strings.Join(d, "、"), strings.Join(b, "、"), strings.Join(k, "、"), strings.Join(g, "、")
}
