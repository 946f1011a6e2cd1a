package bot

import (
	"fmt"
	"strings"

	"songnuan/domain"
	"songnuan/schedule"
)

// StreetCommittee is the name under which the street's own records are
// kept: donations an admin records for the street as a whole, and the
// audit of street-wide acts (exports with full numbers, broadcasts). Its
// counters show up in Store.AllCounters beside the committees', which is
// what puts its donations in the street's totals and in the statistics
// table; the status views list it apart from the committees.
const StreetCommittee = "街道本级"

// ctrDonationSource starts the per-source donation counter fields.
const ctrDonationSource = "donation:s:"

// DonationSource names the counter of donations from one source (一日捐,
// 募捐…); CtrDonations keeps their sum.
func DonationSource(source string) string { return ctrDonationSource + source }

// committeeOnly drops the street's own entry from a set of counters, for
// the views that list committees.
func committeeOnly(all map[string]domain.Counters) map[string]domain.Counters {
	if _, ok := all[StreetCommittee]; !ok {
		return all
	}
	out := make(map[string]domain.Counters, len(all))
	for c, ctr := range all {
		if c != StreetCommittee {
			out[c] = ctr
		}
	}
	return out
}

// taskLabel is how a deadline line names a task: the two tasks every
// worker knows by one word by that word, any other by its first clause.
func taskLabel(t schedule.Task) string {
	switch t.Measure {
	case schedule.MeasureVisits:
		return "走访"
	case schedule.MeasurePayments:
		return "发放"
	}
	return shortTaskName(t)
}

// shortTaskName is a task's first clause (制定本居委工作方案), for the
// street view where a whole task description per line would not fit.
func shortTaskName(t schedule.Task) string {
	w := t.What
	if i := strings.IndexAny(w, "、，,；;并"); i > 0 {
		w = w[:i]
	}
	return w
}

// deadlineLines end a 登记 or 走访 answer: the committee's overdue tasks,
// then the next deadline that still has open work and the days left
// (距走访、发放截止（2月6日）还有17天). Nothing when all is done.
func (b *Bot) deadlineLines(ctr domain.Counters) []string {
	s := b.schedule
	var overdue []string
	var next []schedule.TaskStatus
	for _, st := range s.CommitteeStatus(b.now(), ctr) {
		switch {
		case st.State == schedule.TaskDone:
		case st.State == schedule.TaskOverdue:
			overdue = append(overdue, fmt.Sprintf("%s（%s截止）", taskLabel(st.Task), s.FormatDeadline(st.Task)))
		case len(next) == 0 || st.Task.Day.Equal(next[0].Task.Day):
			next = append(next, st)
		}
	}
	var ls []string
	if len(overdue) > 0 {
		ls = append(ls, "已逾期："+strings.Join(overdue, "、"))
	}
	if len(next) > 0 {
		labels := make([]string, len(next))
		for i, st := range next {
			labels[i] = taskLabel(st.Task)
		}
		what, when := strings.Join(labels, "、"), s.FormatDeadline(next[0].Task)
		if d := next[0].DaysLeft; d > 0 {
			ls = append(ls, fmt.Sprintf("距%s截止（%s）还有%d天", what, when, d))
		} else {
			ls = append(ls, fmt.Sprintf("今天（%s）截止：%s", when, what))
		}
	}
	return ls
}

// withDeadlines appends deadlineLines to an answer.
func (b *Bot) withDeadlines(text string, ctr domain.Counters) string {
	return lines(append([]string{text}, b.deadlineLines(ctr)...)...)
}

// withDeadlinesAboveTotal is withDeadlines for an entitlement, whose
// answer must end with its "合计 N元" line: the open tasks and the days
// left go right under the answer's first line instead.
func (b *Bot) withDeadlinesAboveTotal(text string, ctr domain.Counters) string {
	ls := strings.Split(text, "\n")
	if !strings.HasPrefix(ls[len(ls)-1], "合计 ") {
		return b.withDeadlines(text, ctr)
	}
	dl := b.deadlineLines(ctr)
	out := make([]string, 0, len(ls)+len(dl))
	out = append(out, ls[0])
	out = append(out, dl...)
	return lines(append(out, ls[1:]...)...)
}

// committeeTasks is the committee's task list at now, numbered from 1 in
// deadline order; the numbers are what 上报 takes.
func (b *Bot) committeeTasks(ctr domain.Counters) []schedule.TaskStatus {
	return b.schedule.CommitteeStatus(b.now(), ctr)
}

// taskLine is one numbered line of a task list; an overdue task is marked
// at the front, where the eye starts.
func (b *Bot) taskLine(n int, st schedule.TaskStatus) string {
	mark := ""
	if st.State == schedule.TaskOverdue {
		mark = "【逾期】"
	}
	return fmt.Sprintf("%d. %s%s", n, mark, st.Line(b.schedule))
}

// reportHint tells a committee how to report its first open task that is
// done by a report, or "" when none is open.
func reportHint(sts []schedule.TaskStatus) string {
	for i, st := range sts {
		if st.Task.Measure == schedule.MeasureReported && st.State != schedule.TaskDone {
			return fmt.Sprintf("做完的上报事项请发送：上报 %d", i+1)
		}
	}
	return ""
}
