package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"songnuan/domain"
)

// visit handles 走访 (and its variants 慰问, 发放, 补发).
func (b *Bot) visit(ctx context.Context, m *msg) (Reply, error) {
	a, err := b.parseVisit(m.args[0], m.args[1])
	if err != nil {
		return Reply{}, err
	}
	committee, err := b.changeScope(m.staff, a.Committee)
	if err != nil {
		return Reply{}, err
	}
	date, err := parseDate(a.Date, b.now())
	if err != nil {
		return Reply{}, err
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		h, err := b.resolve(ctx, committee, a.Head, a.Code, "走访 编号%s 发放900元")
		if err != nil {
			return Reply{}, err
		}
		text, retry, err := b.visitOnce(ctx, m, h, a, date)
		if err != nil || !retry {
			return Reply{Text: text}, err
		}
		if err := pause(ctx, attempt); err != nil {
			return Reply{}, err
		}
	}
	return Reply{}, fmt.Errorf("visit in %s: %w", committee, ErrConflict)
}

// resolve finds the household a worker means: by code, or by head when
// exactly one household of the committee has it.
func (b *Bot) resolve(ctx context.Context, committee, head, code, example string) (*domain.Household, error) {
	if code != "" {
		h, err := b.store.Household(ctx, committee, code)
		if errors.Is(err, ErrNotFound) {
			return nil, domain.Userf("本居委没有编号" + code + "的户，请核对编号，或用户主姓名，例如：" + fmt.Sprintf(example, "12"))
		}
		if err != nil {
			return nil, fmt.Errorf("read household %s/%s: %w", committee, code, err)
		}
		return &h, nil
	}
	hs, err := b.store.FindByHead(ctx, committee, head)
	if err != nil {
		return nil, fmt.Errorf("find head in %s: %w", committee, err)
	}
	switch len(hs) {
	case 0:
		// the name may be a slip for a head's: read again before advising
		// a registration that would make a second household
		return nil, inferable("本居委没有户主叫" + head + "的户。请先登记，例如：登记 " + head + " 低保 3人")
	case 1:
		return &hs[0], nil
	}
	return nil, ambiguous(head, hs, example)
}

// visitOnce decides and records one visit report against h as read. It
// asks to be retried when h changed concurrently.
func (b *Bot) visitOnce(ctx context.Context, m *msg, h *domain.Household, a visitArgs, date string) (string, bool, error) {
	for _, v := range h.Visits {
		if v.MsgID != "" && v.MsgID == m.in.MsgID {
			// This message was recorded before (a re-delivery): answer as then.
			return b.withPending(ctx, h.Committee, visitText(h, v, nil), nil)
		}
	}
	v := domain.Visit{At: b.now(), Date: date, By: m.staff.UserID, ByName: m.staff.Name,
		Visitor: a.Visitor, Paid: a.Paid, MsgID: m.in.MsgID}
	v.Goods, v.GoodsSealed = b.freeText("", a.Goods)
	due, paid := h.Entitlement.Total, paidTotal(h)
	if first := firstVisit(h, a.Visitor); first != nil {
		switch {
		case paid >= due || a.Paid == 0:
			return duplicateVisit(h, *first, due, paid), false, nil
		case a.Visitor != domain.VisitorCommittee && !a.TopUp:
			// a second leader is the 重复走访 the campaign forbids
			return duplicateVisit(h, *first, due, paid), false, nil
		case !a.TopUp && sameReport(h, a.Visitor, a.Paid, date):
			return duplicateVisit(h, *first, due, paid), false, nil
		}
		v.TopUp = true
	}
	after := *h
	after.Visits = append(slices.Clone(h.Visits), v)
	after.Entitlement.Items = slices.Clone(h.Entitlement.Items)
	var leaderItem *domain.EntitlementItem
	if !v.TopUp && a.Visitor != domain.VisitorCommittee {
		if it, ok := b.policy.LeaderItem(a.Visitor); ok {
			after.Entitlement.Items = append(after.Entitlement.Items, it)
			after.Entitlement.Total += it.Amount
			leaderItem = &it
		}
	}
	after.Version = h.Version + 1
	after.UpdatedAt, after.UpdatedBy = v.At, m.staff.UserID
	todo := TodoKeep
	if len(h.Visits) == 0 {
		todo = TodoRemove
	}
	text := visitText(&after, v, leaderItem)
	ap, err := b.store.Apply(ctx, Change{
		OpID: m.opID(), Kind: ChangeVisit, Actor: m.staff.UserID, At: v.At,
		Committee: h.Committee, Code: h.Code,
		Before: h, After: &after,
		Deltas: domain.CounterDeltas(h, &after),
		Todo:   todo,
		Undo:   UndoPush,
		Result: text,
		Audit:  auditDetail(m.staff, "走访 "+visitLine(v), h, &after, m.in.MsgID),
	})
	switch {
	case errors.Is(err, ErrConflict):
		return "", true, nil
	case err != nil:
		return "", false, fmt.Errorf("apply visit %s/%s: %w", h.Committee, h.Code, err)
	case ap.Replayed:
		return b.withPending(ctx, h.Committee, ap.Result, ap.Counters)
	}
	return b.withPending(ctx, h.Committee, text, ap.Counters)
}

