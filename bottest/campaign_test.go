package bottest_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"songnuan/bot"
	"songnuan/bottest"
	"songnuan/domain"
	"songnuan/schedule"
)

// day is a campaign time in Shanghai.
func day(month time.Month, d, hour int) time.Time {
	y := 2024
	if month == time.December {
		y = 2023
	}
	return time.Date(y, month, d, hour, 0, 0, 0, bottest.Zone)
}

// household is one registration of the campaign scenario with what it is
// due, worked out by hand from the 2023 standards (DOMAIN.md), not by the
// bot.
type household struct {
	user, text string
	due        int64
}

// visitStep is one visit of the scenario, with what it pays and what a
// leader's visit adds to the household's due.
type visitStep struct {
	user, text  string
	paid, added int64
}

var (
	scenarioHouseholds = []household{
		{"wang", "登记 甲一 低保 3人 身份证:" + idA + " 电话:13812345678", 900}, // 700 + 2×100
		{"wang", "登记 甲二 低保 3人 特困供养1人", 2260},                        // 低保 for 2: 800; 特困 1000 + 御寒 460
		{"wang", "登记 甲三 特困供养 1人", 1460},                             // 1000 + 460
		{"chen", "登记 乙一 低保 2人 身份证:" + idB, 800},                     // 700 + 100
		{"chen", "登记 乙二 低保 2人 登记失业1人", 1550},                        // 800 + 750
		{"chen", "登记 乙三 1人 妇联1500元", 1500},                          // stated, within 500–2000
	}
	scenarioVisits = []visitStep{
		{"wang", "走访 甲一 发放900元", 900, 0},
		{"wang", "走访 甲二 发放1000元", 1000, 0},
		{"wang", "走访 甲三 发放500元 走访人:街镇领导", 500, 500}, // 街镇领导走访 adds 500 to what is due
		{"chen", "走访 乙一 发放800元", 800, 0},
		{"chen", "走访 乙三 发放1500元", 1500, 0},
	}
	scenarioDonations = []struct {
		user, text string
		amount     int64
	}{
		{"wang", "捐款 一日捐 5000元", 5000},
		{"chen", "捐款 募捐 1200元", 1200},
		{"admin", "捐款 机关一日捐 3000元", 3000},
	}
)

// expected is the street's totals worked out from the scenario tables.
type expected struct {
	households, visited, due, paid, donations int64
}

func scenarioTotals() expected {
	var e expected
	for _, h := range scenarioHouseholds {
		e.households++
		e.due += h.due
	}
	visited := map[string]bool{}
	for _, v := range scenarioVisits {
		e.paid += v.paid
		e.due += v.added
		visited[strings.Fields(v.text)[1]] = true
	}
	e.visited = int64(len(visited))
	for _, d := range scenarioDonations {
		e.donations += d.amount
	}
	return e
}

// playScenario registers, visits and records donations, failing on any
// reply that does not say it was recorded.
func playScenario(t *testing.T, bt *bottest.Bot) {
	t.Helper()
	for _, h := range scenarioHouseholds {
		mustContain(t, bt.Say(t, h.user, h.text), "已登记", fmt.Sprintf("合计 %d元", h.due))
	}
	for _, v := range scenarioVisits {
		mustContain(t, bt.Say(t, v.user, v.text), "已记录")
	}
	for _, d := range scenarioDonations {
		mustContain(t, bt.Say(t, d.user, d.text), "已记录捐款")
	}
}

var reStreetTotals = regexp.MustCompile(`全街道(\d+)个居委：已走访 (\d+)/(\d+)户（\d+%），已发 (\d+)/(\d+)元，未发 (\d+)元`)

// streetTotals reads the totals line of the street's 进度.
func streetTotals(t *testing.T, reply string) (committees, visited, households, paid, due, short int64) {
	t.Helper()
	sm := reStreetTotals.FindStringSubmatch(reply)
	if sm == nil {
		t.Fatalf("no totals line in 进度:\n%s", reply)
	}
	n := make([]int64, len(sm)-1)
	for i, s := range sm[1:] {
		n[i], _ = strconv.ParseInt(s, 10, 64)
	}
	return n[0], n[1], n[2], n[3], n[4], n[5]
}

func TestProgressTotalsEqualTheHouseholds(t *testing.T) {
	bt := bottest.New(t)
	bt.SetNow(day(time.January, 25, 10))
	playScenario(t, bt)
	want := scenarioTotals()

	got := bt.Say(t, "li", "进度")
	committees, visited, households, paid, due, short := streetTotals(t, got)
	if committees != 2 || visited != want.visited || households != want.households || paid != want.paid || due != want.due || short != want.due-want.paid {
		t.Errorf("进度 totals: %d committees, visited %d/%d, paid %d/%d, short %d; want 2, %d/%d, %d/%d, %d\n%s",
			committees, visited, households, paid, due, short, want.visited, want.households, want.paid, want.due, want.due-want.paid, got)
	}
	mustContain(t, got, fmt.Sprintf("捐款 %d元（其中街道本级 3000元）", want.donations))

	// The households as stored agree too: what the counters say is what
	// the records add up to.
	var storedDue, storedPaid int64
	for _, c := range []string{"甘泉一村", "甘泉二村"} {
		hs, err := bt.Store.Households(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			storedDue += h.Entitlement.Total
			for _, v := range h.Visits {
				storedPaid += v.Paid
			}
		}
	}
	if storedDue != want.due || storedPaid != want.paid {
		t.Errorf("stored households: due %d paid %d, want %d and %d", storedDue, storedPaid, want.due, want.paid)
	}

	// The splits add up to the same money.
	for _, view := range []string{"类别", "资金"} {
		got := bt.Say(t, "li", "进度 "+view)
		mustContain(t, got, fmt.Sprintf("合计：已发 %d/%d元", want.paid, want.due))
	}
	mustContain(t, bt.Say(t, "li", "进度 资金"), fmt.Sprintf("捐款（街道帮困专户）%d元", want.donations))

	// One committee's line equals its own households.
	var oneDue, onePaid int64
	for _, h := range scenarioHouseholds {
		if h.user == "chen" {
			oneDue += h.due
		}
	}
	for _, v := range scenarioVisits {
		if v.user == "chen" {
			onePaid += v.paid
			oneDue += v.added
		}
	}
	mustContain(t, bt.Say(t, "li", "进度 甘泉二村"), fmt.Sprintf("应发 %d元，已发 %d元，未发 %d元", oneDue, onePaid, oneDue-onePaid))
	mustContain(t, got, fmt.Sprintf("甘泉二村 已走访 2/3户，已发 %d/%d元", onePaid, oneDue))
}

