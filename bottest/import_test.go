package bottest_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"songnuan/bot"
	"songnuan/bottest"
	"songnuan/domain"
)

// makeID returns a valid ID number for a serial: birth date fixed, the
// sequence digits from n, the check digit computed.
func makeID(n int) string {
	first := fmt.Sprintf("310107198%01d0101%03d", (n/1000)%10, n%1000)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first[i]-'0') * w[i]
	}
	return first + string("10X98765432"[sum%11])
}

const importHeader = "户主,人数,类别,身份证,电话,地址,居委\n"

func TestImportFile(t *testing.T) {
	bt := bottest.New(t)
	file := importHeader +
		"甲一,3,低保," + idA + ",13812345678,甘泉路1号,甘泉一村\n" + // 2
		"甲二,三人户,低保、特困供养1人,,,,甘泉一村\n" + // 3
		"甲三,2,低保," + idB + "1,,,甘泉一村\n" + // 4: bad ID
		"甲四,1,打麻将,,,,甘泉一村\n" + // 5: unknown category
		"甲五,1,特困供养,,,,\n" + // 6: no committee
		"乙一,1,特困供养," + idC + ",,,甘泉二村\n" + // 7
		"乙二,1,特困供养," + idC + ",,,甘泉二村\n" + // 8: same person as line 7
		"乙三,1,妇联,,,,甘泉二村\n" + // 9: in, amount to state
		"甲六,1,特困供养,3.10107199001011E+17,,,甘泉一村\n" // 10: Excel mangled the ID
	r := bt.SendFile(t, "admin", "名单.csv", []byte(file))
	mustContain(t, r.Text, "共9行", "导入4行", "未导入5行", "新增4户",
		"第4行：身份证", "第5行：", "打麻将", "第6行：居委为空", "第8行：与第7行是同一户", "第10行：身份证号被Excel改成了科学计数法")
	if leaksNumber(r.Text) || strings.Contains(r.Text, idB) {
		t.Errorf("import report shows a number:\n%s", r.Text)
	}
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrHouseholds] != 2 || c[domain.CtrDue] != 900+2260 {
		t.Errorf("甘泉一村 counters = %v", c)
	}
	if c := bt.Counters(t, "甘泉二村"); c[domain.CtrHouseholds] != 2 || c[domain.CtrNeedAmount] != 1 {
		t.Errorf("甘泉二村 counters = %v", c)
	}

	// the same file again: nothing new
	r = bt.SendFile(t, "admin", "名单.csv", []byte(file))
	mustContain(t, r.Text, "导入4行", "新增0户，更新0户，没有变化4户")
	// a changed file updates: a new size, and a head corrected under the same ID
	changed := strings.Replace(file, "甲一,3,低保,", "甲一,4,低保,", 1)
	changed = strings.Replace(changed, "乙一,1,特困供养,", "乙一一,1,特困供养,", 1)
	r = bt.SendFile(t, "admin", "名单-改.csv", []byte(changed))
	mustContain(t, r.Text, "新增0户，更新2户，没有变化2户")
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrHouseholds] != 2 || c[domain.CtrPersons] != 4+3 || c[domain.CtrDue] != 1000+2260 {
		t.Errorf("甘泉一村 counters after the changed file = %v", c)
	}
	if c := bt.Counters(t, "甘泉二村"); c[domain.CtrHouseholds] != 2 {
		t.Errorf("甘泉二村 counters after the changed file = %v", c)
	}
	mustContain(t, bt.Say(t, "chen", "查询 乙一一"), "甘泉二村", "1460元")
	// imports are not on the chat undo stack
	mustContain(t, bt.Say(t, "admin", "撤销"), "没有可撤销")
}

func TestImportByWorker(t *testing.T) {
	bt := bottest.New(t)
	mixed := importHeader + "甲一,3,低保,,,,甘泉一村\n" + "乙一,2,低保,,,,甘泉二村\n"
	r := bt.SendFile(t, "wang", "名单.xlsx.csv", []byte(mixed))
	mustContain(t, r.Text, "第3行不是本居委（甘泉一村）", "整份文件没有导入")
	if c := bt.Counters(t, "甘泉一村"); len(c) != 0 {
		t.Errorf("a refused file stored something: %v", c)
	}
	own := "户主,人数,类别\n甲一,3,低保\n甲二,1,特困\n"
	r = bt.SendFile(t, "wang", "本居委.csv", []byte(own))
	mustContain(t, r.Text, "导入2行", "新增2户")
	mustContain(t, bt.Say(t, "wang", "待办"), "待走访 2户", "甲一(编号", "甲二(编号")
	r = bt.SendFile(t, "li", "名单.csv", []byte(own))
	mustContain(t, r.Text, "领导账号")
	r = bt.SendFile(t, "wang", "名单.xls", []byte("not a sheet"))
	mustContain(t, r.Text, "xlsx")
}

