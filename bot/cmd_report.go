package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"songnuan/domain"
	"songnuan/redact"
	"songnuan/schedule"
)

// reportAliases are words workers use for a task that its description
// says differently.
var reportAliases = map[string]string{"总结": "小结", "计划": "方案", "名册": "名单", "花名册": "名单"}

// report handles 上报 <任务>: the committee says a task measured by a
// report (its plan, its list, its summary) is done. A task already
// reported is answered as such and adds nothing, and the change is keyed
// by the message, so a re-delivery adds nothing either. (Two colleagues
// reporting one task at the same instant may both add 1; a task counts as
// reported from 1 on, so that does no harm.)
func (b *Bot) report(ctx context.Context, m *msg) (Reply, error) {
	committee, st, _, err := b.reportTarget(ctx, m)
	if err != nil {
		return Reply{}, err
	}
	// The answer is kept under the message either way, so a re-delivery
	// gets the first answer; a task already reported adds nothing.
	text := fmt.Sprintf("已记录：%s 已上报“%s”（%s）。", committee, st.Task.What, m.staff.Name)
	deltas := map[string]int64{schedule.ReportedCounter(st.Task.ID): 1}
	if st.State == schedule.TaskDone {
		text = fmt.Sprintf("%s已上报过“%s”，不用再报。", committee, st.Task.What)
		deltas = nil
	}
	ap, err := b.store.AddCountersOnce(ctx, CounterChange{
		OpID: m.opID(), Kind: ChangeReport, Actor: m.staff.UserID, At: b.now(), Committee: committee,
		Deltas: deltas,
		Result: text,
		Audit:  fmt.Sprintf("%s(%s) 上报 %s；MsgId=%s", m.staff.Name, m.staff.UserID, st.Task.ID, m.in.MsgID),
	})
	if err != nil {
		return Reply{}, fmt.Errorf("report %s in %s: %w", st.Task.ID, committee, err)
	}
	return Reply{Text: b.withDeadlines(ap.Result, ap.Counters)}, nil
}

// unreport handles 撤销上报 <任务>: a task reported by mistake goes back to
// not reported, whoever reported it (and however many times). Keyed by
// the message like 上报, so a re-delivery changes nothing more.
func (b *Bot) unreport(ctx context.Context, m *msg) (Reply, error) {
	committee, st, ctr, err := b.reportTarget(ctx, m)
	if err != nil {
		return Reply{}, err
	}
	counter := schedule.ReportedCounter(st.Task.ID)
	text := fmt.Sprintf("已撤销上报：%s 的“%s”改回未上报（%s）。", committee, st.Task.What, m.staff.Name)
	deltas := map[string]int64{counter: -ctr[counter]}
	if ctr[counter] <= 0 {
		text = fmt.Sprintf("%s还没有上报“%s”，不用撤销。", committee, st.Task.What)
		deltas = nil
	}
	ap, err := b.store.AddCountersOnce(ctx, CounterChange{
		OpID: m.opID(), Kind: ChangeUnreport, Actor: m.staff.UserID, At: b.now(), Committee: committee,
		Deltas: deltas,
		Result: text,
		Audit:  fmt.Sprintf("%s(%s) 撤销上报 %s；MsgId=%s", m.staff.Name, m.staff.UserID, st.Task.ID, m.in.MsgID),
	})
	if err != nil {
		return Reply{}, fmt.Errorf("unreport %s in %s: %w", st.Task.ID, committee, err)
	}
	return Reply{Text: b.withDeadlines(ap.Result, ap.Counters)}, nil
}

// reportTarget reads 上报's arguments: the committee the sender acts in,
// the task they name (one measured by a report) as it stands, and the
// committee's counters.
func (b *Bot) reportTarget(ctx context.Context, m *msg) (string, schedule.TaskStatus, domain.Counters, error) {
	var named string
	var words []string
	for _, tok := range tokens(m.args[0]) {
		if key, _, v, ok := splitKV(tok); ok && key == keyCommittee && v != "" {
			named = v
			continue
		}
		words = append(words, tok)
	}
	committee, err := b.changeScope(m.staff, named)
	if err != nil {
		return "", schedule.TaskStatus{}, nil, err
	}
	ctr, err := b.store.Counters(ctx, committee)
	if err != nil {
		return "", schedule.TaskStatus{}, nil, fmt.Errorf("read counters %s: %w", committee, err)
	}
	sts := b.committeeTasks(ctr)
	i, err := findTask(sts, strings.Join(words, ""))
	if err != nil {
		return "", schedule.TaskStatus{}, nil, b.reportUsage(sts, err.Error(), m.staff.Role)
	}
	st := sts[i]
	if st.Task.Measure != schedule.MeasureReported {
		return "", schedule.TaskStatus{}, nil, domain.Userf(fmt.Sprintf("“%s”按登记和走访记录自动统计，不用上报。", st.Task.What) + b.reportExample(sts, m.staff.Role))
	}
	return committee, st, ctr, nil
}

// findTask finds the task a worker names: by its number in the task list,
// by its id, or by a word of its description that only one task has.
func findTask(sts []schedule.TaskStatus, ref string) (int, error) {
	if ref == "" {
		return 0, fmt.Errorf("请写要上报的事项。")
	}
	if n, err := strconv.Atoi(ref); err == nil {
		if n < 1 || n > len(sts) {
			return 0, fmt.Errorf("没有第%d项事项。", n)
		}
		return n - 1, nil
	}
	for i, st := range sts {
		if st.Task.ID == ref {
			return i, nil
		}
	}
	word := ref
	if a, ok := reportAliases[ref]; ok {
		word = a
	}
	found := -1
	for i, st := range sts {
		if st.Task.Measure == schedule.MeasureReported && strings.Contains(st.Task.What, word) {
			if found >= 0 {
				return 0, fmt.Errorf("“%s”说的不止一项，请写序号。", ref)
			}
			found = i
		}
	}
	if found < 0 {
		return 0, fmt.Errorf("没有找到“%s”这项事项。", redact.Text(ref))
	}
	return found, nil
}

// reportUsage lists the tasks done by a report, with their numbers, after
// what was wrong.
func (b *Bot) reportUsage(sts []schedule.TaskStatus, problem string, role domain.Role) error {
	ls := []string{problem + "需要上报的事项："}
	for i, st := range sts {
		if st.Task.Measure == schedule.MeasureReported {
			ls = append(ls, b.taskLine(i+1, st))
		}
	}
	ls = append(ls, b.reportExample(sts, role))
	return domain.Userf(lines(ls...))
}

// reportExample shows how to report, with the first task that needs it.
func (b *Bot) reportExample(sts []schedule.TaskStatus, role domain.Role) string {
	n := 1
	for i, st := range sts {
		if st.Task.Measure == schedule.MeasureReported {
			n = i + 1
			break
		}
	}
	ex := fmt.Sprintf("例如：上报 %d", n)
	if role == domain.RoleAdmin {
		ex += " 居委:" + b.exampleCommittee()
	}
	return ex
}