// sheetTotals reads the 合计 row under the committees of the 汇总 sheet,
// keyed by column header.
func sheetTotals(t *testing.T, data []byte) (map[string]int64, map[string]map[string]int64) {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("the exported file does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("汇总", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	perCommittee := map[string]map[string]int64{}
	for _, r := range rows {
		if len(r) == 0 {
			continue
		}
		if r[0] == "居委" {
			header = r
			continue
		}
		if header == nil {
			continue
		}
		vals := map[string]int64{}
		for i, h := range header {
			if i < len(r) {
				n, err := strconv.ParseFloat(r[i], 64)
				if err == nil {
					vals[h] = int64(n)
				}
			}
		}
		if r[0] == "合计" {
			return vals, perCommittee
		}
		perCommittee[r[0]] = vals
	}
	t.Fatalf("no 合计 row in 汇总: %q", rows)
	return nil, nil
}

func TestExportMatchesProgress(t *testing.T) {
	bt := bottest.New(t)
	bt.SetNow(day(time.January, 25, 10))
	playScenario(t, bt)
	progress := bt.Say(t, "li", "进度")
	_, visited, households, paid, due, short := streetTotals(t, progress)

	r, err := bt.Deliver("li", bt.NextMsgID(), "导出")
	if err != nil {
		t.Fatal(err)
	}
	if r.File == nil || !strings.HasSuffix(r.File.Name, ".xlsx") {
		t.Fatalf("导出 gave no .xlsx file: %+v", r)
	}
	total, rows := sheetTotals(t, r.File.Data)
	want := map[string]int64{"户数": households, "已走访": visited, "应发(元)": due, "已发(元)": paid, "未发(元)": short, "捐款(元)": scenarioTotals().donations}
	for k, v := range want {
		if total[k] != v {
			t.Errorf("汇总 合计 %s = %d, 进度 says %d", k, total[k], v)
		}
	}
	// Each committee's row against its line in 进度.
	for c, vals := range rows {
		if c == bot.StreetCommittee {
			continue
		}
		line := fmt.Sprintf("%s 已走访 %d/%d户，已发 %d/%d元", c, vals["已走访"], vals["户数"], vals["已发(元)"], vals["应发(元)"])
		mustContain(t, progress, line)
	}
	if len(rows) != 3 {
		t.Errorf("汇总 lists %d rows, want the two committees and the street's own", len(rows))
	}
	text := exportText(t, r.File.Data)
	mustContain(t, text, "310107********1232", "138****5678")
	if strings.Contains(text, idA) || strings.Contains(text, "13812345678") {
		t.Error("the masked export holds a full ID or phone number")
	}
	if audit := auditOf(t, bt, "export"); len(audit) != 0 {
		t.Errorf("a masked export was audited: %+v", audit)
	}
}

// auditOf is the street's audit entries of one kind, newest first.
func auditOf(t *testing.T, bt *bottest.Bot, kind bot.ChangeKind) []bot.AuditEntry {
	t.Helper()
	all, err := bt.Store.Audit(context.Background(), bot.StreetCommittee, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []bot.AuditEntry
	for _, e := range all {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// reMsgID is the MsgId at the end of an audit entry: a long number that
// is neither an ID nor a phone number.
var reMsgID = regexp.MustCompile(`MsgId=\d+`)

// exportText is every cell of every sheet, for looking for numbers.
func exportText(t *testing.T, data []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sb strings.Builder
	for _, s := range f.GetSheetList() {
		rows, err := f.GetRows(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			sb.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	return sb.String()
}

func TestFullExportIsAdminsOnlyAndAudited(t *testing.T) {
	bt := bottest.New(t)
	playScenario(t, bt)
	r, err := bt.Deliver("li", bt.NextMsgID(), "导出 完整")
	if err != nil {
		t.Fatal(err)
	}
	if r.File != nil {
		t.Fatal("a leader got the full export")
	}
	mustContain(t, r.Text, "只有社区服务办管理员", "导出")
	if audit := auditOf(t, bt, "export"); len(audit) != 0 {
		t.Errorf("a refused export was audited: %+v", audit)
	}

	msgID := bt.NextMsgID()
	r, err = bt.Deliver("admin", msgID, "导出 完整")
	if err != nil {
		t.Fatal(err)
	}
	if r.File == nil {
		t.Fatalf("admin got no file: %+v", r)
	}
	mustContain(t, exportText(t, r.File.Data), idA, "13812345678", idB)
	if leaksNumber(r.Text) {
		t.Errorf("the reply shows a number: %s", r.Text)
	}
	audit := auditOf(t, bt, "export")
	if len(audit) != 1 || audit[0].Kind != "export" || audit[0].Actor != "admin" || audit[0].OpID != "m:"+msgID ||
		!audit[0].At.Equal(bt.Now()) || !strings.Contains(audit[0].Detail, msgID) {
		t.Errorf("audit = %+v, want one export entry by admin for MsgId %s at %v", audit, msgID, bt.Now())
	}
	if len(audit) > 0 && leaksNumber(reMsgID.ReplaceAllString(audit[0].Detail, "")) {
		t.Errorf("the audit entry shows a number: %s", audit[0].Detail)
	}
}

func TestExportOff(t *testing.T) {
	bt := bottest.NewWith(t, bottest.Options{NoExport: true})
	r, err := bt.Deliver("admin", bt.NextMsgID(), "导出")
	if err != nil || r.File != nil {
		t.Fatalf("导出 without an exporter = %+v, %v", r, err)
	}
	mustContain(t, r.Text, "没有开启导出")
	mustContain(t, bt.Say(t, "wang", "导出"), "您的账号不能使用")
}

func TestDonationRedeliveryCountedOnce(t *testing.T) {
	bt := bottest.New(t)
	msgID := bt.NextMsgID()
	replies := bt.DeliverAtOnce(t, "wang", msgID, "捐款 一日捐 5000元", 3)
	r, err := bt.Deliver("wang", msgID, "捐款 一日捐 5000元")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range append(replies, r.Text) {
		if got != replies[0] {
			t.Errorf("deliveries answered differently:\n%s\n---\n%s", replies[0], got)
		}
	}
	mustContain(t, replies[0], "已记录捐款：一日捐 5000元（甘泉一村", "甘泉一村累计捐款 5000元")
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrDonations] != 5000 || c[bot.DonationSource("一日捐")] != 5000 {
		t.Errorf("counters = %v, want 5000 donated once", c)
	}
	// A new message is a new donation.
	mustContain(t, bt.Say(t, "zhao", "捐款 一日捐 5000元"), "甘泉一村累计捐款 10000元")
	// An admin with no committee records for the street; a worker cannot
	// record for another committee; a leader cannot record at all.
	mustContain(t, bt.Say(t, "admin", "捐款 机关一日捐 3000元"), "街道本级")
	mustContain(t, bt.Say(t, "chen", "捐款 募捐 100元 居委:甘泉一村"), "您只能办理本居委")
	mustContain(t, bt.Say(t, "li", "捐款 募捐 100元"), "领导账号只能查看")
	mustContain(t, bt.Say(t, "admin", "捐款 募捐 100元 居委:甘泉二村"), "甘泉二村累计捐款 100元")
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrDonations] != 10000 {
		t.Errorf("甘泉一村 donations = %d, want 10000", c[domain.CtrDonations])
	}
	mustContain(t, bt.Say(t, "li", "进度"), "捐款 13100元（其中街道本级 3000元）")
	for _, bad := range []string{"捐款 一日捐", "捐款 5000元", "捐款 一日捐 0元", "捐款 一日捐 99999999元", "捐款 13812345678 100元"} {
		got := bt.Say(t, "wang", bad)
		mustContain(t, got, "捐款格式：捐款 一日捐 5000元")
		if leaksNumber(got) {
			t.Errorf("%q: reply shows a number: %s", bad, got)
		}
	}
}

var rescueTargets = domain.Message{ToUsers: []string{"rescue1", "rescue2"}, ChatID: "chat-rescue", RobotKey: "robot-key"}

func TestRescueAlertReachesTheConfiguredTargets(t *testing.T) {
	bt := bottest.NewWith(t, bottest.Options{Rescue: rescueTargets})
	msgID := bt.NextMsgID()
	r, err := bt.Deliver("wang", msgID, "流浪 甘泉公园东门 老人衣着单薄睡在长椅上，联系人13812345678")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r.Text, "已登记流浪求助1号", "已通知救助组")
	sent := bt.Sender.Sent()
	if len(sent) != 3 {
		t.Fatalf("%d messages sent, want one per target kind: %+v", len(sent), sent)
	}
	var users []string
	var chats, robots int
	for _, m := range sent {
		switch {
		case len(m.ToUsers) > 0:
			users = append(users, m.ToUsers...)
		case m.ChatID == "chat-rescue":
			chats++
		case m.RobotKey == "robot-key":
			robots++
		default:
			t.Errorf("a message to an unexpected target: %+v", m)
		}
		mustContain(t, m.Text, "流浪人员求助", "1号", "甘泉公园东门", "老人衣着单薄", "王芳（甘泉一村）", "流浪 结案 1")
		if leaksNumber(m.Text) {
			t.Errorf("the alert shows a full number: %s", m.Text)
		}
		if m.Idempotency == "" {
			t.Errorf("alert without an idempotency key: %+v", m)
		}
	}
	if !slices.Equal(users, rescueTargets.ToUsers) || chats != 1 || robots != 1 {
		t.Errorf("alert went to users %v, %d chats, %d robots; want %v, 1, 1", users, chats, robots, rescueTargets.ToUsers)
	}
	// A re-delivery neither records nor alerts again.
	again, err := bt.Deliver("wang", msgID, "流浪 甘泉公园东门 老人衣着单薄睡在长椅上，联系人13812345678")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, again.Text, "1号已在", "不再重复通知")
	if n := len(bt.Sender.Sent()); n != 3 {
		t.Errorf("re-delivery sent again: %d messages", n)
	}
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrAlerts] != 1 {
		t.Errorf("alerts counter = %d, want 1", c[domain.CtrAlerts])
	}
	// Open until closed, and listed in 进度 meanwhile.
	mustContain(t, bt.Say(t, "li", "进度"), "流浪求助未结案 1起：1号 甘泉公园东门")
	mustContain(t, bt.Say(t, "wang", "进度"), "流浪求助未结案 1起：1号 甘泉公园东门")
	mustContain(t, bt.Say(t, "zhao", "流浪 结案 1"), "没有您报告的")
	mustContain(t, bt.Say(t, "admin", "流浪 结案 9"), "没有编号9的流浪求助")
	mustContain(t, bt.Say(t, "wang", "流浪 结案 1"), "已结案：流浪求助1号")
	mustContain(t, bt.Say(t, "admin", "流浪 结案 1"), "已于1月20日 10:00由王芳结案")
	mustNotContain(t, bt.Say(t, "li", "进度"), "流浪求助未结案")
}

func TestRescueWithoutTargetsTellsAdminsOnly(t *testing.T) {
	bt := bottest.New(t)
	got := bt.Say(t, "li", "流浪 宜川路桥下 有人露宿")
	mustContain(t, got, "已登记流浪求助1号", "没有设置救助联系人", "请立即拨打110", "已通知社区服务办管理员")
	sent := bt.Sender.Sent()
	if len(sent) != 1 || !slices.Equal(sent[0].ToUsers, []string{"admin"}) || sent[0].ChatID != "" || sent[0].RobotKey != "" {
		t.Fatalf("sent %+v, want one message to the admin only", sent)
	}
	mustContain(t, sent[0].Text, "宜川路桥下", "有人露宿", "李书记")

	// When the alert cannot be sent, the reporter is told to phone.
	bt.Sender.FailWith(func(domain.Message) error { return errors.New("wecom down") })
	mustContain(t, bt.Say(t, "wang", "流浪 甘泉公园 老人"), "2号", "通知管理员也失败了", "请立即拨打110")
	bt2 := bottest.NewWith(t, bottest.Options{Rescue: rescueTargets})
	bt2.Sender.FailWith(func(domain.Message) error { return errors.New("wecom down") })
	got = bt2.Say(t, "wang", "流浪 甘泉公园 老人")
	mustContain(t, got, "通知救助组失败", "请立即拨打110")

	for _, bad := range []string{"流浪 甘泉公园", "流浪 结案", "流浪 结案 x"} {
		mustContain(t, bt.Say(t, "wang", bad), "例如")
	}
}

// alertTargets counts the alerts of report id sent so far, by
// Idempotency key: one key per target.
func alertTargets(t *testing.T, bt *bottest.Bot, id string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, m := range bt.Sender.Sent() {
		if !strings.HasPrefix(m.Idempotency, "rescue:"+id+":") {
			t.Errorf("a message that is not an alert of report %s: %+v", id, m)
		}
		mustContain(t, m.Text, "流浪人员求助", id+"号")
		got[m.Idempotency]++
	}
	return got
}

// mustAlertEachOnce fails unless each of n targets got report id's alert
// exactly once.
func mustAlertEachOnce(t *testing.T, bt *bottest.Bot, id string, n int) {
	t.Helper()
	got := alertTargets(t, bt, id)
	if len(got) != n {
		t.Errorf("alert of report %s reached %d targets, want %d: %v", id, len(got), n, got)
	}
	for key, times := range got {
		if times != 1 {
			t.Errorf("alert %s sent %d times, want once", key, times)
		}
	}
}

// TestRescueRedeliveryRetriesAFailedAlert: when no target took the alert
// the reporter is told to phone, and WeCom's re-delivery of the message
// tries again instead of answering that it was registered before.
func TestRescueRedeliveryRetriesAFailedAlert(t *testing.T) {
	bt := bottest.NewWith(t, bottest.Options{Rescue: rescueTargets})
	const text = "流浪 甘泉公园东门 老人衣着单薄睡在长椅上"
	msgID := bt.NextMsgID()
	bt.Sender.FailWith(func(domain.Message) error { return errors.New("wecom down") })
	first, err := bt.Deliver("wang", msgID, text)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, first.Text, "已登记流浪求助1号", "通知救助组失败", "请立即拨打110")
	if n := len(bt.Sender.Sent()); n != 0 {
		t.Fatalf("%d alerts recorded by a failing sender", n)
	}

	bt.Sender.FailWith(nil)
	again, err := bt.Deliver("wang", msgID, text)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, again.Text, "已登记流浪求助1号", "已通知救助组")
	mustNotContain(t, again.Text, "不再重复通知", "失败")
	mustAlertEachOnce(t, bt, "1", 3)

	// Heard now: a further re-delivery keeps quiet, and it is all one report.
	third, err := bt.Deliver("wang", msgID, text)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, third.Text, "1号已在", "不再重复通知", "请立即拨打110")
	mustAlertEachOnce(t, bt, "1", 3)
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrAlerts] != 1 {
		t.Errorf("alerts counter = %d, want 1", c[domain.CtrAlerts])
	}
	if _, n, err := bt.Store.OpenRescues(context.Background(), 0); err != nil || n != 1 {
		t.Errorf("%d open reports, %v; want 1", n, err)
	}
}

