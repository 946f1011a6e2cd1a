package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"songnuan/domain"
)

// query handles 查询: one household with its entitlement, visits and
// payments. Workers see only their committee; a request for another is
// refused without saying whether the household exists.
func (b *Bot) query(ctx context.Context, m *msg) (Reply, error) {
	q, err := parseQuery(m.args[0], true)
	if err != nil {
		return Reply{}, err
	}
	committees, err := b.readScope(ctx, m.staff, q.Committee)
	if err != nil {
		return Reply{}, err
	}
	if q.Code != "" {
		if len(committees) != 1 {
			return Reply{}, domain.Userf("按编号查询请写明居委，例如：查询 编号" + q.Code + " 居委:" + b.exampleCommittee())
		}
		h, err := b.store.Household(ctx, committees[0], q.Code)
		if errors.Is(err, ErrNotFound) {
			return Reply{}, domain.Userf(committees[0] + "没有编号" + q.Code + "的户，请核对编号，或按户主查询，例如：查询 张三")
		}
		if err != nil {
			return Reply{}, fmt.Errorf("read household: %w", err)
		}
		return Reply{Text: householdDetail(&h)}, nil
	}
	var found []domain.Household
	for _, c := range committees {
		hs, err := b.store.FindByHead(ctx, c, q.Head)
		if err != nil {
			return Reply{}, fmt.Errorf("find head in %s: %w", c, err)
		}
		found = append(found, hs...)
	}
	switch len(found) {
	case 0:
		where := "本居委"
		if len(committees) != 1 {
			where = "各居委都"
		} else if m.staff.Role != domain.RoleWorker {
			where = committees[0]
		}
		return Reply{}, inferable(where + "没有户主叫" + q.Head + "的户。请核对姓名，或按编号查询，例如：查询 编号12")
	case 1:
		return Reply{Text: householdDetail(&found[0])}, nil
	}
	ls := []string{fmt.Sprintf("户主叫%s的有%d户，请用编号查询：", q.Head, len(found))}
	for i, h := range found {
		if i == 8 {
			ls = append(ls, fmt.Sprintf("等另外%d户", len(found)-8))
			break
		}
		id := "未填身份证"
		if h.IDMasked != "" {
			id = "身份证 " + h.IDMasked
		}
		ls = append(ls, fmt.Sprintf("%s 编号%s %s", h.Committee, h.Code, id))
	}
	ls = append(ls, "例如：查询 编号"+found[0].Code+" 居委:"+found[0].Committee)
	return Reply{Text: strings.Join(ls, "\n")}, nil
}

// householdDetail is one household as 查询 shows it, masked.
func householdDetail(h *domain.Household) string {
	ls := []string{householdHeader(h), personalLine(h)}
	if h.Address != "" {
		ls = append(ls, "地址 "+h.Address)
	}
	ls = append(ls, itemLines(h.Head, h.Entitlement)...)
	if len(h.Visits) == 0 {
		ls = append(ls, "还没有走访")
	} else {
		ls = append(ls, "走访和发放：")
		for _, v := range h.Visits {
			ls = append(ls, visitLine(v))
		}
	}
	due, paid := h.Entitlement.Total, paidTotal(h)
	ls = append(ls, fmt.Sprintf("应发%d元，已发%d元，%s", due, paid, balance(due, paid)))
	return lines(ls...)
}
