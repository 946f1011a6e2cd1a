package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"songnuan/domain"
)

// policyItems is a slice of the built-in standards, enough to give
// households several categories and funds, a category on two items and an
// item whose amount the worker states.
var policyItems = []domain.EntitlementItem{
	{Item: "2", Name: "特困供养节日补助", Category: "特困供养", Amount: 1000, Fund: "市、区财政"},
	{Item: "6", Name: "冬令御寒补助", Category: "特困供养", Amount: 460, Fund: "市、区财政"},
	{Item: "4", Name: "低保家庭节日补助", Category: "低保", Amount: 800, Fund: "市、区财政"},
	{Item: "13", Name: "失业人员补助", Category: "登记失业", Amount: 750, Fund: "失业保险金"},
	{Item: "20", Name: "残疾人节日补助", Category: "残疾人", Amount: 400, Fund: "区残联年度预算"},
	{Item: "18", Name: "妇联帮扶", Category: "困难妇女", Fund: "市妇联拨款", NeedsAmount: true, Min: 500, Max: 2000},
	{Item: "27", Name: "街镇领导走访慰问", Category: "街镇领导走访", Amount: 500, Fund: "民政节日帮困慰问经费"},
}

// fakeID returns a distinct 18-digit number per household; the tests look
// for it in the written file to prove it is not there.
func fakeID(c, i int) string    { return fmt.Sprintf("3101071980%04d%04d", c, i) }
func fakePhone(c, i int) string { return fmt.Sprintf("139%04d%04d", c, i) }

// sealOf stands in for the store's encryption: reversible, and different
// from the plain number so a missing Unseal call shows.
func sealOf(s string) string { return "sealed:" + strconv.Quote(s) }

func openSeal(s string) (string, error) {
	q, ok := strings.CutPrefix(s, "sealed:")
	if !ok {
		return "", errors.New("not sealed")
	}
	return strconv.Unquote(q)
}

// makeHousehold builds household i of committee c with a random mix of
// items and visits: none, part, exact and over payment, leader visits.
func makeHousehold(r *rand.Rand, c, i int) domain.Household {
	h := domain.Household{
		Committee: fmt.Sprintf("居委%d", c),
		Code:      strconv.Itoa(i + 1),
		Head:      fmt.Sprintf("户主%d-%d", c, i),
		Size:      1 + r.IntN(5),
		Address:   fmt.Sprintf("甘泉路%d弄%d号", c, i),
	}
	id, phone := fakeID(c, i), fakePhone(c, i)
	h.IDSealed, h.IDMasked = sealOf(id), id[:6]+"********"+id[14:]
	h.PhoneSealed, h.PhoneMasked = sealOf(phone), phone[:3]+"****"+phone[7:]
	h.Entitlement.Policy, h.Entitlement.PolicyVersion = "长宁区", "2023"
	for _, it := range policyItems {
		if r.IntN(3) != 0 {
			continue
		}
		if it.NeedsAmount && r.IntN(2) == 0 {
			it.NeedsAmount = false
			it.Amount = 500 + 100*r.Int64N(16)
		}
		h.Entitlement.Items = append(h.Entitlement.Items, it)
		if !it.NeedsAmount {
			h.Entitlement.Total += it.Amount
		}
		h.Categories = append(h.Categories, domain.CategoryClaim{Category: it.Category, Persons: r.IntN(2)})
	}
	visits := r.IntN(4)
	for v := range visits {
		visitor := domain.VisitorCommittee
		if r.IntN(5) == 0 {
			visitor = domain.VisitorStreet
		}
		paid := int64(0)
		switch r.IntN(4) {
		case 0:
			paid = h.Entitlement.Total
		case 1:
			paid = h.Entitlement.Total / 2
		case 2:
			paid = h.Entitlement.Total + 100 // over
		}
		h.Visits = append(h.Visits, domain.Visit{
			Date: fmt.Sprintf("2024-01-%02d", 10+v), ByName: fmt.Sprintf("社工%d", r.IntN(3)),
			Visitor: visitor, Paid: paid, Goods: []string{"", "大米一袋", "棉被"}[r.IntN(3)],
		})
	}
	return h
}