// TestRescueRecordedButNotSent: the process died after recording the
// report and before any alert went out; the re-delivery sends it, once.
func TestRescueRecordedButNotSent(t *testing.T) {
	tests := []struct {
		name    string
		rescue  domain.Message
		targets int
		reply   []string
	}{
		{"rescue group", rescueTargets, 3, []string{"已登记流浪求助1号", "已通知救助组"}},
		{"admins only", domain.Message{}, 1, []string{"已登记流浪求助1号", "请立即拨打110", "已通知社区服务办管理员"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bt := bottest.NewWith(t, bottest.Options{Rescue: tt.rescue})
			msgID := bt.NextMsgID()
			_, created, err := bt.Store.OpenRescue(context.Background(), "m:"+msgID, bot.RescueReport{
				Place: "宜川路桥下", Situation: "有人露宿", By: "wang", ByName: "王芳", Committee: "甘泉一村",
				At: bt.Now(), MsgID: msgID,
			})
			if err != nil || !created {
				t.Fatalf("record: created %v, %v", created, err)
			}
			r, err := bt.Deliver("wang", msgID, "流浪 宜川路桥下 有人露宿")
			if err != nil {
				t.Fatal(err)
			}
			mustContain(t, r.Text, tt.reply...)
			mustAlertEachOnce(t, bt, "1", tt.targets)
			for _, m := range bt.Sender.Sent() {
				mustContain(t, m.Text, "宜川路桥下", "有人露宿", "王芳（甘泉一村）")
			}
			r, err = bt.Deliver("wang", msgID, "流浪 宜川路桥下 有人露宿")
			if err != nil {
				t.Fatal(err)
			}
			mustContain(t, r.Text, "不再重复通知")
			mustAlertEachOnce(t, bt, "1", tt.targets)
			if c := bt.Counters(t, "甘泉一村"); c[domain.CtrAlerts] != 1 {
				t.Errorf("alerts counter = %d, want 1", c[domain.CtrAlerts])
			}
		})
	}
}