func TestImportManyProblemsAttachesReport(t *testing.T) {
	bt := bottest.New(t)
	var sb strings.Builder
	sb.WriteString(importHeader)
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&sb, "户%d,1,未知类别,,,,甘泉一村\n", i)
	}
	r := bt.SendFile(t, "admin", "错.csv", []byte(sb.String()))
	mustContain(t, r.Text, "未导入15行", "等另外5行")
	if len(r.Text) > 2048 {
		t.Errorf("import report is %d bytes, over WeCom's 2048", len(r.Text))
	}
	if r.File == nil || !strings.Contains(string(r.File.Data), "未知类别") || strings.Count(string(r.File.Data), "\n") != 16 {
		t.Errorf("problem report = %+v", r.File)
	}
}

// BenchmarkImport10k imports 10,000 households through the store and
// reports rows per second.
func BenchmarkImport10k(b *testing.B) {
	rows := make([]bot.ImportRow, benchRows)
	for i := range rows {
		rows[i] = bot.ImportRow{Line: i + 2, Fields: map[string]string{
			"户主": fmt.Sprintf("户主%05d", i), "人数": "3", "类别": "低保 特困供养1人",
			"身份证": makeID(i), "电话": "13812345678", "居委": []string{"甘泉一村", "甘泉二村"}[i%2],
		}}
	}
	admin := bottest.Staff["admin"]
	for b.Loop() {
		b.StopTimer()
		bt := bottest.New(b)
		b.StartTimer()
		rep, err := bt.Import(context.Background(), admin, "bench.xlsx", rows, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if rep.Created != len(rows) {
			b.Fatalf("created %d of %d: %v", rep.Created, len(rows), rep.Refused[:min(3, len(rep.Refused))])
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}

// benchRows is the size of BenchmarkImport10k's file.
var benchRows = 10000

func init() {
	if n := os.Getenv("BENCH_ROWS"); n != "" {
		benchRows, _ = strconv.Atoi(n)
	}
}

// failAfterStore lets the first ok changes through and then fails every
// change as if Redis had gone away mid-import.
type failAfterStore struct {
	bot.Store
	ok atomic.Int64
}

func (f *failAfterStore) Apply(ctx context.Context, c bot.Change) (bot.Applied, error) {
	if f.ok.Add(-1) < 0 {
		return bot.Applied{}, bot.ErrUnavailable
	}
	return f.Store.Apply(ctx, c)
}

// TestImportCutShortByTheStoreSaysWhatWentIn: a store failure in the
// middle of an import leaves the rows before it stored. The reply says how
// many went in and that sending the file again is safe, rather than
// claiming nothing was recorded; sending it again then adds the rest once.
func TestImportCutShortByTheStoreSaysWhatWentIn(t *testing.T) {
	fs := &failAfterStore{}
	fs.ok.Store(1 << 40)
	bt := bottest.NewWith(t, bottest.Options{Wrap: func(s bot.Store) bot.Store { fs.Store = s; return fs }})
	var b strings.Builder
	b.WriteString(importHeader)
	const rows = 40
	for i := range rows {
		fmt.Fprintf(&b, "庚%d,2,低保,%s,,,甘泉一村\n", i, makeID(300+i))
	}
	fs.ok.Store(12)
	r := bt.SendFile(t, "admin", "名单.csv", []byte(b.String()))
	in := bt.Counters(t, "甘泉一村")[domain.CtrHouseholds]
	if in == 0 || in >= rows {
		t.Fatalf("%d households stored before the failure; the test wants a cut in the middle", in)
	}
	mustContain(t, r.Text, fmt.Sprintf("已导入%d行", in), "重发")
	if strings.Contains(r.Text, "未作记录") {
		t.Errorf("reply says nothing was recorded though %d rows were:\n%s", in, r.Text)
	}
	fs.ok.Store(1 << 40)
	r = bt.SendFile(t, "admin", "名单.csv", []byte(b.String()))
	mustContain(t, r.Text, fmt.Sprintf("新增%d户", rows-in), fmt.Sprintf("没有变化%d户", in))
	if got := bt.Counters(t, "甘泉一村")[domain.CtrHouseholds]; got != rows {
		t.Errorf("%d households after sending the file again, want %d", got, rows)
	}
}
