package sheet

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Canonical column names, the keys of bot.ImportRow.Fields.
const (
	ColHead      = "户主"
	ColSize      = "人数"
	ColCategory  = "类别"
	ColID        = "身份证"
	ColPhone     = "电话"
	ColAddress   = "地址"
	ColCommittee = "居委"
)

// Columns lists the canonical columns in the order the header row should
// have them; error messages show it to the user as the template to follow.
var Columns = []string{ColHead, ColSize, ColCategory, ColID, ColPhone, ColAddress, ColCommittee}

// aliases maps a normalised header cell to its canonical column. The lists
// are the names committees actually use in the forms the street office
// has handed out over the years.
var aliases = func() map[string]string {
	m := map[string]string{}
	add := func(canon string, names ...string) {
		m[canon] = canon
		for _, n := range names {
			m[n] = canon
		}
	}
	add(ColHead, "姓名", "户主姓名", "申请人", "申请人姓名", "户主名")
	add(ColSize, "家庭人数", "人口", "户人数", "家庭人口", "人口数", "户籍人数")
	add(ColCategory, "救助类别", "帮困类别", "对象类别", "困难类别", "类型")
	add(ColID, "身份证号", "身份证号码", "证件号码", "证件号", "公民身份号码", "户主身份证号")
	add(ColPhone, "联系电话", "手机", "手机号", "手机号码", "电话号码", "联系方式")
	add(ColAddress, "家庭住址", "住址", "家庭地址", "居住地址", "现住址")
	add(ColCommittee, "居委会", "居民区", "所属居委", "所属居委会", "所属居民区", "社区")
	return m
}()

// normHeader folds a header cell to the form the alias table is keyed by:
// full-width to half-width, no spaces or line breaks, no required-field
// asterisks and no trailing note in brackets ("身份证号码（18位）").
func normHeader(s string) string {
	s = width.Narrow.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '*' || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
	if i := strings.IndexAny(s, "(["); i > 0 && strings.ContainsAny(s[i:], ")]") {
		s = s[:i]
	}
	return strings.TrimRight(s, ":")
}

// headerMap is the column index of each canonical column found in a row.
type headerMap map[string]int

// matchHeader reports which canonical columns a row names. A row is a
// header only when it names 户主 (or an alias); for each column an exact
// canonical name wins over an alias and otherwise the leftmost cell wins.
func matchHeader(cells []string) (headerMap, bool) {
	h := headerMap{}
	exact := map[string]bool{}
	for i, c := range cells {
		n := normHeader(c)
		canon, ok := aliases[n]
		if !ok {
			continue
		}
		isExact := n == canon
		if _, seen := h[canon]; seen && (exact[canon] || !isExact) {
			continue
		}
		h[canon] = i
		exact[canon] = isExact
	}
	_, ok := h[ColHead]
	return h, ok
}