func TestBroadcastPreviewConfirm(t *testing.T) {
	bt := bottest.New(t)
	text := "广播 明天上午9点在街道三楼开会\n请各居委准时参加 对象:社工"
	got := bt.Say(t, "admin", text)
	mustContain(t, got, "广播预览，将发给3人（社工）", "陈静、王芳、赵亮", "明天上午9点在街道三楼开会\n请各居委准时参加", "确认")
	if n := len(bt.Sender.Sent()); n != 0 {
		t.Fatalf("the preview sent %d messages", n)
	}
	mustContain(t, bt.Say(t, "admin", "确认"), "已发送广播给3人")
	sent := bt.Sender.Sent()
	if len(sent) != 1 || !slices.Equal(sent[0].ToUsers, []string{"chen", "wang", "zhao"}) {
		t.Fatalf("sent %+v, want one message to the three workers", sent)
	}
	if sent[0].Text != "明天上午9点在街道三楼开会\n请各居委准时参加\n——周敏" {
		t.Errorf("sent text %q", sent[0].Text)
	}
	// Sent once: a second 确认 finds nothing.
	mustContain(t, bt.Say(t, "admin", "确认"), "没有待发送的广播")
	if n := len(bt.Sender.Sent()); n != 1 {
		t.Errorf("%d messages after a second 确认", n)
	}
	if audit := auditOf(t, bt, "broadcast"); len(audit) != 1 || audit[0].Actor != "admin" || !strings.Contains(audit[0].Detail, "广播给3人") {
		t.Errorf("audit = %+v; want one broadcast entry", audit)
	}
}

