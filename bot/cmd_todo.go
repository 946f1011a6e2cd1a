package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"songnuan/domain"
)

// todoShown is how many unvisited households 待办 names.
const todoShown = 5

// todo handles 待办: what is left in a committee. Leaders and admins who
// name no committee get one line per committee.
func (b *Bot) todo(ctx context.Context, m *msg) (Reply, error) {
	q, err := parseQuery(m.args[0], false)
	if err != nil {
		return Reply{}, err
	}
	if q.Head != "" || q.Code != "" {
		return Reply{}, domain.Userf("待办后面只能写居委，例如：待办 或 待办 居委:" + b.exampleCommittee())
	}
	if m.staff.Role != domain.RoleWorker && q.Committee == "" {
		return b.todoAll(ctx)
	}
	committees, err := b.readScope(ctx, m.staff, q.Committee)
	if err != nil {
		return Reply{}, err
	}
	c := committees[0]
	ctr, err := b.store.Counters(ctx, c)
	if err != nil {
		return Reply{}, fmt.Errorf("read counters %s: %w", c, err)
	}
	refs, total, err := b.store.Unvisited(ctx, c, todoShown)
	if err != nil {
		return Reply{}, fmt.Errorf("read unvisited %s: %w", c, err)
	}
	return Reply{Text: lines(todoReply(c, ctr, refs, total), b.todoTasks(ctr))}, nil
}

// todoTasks is the committee's task list for 待办: every committee task
// with what is left and the days left, overdue ones marked, and how to
// report the first open one.
func (b *Bot) todoTasks(ctr domain.Counters) string {
	sts := b.committeeTasks(ctr)
	if len(sts) == 0 {
		return ""
	}
	ls := []string{"事项（截至" + cnDate(b.now()) + "）："}
	for i, st := range sts {
		ls = append(ls, b.taskLine(i+1, st))
	}
	return lines(append(ls, reportHint(sts))...)
}

// todoReply is the whole 待办 answer for one committee; every addition to
// it (deadlines, days left) belongs here.
func todoReply(committee string, ctr domain.Counters, refs []HouseholdRef, total int) string {
	ls := []string{pendingLine(committee, ctr)}
	if len(refs) > 0 {
		names := make([]string, 0, len(refs))
		for _, r := range refs {
			names = append(names, fmt.Sprintf("%s(编号%s)", r.Head, r.Code))
		}
		ls = append(ls, "未走访："+strings.Join(names, "、"))
		if rest := total - len(refs); rest > 0 {
			ls = append(ls, fmt.Sprintf("等另外%d户", rest))
		}
	}
	ls = append(ls, fmt.Sprintf("未发金额 %d元", ctr[domain.CtrShort]))
	if n := ctr[domain.CtrNeedAmount]; n > 0 {
		ls = append(ls, fmt.Sprintf("另有%d户补助金额待填", n))
	}
	if n := ctr[domain.CtrOver]; n > 0 {
		ls = append(ls, fmt.Sprintf("多发 %d元，请核对", n))
	}
	return strings.Join(ls, "\n")
}

// todoAll is one line per committee, most households left first.
func (b *Bot) todoAll(ctx context.Context) (Reply, error) {
	all, err := b.store.AllCounters(ctx)
	if err != nil {
		return Reply{}, fmt.Errorf("read all counters: %w", err)
	}
	type row struct {
		c           string
		left, short int64
	}
	var rows []row
	var left, short int64
	for c, ctr := range committeeOnly(all) {
		r := row{c, max(ctr[domain.CtrHouseholds]-ctr[domain.CtrVisited], 0), ctr[domain.CtrShort]}
		left += r.left
		short += r.short
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(x, y row) int {
		if x.left != y.left {
			return int(y.left - x.left)
		}
		return strings.Compare(x.c, y.c)
	})
	ls := []string{fmt.Sprintf("全部居委 待走访 %d户，未发金额 %d元", left, short)}
	for i, r := range rows {
		if i == 10 {
			ls = append(ls, fmt.Sprintf("等另外%d个居委", len(rows)-10))
			break
		}
		ls = append(ls, fmt.Sprintf("%s 待走访 %d户，未发 %d元", r.c, r.left, r.short))
	}
	ls = append(ls, "看某个居委：待办 居委:"+b.exampleCommittee())
	return Reply{Text: strings.Join(ls, "\n")}, nil
}
