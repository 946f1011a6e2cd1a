package schedule

import (
	"fmt"
	"strings"
	"time"

	"songnuan/domain"
)

// schedOverviewDeadlines is how many deadlines the 日程 reply lists: enough
// to see the next two weeks, few enough for one phone screen.
const schedOverviewDeadlines = 4

// Overview is the reply to 日程 at t: today, the current phase, the next
// deadlines with the days left, and the next phase.
func (s *Schedule) Overview(t time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "【日程】%s\n", s.Name)
	fmt.Fprintf(&b, "今天 %s，", s.FormatDay(t))
	ph, in := s.PhaseAt(t)
	switch {
	case len(s.Phases) == 0:
		b.WriteString("日程里没有阶段。\n")
	case in:
		fmt.Fprintf(&b, "当前阶段：%s（第%d/%d阶段，%s—%s）\n", ph.Name, ph.Index, len(s.Phases), s.FormatDay(ph.Start), s.FormatDay(ph.End))
	case t.Before(s.Phases[0].Start):
		first := s.Phases[0]
		fmt.Fprintf(&b, "帮困送温暖还没开始：%s起 %s（还有%d天）\n", s.FormatDay(first.Start), first.Name, s.daysLeft(t, first.Start))
	default:
		if next, ok := s.nextPhase(t); ok {
			fmt.Fprintf(&b, "两个阶段之间，%s起 %s\n", s.FormatDay(next.Start), next.Name)
		} else {
			last := s.Phases[len(s.Phases)-1]
			fmt.Fprintf(&b, "本次帮困送温暖已于%s结束。\n", s.FormatDay(last.End))
		}
	}
	up := s.Upcoming(t, schedOverviewDeadlines)
	if len(up) > 0 {
		b.WriteString("接下来的截止：\n")
		for _, d := range up {
			fmt.Fprintf(&b, "· %s %s（%s）%s\n", s.FormatDeadline(d.Task), d.Task.What, d.Task.OwnerName(), DaysLeftText(d.DaysLeft))
		}
	}
	if in {
		if next, ok := s.nextPhase(t); ok {
			fmt.Fprintf(&b, "下一阶段：%s起 %s\n", s.FormatDay(next.Start), next.Name)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// nextPhase is the first phase starting after t.
func (s *Schedule) nextPhase(t time.Time) (Phase, bool) {
	for _, p := range s.Phases {
		if p.Start.After(t) {
			return p, true
		}
	}
	return Phase{}, false
}

// Table is the whole schedule for `songnuan schedule show`: phases, tasks
// and every announcement occurrence with its time, targets and first line.
// Robot keys are not shown: whoever has one can post to the group.
func (s *Schedule) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s（时区 %s）\n\n阶段\n", s.Name, s.TimeZone)
	for _, p := range s.Phases {
		fmt.Fprintf(&b, "  %d. %s  %s 至 %s\n", p.Index, p.Name, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly))
	}
	b.WriteString("\n任务（截止 · 编号 · 负责 · 范围 · 完成标准 · 内容）\n")
	for _, t := range s.sortedTasks() {
		due := t.Day.Format(time.DateOnly)
		if t.HasTime {
			due = t.Due.In(s.Location).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(&b, "  %-16s  %-14s  %s · %s · %s · %s\n", due, t.ID, t.OwnerName(), schedScopeName[t.Scope], schedMeasureName[t.Measure], t.What)
	}
	b.WriteString("\n公告（时间 · 编号 · 时机 · 收件人 · 内容第一行）\n")
	for _, o := range s.Occurrences() {
		first, _, _ := strings.Cut(o.Template, "\n")
		fmt.Fprintf(&b, "  %s  %-24s  %s · %s · %s\n", o.At.In(s.Location).Format("2006-01-02 15:04"), o.Announcement, s.describeWhen(o), o.To.describe(o.OnlyIfOpen), first)
	}
	return b.String()
}

// describeWhen says what an occurrence is tied to.
func (s *Schedule) describeWhen(o Occurrence) string {
	for _, a := range s.Announcements {
		if a.ID != o.Announcement {
			continue
		}
		switch a.When {
		case WhenPhaseStart:
			return a.Phase + "开始"
		case WhenBeforeDeadline:
			return fmt.Sprintf("%s截止前%d天", a.Task, a.Days)
		}
	}
	return "定时"
}

var (
	schedScopeName   = map[TaskScope]string{ScopeCommittee: "各居委", ScopeHousehold: "入户", ScopeStreet: "街道"}
	schedMeasureName = map[TaskMeasure]string{MeasureNone: "—", MeasureVisits: "全部走访", MeasurePayments: "全部发放", MeasureReported: "已上报"}
	schedRoleName    = map[domain.Role]string{domain.RoleWorker: "居委干部", domain.RoleLeader: "领导", domain.RoleAdmin: "管理员"}
)

func (to Targets) describe(onlyIfOpen bool) string {
	var parts []string
	for _, r := range to.Roles {
		parts = append(parts, schedRoleName[r])
	}
	if len(to.Users) > 0 {
		parts = append(parts, "成员 "+strings.Join(to.Users, ","))
	}
	if len(to.Parties) > 0 {
		parts = append(parts, "部门 "+strings.Join(to.Parties, ","))
	}
	if len(to.Tags) > 0 {
		parts = append(parts, "标签 "+strings.Join(to.Tags, ","))
	}
	if to.ChatID != "" {
		parts = append(parts, "群聊 "+to.ChatID)
	}
	if to.RobotKey != "" {
		parts = append(parts, "群机器人")
	}
	out := strings.Join(parts, "、")
	if onlyIfOpen {
		out += "（仅有未完成事项的居委）"
	}
	return out
}