func TestBroadcastAudiences(t *testing.T) {
	bt := bottest.New(t)
	tests := []struct {
		spec string
		want []string
	}{
		{"", []string{"admin", "chen", "li", "wang", "zhao"}},
		{" 对象:全体", []string{"admin", "chen", "li", "wang", "zhao"}},
		{" 对象：甘泉一村", []string{"wang", "zhao"}},
		{" 对象:领导,管理员", []string{"admin", "li"}},
		{" 对象:li、王芳", []string{"li", "wang"}},
		{" 对象:甘泉二村,社工", []string{"chen", "wang", "zhao"}},
	}
	for _, tt := range tests {
		bt.Sender.Reset()
		mustContain(t, bt.Say(t, "admin", "广播 请查收新的日程"+tt.spec), fmt.Sprintf("将发给%d人", len(tt.want)))
		bt.Say(t, "admin", "确认")
		sent := bt.Sender.Sent()
		if len(sent) != 1 || !slices.Equal(sent[0].ToUsers, tt.want) {
			t.Errorf("对象%q: sent %+v, want to %v", tt.spec, sent, tt.want)
		}
	}
	bt.Sender.Reset()
	for _, bad := range []string{"广播 开会 对象:甘泉九村", "广播 有事请打13812345678", "广播 对象:社工"} {
		got := bt.Say(t, "admin", bad)
		mustContain(t, got, "广播")
		if leaksNumber(got) {
			t.Errorf("%q: reply shows a number: %s", bad, got)
		}
	}
	mustContain(t, bt.Say(t, "admin", "确认"), "没有待发送的广播")
	mustContain(t, bt.Say(t, "wang", "广播 开会"), "您的账号不能使用")
	mustContain(t, bt.Say(t, "li", "确认"), "领导账号只能查看")
	if n := len(bt.Sender.Sent()); n != 0 {
		t.Errorf("refused broadcasts sent %d messages", n)
	}
}

func TestBroadcastCancelAndExpiry(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "admin", "广播 开会 对象:社工")
	mustContain(t, bt.Say(t, "admin", "取消"), "已取消")
	mustContain(t, bt.Say(t, "admin", "确认"), "没有待发送的广播")

	bt.Say(t, "admin", "广播 开会 对象:社工")
	bt.SetNow(bt.Now().Add(bot.BroadcastTTL + time.Minute))
	mustContain(t, bt.Say(t, "admin", "确认"), "已超过10分钟", "没有发送")
	mustContain(t, bt.Say(t, "admin", "确认"), "没有待发送的广播")

	// Within the ten minutes a later preview replaces the earlier one.
	bt.Say(t, "admin", "广播 第一稿 对象:社工")
	bt.SetNow(bt.Now().Add(5 * time.Minute))
	bt.Say(t, "admin", "广播 第二稿 对象:领导")
	bt.SetNow(bt.Now().Add(9 * time.Minute))
	mustContain(t, bt.Say(t, "admin", "确认"), "已发送广播给1人")
	sent := bt.Sender.Sent()
	if len(sent) != 1 || !strings.HasPrefix(sent[0].Text, "第二稿") || !slices.Equal(sent[0].ToUsers, []string{"li"}) {
		t.Errorf("sent %+v, want only the second draft to the leader", sent)
	}
}

func TestBroadcastSendFailureKeepsTheDraft(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "admin", "广播 开会 对象:社工")
	bt.Sender.FailWith(func(domain.Message) error { return errors.New("wecom down") })
	mustContain(t, bt.Say(t, "admin", "确认"), "3人发送失败", "确认")
	bt.Sender.FailWith(nil)
	mustContain(t, bt.Say(t, "admin", "确认"), "已发送广播给3人")
	if sent := bt.Sender.Sent(); len(sent) != 1 || len(sent[0].ToUsers) != 3 {
		t.Errorf("sent %+v after the retry", sent)
	}
}