// firstVisit is the household's first visit of the same kind as visitor:
// the committee's own, or a leader's (区领导 and 街镇领导 are one kind, as
// a household is visited by one leader at most).
func firstVisit(h *domain.Household, visitor domain.Visitor) *domain.Visit {
	leader := visitor != domain.VisitorCommittee
	for i, v := range h.Visits {
		if !v.TopUp && (v.Visitor != domain.VisitorCommittee) == leader {
			return &h.Visits[i]
		}
	}
	return nil
}

// sameReport reports whether a visit of this kind, amount and date is
// already recorded: two workers reporting one visit, not a top-up.
func sameReport(h *domain.Household, visitor domain.Visitor, paid int64, date string) bool {
	leader := visitor != domain.VisitorCommittee
	for _, v := range h.Visits {
		if (v.Visitor != domain.VisitorCommittee) == leader && v.Paid == paid && v.Date == date {
			return true
		}
	}
	return false
}

// duplicateVisit refuses a second visit of one kind, saying when and by
// whom the first was.
func duplicateVisit(h *domain.Household, first domain.Visit, due, paid int64) string {
	what := fmt.Sprintf("重复：%s（编号%s）已于%s由%s走访过，发放%d元。本次没有记录。", h.Head, h.Code, cnDateStr(first.Date), first.ByName, first.Paid)
	if first.Visitor != domain.VisitorCommittee {
		what = fmt.Sprintf("重复：%s（编号%s）已于%s有%s走访（%s记录，发放%d元），每户只安排一次领导走访。本次没有记录。",
			h.Head, h.Code, cnDateStr(first.Date), first.Visitor, first.ByName, first.Paid)
	}
	return lines(
		what,
		fmt.Sprintf("应发%d元，已发%d元，%s。", due, paid, balance(due, paid)),
		"如确需补发，请发送：补发 编号"+h.Code+" 100元",
	)
}

// visitText is the answer to a recorded visit, from the household after it.
func visitText(h *domain.Household, v domain.Visit, leaderItem *domain.EntitlementItem) string {
	head := "已记录："
	if v.TopUp {
		head = "已记录补发："
	}
	added := ""
	if leaderItem != nil {
		added = fmt.Sprintf("应发增加 %s %d元", leaderItem.Name, leaderItem.Amount)
	}
	due, paid := h.Entitlement.Total, paidTotal(h)
	need := ""
	for _, it := range h.Entitlement.Items {
		if it.NeedsAmount {
			need = "另有补助金额待填，请补充登记（发送 查询 编号" + h.Code + " 查看）"
			break
		}
	}
	return lines(
		head+fmt.Sprintf("%s（编号%s）", h.Head, h.Code)+visitLine(v),
		added,
		fmt.Sprintf("应发%d元，已发%d元，%s", due, paid, balance(due, paid)),
		need,
	)
}

// withPending ends a visit answer with the committee's households still to
// visit and the days left to its open deadlines, from the counters read
// with the change (or read now).
func (b *Bot) withPending(ctx context.Context, committee, text string, ctr domain.Counters) (string, bool, error) {
	if ctr == nil {
		var err error
		ctr, err = b.store.Counters(ctx, committee)
		if err != nil {
			return "", false, fmt.Errorf("read counters %s: %w", committee, err)
		}
	}
	return b.withDeadlines(text+"\n"+pendingLine(committee, ctr), ctr), false, nil
}

// pendingLine is "甘泉一村 待走访 N户".
func pendingLine(committee string, ctr domain.Counters) string {
	return fmt.Sprintf("%s 待走访 %d户", committee, max(ctr[domain.CtrHouseholds]-ctr[domain.CtrVisited], 0))
}

// firstLine is the first line of a text.
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
