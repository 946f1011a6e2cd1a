package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"songnuan/domain"
)

// Entitle computes what household h is due under policy p: one line per
// item its categories trigger, in policy order, and the total in yuan.
//
// How claims count:
//   - A person-level claim covers Persons members. With Persons 0 it
//     covers the only member of a 1-person household; on a larger
//     household it is an error, because guessing would pay the wrong
//     amount.
//   - A household-level claim covers the household; a Persons above 0
//     narrows the headcount a scale item counts (never above Size).
//   - A stated Amount is the claim's total for its one amount-taking item
//     (average, range, discretionary, budget): it replaces an average's
//     default, must lie in Min..Max × units for a range, and is recorded
//     as is for a budget item. Without it a range or discretionary line
//     has NeedsAmount and Amount 0.
//   - Items triggered by several categories are one line; persons add up
//     and stop at the household size. The line's Category is the first of
//     them in policy order, so per-category counters do not depend on how
//     the worker ordered the claims.
//   - Within a band group each person gets one band: persons go to the
//     best-paid band first, and no more persons than the household has.
//   - An item with ExcludePersonsOf does not count persons under those
//     items; with nobody left it is not due at all (低保 of a household
//     whose members are all 特困).
//
// Items triggered by a visit (leader visits) are never added here; see
// LeaderItem. Mistakes in h come back as a *UserError that says what to fix
// with an example: an unknown category, a category claimed twice, persons
// above the size, a missing person count, a stated amount where the
// standard is fixed or outside a range, two alternatives of one exclusive
// group, a size outside 1..MaxHouseholdSize.
func Entitle(p *Policy, h *domain.Household) (domain.Entitlement, error) {
	if p == nil || h == nil {
		return domain.Entitlement{}, errors.New("entitle: nil policy or household")
	}
	if h.Size < 1 || h.Size > MaxHouseholdSize {
		return domain.Entitlement{}, domain.Userf(fmt.Sprintf("家庭人数应为1-%d人，例如：登记 张三 低保 3人", MaxHouseholdSize))
	}
	claims, err := p.resolveClaims(h)
	if err != nil {
		return domain.Entitlement{}, err
	}

	type line struct {
		on      bool
		cat     string
		persons int
		stated  int64
	}
	lines := make([]line, len(p.Items))
	for _, c := range claims {
		for _, id := range c.cat.Items {
			i := p.itemIdx[id]
			l := &lines[i]
			if !l.on {
				l.on, l.cat = true, c.cat.Key
			}
			l.persons = min(l.persons+c.persons, h.Size)
			if p.Items[i].takesAmount() {
				l.stated = c.amount
			}
		}
	}

	// Bands: best-paid first, never more persons than the household has.
	done := map[string]bool{}
	for _, it := range p.Items {
		g := it.BandGroup
		if g == "" || done[g] {
			continue
		}
		done[g] = true
		var band []int
		for i, o := range p.Items {
			if o.BandGroup == g {
				band = append(band, i)
			}
		}
		slices.SortStableFunc(band, func(a, b int) int {
			return int(p.Items[b].Amount - p.Items[a].Amount)
		})
		left := h.Size
		for _, i := range band {
			lines[i].persons = min(lines[i].persons, left)
			left -= lines[i].persons
		}
	}

	// Exclusions read the persons as the bands left them, before any
	// other exclusion, so their order in the file does not matter.
	counted := make([]int, len(lines))
	for i, l := range lines {
		if l.on {
			counted[i] = l.persons
		}
	}
	for i, it := range p.Items {
		for _, ref := range it.ExcludePersonsOf {
			lines[i].persons -= counted[p.itemIdx[ref]]
		}
	}

	ent := domain.Entitlement{Policy: p.Name, PolicyVersion: p.Version}
	for i, it := range p.Items {
		l := lines[i]
		if !l.on || l.persons <= 0 {
			continue
		}
		units := int64(1)
		if it.Unit == PerPerson {
			units = int64(l.persons)
		}
		e := domain.EntitlementItem{Item: it.ID, Name: it.DisplayName(), Category: l.cat, Fund: it.Fund, Dept: it.Dept}
		if it.Unit != PerHousehold || it.Kind == ItemScale {
			e.Persons = l.persons
		}
		switch it.Kind {
		case ItemFixed:
			e.Amount = it.Amount * units
		case ItemScale:
			e.Amount = it.Amount + it.Step*int64(l.persons-1)
		case ItemAverage:
			e.Amount = it.Amount * units
			if l.stated > 0 {
				e.Amount = l.stated
			}
		case ItemRange:
			e.Min, e.Max = it.Min*units, it.Max*units
			e.Amount, e.NeedsAmount = l.stated, l.stated == 0
		case ItemDiscretionary:
			e.Min = 1
			e.Amount, e.NeedsAmount = l.stated, l.stated == 0
		case ItemBudget:
			e.Amount = l.stated
		}
		ent.Items = append(ent.Items, e)
		ent.Total += e.Amount
	}
	return ent, nil
}

// Standards is what a household of size would get with the one category
// named (by key or alias) — 1 member of it for a person-level category.
// A size of 0 means a 1-person household, so "标准 特困" needs no size.
// Range and discretionary lines come back with NeedsAmount and their
// Min/Max.
func (p *Policy) Standards(categoryKey string, size int) (domain.Entitlement, error) {
	c, ok := p.Lookup(categoryKey)
	if !ok {
		return domain.Entitlement{}, domain.Userf(fmt.Sprintf("没有%s这个类别，发送“标准”查看全部类别，例如：标准 低保 3人", policyQuote(categoryKey)))
	}
	if size == 0 {
		size = 1
	}
	if size < 1 || size > MaxHouseholdSize {
		return domain.Entitlement{}, domain.Userf(fmt.Sprintf("人数应为1-%d人，例如：标准 %s 3人", MaxHouseholdSize, c.Key))
	}
	claim := domain.CategoryClaim{Category: c.Key}
	if c.Level == PerPerson {
		claim.Persons = 1
	}
	return Entitle(p, &domain.Household{Size: size, Categories: []domain.CategoryClaim{claim}})
}