func TestProgressPermissions(t *testing.T) {
	bt := bottest.New(t)
	playScenario(t, bt)
	refusedOther := bt.Say(t, "wang", "进度 甘泉二村")
	refusedNone := bt.Say(t, "wang", "进度 不存在的村")
	if refusedOther != refusedNone {
		t.Errorf("a worker can tell committees apart:\n%s\n---\n%s", refusedOther, refusedNone)
	}
	mustContain(t, refusedOther, "您只能办理本居委（甘泉一村）")
	mustNotContain(t, refusedOther, "甘泉二村", "800", "1550")
	for _, view := range []string{"进度 类别 居委:甘泉二村", "进度 甘泉二村 资金"} {
		if got := bt.Say(t, "wang", view); got != refusedOther {
			t.Errorf("%s = %s", view, got)
		}
	}
	// A worker's 进度 is their own committee only.
	own := bt.Say(t, "wang", "进度")
	mustContain(t, own, "【进度】甘泉一村", "已走访 3/3户")
	mustNotContain(t, own, "甘泉二村", "全街道")
	mustNotContain(t, bt.Say(t, "chen", "进度 类别"), "特困供养") // only 甘泉一村 has 特困供养 households
	mustContain(t, bt.Say(t, "li", "进度 甘泉九村"), "没有名为“甘泉九村”的居委")
	mustContain(t, bt.Say(t, "li", "进度 "+bot.StreetCommittee), "全街道2个居委")
	mustContain(t, bt.Say(t, "wang", "进度 "+bot.StreetCommittee), "您只能办理本居委（甘泉一村）")
	mustContain(t, bt.Say(t, "li", "进度 甘泉一村 甘泉二村"), "进度格式")
}

func TestLongProgressIsMarkdownWithinOneMessage(t *testing.T) {
	staff := domain.Directory{"li": {UserID: "li", Name: "李书记", Role: domain.RoleLeader}}
	for i := range 60 {
		id := fmt.Sprintf("w%02d", i)
		staff[id] = domain.Staff{UserID: id, Name: "社工" + id, Role: domain.RoleWorker, Committee: fmt.Sprintf("甘泉%02d村", i)}
	}
	bt := bottest.NewWith(t, bottest.Options{Staff: staff})
	bt.SetNow(day(time.January, 25, 10))
	var due, paid int64
	for i := range 60 {
		id := fmt.Sprintf("w%02d", i)
		bt.Say(t, id, "登记 甲一 低保 3人")
		bt.Say(t, id, "登记 甲二 低保 2人")
		due += 900 + 800
		if i%3 == 0 {
			bt.Say(t, id, "走访 甲一 发放900元")
			paid += 900
		}
	}
	r, err := bt.Deliver("li", bt.NextMsgID(), "进度")
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "" || r.Markdown == "" {
		t.Fatalf("a 60-committee 进度 came as text (%d bytes), want markdown", len(r.Text))
	}
	if len(r.Markdown) > 2048 {
		t.Errorf("markdown is %d bytes, more than one message holds", len(r.Markdown))
	}
	mustContain(t, r.Markdown, fmt.Sprintf("全街道60个居委：已走访 20/120户（16%%），已发 %d/%d元", paid, due))
	listed := regexp.MustCompile(`(?m)^(?:<font color="warning">)?(\d+)\. (甘泉\d\d村) `).FindAllStringSubmatch(r.Markdown, -1)
	rest := regexp.MustCompile(`……另有(\d+)个居委`).FindStringSubmatch(r.Markdown)
	if rest == nil || len(listed) == 0 {
		t.Fatalf("markdown neither lists nor sums up the committees:\n%s", r.Markdown)
	}
	if n, _ := strconv.Atoi(rest[1]); n+len(listed) != 60 {
		t.Errorf("%d listed and %d summed up, want 60 in all", len(listed), n)
	}
	// Worst first: every listed committee has visited nobody, since 40
	// of the 60 have.
	for _, l := range listed {
		if i, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimSuffix(l[2], "村"), "甘泉")); i%3 == 0 {
			t.Errorf("%s (visited) is listed before committees that visited nobody", l[2])
		}
	}
	// A worker of one of them still gets one short text.
	own, err := bt.Deliver("w07", bt.NextMsgID(), "进度")
	if err != nil || own.Markdown != "" || len(own.Text) > 2048 {
		t.Errorf("worker's 进度 = %+v, %v", own, err)
	}
	mustNotContain(t, own.Text, "甘泉08村")
}

