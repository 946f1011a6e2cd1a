package schedule

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"songnuan/domain"
	"songnuan/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite schedule/testdata golden files")

func schedGolden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, filepath.Join("testdata", name), got, *update)
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// cst parses a wall time in Shanghai: "2024-01-17 09:00".
func cst(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, shanghai)
	if err != nil {
		v, err = time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDefaultScheduleMatchesPlan(t *testing.T) {
	s := Default()
	if s.Location.String() != "Asia/Shanghai" {
		t.Errorf("zone = %s", s.Location)
	}
	type span struct{ name, start, end string }
	var got []span
	for _, p := range s.Phases {
		got = append(got, span{p.Name, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly)})
	}
	want := []span{
		{"宣传发动", "2023-12-21", "2023-12-31"},
		{"调查摸底", "2024-01-01", "2024-01-20"},
		{"募捐、走访慰问", "2024-01-21", "2024-02-06"},
		{"总结归档", "2024-02-07", "2024-02-29"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("phases = %v, want %v", got, want)
	}
	deadlines := map[string]struct {
		day     string
		scope   TaskScope
		measure TaskMeasure
	}{
		"plan":        {"2023-12-31", ScopeCommittee, MeasureReported},
		"list":        {"2024-01-20", ScopeCommittee, MeasureReported},
		"visits":      {"2024-02-06", ScopeCommittee, MeasureVisits},
		"payments":    {"2024-02-06", ScopeCommittee, MeasurePayments},
		"summary":     {"2024-02-29", ScopeCommittee, MeasureReported},
		"one-day-pay": {"2024-01-02", ScopeStreet, MeasureNone},
		"charity":     {"2024-01-10", ScopeStreet, MeasureNone},
	}
	for id, w := range deadlines {
		task, ok := s.TaskByID(id)
		if !ok {
			t.Errorf("task %s missing", id)
			continue
		}
		if d := task.Day.Format(time.DateOnly); d != w.day || task.Scope != w.scope || task.Measure != w.measure {
			t.Errorf("task %s = %s %s %s, want %s %s %s", id, d, task.Scope, task.Measure, w.day, w.scope, w.measure)
		}
	}
	// Every phase start and 3 days and 1 day before every committee
	// deadline has an announcement.
	var at []string
	for _, o := range s.Occurrences() {
		at = append(at, o.At.In(shanghai).Format("01-02 15:04"))
	}
	for _, w := range []string{"12-21 09:00", "01-01 09:00", "01-21 09:00", "02-07 09:00",
		"12-28 09:00", "12-30 09:00", "01-17 09:00", "01-19 09:00", "02-03 09:00", "02-05 09:00", "02-26 09:00", "02-28 09:00"} {
		if !slices.Contains(at, w) {
			t.Errorf("no announcement at %s (have %v)", w, at)
		}
	}
	if !slices.Equal(DefaultYAML(), schedDefaultYAML) {
		t.Error("DefaultYAML differs from the embedded file")
	}
}

func TestScheduleOverviewGolden(t *testing.T) {
	s := Default()
	var b strings.Builder
	for _, at := range []string{
		"2023-12-01 10:00", // before the campaign
		"2023-12-21 09:00", // first day
		"2024-01-17 09:00", // three days before the list is due
		"2024-02-06 23:59", // the last day of visits
		"2024-02-07 00:00", // a minute later
		"2024-03-05 10:00", // after the campaign
	} {
		got := s.Overview(cst(t, at))
		if n := len(got); n > 2048 {
			t.Errorf("overview at %s is %d bytes, more than a WeCom text message holds", at, n)
		}
		b.WriteString("== " + at + "\n" + got + "\n\n")
	}
	schedGolden(t, "overview.golden", b.String())
}

func TestSchedulePhaseAtDayBoundaries(t *testing.T) {
	s := Default()
	cases := []struct {
		at   string // RFC 3339, often in UTC: the zone must not matter
		want string // "" for none
	}{
		{"2023-12-20T15:59:59Z", ""},
		{"2023-12-20T16:00:00Z", "宣传发动"}, // 12-21 00:00 in Shanghai
		{"2023-12-21T00:00:00+08:00", "宣传发动"},
		{"2023-12-31T23:59:59+08:00", "宣传发动"},
		{"2023-12-31T16:00:00Z", "调查摸底"}, // UTC still says 12-31
		{"2024-01-20T15:59:59Z", "调查摸底"},
		{"2024-01-20T16:00:00Z", "募捐、走访慰问"},
		{"2024-02-06T23:59:59+08:00", "募捐、走访慰问"},
		{"2024-02-07T00:00:00+08:00", "总结归档"},
		{"2024-02-29T15:59:59Z", "总结归档"},
		{"2024-02-29T16:00:00Z", ""},
	}
	for _, c := range cases {
		p, ok := s.PhaseAt(utc(t, c.at))
		got := ""
		if ok {
			got = p.Name
		}
		if got != c.want {
			t.Errorf("PhaseAt(%s) = %q, want %q", c.at, got, c.want)
		}
	}
}

func TestScheduleDaysLeftAtDayBoundaries(t *testing.T) {
	s := Default()
	visits := func(at time.Time) TaskStatus {
		for _, st := range s.TasksFor(domain.RoleWorker, at) {
			if st.Task.ID == "visits" {
				return st
			}
		}
		t.Fatal("no visits task")
		return TaskStatus{}
	}
	cases := []struct {
		at    string
		days  int
		state TaskState
	}{
		{"2024-02-05T15:59:59Z", 1, TaskOpen}, // 02-05 23:59:59 in Shanghai
		{"2024-02-05T16:00:00Z", 0, TaskOpen}, // 02-06 00:00: UTC still says 02-05
		{"2024-02-05T17:00:00Z", 0, TaskOpen},
		{"2024-02-06T15:59:59Z", 0, TaskOpen},     // the last second of the day
		{"2024-02-06T16:00:00Z", -1, TaskOverdue}, // 02-07 00:00: UTC still says 02-06
		{"2024-02-06T17:00:00Z", -1, TaskOverdue},
		{"2024-02-08T10:00:00+08:00", -2, TaskOverdue},
	}
	for _, c := range cases {
		st := visits(utc(t, c.at))
		if st.DaysLeft != c.days || st.State != c.state {
			t.Errorf("at %s: visits %d days, %s; want %d, %s", c.at, st.DaysLeft, st.State, c.days, c.state)
		}
	}

	// A deadline with a time is overdue from that minute, on the same day.
	s2 := mustParse(t, schedMinimal+`
tasks:
  - id: pay
    what: 一日捐
    owner: 机关党总支
    deadline: 2024-01-02 09:00
    scope: street
`)
	for _, c := range []struct {
		at    string
		days  int
		state TaskState
	}{
		{"2024-01-02T00:59:59Z", 0, TaskOpen},
		{"2024-01-02T01:00:00Z", 0, TaskOverdue},
		{"2024-01-01T16:00:00Z", 0, TaskOpen},
		{"2024-01-01T15:59:59Z", 1, TaskOpen},
	} {
		sts := s2.TasksFor(domain.RoleAdmin, utc(t, c.at))
		if len(sts) != 1 || sts[0].DaysLeft != c.days || sts[0].State != c.state {
			t.Errorf("at %s: %+v, want %d days %s", c.at, sts, c.days, c.state)
		}
	}
	if got := len(s2.Upcoming(utc(t, "2024-01-02T01:00:00Z"), 5)); got != 0 {
		t.Errorf("Upcoming after a timed deadline = %d tasks, want 0", got)
	}
}

func TestDaysLeftText(t *testing.T) {
	for days, want := range map[int]string{3: "还剩3天", 1: "还剩1天", 0: "今天截止", -1: "已逾期1天", -12: "已逾期12天"} {
		if got := DaysLeftText(days); got != want {
			t.Errorf("DaysLeftText(%d) = %q, want %q", days, got, want)
		}
	}
}

func TestScheduleUpcoming(t *testing.T) {
	s := Default()
	at := cst(t, "2024-01-10 12:00")
	up := s.Upcoming(at, 3)
	var got []string
	for _, d := range up {
		got = append(got, d.Task.ID)
	}
	// The charity event is on 01-10 itself: still upcoming (0 days) until midnight.
	if want := []string{"charity", "list", "visits"}; !slices.Equal(got, want) {
		t.Fatalf("Upcoming = %v, want %v", got, want)
	}
	if up[0].DaysLeft != 0 || up[1].DaysLeft != 10 || up[2].DaysLeft != 27 {
		t.Errorf("days left = %d %d %d, want 0 10 27", up[0].DaysLeft, up[1].DaysLeft, up[2].DaysLeft)
	}
	if n := len(s.Upcoming(at, -1)); n != 7 {
		t.Errorf("all upcoming = %d, want 7", n)
	}
	if n := len(s.Upcoming(cst(t, "2024-03-01 00:00"), 5)); n != 0 {
		t.Errorf("upcoming after the end = %d, want 0", n)
	}
}

func TestScheduleTasksFor(t *testing.T) {
	s := Default()
	at := cst(t, "2024-01-25 10:00")
	ids := func(r domain.Role) []string {
		var out []string
		for _, st := range s.TasksFor(r, at) {
			out = append(out, st.Task.ID)
		}
		return out
	}
	if got, want := ids(domain.RoleWorker), []string{"plan", "list", "visits", "payments", "summary"}; !slices.Equal(got, want) {
		t.Errorf("worker tasks = %v, want %v", got, want)
	}
	if got, want := ids(domain.RoleLeader), []string{"plan", "list", "visits", "payments", "leader-visits", "summary"}; !slices.Equal(got, want) {
		t.Errorf("leader tasks = %v, want %v", got, want)
	}
	if got := ids(domain.RoleAdmin); len(got) != len(s.Tasks) {
		t.Errorf("admin tasks = %v, want all %d", got, len(s.Tasks))
	}
	for _, st := range s.TasksFor(domain.RoleWorker, at) {
		wantOverdue := st.Task.ID == "plan" || st.Task.ID == "list"
		if (st.State == TaskOverdue) != wantOverdue || st.Measured {
			t.Errorf("%s: state %s measured %v at 01-25", st.Task.ID, st.State, st.Measured)
		}
	}
}

func TestCommitteeStatus(t *testing.T) {
	s := Default()
	before := cst(t, "2024-02-03 09:00")
	after := cst(t, "2024-02-07 09:00")
	cases := []struct {
		name     string
		at       time.Time
		c        domain.Counters
		visits   TaskState
		payments TaskState
		plan     TaskState
		left     []string
	}{
		{"nothing registered", before, nil, TaskOpen, TaskOpen, TaskOverdue, []string{"尚未登记帮困对象", "尚未上报"}},
		{"all done", before, domain.Counters{domain.CtrHouseholds: 10, domain.CtrVisited: 10, ReportedCounter("plan"): 1}, TaskDone, TaskDone, TaskDone, nil},
		{"three unvisited, 1200 short", before, domain.Counters{domain.CtrHouseholds: 10, domain.CtrVisited: 7, domain.CtrShort: 1200}, TaskOpen, TaskOpen, TaskOverdue,
			[]string{"还有3户未走访", "还有1200元未发放", "尚未上报"}},
		{"visited, short", before, domain.Counters{domain.CtrHouseholds: 10, domain.CtrVisited: 10, domain.CtrShort: 500}, TaskDone, TaskOpen, TaskOverdue, []string{"还有500元未发放", "尚未上报"}},
		{"overdue", after, domain.Counters{domain.CtrHouseholds: 10, domain.CtrVisited: 9}, TaskOverdue, TaskDone, TaskOverdue, []string{"还有1户未走访", "尚未上报"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := map[string]TaskStatus{}
			var left []string
			for _, st := range s.CommitteeStatus(c.at, c.c) {
				got[st.Task.ID] = st
				if st.Left != "" && slices.Contains([]string{"visits", "payments", "plan"}, st.Task.ID) {
					left = append(left, st.Left)
				}
				if !st.Measured {
					t.Errorf("%s not measured", st.Task.ID)
				}
			}
			if got["visits"].State != c.visits || got["payments"].State != c.payments || got["plan"].State != c.plan {
				t.Errorf("visits %s payments %s plan %s; want %s %s %s", got["visits"].State, got["payments"].State, got["plan"].State, c.visits, c.payments, c.plan)
			}
			slices.Sort(left)
			left = slices.Compact(left)
			want := slices.Clone(c.left)
			slices.Sort(want)
			if !slices.Equal(left, want) {
				t.Errorf("left = %q, want %q", left, want)
			}
		})
	}
	line := s.CommitteeStatus(before, domain.Counters{domain.CtrHouseholds: 10, domain.CtrVisited: 7})[2].Line(s)
	if line != "走访慰问全部帮困对象：还有3户未走访（2月6日截止，还剩3天）" {
		t.Errorf("Line = %q", line)
	}
}

func TestScheduleDue(t *testing.T) {
	s := Default()
	nine := cst(t, "2024-02-03 09:00")
	due := s.Due(nine.Add(-time.Nanosecond), nine)
	if len(due) != 1 || due[0].ID != "visits-3d@2024-02-03T09:00:00+08:00" {
		t.Fatalf("Due at 02-03 09:00 = %+v", due)
	}
	if got := s.Due(nine, nine.Add(time.Hour)); len(got) != 0 {
		t.Errorf("Due excludes from: got %d", len(got))
	}
	o := due[0]
	if o.Task == nil || o.Task.ID != "visits" || !o.Until.Equal(cst(t, "2024-02-07 00:00")) || !o.OnlyIfOpen || o.Phase != "募捐、走访慰问" {
		t.Errorf("occurrence = %+v", o)
	}
	// The whole campaign, in order, each once.
	all := s.Due(cst(t, "2023-12-01 00:00"), cst(t, "2024-03-31 00:00"))
	if len(all) != len(s.Announcements) {
		t.Errorf("whole campaign: %d occurrences, want %d", len(all), len(s.Announcements))
	}
	seen := map[string]bool{}
	for i, o := range all {
		if seen[o.ID] {
			t.Errorf("duplicate occurrence %s", o.ID)
		}
		seen[o.ID] = true
		if i > 0 && o.At.Before(all[i-1].At) {
			t.Errorf("%s before %s", o.ID, all[i-1].ID)
		}
	}
	// Stable: parsing again gives the same IDs.
	again := Default().Occurrences()
	for i, o := range s.Occurrences() {
		if again[i].ID != o.ID {
			t.Errorf("occurrence %d: %s then %s", i, o.ID, again[i].ID)
		}
	}
}

// schedMinimal is the head of a small schedule for tests.
const schedMinimal = `name: 测试
timezone: Asia/Shanghai
phases:
  - {name: 调查摸底, start: 2024-01-01, end: 2024-01-20}
  - {name: 走访慰问, start: 2024-01-21, end: 2024-02-06}
`

func mustParse(t testing.TB, src string) *Schedule {
	t.Helper()
	s, err := Parse([]byte(src), "test.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestScheduleOccurrenceKinds(t *testing.T) {
	s := mustParse(t, schedMinimal+`
tasks:
  - {id: visits, what: 完成走访慰问, owner: worker, deadline: 2024-02-06, scope: committee, measure: visits}
announcements:
  - id: start
    when: {phase_start: 走访慰问, time: "08:15"}
    to: {roles: [all], parties: ["2", "3"], tags: ["7"]}
    template: 今天起走访慰问（至{{.Deadline}}）
  - id: remind
    when: {before_deadline: {task: visits, days: 3}}
    to: {users: [wang, li]}
    kind: markdown
    only_if_open: true
    template: "**{{.Committee}}** 还有{{.Unvisited}}户"
  - id: fixed
    when: {at: 2024-01-09T09:00:00+08:00}
    to: {chat_id: chat1, robot_key: key1}
    template: 明天募捐
`)
	occ := s.Occurrences()
	type row struct {
		id, at, until, task, phase string
	}
	var got []row
	for _, o := range occ {
		task := ""
		if o.Task != nil {
			task = o.Task.ID
		}
		got = append(got, row{o.ID, o.At.In(shanghai).Format("01-02 15:04"), o.Until.In(shanghai).Format("01-02 15:04"), task, o.Phase})
	}
	want := []row{
		{"fixed@2024-01-09T09:00:00+08:00", "01-09 09:00", "01-10 09:00", "", "调查摸底"},
		{"start@2024-01-21T08:15:00+08:00", "01-21 08:15", "02-07 00:00", "", "走访慰问"},
		{"remind@2024-02-03T09:00:00+08:00", "02-03 09:00", "02-07 00:00", "visits", "走访慰问"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("occurrences\n got %v\nwant %v", got, want)
	}
	if r := occ[1].To.Roles; !slices.Equal(r, []domain.Role{domain.RoleWorker, domain.RoleLeader, domain.RoleAdmin}) {
		t.Errorf("all = %v", r)
	}
	if !slices.Equal(occ[1].To.Parties, []string{"2", "3"}) || !slices.Equal(occ[1].To.Tags, []string{"7"}) {
		t.Errorf("parties/tags = %v %v", occ[1].To.Parties, occ[1].To.Tags)
	}
	if occ[0].To.ChatID != "chat1" || occ[0].To.RobotKey != "key1" || occ[2].Kind != domain.KindMarkdown || occ[0].Kind != domain.KindText {
		t.Errorf("targets/kinds: %+v %+v", occ[0], occ[2])
	}
	d := s.Data(occ[1], occ[1].At, "", "", nil)
	if d.Deadline != "2月6日" || d.DaysLeft != 16 {
		t.Errorf("phase start data = %+v, want the phase's last day", d)
	}
	text, err := RenderAnnouncement(occ[2], s.Data(occ[2], occ[2].At, "王", "甘泉一村", domain.Counters{domain.CtrHouseholds: 5, domain.CtrVisited: 2}))
	if err != nil || text != "**甘泉一村** 还有3户" {
		t.Errorf("render = %q, %v", text, err)
	}
	if !strings.Contains(s.Table(), "群机器人") || strings.Contains(s.Table(), "key1") {
		t.Error("Table must name the robot without its key")
	}
}

func TestRenderDefaultAnnouncements(t *testing.T) {
	s := Default()
	var remind3, remind1, visits Occurrence
	for _, o := range s.Occurrences() {
		switch o.Announcement {
		case "visits-3d":
			remind3 = o
		case "visits-1d":
			remind1 = o
		case "phase-visits":
			visits = o
		}
	}
	c := domain.Counters{domain.CtrHouseholds: 40, domain.CtrVisited: 37, domain.CtrShort: 1500}
	got3, err := RenderAnnouncement(remind3, s.Data(remind3, remind3.At, "王芳", "甘泉一村", c))
	if err != nil {
		t.Fatal(err)
	}
	want3 := "【提醒】甘泉一村：3天后（2月6日）截止，以下事项尚未完成：\n· 走访慰问全部帮困对象：还有3户未走访\n· 各类帮困资金全部发放到户：还有1500元未发放"
	if got3 != want3 {
		t.Errorf("3-day reminder:\n%s\nwant\n%s", got3, want3)
	}
	// Sent a day late (catch-up), the same reminder says today, not in 3 days.
	late, _ := RenderAnnouncement(remind1, s.Data(remind1, cst(t, "2024-02-06 08:00"), "", "甘泉一村", c))
	if !strings.HasPrefix(late, "【提醒】甘泉一村：今天（2月6日）截止") {
		t.Errorf("late reminder = %q", late)
	}
	gotV, err := RenderAnnouncement(visits, s.Data(visits, visits.At, "", "甘泉二村", domain.Counters{domain.CtrHouseholds: 12}))
	if err != nil || !strings.Contains(gotV, "请甘泉二村") || !strings.Contains(gotV, "目前12户中待走访12户") || !strings.Contains(gotV, "至2月6日") {
		t.Errorf("phase-visits = %q, %v", gotV, err)
	}
	// Every default announcement renders, for a worker and for a target
	// without a committee, within WeCom's 2048 bytes.
	for _, o := range s.Occurrences() {
		for _, committee := range []string{"甘泉一村", ""} {
			text, err := RenderAnnouncement(o, s.Data(o, o.At, "", committee, c))
			if err != nil {
				t.Errorf("%s: %v", o.ID, err)
			}
			if len(text) > 2048 || strings.Contains(text, "<no value>") {
				t.Errorf("%s: %d bytes: %q", o.ID, len(text), text)
			}
		}
	}
}

func TestScheduleOpenWork(t *testing.T) {
	s := Default()
	var visits3, plan3, survey Occurrence
	for _, o := range s.Occurrences() {
		switch o.Announcement {
		case "visits-3d":
			visits3 = o
		case "plan-3d":
			plan3 = o
		case "phase-survey":
			survey = o
		}
	}
	ids := func(sts []TaskStatus) []string {
		var out []string
		for _, st := range sts {
			out = append(out, st.Task.ID)
		}
		return out
	}
	done := domain.Counters{domain.CtrHouseholds: 10, domain.CtrVisited: 10}
	if got := ids(s.OpenWork(visits3, visits3.At, done)); len(got) != 0 {
		t.Errorf("nothing open, got %v", got)
	}
	if got := ids(s.OpenWork(visits3, visits3.At, domain.Counters{domain.CtrHouseholds: 10, domain.CtrVisited: 10, domain.CtrShort: 100})); !slices.Equal(got, []string{"payments"}) {
		t.Errorf("short-paid: open %v, want [payments] (due the same day as visits)", got)
	}
	if got := ids(s.OpenWork(plan3, plan3.At, done)); !slices.Equal(got, []string{"plan"}) {
		t.Errorf("plan reminder: open %v, want [plan]", got)
	}
	if got := ids(s.OpenWork(plan3, plan3.At, domain.Counters{ReportedCounter("plan"): 1})); len(got) != 0 {
		t.Errorf("plan reported: open %v", got)
	}
	if got := ids(s.OpenWork(survey, survey.At, done)); !slices.Equal(got, []string{"plan", "list", "summary"}) {
		t.Errorf("without a task: open %v", got)
	}
}

func TestParseScheduleErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "bad.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data, "bad.yaml")
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want *Error", err)
	}
	type at struct {
		line int
		key  string
	}
	var got []at
	for _, p := range se.Problems {
		got = append(got, at{p.Line, p.Key})
		if p.Msg == "" {
			t.Errorf("line %d: empty message", p.Line)
		}
	}
	want := []at{
		{2, "timezone"},
		{3, "colour"},
		{7, "phases[1].end"},
		{9, "phases[2].start"},
		{14, "phases[4].name"},
		{21, "tasks[1].deadline"},
		{23, "tasks[1].measure"},
		{29, "tasks[2].measure"},
		{30, "tasks[3].id"},
		{34, "tasks[3].scope"},
		{40, "tasks[4].color"},
		{43, "announcements[1].when.phase_start"},
		{47, "announcements[2].when.before_deadline.task"},
		{48, "announcements[2].to.roles[1]"},
		{49, "announcements[2].template"},
		{51, "announcements[3].when.at"},
		{52, "announcements[3].to"},
		{53, "announcements[3].kind"},
		{56, "announcements[4].when.before_deadline.days"},
		{58, "announcements[4].only_if_open"}, // a robot has no committee
		{58, "announcements[4].only_if_open"}, // a street task has no committee status
		{60, "announcements[5].id"},
		{61, "announcements[5].when"},
		{63, "announcements[5].template"},
		{64, "announcements[6].id"},
		{64, "announcements[6].template"},
		{65, "announcements[6].when.time"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n got %v\nwant %v\n%v", got, want, err)
	}
	msg := err.Error()
	for _, w := range []string{"bad.yaml", "第3行 colour：未知字段，可用的键：name、timezone", "第40行 tasks[4].color：未知字段，可用的键：id、what、owner", "2024-02-30", "Foo", "25:00"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error text lacks %q", w)
		}
	}
}

func TestParseScheduleSyntaxAndShape(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		key       string
	}{
		{"syntax", "name: x\nphases: [\n", 2, ""},
		{"a second document", "name: x\nphases: []\n---\nname: y\n", 3, ""},
		{"a key twice", "name: x\nname: y\nphases: []\n", 2, "name"},
		{"empty", "", 1, ""},
		{"no phases", "name: x\n", 1, "phases"},
		{"no name", "phases:\n  - {name: a, start: 2024-01-01, end: 2024-01-02}\n", 1, "name"},
		{"phases not a list", "name: x\nphases: 3\n", 2, "phases"},
		{"overlap", "name: x\nphases:\n  - {name: a, start: 2024-01-01, end: 2024-01-10}\n  - {name: b, start: 2024-01-10, end: 2024-01-20}\n", 4, "phases[2].start"},
		{"days not a number", schedMinimal + "tasks:\n  - {id: t, what: w, owner: worker, deadline: 2024-01-05, scope: committee}\nannouncements:\n  - {id: a, when: {before_deadline: {task: t, days: three}}, to: {roles: [workers]}, template: x}\n", 9, "announcements[1].when.before_deadline.days"},
		{"only_if_open not bool", schedMinimal + "announcements:\n  - {id: a, when: {phase_start: 调查摸底}, to: {roles: [workers]}, only_if_open: maybe, template: x}\n", 7, "announcements[1].only_if_open"},
		{"only_if_open to leaders", schedMinimal + "announcements:\n  - {id: a, when: {phase_start: 调查摸底}, to: {roles: [leaders]}, only_if_open: true, template: x}\n", 7, "announcements[1].only_if_open"},
		{"at with time", schedMinimal + "announcements:\n  - {id: a, when: {at: 2024-01-02T10:00:00+08:00, time: \"09:00\"}, to: {roles: [workers]}, template: x}\n", 7, "announcements[1].when.time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), "x.yaml")
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			if len(se.Problems) != 1 || se.Problems[0].Line != c.line || se.Problems[0].Key != c.key {
				t.Errorf("problems = %+v, want one at line %d key %q", se.Problems, c.line, c.key)
			}
		})
	}
}