func makeCommittees(seed uint64, committees, households int) []CommitteeData {
	r := rand.New(rand.NewPCG(seed, 1))
	cs := make([]CommitteeData, committees)
	for c := range cs {
		cs[c].Name = fmt.Sprintf("居委%d", c)
		for i := range households {
			cs[c].Households = append(cs[c].Households, makeHousehold(r, c, i))
		}
		cs[c].Donations = r.Int64N(5000)
	}
	return cs
}

func writeAndOpen(t *testing.T, in Statistics) *excelize.File {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteStatistics(&buf, in); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// rowsOf reads a sheet as raw values (numbers unformatted).
func rowsOf(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// num reads cell col of row as an integer and checks Excel stores it as a
// number, not text.
func num(t *testing.T, f *excelize.File, sheet string, rowIdx, col int, rows [][]string) int64 {
	t.Helper()
	ref, _ := excelize.CoordinatesToCellName(col+1, rowIdx+1)
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("%s!%s is of type %v, want a number", sheet, ref, typ)
	}
	if col >= len(rows[rowIdx]) {
		t.Fatalf("%s!%s is empty", sheet, ref)
	}
	v, err := strconv.ParseInt(rows[rowIdx][col], 10, 64)
	if err != nil {
		t.Fatalf("%s!%s = %q: %v", sheet, ref, rows[rowIdx][col], err)
	}
	return v
}

// findRow returns the index of the first row at or after from whose first
// cell is label.
func findRow(t *testing.T, rows [][]string, from int, label string) int {
	t.Helper()
	for i := from; i < len(rows); i++ {
		if len(rows[i]) > 0 && rows[i][0] == label {
			return i
		}
	}
	t.Fatalf("no row %q after row %d", label, from+1)
	return -1
}

func sumCounters(hs []domain.Household) domain.Counters {
	sum := domain.Counters{}
	for i := range hs {
		for k, v := range domain.CounterFields(&hs[i]) {
			sum[k] += v
		}
	}
	return sum
}

func TestWriteStatisticsTotals(t *testing.T) {
	cs := makeCommittees(7, 4, 40)
	f := writeAndOpen(t, Statistics{Title: "甘泉路街道2024年帮困送温暖统计表", GeneratedAt: time.Date(2024, 2, 6, 17, 30, 0, 0, time.UTC), Committees: cs})

	if got, want := f.GetSheetList(), []string{"汇总", "居委0", "居委1", "居委2", "居委3"}; !slices.Equal(got, want) {
		t.Fatalf("sheets = %v, want %v", got, want)
	}
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("workbook opens on sheet %d, want the summary", got)
	}
	rows := rowsOf(t, f, SummarySheet)
	if !strings.Contains(rows[0][0], "甘泉路街道2024年帮困送温暖统计表") || !strings.Contains(rows[0][0], "2024-02-06 17:30") {
		t.Errorf("title = %q", rows[0][0])
	}
	wantHead := []string{"居委", "户数", "已走访", "走访率", "应发(元)", "已发(元)", "未发(元)", "捐款(元)"}
	if !slices.Equal(rows[1], wantHead) {
		t.Errorf("header = %v, want %v", rows[1], wantHead)
	}

	all := domain.Counters{}
	var donations int64
	for _, c := range cs {
		sum := sumCounters(c.Households)
		for k, v := range sum {
			all[k] += v
		}
		donations += c.Donations
		i := findRow(t, rows, 2, c.Name)
		for col, field := range map[int]string{1: domain.CtrHouseholds, 2: domain.CtrVisited, 4: domain.CtrDue, 5: domain.CtrPaid, 6: domain.CtrShort} {
			if got := num(t, f, SummarySheet, i, col, rows); got != sum[field] {
				t.Errorf("%s %s = %d, want %d", c.Name, rows[1][col], got, sum[field])
			}
		}
		if got := num(t, f, SummarySheet, i, 7, rows); got != c.Donations {
			t.Errorf("%s 捐款 = %d, want %d", c.Name, got, c.Donations)
		}
		gotRate, _ := strconv.ParseFloat(rows[i][3], 64)
		if want := float64(sum[domain.CtrVisited]) / float64(sum[domain.CtrHouseholds]); gotRate != want {
			t.Errorf("%s 走访率 = %v, want %v", c.Name, gotRate, want)
		}
	}
	if all[domain.CtrOver] == 0 || all[domain.CtrNeedAmount] == 0 || all[domain.CtrShort] == 0 {
		t.Fatalf("test data lacks over/short payments or unstated amounts: %v", all)
	}
	ti := findRow(t, rows, 2, "合计")
	for col, want := range map[int]int64{1: all[domain.CtrHouseholds], 2: all[domain.CtrVisited], 4: all[domain.CtrDue],
		5: all[domain.CtrPaid], 6: all[domain.CtrShort], 7: donations} {
		if got := num(t, f, SummarySheet, ti, col, rows); got != want {
			t.Errorf("合计 %s = %d, want %d", rows[1][col], got, want)
		}
	}

	// By category and by fund: every key the counters have, each matching.
	for _, sec := range []struct {
		label     string
		due, paid func(string) string
	}{
		{"类别", domain.CatDue, domain.CatPaid},
		{"资金来源", domain.FundDue, domain.FundPaid},
	} {
		hi := findRow(t, rows, ti, sec.label)
		end := findRow(t, rows, hi, "合计")
		seen := map[string]bool{}
		var due, paid int64
		for i := hi + 1; i < end; i++ {
			key := rows[i][0]
			gotDue, gotPaid := num(t, f, SummarySheet, i, 1, rows), num(t, f, SummarySheet, i, 2, rows)
			if key == "超出应发部分" {
				if gotPaid != all[domain.CtrOver] || gotDue != 0 {
					t.Errorf("%s 超出应发部分 = %d/%d, want 0/%d", sec.label, gotDue, gotPaid, all[domain.CtrOver])
				}
			} else {
				if gotDue != all[sec.due(key)] || gotPaid != all[sec.paid(key)] {
					t.Errorf("%s %s = %d/%d, want %d/%d", sec.label, key, gotDue, gotPaid, all[sec.due(key)], all[sec.paid(key)])
				}
				seen[sec.due(key)] = true
			}
			due += gotDue
			paid += gotPaid
		}
		for k := range all {
			if strings.HasPrefix(k, sec.due("")) && !seen[k] {
				t.Errorf("%s: counter field %s missing from the table", sec.label, k)
			}
		}
		if due != all[domain.CtrDue] || paid != all[domain.CtrPaid] {
			t.Errorf("%s rows add up to %d/%d, want %d/%d", sec.label, due, paid, all[domain.CtrDue], all[domain.CtrPaid])
		}
		if gotDue, gotPaid := num(t, f, SummarySheet, end, 1, rows), num(t, f, SummarySheet, end, 2, rows); gotDue != due || gotPaid != paid {
			t.Errorf("%s 合计 = %d/%d, want %d/%d", sec.label, gotDue, gotPaid, due, paid)
		}
	}
}