func TestReportMarksTheTaskDone(t *testing.T) {
	bt := bottest.New(t)
	bt.SetNow(day(time.January, 22, 9))
	bt.Say(t, "wang", "登记 甲一 低保 3人")
	todo := bt.Say(t, "wang", "待办")
	mustContain(t, todo, "2. 【逾期】列出帮困对象名单", "已逾期2天")
	mustContain(t, bt.Say(t, "li", "进度"), "列出帮困对象名单（2个居委）")

	msgID := bt.NextMsgID()
	r, err := bt.Deliver("wang", msgID, "上报 名单")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r.Text, "已记录：甘泉一村 已上报“列出帮困对象名单")
	again, _ := bt.Deliver("wang", msgID, "上报 名单")
	if again.Text != r.Text {
		t.Errorf("re-delivery answered %q, want %q", again.Text, r.Text)
	}
	mustContain(t, bt.Say(t, "zhao", "上报 2"), "已上报过")
	if c := bt.Counters(t, "甘泉一村"); c[schedule.ReportedCounter("list")] != 1 {
		t.Errorf("reported counter = %d, want 1", c[schedule.ReportedCounter("list")])
	}
	todo = bt.Say(t, "wang", "待办")
	mustContain(t, todo, "2. 列出帮困对象名单、明确帮困形式并分类上报（已完成）")
	mustNotContain(t, todo, "【逾期】列出")
	mustContain(t, bt.Say(t, "li", "进度"), "列出帮困对象名单（1个居委）")
	mustNotContain(t, bt.Say(t, "li", "进度 甘泉一村"), "【逾期】列出")

	mustContain(t, bt.Say(t, "wang", "上报 3"), "不用上报")
	mustContain(t, bt.Say(t, "wang", "上报 9"), "没有第9项", "上报 1")
	mustContain(t, bt.Say(t, "wang", "上报 总结"), "已上报“整理基础数据、完成工作小结")
	mustContain(t, bt.Say(t, "admin", "上报 1"), "管理员办理时请写明居委")
	mustContain(t, bt.Say(t, "admin", "上报 方案 居委:甘泉二村"), "甘泉二村 已上报“制定本居委工作方案")
	mustContain(t, bt.Say(t, "li", "上报 1"), "领导账号只能查看")
}

// secondLine is where a 登记 answer, which must end with its total, says
// the days left.
func secondLine(s string) string {
	ls := strings.Split(s, "\n")
	if len(ls) < 2 {
		return ""
	}
	return ls[1]
}

func TestVisitAndRegisterEndWithDaysLeft(t *testing.T) {
	bt := bottest.New(t)
	bt.SetNow(day(time.January, 15, 10))
	bt.Say(t, "wang", "上报 方案")
	got := bt.Say(t, "wang", "登记 甲一 低保 3人")
	if l := secondLine(got); l != "距列出帮困对象名单截止（1月20日）还有5天" || lastLine(got) != "合计 900元" {
		t.Errorf("登记 = %q, want the days left under its first line and 合计 last", got)
	}
	bt.Say(t, "wang", "上报 名单")
	bt.Say(t, "wang", "登记 甲二 低保 2人")
	got = bt.Say(t, "wang", "走访 甲一 发放900元")
	mustContain(t, got, "甘泉一村 待走访 1户")
	if l := lastLine(got); l != "距走访、发放截止（2月6日）还有22天" {
		t.Errorf("走访 ends %q", l)
	}
	got = bt.Say(t, "wang", "走访 甲二 发放500元")
	if l := lastLine(got); l != "距发放截止（2月6日）还有22天" {
		t.Errorf("走访 ends %q", l)
	}
	bt.SetNow(day(time.February, 8, 10))
	got = bt.Say(t, "wang", "补发 甲二 300元")
	if l := lastLine(got); l != "距整理基础数据截止（2月29日）还有21天" {
		t.Errorf("补发 ends %q", l)
	}
	bt.SetNow(day(time.February, 29, 10))
	got = bt.Say(t, "wang", "登记 甲三 低保 1人")
	if !strings.Contains(got, "\n今天（2月29日）截止：整理基础数据\n·") || lastLine(got) != "合计 700元" {
		t.Errorf("登记 on the last day = %q", got)
	}
	bt.SetNow(day(time.March, 1, 10))
	got = bt.Say(t, "wang", "走访 甲三 发放700元")
	if l := lastLine(got); l != "已逾期：整理基础数据（2月29日截止）" {
		t.Errorf("走访 after the campaign ends %q", l)
	}
}

func TestNewCommandsInHelpByRole(t *testing.T) {
	bt := bottest.New(t)
	tests := []struct {
		user      string
		want, not []string
	}{
		{"wang", []string{"进度", "日程", "上报 2", "捐款 一日捐 5000元", "流浪 "}, []string{"导出", "广播", "确认"}},
		{"li", []string{"进度", "日程", "流浪 ", "导出"}, []string{"捐款", "上报", "广播", "确认"}},
		{"admin", []string{"进度 甘泉一村", "日程", "上报 2 居委:", "捐款 一日捐 5000元 居委:", "流浪 ", "导出 完整", "广播 ", "确认 或 取消"}, nil},
	}
	for _, tt := range tests {
		got := bt.Say(t, tt.user, "帮助")
		mustContain(t, got, tt.want...)
		mustNotContain(t, got, tt.not...)
		if len(got) > 2048 {
			t.Errorf("%s help is %d bytes, more than one message", tt.user, len(got))
		}
	}
}

func TestCampaignGolden(t *testing.T) {
	bt := bottest.New(t)
	var schedule, todo, progress strings.Builder
	say := func(sb *strings.Builder, user, text string) {
		t.Helper()
		r, err := bt.Deliver(user, bt.NextMsgID(), text)
		if err != nil {
			t.Fatalf("%s: %q: %v", user, text, err)
		}
		fmt.Fprintf(sb, "> %s %s: %s\n%s%s\n\n", bt.Now().Format("2006-01-02 15:04"), user, text, r.Text, r.Markdown)
	}

	bt.SetNow(day(time.December, 22, 9))
	say(&schedule, "wang", "日程")
	say(&todo, "wang", "待办")
	say(&progress, "li", "进度")

	bt.SetNow(day(time.January, 15, 10))
	say(&schedule, "wang", "日程")
	bt.Say(t, "wang", "上报 方案")
	playScenario(t, bt)
	bt.Say(t, "wang", "流浪 甘泉公园东门 老人衣着单薄睡在长椅上")
	say(&todo, "wang", "待办")
	say(&todo, "chen", "待办")
	say(&todo, "li", "待办")
	say(&progress, "li", "进度")
	say(&progress, "li", "进度 甘泉一村")
	say(&progress, "li", "进度 类别")
	say(&progress, "li", "进度 资金")
	say(&progress, "chen", "进度")
	say(&progress, "chen", "进度 类别")

	bt.SetNow(day(time.February, 8, 10))
	say(&schedule, "li", "日程")
	say(&todo, "wang", "待办")
	say(&progress, "admin", "进度")

	bt.SetNow(day(time.March, 5, 10))
	say(&schedule, "admin", "日程")

	checkGolden(t, "schedule", schedule.String())
	checkGolden(t, "todo", todo.String())
	checkGolden(t, "progress", progress.String())
	for _, s := range []string{schedule.String(), todo.String(), progress.String()} {
		if leaksNumber(s) {
			t.Errorf("a reply shows a full number:\n%s", s)
		}
	}
}

