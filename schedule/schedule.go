package schedule

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"text/template"
	"time"

	// The schedule's zone must load in a minimal container image without
	// /usr/share/zoneinfo; the embedded database costs about 450 KB.
	_ "time/tzdata"

	"songnuan/domain"
)

// Schedule is a campaign's timeline: its phases, the tasks with their
// deadlines and the announcements that go out on the way. It is read from
// YAML (Parse) or is the built-in 甘泉路街道 2024 plan
// (Default). A Schedule is never changed after parsing, so it may be
// shared by goroutines.
type Schedule struct {
	Name     string
	TimeZone string
	Location *time.Location
	Phases   []Phase // in order, not overlapping
	Tasks    []Task
	// Announcements in file order.
	Announcements []Announcement
	Source        string
}

// Phase is one stage of the campaign, from the first to the last day
// inclusive, in the schedule's zone.
type Phase struct {
	Name  string
	Index int       // 1-based position in the schedule
	Start time.Time // midnight starting the first day
	End   time.Time // midnight starting the last day
	Line  int
}

// Contains reports whether t falls on one of the phase's days.
func (p Phase) Contains(t time.Time) bool {
	return !t.Before(p.Start) && t.Before(p.End.AddDate(0, 0, 1))
}

// TaskScope says who a task is done by and for.
type TaskScope string

// Task scopes.
const (
	ScopeCommittee TaskScope = "committee" // every 居委会 does it; its completion is tracked per committee
	ScopeHousehold TaskScope = "household" // done household by household (leaders' visits)
	ScopeStreet    TaskScope = "street"    // done once for the whole street (an event, a summary)
)

// TaskMeasure says how a committee task's completion is read from the
// committee's counters.
type TaskMeasure string

// Task measures.
const (
	MeasureNone     TaskMeasure = "none"     // not measurable: open until its deadline
	MeasureVisits   TaskMeasure = "visits"   // every registered household visited
	MeasurePayments TaskMeasure = "payments" // nothing short-paid
	MeasureReported TaskMeasure = "reported" // a manual report, counter ReportedCounter(task id)
)

// ReportedCounter names the counter a committee sets (AddCounters, +1) when
// it has reported a task whose measure is "reported", such as its plan.
func ReportedCounter(taskID string) string { return "reported:" + taskID }

// Task is something to be done by a deadline.
type Task struct {
	ID    string
	What  string
	Owner string // a role (worker, leader, admin) or a department name
	Scope TaskScope
	// Measure is set for committee tasks only (MeasureNone when the file
	// names none).
	Measure TaskMeasure
	// Day is the deadline's calendar day (midnight in the schedule's zone).
	Day time.Time
	// Due is the instant the task is overdue from: the stated time, or the
	// midnight ending Day when only a date was given.
	Due     time.Time
	HasTime bool
	Line    int
}

// OwnerName is the owner as a worker says it.
func (t Task) OwnerName() string {
	switch domain.Role(t.Owner) {
	case domain.RoleWorker:
		return "居委会"
	case domain.RoleLeader:
		return "领导"
	case domain.RoleAdmin:
		return "社区服务办"
	}
	return t.Owner
}

// When is the kind of moment an announcement is tied to.
type When string

// Announcement moments.
const (
	WhenPhaseStart     When = "phase_start"
	WhenBeforeDeadline When = "before_deadline"
	WhenAt             When = "at"
)

// Targets are whom an announcement goes to; any mix. Roles and Users become
// one app message per person (so each can be rendered for that person's
// committee and rate-limited per member); parties, tags, the group chat and
// the group robot get one message each.
type Targets struct {
	Roles    []domain.Role
	Users    []string
	Parties  []string
	Tags     []string
	ChatID   string
	RobotKey string
}

// Announcement is a message the schedule sends at one moment.
type Announcement struct {
	ID    string
	When  When
	Phase string // WhenPhaseStart: the phase
	Task  string // WhenBeforeDeadline: the task id
	Days  int    // WhenBeforeDeadline: calendar days before the deadline's day
	// ClockMinutes is the time of day (minutes after midnight) for
	// phase_start and before_deadline; 9:00 unless the file says.
	ClockMinutes int
	At           time.Time // WhenAt
	To           Targets
	Kind         domain.MessageKind // domain.KindText or domain.KindMarkdown
	Template     string
	// OnlyIfOpen sends the announcement only to workers whose committee
	// still has open work (see Schedule.OpenWork).
	OnlyIfOpen bool
	Line       int

	tmpl *template.Template
}