func TestScheduleTableListsEverything(t *testing.T) {
	s := Default()
	table := s.Table()
	for _, p := range s.Phases {
		if !strings.Contains(table, p.Name) {
			t.Errorf("table lacks phase %s", p.Name)
		}
	}
	for _, task := range s.Tasks {
		if !regexp.MustCompile(`(?m)^  \S+\s+` + regexp.QuoteMeta(task.ID) + `\s`).MatchString(table) {
			t.Errorf("table lacks task %s", task.ID)
		}
	}
	for _, a := range s.Announcements {
		if !strings.Contains(table, " "+a.ID+" ") {
			t.Errorf("table lacks announcement %s", a.ID)
		}
	}
}

func FuzzParseSchedule(f *testing.F) {
	f.Add(schedDefaultYAML)
	if bad, err := os.ReadFile(filepath.Join("testdata", "bad.yaml")); err == nil {
		f.Add(bad)
	}
	f.Add([]byte(schedMinimal + "announcements:\n  - {id: a, when: {phase_start: 调查摸底}, to: {roles: [workers]}, template: \"{{.Committee}}\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("error %v is not a Error with problems", err)
			}
			return
		}
		// Whatever parses can be shown and rendered without panicking.
		_ = s.Table()
		if len(s.Phases) > 0 {
			_ = s.Overview(s.Phases[0].Start)
		}
		for _, o := range s.Occurrences() {
			_, _ = RenderAnnouncement(o, s.Data(o, o.At, "", "x", domain.Counters{}))
		}
	})
}

func BenchmarkParseDefaultSchedule(b *testing.B) {
	for b.Loop() {
		if _, err := Parse(schedDefaultYAML, "default.yaml"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScheduleOverview(b *testing.B) {
	s := Default()
	at := time.Date(2024, 1, 17, 9, 0, 0, 0, shanghai)
	for b.Loop() {
		_ = s.Overview(at)
	}
}