// policyClaim is a CategoryClaim checked against the household.
type policyClaim struct {
	cat     Category
	order   int
	persons int
	amount  int64
}

// resolveClaims checks every claim of h and returns them in policy order,
// so the entitlement does not depend on the order the worker typed them.
func (p *Policy) resolveClaims(h *domain.Household) ([]policyClaim, error) {
	var out []policyClaim
	type taken struct {
		by   policyClaim
		item string
	}
	group := map[string]taken{} // exclusive group → the claim and item that took it
	for _, cl := range h.Categories {
		ci, ok := p.wordIdx[cl.Category]
		if !ok {
			return nil, domain.Userf(fmt.Sprintf("没有%s这个类别，发送“标准”查看全部类别，例如：登记 张三 低保 3人", policyQuote(cl.Category)))
		}
		c := p.Categories[ci]
		ex := func() string { return p.claimExample(c) } // only an error reply needs it
		if slices.ContainsFunc(out, func(r policyClaim) bool { return r.order == ci }) {
			return nil, domain.Userf(fmt.Sprintf("“%s”写了两次，请合并成一条，例如：%s", c.Key, ex()))
		}
		r := policyClaim{cat: c, order: ci, persons: cl.Persons, amount: cl.Amount}
		switch {
		case cl.Persons < 0:
			return nil, domain.Userf(fmt.Sprintf("“%s”的人数不对，例如：%s", c.Key, ex()))
		case cl.Persons > h.Size:
			return nil, domain.Userf(fmt.Sprintf("“%s”写了%d人，超过家庭人数%d人，请改正，例如：%s", c.Key, cl.Persons, h.Size, ex()))
		case cl.Persons == 0 && c.Level == PerPerson && h.Size > 1:
			return nil, domain.Userf(fmt.Sprintf("“%s”按人计，请写明几人，例如：%s", c.Key, ex()))
		case cl.Persons == 0 && c.Level == PerPerson:
			r.persons = 1
		case cl.Persons == 0:
			r.persons = h.Size
		}
		if cl.Amount < 0 {
			return nil, domain.Userf(fmt.Sprintf("“%s”的金额不能为负，例如：%s", c.Key, ex()))
		}
		it, hasAmount := p.amountItem(c)
		if cl.Amount > 0 && !hasAmount {
			return nil, domain.Userf(fmt.Sprintf("“%s”按固定标准发放，不用写金额，例如：%s", c.Key, ex()))
		}
		if cl.Amount > 0 && it.Kind == ItemRange {
			if it.Unit == PerPerson {
				lo, hi := it.Min*int64(r.persons), it.Max*int64(r.persons)
				if cl.Amount < lo || cl.Amount > hi {
					return nil, domain.Userf(fmt.Sprintf("“%s”每人%d-%d元，%d人合计应在%d-%d元之间，请改金额，例如：%s",
						c.Key, it.Min, it.Max, r.persons, lo, hi, ex()))
				}
			} else if cl.Amount < it.Min || cl.Amount > it.Max {
				return nil, domain.Userf(fmt.Sprintf("“%s”每户%d-%d元，请改金额，例如：%s", c.Key, it.Min, it.Max, ex()))
			}
		}
		for _, id := range c.Items {
			g := p.Items[p.itemIdx[id]].ExclusiveGroup
			if g == "" {
				continue
			}
			if other, ok := group[g]; ok && other.item != id {
				return nil, domain.Userf(fmt.Sprintf("“%s”和“%s”只能登记一个（%s每户只领一份），请删去一个，例如：%s",
					other.by.cat.Key, c.Key, g, p.claimExample(other.by.cat)))
			}
			group[g] = taken{r, id}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b policyClaim) int { return a.order - b.order })
	return out, nil
}

// amountItem returns the category's one item that takes a stated amount.
func (p *Policy) amountItem(c Category) (Item, bool) {
	for _, id := range c.Items {
		if it := p.Items[p.itemIdx[id]]; it.takesAmount() {
			return it, true
		}
	}
	return Item{}, false
}

// claimExample is a registration line that uses c correctly, for error
// replies: a count on person-level categories, an amount where one is
// wanted.
func (p *Policy) claimExample(c Category) string {
	if it, ok := p.amountItem(c); ok {
		var amt int64
		switch it.Kind {
		case ItemRange:
			amt = max(it.Min, (it.Min+it.Max)/2/100*100)
		case ItemAverage:
			amt = it.Amount
		default:
			amt = 800
		}
		if c.Level == PerPerson {
			return fmt.Sprintf("登记 张三 1人 %s%d元", c.Key, amt)
		}
		return fmt.Sprintf("登记 张三 3人 %s%d元", c.Key, amt)
	}
	if c.Level == PerPerson {
		return fmt.Sprintf("登记 张三 3人 %s1人", c.Key)
	}
	return fmt.Sprintf("登记 张三 %s 3人", c.Key)
}

// policyQuote quotes what the user typed for a reply, unless it holds
// digits (it may be a mistyped ID or phone number, which a reply must
// never show) or is too long for a phone screen.
func policyQuote(w string) string {
	if w == "" || strings.IndexFunc(w, unicode.IsDigit) >= 0 || utf8.RuneCountInString(w) > 12 {
		return ""
	}
	return "“" + w + "”"
}