// Occurrence is one announcement at the moment it is for. Its ID is stable
// across restarts and instances as long as the schedule file keeps the
// announcement's id and time, so it can key a send ledger.
type Occurrence struct {
	ID           string // "<announcement id>@<RFC 3339 time>"
	Announcement string
	At           time.Time
	// Until is when sending it stops being useful: the deadline it refers
	// to, the end of the phase it opens, or a day after a fixed time.
	Until time.Time
	Phase string // the phase it opens, or the phase current at At
	Task  *Task  // the deadline it refers to; nil for none
	// PhaseEnd is the last day of the phase it opens (phase_start only).
	PhaseEnd   time.Time
	To         Targets
	Kind       domain.MessageKind
	Template   string
	OnlyIfOpen bool

	tmpl *template.Template
}

// Deadline is a task with the calendar days left until its deadline day in
// the schedule's zone (0 on the day itself, negative once passed).
type Deadline struct {
	Task     Task
	DaysLeft int
}

// TaskState is where a task stands.
type TaskState string

// Task states.
const (
	TaskOpen    TaskState = "open"
	TaskDone    TaskState = "done"
	TaskOverdue TaskState = "overdue"
)

// TaskStatus is a task at a moment, and for a committee task read with the
// committee's counters (Schedule.CommitteeStatus), whether it is done.
type TaskStatus struct {
	Task     Task
	DaysLeft int // calendar days to the deadline's day; negative when past
	State    TaskState
	// Measured is true when counters decided State; a task without a
	// measure, or read without counters, is open until its deadline.
	Measured bool
	// Left says what is left, e.g. "还有3户未走访"; empty when done.
	Left string
}

// AnnouncementData is what an announcement template may use. The renderer
// fills one per recipient: committee fields are empty or zero for targets
// without a committee (leaders, parties, chats, robots).
type AnnouncementData struct {
	Name       string // recipient's name, when known
	Committee  string
	Households int64
	Unvisited  int64
	Short      int64  // yuan not yet paid
	DaysLeft   int    // days to Deadline
	Deadline   string // "2月6日": the task's deadline, or the last day of the phase that starts
	Task       string // what the task is
	Phase      string
	Open       string // the committee's open work, one "· " line each
}

const schedDefaultClock = 9 * 60

//go:embed default.yaml
var schedDefaultYAML []byte

// DefaultYAML is the built-in schedule file, for `songnuan schedule
// show` and as a starting point for next year's file.
func DefaultYAML() []byte { return slices.Clone(schedDefaultYAML) }

// Default is the 甘泉路街道 2024 timeline (普甘办〔2024〕1号).
func Default() *Schedule {
	s, err := Parse(schedDefaultYAML, "default.yaml")
	if err != nil {
		panic(fmt.Sprintf("built-in schedule: %v", err)) // covered by tests
	}
	return s
}

