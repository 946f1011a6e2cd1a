package policy

import (
	"fmt"
	"strings"

	"golang.org/x/text/width"
)

// Table renders the policy as plain text for `songnuan policy show`: one
// row per item (编号, 名称, 标准, 单位, 列支, 部门, 备注), then one row per
// category with its aliases. Columns are aligned by display width, so
// Chinese characters count as two columns as they do in a terminal.
func (p *Policy) Table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s（版本 %s）\n", p.Name, p.Version)
	if p.Document != "" {
		fmt.Fprintf(&b, "依据：%s\n", p.Document)
	}
	b.WriteByte('\n')
	rows := [][]string{{"编号", "名称", "标准", "单位", "列支", "部门", "备注"}}
	for _, it := range p.Items {
		rows = append(rows, []string{it.ID, it.DisplayName(), it.standardText(), policyUnitText(it.Unit), it.Fund, it.Dept, it.noteText()})
	}
	writeAlignedTable(&b, rows)
	b.WriteByte('\n')
	rows = [][]string{{"类别", "按", "项目", "别名"}}
	for _, c := range p.Categories {
		rows = append(rows, []string{c.Key, policyUnitText(c.Level), strings.Join(c.Items, "+"), strings.Join(c.Aliases, "、")})
	}
	writeAlignedTable(&b, rows)
	return b.String()
}

// standardText is the amount column: the figure for computed kinds, the
// rule for the others.
func (it Item) standardText() string {
	switch it.Kind {
	case ItemFixed:
		return fmt.Sprintf("%d元", it.Amount)
	case ItemScale:
		return fmt.Sprintf("1人%d元，每多1人+%d元", it.Amount, it.Step)
	case ItemAverage:
		return fmt.Sprintf("平均%d元", it.Amount)
	case ItemRange:
		return fmt.Sprintf("%d-%d元", it.Min, it.Max)
	case ItemDiscretionary:
		return "酌情"
	case ItemBudget:
		switch {
		case it.Budget == 0:
			return "无定额"
		case it.Budget%10000 == 0:
			return fmt.Sprintf("预算约%d万元", it.Budget/10000)
		default:
			return fmt.Sprintf("预算约%d元", it.Budget)
		}
	}
	return string(it.Kind)
}

func (it Item) noteText() string {
	var parts []string
	if it.Trigger == TriggerVisit {
		parts = append(parts, "走访时发放")
	}
	if it.BandGroup != "" {
		parts = append(parts, "同组就高："+it.BandGroup)
	}
	if it.ExclusiveGroup != "" && it.Trigger != TriggerVisit {
		parts = append(parts, "每户一项："+it.ExclusiveGroup)
	}
	if len(it.ExcludePersonsOf) > 0 {
		parts = append(parts, "不计"+strings.Join(it.ExcludePersonsOf, "、")+"的人")
	}
	if it.Note != "" {
		parts = append(parts, it.Note)
	}
	return strings.Join(parts, "；")
}

func policyUnitText(u Unit) string {
	switch u {
	case PerPerson:
		return "每人"
	case PerHousehold:
		return "每户"
	}
	return "-"
}

// policyWidth counts East Asian wide and full-width runes as two columns.
// Ambiguous runes count as one, as most terminals outside CJK locales
// draw them; the table avoids them for that reason.
func policyWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// writeAlignedTable writes rows with every column padded to its widest cell
// plus two spaces, and no trailing spaces.
func writeAlignedTable(b *strings.Builder, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], policyWidth(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-policyWidth(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}