// recordRescue records a report through the store as a callback that died
// before alerting would have, at campaign time at.
func recordRescue(t *testing.T, bt *bottest.Bot, place string, at time.Time) bot.RescueReport {
	t.Helper()
	msgID := bt.NextMsgID()
	r, created, err := bt.Store.OpenRescue(context.Background(), "m:"+msgID, bot.RescueReport{
		Place: place, Situation: "有人露宿", By: "wang", ByName: "王芳", Committee: "甘泉一村", At: at, MsgID: msgID,
	})
	if err != nil || !created {
		t.Fatalf("record %s: created %v, %v", place, created, err)
	}
	return r
}

// sweep runs one sweep at the test's campaign time and checks how many
// reports it says it alerted.
func sweep(t *testing.T, bt *bottest.Bot, want int) {
	t.Helper()
	got, err := bt.SweepRescueAlerts(context.Background(), bt.Now())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if got != want {
		t.Errorf("sweep alerted %d reports, want %d", got, want)
	}
}

// TestRescueSweepAlertsUnheardReports: a report recorded minutes ago whose
// alert never went out is alerted by one sweep, once; a report being
// handled right now, a closed one, one already heard and one from long
// ago are left alone.
func TestRescueSweepAlertsUnheardReports(t *testing.T) {
	tests := []struct {
		name    string
		rescue  domain.Message
		targets int
	}{
		{"rescue group", rescueTargets, 3},
		{"admins only", domain.Message{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bt := bottest.NewWith(t, bottest.Options{Rescue: tt.rescue})
			ctx := context.Background()
			now := bt.Now()
			unheard := recordRescue(t, bt, "宜川路桥下", now.Add(-3*time.Minute))
			recent := recordRescue(t, bt, "甘泉公园", now.Add(-30*time.Second))
			closed := recordRescue(t, bt, "志丹路", now.Add(-3*time.Minute))
			if _, _, err := bt.Store.CloseRescue(ctx, closed.ID, "admin", now.Add(-time.Minute)); err != nil {
				t.Fatal(err)
			}
			heard := recordRescue(t, bt, "西乡路", now.Add(-3*time.Minute))
			if err := bt.Store.MarkRescueAlerted(ctx, heard.ID, now.Add(-3*time.Minute)); err != nil {
				t.Fatal(err)
			}
			recordRescue(t, bt, "沪太路", now.Add(-2*time.Hour))

			sweep(t, bt, 1)
			mustAlertEachOnce(t, bt, unheard.ID, tt.targets)
			for _, m := range bt.Sender.Sent() {
				mustContain(t, m.Text, "宜川路桥下", "有人露宿", "王芳（甘泉一村）")
			}
			if c := bt.Counters(t, "甘泉一村"); c[domain.CtrAlerts] != 1 {
				t.Errorf("alerts counter = %d, want 1", c[domain.CtrAlerts])
			}
			sweep(t, bt, 0)
			mustAlertEachOnce(t, bt, unheard.ID, tt.targets)

			// Heard now: WeCom's late re-delivery keeps quiet.
			r, err := bt.Deliver("wang", unheard.MsgID, "流浪 宜川路桥下 有人露宿")
			if err != nil {
				t.Fatal(err)
			}
			mustContain(t, r.Text, unheard.ID+"号已在", "不再重复通知")
			mustAlertEachOnce(t, bt, unheard.ID, tt.targets)

			// The recent report was left only for its age.
			bt.Sender.Reset()
			bt.SetNow(now.Add(2 * time.Minute))
			sweep(t, bt, 1)
			mustAlertEachOnce(t, bt, recent.ID, tt.targets)
			sweep(t, bt, 0)
			mustAlertEachOnce(t, bt, recent.ID, tt.targets)
		})
	}
}

// TestRescueSweepRetriesAFailedAlert: a sweep whose sends all fail leaves
// the report unmarked, tries each target once, and the next sweep sends it.
func TestRescueSweepRetriesAFailedAlert(t *testing.T) {
	bt := bottest.NewWith(t, bottest.Options{Rescue: rescueTargets})
	r := recordRescue(t, bt, "宜川路桥下", bt.Now().Add(-3*time.Minute))
	var mu sync.Mutex
	tries := map[string]int{}
	bt.Sender.FailWith(func(m domain.Message) error {
		mu.Lock()
		defer mu.Unlock()
		tries[m.Idempotency]++
		return errors.New("wecom down")
	})
	sweep(t, bt, 0)
	if len(tries) != 3 {
		t.Errorf("a failing sweep tried %d targets, want 3: %v", len(tries), tries)
	}
	for key, n := range tries {
		if n != 1 {
			t.Errorf("a failing sweep tried %s %d times, want once", key, n)
		}
	}
	left, err := bt.Store.UnalertedRescues(context.Background(), 10)
	if err != nil || len(left) != 1 || left[0].ID != r.ID {
		t.Fatalf("unalerted after a failing sweep = %+v, %v; want report %s", left, err, r.ID)
	}

	bt.Sender.FailWith(nil)
	sweep(t, bt, 1)
	mustAlertEachOnce(t, bt, r.ID, 3)
	sweep(t, bt, 0)
	mustAlertEachOnce(t, bt, r.ID, 3)
}