// schedCivil counts days so that calendar-day differences ignore clock
// changes: the date of t in loc, as days since an epoch.
func schedCivil(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// daysLeft is the number of calendar days from t's day to day, both in the
// schedule's zone.
func (s *Schedule) daysLeft(t, day time.Time) int {
	return schedCivil(day, s.Location) - schedCivil(t, s.Location)
}

// PhaseAt returns the phase t falls in.
func (s *Schedule) PhaseAt(t time.Time) (Phase, bool) {
	for _, p := range s.Phases {
		if p.Contains(t) {
			return p, true
		}
	}
	return Phase{}, false
}

// Upcoming returns the next n deadlines not yet passed at t, soonest first
// (ties in file order).
func (s *Schedule) Upcoming(t time.Time, n int) []Deadline {
	var out []Deadline
	for _, task := range s.sortedTasks() {
		if t.Before(task.Due) {
			out = append(out, Deadline{Task: task, DaysLeft: s.daysLeft(t, task.Day)})
		}
	}
	if n >= 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

func (s *Schedule) sortedTasks() []Task {
	ts := slices.Clone(s.Tasks)
	slices.SortStableFunc(ts, func(a, b Task) int { return a.Due.Compare(b.Due) })
	return ts
}

// TaskByID returns the task with the given id.
func (s *Schedule) TaskByID(id string) (Task, bool) {
	for _, t := range s.Tasks {
		if t.ID == id {
			return t, true
		}
	}
	return Task{}, false
}

// TasksFor returns the tasks that concern role at t, by deadline: workers
// get the committee tasks and those owned by workers; leaders those owned
// by leaders and the committee tasks they oversee; admins every task. A
// task is open, or overdue once its deadline passed; whether a committee
// has done it needs its counters (CommitteeStatus).
func (s *Schedule) TasksFor(role domain.Role, t time.Time) []TaskStatus {
	var out []TaskStatus
	for _, task := range s.sortedTasks() {
		mine := domain.Role(task.Owner) == role || task.Scope == ScopeCommittee || role == domain.RoleAdmin
		if mine {
			out = append(out, s.status(task, t, nil))
		}
	}
	return out
}

// CommitteeStatus returns every committee task at t for the committee
// whose counters are c, by deadline, saying which are done.
func (s *Schedule) CommitteeStatus(t time.Time, c domain.Counters) []TaskStatus {
	if c == nil {
		c = domain.Counters{}
	}
	var out []TaskStatus
	for _, task := range s.sortedTasks() {
		if task.Scope == ScopeCommittee {
			out = append(out, s.status(task, t, c))
		}
	}
	return out
}

// status evaluates task at t; c nil means no counters are known.
func (s *Schedule) status(task Task, t time.Time, c domain.Counters) TaskStatus {
	st := TaskStatus{Task: task, DaysLeft: s.daysLeft(t, task.Day), State: TaskOpen}
	if c != nil && task.Scope == ScopeCommittee && task.Measure != MeasureNone {
		st.Measured = true
		hh := c[domain.CtrHouseholds]
		switch task.Measure {
		case MeasureVisits:
			switch left := hh - c[domain.CtrVisited]; {
			case hh == 0:
				st.Left = "尚未登记帮困对象"
			case left > 0:
				st.Left = fmt.Sprintf("还有%d户未走访", left)
			}
		case MeasurePayments:
			switch {
			case hh == 0:
				st.Left = "尚未登记帮困对象"
			case c[domain.CtrShort] > 0:
				st.Left = fmt.Sprintf("还有%d元未发放", c[domain.CtrShort])
			}
		case MeasureReported:
			if c[ReportedCounter(task.ID)] <= 0 {
				st.Left = "尚未上报"
			}
		}
		if st.Left == "" {
			st.State = TaskDone
			return st
		}
	}
	if !t.Before(task.Due) {
		st.State = TaskOverdue
	}
	return st
}

// OpenWork is the committee's work still open that occurrence o is about:
// the committee tasks due together with the task o refers to, or every
// committee task when o refers to none. A task without a measure counts as
// open, since nothing says it is done.
func (s *Schedule) OpenWork(o Occurrence, t time.Time, c domain.Counters) []TaskStatus {
	var out []TaskStatus
	for _, st := range s.CommitteeStatus(t, c) {
		if o.Task != nil && !st.Task.Due.Equal(o.Task.Due) {
			continue
		}
		if st.State != TaskDone {
			out = append(out, st)
		}
	}
	return out
}

// Line is the task status as one phone line.
func (st TaskStatus) Line(s *Schedule) string {
	var b strings.Builder
	b.WriteString(st.Task.What)
	if st.Left != "" {
		b.WriteString("：" + st.Left)
	}
	switch st.State {
	case TaskDone:
		b.WriteString("（已完成）")
	default:
		b.WriteString("（" + s.FormatDeadline(st.Task) + "截止，" + DaysLeftText(st.DaysLeft) + "）")
	}
	return b.String()
}

// DaysLeftText says how far a deadline is: 还剩3天, 今天截止, 已逾期2天.
func DaysLeftText(days int) string {
	switch {
	case days > 0:
		return fmt.Sprintf("还剩%d天", days)
	case days == 0:
		return "今天截止"
	}
	return fmt.Sprintf("已逾期%d天", -days)
}

// FormatDeadline is a task's deadline as a worker writes it: 2月6日, or
// 1月2日 09:00 when it has a time.
func (s *Schedule) FormatDeadline(t Task) string {
	if t.HasTime {
		return s.FormatTime(t.Due)
	}
	return s.FormatDay(t.Day)
}

// FormatDay is 1月17日 in the schedule's zone.
func (s *Schedule) FormatDay(t time.Time) string {
	t = t.In(s.Location)
	return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
}

// FormatTime is 1月17日 09:00 in the schedule's zone.
func (s *Schedule) FormatTime(t time.Time) string {
	t = t.In(s.Location)
	return fmt.Sprintf("%d月%d日 %02d:%02d", t.Month(), t.Day(), t.Hour(), t.Minute())
}

// Occurrences returns every announcement occurrence of the schedule, in
// time order (ties in file order).
func (s *Schedule) Occurrences() []Occurrence {
	var out []Occurrence
	for i := range s.Announcements {
		out = append(out, s.occurrence(&s.Announcements[i]))
	}
	slices.SortStableFunc(out, func(a, b Occurrence) int { return a.At.Compare(b.At) })
	return out
}

// Due returns the announcement occurrences whose time is in (from, to], in
// time order.
func (s *Schedule) Due(from, to time.Time) []Occurrence {
	var out []Occurrence
	for _, o := range s.Occurrences() {
		if o.At.After(from) && !o.At.After(to) {
			out = append(out, o)
		}
	}
	return out
}

func (s *Schedule) occurrence(a *Announcement) Occurrence {
	o := Occurrence{
		Announcement: a.ID,
		To:           a.To,
		Kind:         a.Kind,
		Template:     a.Template,
		OnlyIfOpen:   a.OnlyIfOpen,
		tmpl:         a.tmpl,
	}
	switch a.When {
	case WhenPhaseStart:
		for _, p := range s.Phases {
			if p.Name == a.Phase {
				o.At = s.atClock(p.Start, a.ClockMinutes)
				o.Until = p.End.AddDate(0, 0, 1)
				o.Phase = p.Name
				o.PhaseEnd = p.End
			}
		}
	case WhenBeforeDeadline:
		if task, ok := s.TaskByID(a.Task); ok {
			o.Task = &task
			o.At = s.atClock(task.Day.AddDate(0, 0, -a.Days), a.ClockMinutes)
			o.Until = task.Due
		}
	case WhenAt:
		o.At = a.At
		o.Until = a.At.Add(24 * time.Hour)
	}
	if o.Phase == "" {
		if p, ok := s.PhaseAt(o.At); ok {
			o.Phase = p.Name
		}
	}
	o.ID = a.ID + "@" + o.At.In(s.Location).Format(time.RFC3339)
	return o
}

// atClock is minutes after midnight on day's date in the schedule's zone.
func (s *Schedule) atClock(day time.Time, minutes int) time.Time {
	y, m, d := day.In(s.Location).Date()
	return time.Date(y, m, d, minutes/60, minutes%60, 0, 0, s.Location)
}

// Data fills an announcement's template data for a recipient in committee
// (empty for none) whose counters are c, as of t.
func (s *Schedule) Data(o Occurrence, t time.Time, name, committee string, c domain.Counters) AnnouncementData {
	d := AnnouncementData{Name: name, Committee: committee, Phase: o.Phase}
	switch {
	case o.Task != nil:
		d.Deadline = s.FormatDeadline(*o.Task)
		d.DaysLeft = s.daysLeft(t, o.Task.Day)
		d.Task = o.Task.What
	case !o.PhaseEnd.IsZero():
		d.Deadline = s.FormatDay(o.PhaseEnd)
		d.DaysLeft = s.daysLeft(t, o.PhaseEnd)
	}
	if committee != "" {
		d.Households = c[domain.CtrHouseholds]
		d.Unvisited = max(c[domain.CtrHouseholds]-c[domain.CtrVisited], 0)
		d.Short = c[domain.CtrShort]
		var lines []string
		for _, st := range s.OpenWork(o, t, c) {
			line := "· " + st.Task.What
			if st.Left != "" {
				line += "：" + st.Left
			}
			lines = append(lines, line)
		}
		d.Open = strings.Join(lines, "\n")
	}
	return d
}

// RenderAnnouncement fills o's template with data. The result is trimmed;
// an empty result is an error, since an empty message cannot be sent.
func RenderAnnouncement(o Occurrence, data AnnouncementData) (string, error) {
	t := o.tmpl
	if t == nil {
		var err error
		if t, err = schedTemplate(o.Announcement, o.Template); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render announcement %s: %w", o.Announcement, err)
	}
	out := strings.TrimSpace(b.String())
	if out == "" {
		return "", fmt.Errorf("render announcement %s: empty message", o.Announcement)
	}
	return out, nil
}

func schedTemplate(name, text string) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Parse(text)
}
