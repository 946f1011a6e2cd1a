package bot

import (
	"fmt"
	"strings"

	"songnuan/domain"
	"songnuan/redact"
)

// householdHeader names a household the way every reply does:
// 甲一（编号3，甘泉一村，3人）.
func householdHeader(h *domain.Household) string {
	return fmt.Sprintf("%s（编号%s，%s，%d人）", h.Head, h.Code, h.Committee, h.Size)
}

// personalLine shows the masked ID and phone, or "" when neither is known.
func personalLine(h *domain.Household) string {
	var parts []string
	if h.IDMasked != "" {
		parts = append(parts, "身份证 "+h.IDMasked)
	}
	if h.PhoneMasked != "" {
		parts = append(parts, "电话 "+h.PhoneMasked)
	}
	return strings.Join(parts, "，")
}

// itemLine is one entitlement item: name, persons, amount and fund; an
// item whose amount must be stated says its range and how to state it.
func itemLine(head string, it domain.EntitlementItem) string {
	name := it.Name
	if it.Category != "" && !strings.Contains(name, it.Category) {
		name = it.Category + "·" + name
	}
	if it.Persons > 0 {
		name += fmt.Sprintf(" %d人", it.Persons)
	}
	if it.NeedsAmount {
		ex := it.Min
		if it.Max == 0 {
			ex = 800 // discretionary: any amount; show a plausible one
		}
		rng := "金额由居委酌定"
		if it.Max > 0 {
			rng = fmt.Sprintf("%d–%d元", it.Min, it.Max)
		}
		count := ""
		if it.Persons > 0 {
			count = fmt.Sprintf("%d人", it.Persons)
		}
		return fmt.Sprintf("· %s：金额待填（%s），请发送：登记 %s %s%s%d元", name, rng, head, it.Category, count, ex)
	}
	if it.Amount == 0 {
		return fmt.Sprintf("· %s：无定额，按实际发放（%s）", name, it.Fund)
	}
	return fmt.Sprintf("· %s %d元（%s）", name, it.Amount, it.Fund)
}

// itemLines lists an entitlement and ends with the line "合计 N元".
func itemLines(head string, e domain.Entitlement) []string {
	var ls []string
	for _, it := range e.Items {
		ls = append(ls, itemLine(head, it))
	}
	return append(ls, totalLine(e.Total))
}

// totalLine is the last line of every entitlement: digits only.
func totalLine(n int64) string { return fmt.Sprintf("合计 %d元", n) }

// paidTotal is what a household has been paid in all its visits.
func paidTotal(h *domain.Household) int64 {
	var p int64
	for _, v := range h.Visits {
		p += v.Paid
	}
	return p
}

// balance says how payment stands against what is due.
func balance(due, paid int64) string {
	switch {
	case paid < due:
		return fmt.Sprintf("少发 %d元", due-paid)
	case paid > due:
		return fmt.Sprintf("多发 %d元", paid-due)
	}
	return "已足额"
}

// visitLine describes one recorded visit or payment.
func visitLine(v domain.Visit) string {
	kind := string(v.Visitor) + "走访"
	if v.TopUp {
		kind = "补发"
	}
	s := fmt.Sprintf("%s %s %s 发放%d元", cnDateStr(v.Date), kind, v.ByName, v.Paid)
	if v.Goods != "" {
		s += " 物品:" + v.Goods
	}
	return s
}

// lines joins reply lines, dropping empty ones.
func lines(ls ...string) string {
	out := ls[:0:0]
	for _, l := range ls {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// maskedOr shows a masked value or a dash, for audit lines.
func maskedOr(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// auditDetail is the masked description of a change kept in the audit
// stream: who, what, and the before/after that matters, never a full
// ID or phone number.
func auditDetail(actor domain.Staff, what string, before, after *domain.Household, msgID string) string {
	desc := func(h *domain.Household) string {
		if h == nil {
			return "无"
		}
		cats := make([]string, 0, len(h.Categories))
		for _, c := range h.Categories {
			s := c.Category
			if c.Persons > 0 {
				s += fmt.Sprintf("%d人", c.Persons)
			}
			if c.Amount > 0 {
				s += fmt.Sprintf("%d元", c.Amount)
			}
			cats = append(cats, s)
		}
		return fmt.Sprintf("%s 编号%s %d人 [%s] 身份证%s 电话%s 应发%d 已发%d 走访%d次 v%d",
			h.Head, h.Code, h.Size, strings.Join(cats, " "), maskedOr(h.IDMasked), maskedOr(h.PhoneMasked),
			h.Entitlement.Total, paidTotal(h), len(h.Visits), h.Version)
	}
	return redact.Text(fmt.Sprintf("%s(%s) %s；之前：%s；之后：%s", actor.Name, actor.UserID, what, desc(before), desc(after))) + "；来源=" + msgID
}