func TestWriteStatisticsCommitteeSheet(t *testing.T) {
	cs := makeCommittees(11, 1, 12)
	f := writeAndOpen(t, Statistics{Title: "t", Committees: cs})
	sheet := "居委0"
	rows := rowsOf(t, f, sheet)
	if !slices.Equal(rows[0], householdHeader) {
		t.Fatalf("header = %v", rows[0])
	}
	byCode := map[string]*domain.Household{}
	for i := range cs[0].Households {
		byCode[cs[0].Households[i].Code] = &cs[0].Households[i]
	}
	prev := 0
	var due, paid int64
	for i := 1; i < len(rows)-1; i++ {
		h := byCode[rows[i][0]]
		if h == nil {
			t.Fatalf("row %d: unknown code %q", i+1, rows[i][0])
		}
		code, _ := strconv.Atoi(h.Code)
		if code <= prev {
			t.Errorf("row %d: code %d after %d", i+1, code, prev)
		}
		prev = code
		var p int64
		for _, v := range h.Visits {
			p += v.Paid
		}
		gotDue, gotPaid, gotDiff := num(t, f, sheet, i, 8, rows), num(t, f, sheet, i, 9, rows), num(t, f, sheet, i, 10, rows)
		if gotDue != h.Entitlement.Total || gotPaid != p || gotDiff != h.Entitlement.Total-p {
			t.Errorf("household %s: 应发/已发/差额 = %d/%d/%d, want %d/%d/%d", h.Code, gotDue, gotPaid, gotDiff, h.Entitlement.Total, p, h.Entitlement.Total-p)
		}
		if rows[i][1] != h.Head || rows[i][4] != h.IDMasked || rows[i][5] != h.PhoneMasked {
			t.Errorf("household %s: 户主/身份证/电话 = %q/%q/%q", h.Code, rows[i][1], rows[i][4], rows[i][5])
		}
		for _, it := range h.Entitlement.Items {
			if !strings.Contains(rows[i][7], it.Name) {
				t.Errorf("household %s: 享受项目 %q lacks %s", h.Code, rows[i][7], it.Name)
			}
		}
		if len(h.Visits) > 0 && !strings.Contains(rows[i][11], h.Visits[0].Date) {
			t.Errorf("household %s: 走访日期 %q lacks %s", h.Code, rows[i][11], h.Visits[0].Date)
		}
		due += h.Entitlement.Total
		paid += p
	}
	last := len(rows) - 1
	if rows[last][0] != "合计" || rows[last][1] != "12户" {
		t.Errorf("totals row = %v", rows[last])
	}
	if got := num(t, f, sheet, last, 8, rows); got != due {
		t.Errorf("合计 应发 = %d, want %d", got, due)
	}
	if got := num(t, f, sheet, last, 9, rows); got != paid {
		t.Errorf("合计 已发 = %d, want %d", got, paid)
	}
	for _, s := range []string{SummarySheet, sheet} {
		p, err := f.GetPanes(s)
		if err != nil || !p.Freeze || p.YSplit == 0 {
			t.Errorf("%s panes = %+v, %v; want the header frozen", s, p, err)
		}
	}
}

