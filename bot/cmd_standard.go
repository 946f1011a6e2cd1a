package bot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"songnuan/domain"
	"songnuan/policy"
)

// standards handles 标准: without arguments a compact list of categories
// and amounts; with a category its items and total for a household size.
// It reads only the policy.
func (b *Bot) standards(_ context.Context, m *msg) (Reply, error) {
	a, err := b.parseStandards(m.args[0])
	if err != nil {
		return Reply{}, err
	}
	if a.Cat == nil {
		return Reply{Text: b.standardsList()}, nil
	}
	size := max(a.Size, 1)
	e, err := b.policy.Standards(a.Cat.Key, size)
	if err != nil {
		return Reply{}, err
	}
	head := fmt.Sprintf("%s %d人户的补助（%s）：", a.Cat.Key, size, b.policy.Name)
	if a.Cat.Level != policy.PerHousehold {
		head = fmt.Sprintf("%s 按人计，每1人的补助（%s）：", a.Cat.Key, b.policy.Name)
	}
	return Reply{Text: lines(append([]string{head}, itemLines("张三", e)...)...)}, nil
}

// standardsList is one line per category, in the policy's item order.
func (b *Bot) standardsList() string {
	type row struct {
		order int
		text  string
	}
	var rows []row
	seen := map[string]bool{}
	for _, w := range b.words {
		c, ok := b.policy.Lookup(w)
		if !ok || seen[c.Key] {
			continue
		}
		seen[c.Key] = true
		one, err := b.policy.Standards(c.Key, 1)
		if err != nil {
			continue
		}
		order := 1 << 20
		if len(one.Items) > 0 {
			if n, err := strconv.Atoi(one.Items[0].Item); err == nil {
				order = n
			}
		}
		rows = append(rows, row{order, c.Key + " " + b.amountText(c, one)})
	}
	slices.SortStableFunc(rows, func(x, y row) int { return x.order - y.order })
	ls := []string{"补助标准（" + b.policy.Name + "）："}
	for _, r := range rows {
		ls = append(ls, r.text)
	}
	var leaders []string
	for _, v := range []domain.Visitor{domain.VisitorDistrict, domain.VisitorStreet} {
		if it, ok := b.policy.LeaderItem(v); ok {
			leaders = append(leaders, fmt.Sprintf("%s%d元", v, it.Amount))
		}
	}
	if len(leaders) > 0 {
		ls = append(ls, "领导走访每户一次："+strings.Join(leaders, "或"))
	}
	ls = append(ls, "查看明细：标准 低保 3人")
	return strings.Join(ls, "\n")
}

// amountText says briefly what one category pays.
func (b *Bot) amountText(c policy.Category, one domain.Entitlement) string {
	for _, it := range one.Items {
		if it.NeedsAmount {
			if it.Max > 0 {
				return fmt.Sprintf("%d–%d元，需写明金额", it.Min, it.Max)
			}
			return "酌情，需写明金额"
		}
	}
	if one.Total == 0 {
		return "无定额"
	}
	if c.Level == "household" {
		two, err := b.policy.Standards(c.Key, 2)
		if err == nil && two.Total > one.Total {
			return fmt.Sprintf("1人户%d元，每多1人加%d元", one.Total, two.Total-one.Total)
		}
		return fmt.Sprintf("每户%d元", one.Total)
	}
	return fmt.Sprintf("每人%d元", one.Total)
}