// allText returns every cell of every sheet.
func allText(t *testing.T, f *excelize.File) string {
	t.Helper()
	var b strings.Builder
	for _, s := range f.GetSheetList() {
		for _, r := range rowsOf(t, f, s) {
			b.WriteString(strings.Join(r, "|"))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func TestWriteStatisticsPII(t *testing.T) {
	cs := makeCommittees(3, 2, 5)
	masked := allText(t, writeAndOpen(t, Statistics{Committees: cs, Unseal: func(string) (string, error) {
		t.Error("Unseal called without FullPII")
		return "", nil
	}}))
	full := allText(t, writeAndOpen(t, Statistics{Committees: cs, FullPII: true, Unseal: openSeal}))
	for c := range cs {
		for i := range cs[c].Households {
			h := &cs[c].Households[i]
			for _, n := range []string{fakeID(c, i), fakePhone(c, i)} {
				if strings.Contains(masked, n) {
					t.Errorf("masked table contains a full number of household %s", h.Code)
				}
				if !strings.Contains(full, n) {
					t.Errorf("full table lacks a number of household %s", h.Code)
				}
			}
			if !strings.Contains(masked, h.IDMasked) || !strings.Contains(masked, h.PhoneMasked) {
				t.Errorf("masked table lacks the masked numbers of household %s", h.Code)
			}
		}
	}
	if strings.Contains(full, "sealed:") || strings.Contains(masked, "sealed:") {
		t.Error("a sealed value was written")
	}
}

func TestWriteStatisticsErrors(t *testing.T) {
	cs := makeCommittees(5, 1, 3)
	if err := WriteStatistics(&bytes.Buffer{}, Statistics{Committees: cs, FullPII: true}); !errors.Is(err, errNoUnseal) {
		t.Errorf("FullPII without Unseal: err = %v, want errNoUnseal", err)
	}
	errKey := errors.New("key not loaded")
	err := WriteStatistics(&bytes.Buffer{}, Statistics{Committees: cs, FullPII: true,
		Unseal: func(string) (string, error) { return "", errKey }})
	if !errors.Is(err, errKey) {
		t.Errorf("failing Unseal: err = %v, want it wrapped", err)
	}
	if err != nil && strings.Contains(err.Error(), "sealed:") {
		t.Errorf("error %q shows a sealed value", err)
	}
	errDisk := errors.New("disk full")
	if err := WriteStatistics(failWriter{errDisk}, Statistics{Committees: cs}); !errors.Is(err, errDisk) {
		t.Errorf("failing writer: err = %v, want it wrapped", err)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteStatisticsCheck(t *testing.T) {
	cs := makeCommittees(9, 3, 6)
	cs[0].Counters = sumCounters(cs[0].Households)
	cs[0].Counters[domain.CtrDonations] = 999 // Donations is set, so it wins
	cs[1].Counters = sumCounters(cs[1].Households)
	cs[1].Counters[domain.CtrPaid] += 300
	cs[1].Counters[domain.CtrDonations] = 1234
	cs[1].Donations = 0
	f := writeAndOpen(t, Statistics{Committees: cs})
	rows := rowsOf(t, f, SummarySheet)
	if rows[1][8] != "核对" {
		t.Fatalf("header = %v, want a 核对 column", rows[1])
	}
	tests := []struct {
		committee int
		check     string
		donations int64
	}{
		{0, "一致", cs[0].Donations},
		{1, fmt.Sprintf("不一致，计数器：已发%d", cs[1].Counters[domain.CtrPaid]), 1234},
		{2, "", cs[2].Donations},
	}
	for _, tt := range tests {
		i := findRow(t, rows, 2, cs[tt.committee].Name)
		got := ""
		if len(rows[i]) > 8 {
			got = rows[i][8]
		}
		if got != tt.check {
			t.Errorf("%s 核对 = %q, want %q", cs[tt.committee].Name, got, tt.check)
		}
		if got := num(t, f, SummarySheet, i, 7, rows); got != tt.donations {
			t.Errorf("%s 捐款 = %d, want %d", cs[tt.committee].Name, got, tt.donations)
		}
	}
}

func TestSheetNames(t *testing.T) {
	long := strings.Repeat("甘", 40)
	in := []string{"甘泉一村", "甘泉/一村[1]", "汇总", "甘泉一村", "abc", "ABC", long, long, "", "'引号'", "a:b*c?d\\e"}
	want := []string{"甘泉一村", "甘泉_一村_1_", "汇总(2)", "甘泉一村(2)", "abc", "ABC(2)",
		strings.Repeat("甘", 31), strings.Repeat("甘", 28) + "(2)", "未命名居委", "引号", "a_b_c_d_e"}
	cs := make([]CommitteeData, len(in))
	for i, n := range in {
		cs[i].Name = n
	}
	got := sheetNames(cs)
	if !slices.Equal(got, want) {
		t.Errorf("sheetNames = %q\nwant %q", got, want)
	}
	// Excel must accept them all, summary included.
	f := writeAndOpen(t, Statistics{Committees: cs})
	if list := f.GetSheetList(); !slices.Equal(list, append([]string{SummarySheet}, want...)) {
		t.Errorf("sheets = %q", list)
	}
}

func TestDisplayWidth(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{{"abc", 3}, {"户主", 4}, {"应发(元)", 8}, {"ＡＢ", 4}, {"", 0}}
	for _, tt := range tests {
		if got := displayWidth(tt.in); got != tt.want {
			t.Errorf("displayWidth(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func BenchmarkWriteStatistics(b *testing.B) {
	in := Statistics{Title: "统计表", GeneratedAt: time.Date(2024, 2, 6, 0, 0, 0, 0, time.UTC), Committees: makeCommittees(1, 50, 60)}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteStatistics(&buf, in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/file")
}
