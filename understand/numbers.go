package understand

// cnValue maps each Chinese numeral rune, everyday and financial
// (壹贰叁…), to its digit (0–9) or unit (10, 100, 1000, 10000).
var cnValue = map[rune]int64{
	'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9,
	'壹': 1, '贰': 2, '貳': 2, '叁': 3, '肆': 4, '伍': 5, '陆': 6, '柒': 7, '捌': 8, '玖': 9,
	'十': 10, '拾': 10, '百': 100, '佰': 100, '千': 1000, '仟': 1000, '万': 10000, '萬': 10000,
}

// isCN reports a Chinese numeral rune.
func isCN(r rune) bool { _, ok := cnValue[r]; return ok }

// isFinancial reports the numerals used on receipts (壹贰叁…), which
// are never part of a name.
func isFinancial(r rune) bool {
	switch r {
	case '壹', '贰', '貳', '叁', '肆', '伍', '陆', '柒', '捌', '玖', '拾', '佰', '仟', '萬':
		return true
	}
	return false
}

// ParseNumeral reads a run of Chinese numerals, everyday or financial:
// 九百, 一千零五, 一千二 (1200), 两万, 壹仟, 二〇二四. ok is false for runs that
// are no number (二三百, 十十).
func ParseNumeral(rs []rune) (int64, bool) { return parseCN(rs) }

// parseCN reads a run of Chinese numerals: 九百, 十五, 一千零五, 两千零六十,
// the spoken 一千二 (1200) and 一千四百六 (1460), 两万, and digit strings
// such as 二〇二四. ok is false for runs that are no number (二三百).
func parseCN(rs []rune) (int64, bool) {
	if len(rs) == 0 || len(rs) > 12 {
		return 0, false
	}
	hasUnit := false
	for _, r := range rs {
		if cnValue[r] >= 10 {
			hasUnit = true
		}
	}
	if !hasUnit {
		var v int64
		for _, r := range rs {
			v = v*10 + cnValue[r]
		}
		return v, true
	}
	var total, section, digit int64
	lastUnit := int64(0)
	pending := false
	prevZero := false
	for _, r := range rs {
		v := cnValue[r]
		switch {
		case v == 10000:
			if pending {
				section += digit
			}
			if section == 0 {
				return 0, false
			}
			total += section * 10000
			section, digit, pending = 0, 0, false
			lastUnit = 10000
		case v >= 10:
			if !pending {
				if v != 10 || section != 0 && !prevZero {
					return 0, false
				}
				digit = 1 // 十五 = 15, 一百零十 is not a number but 一百一十 is
			}
			if lastUnit != 0 && v >= lastUnit && lastUnit != 10000 {
				return 0, false
			}
			section += digit * v
			digit, pending = 0, false
			lastUnit = v
		case v == 0:
			if pending {
				return 0, false
			}
		default:
			if pending {
				return 0, false
			}
			digit, pending = v, true
		}
		prevZero = v == 0
	}
	if pending {
		prev := rs[len(rs)-2]
		if lastUnit >= 100 && cnValue[prev] >= 10 {
			// spoken 一千二 = 1200, 三百五 = 350, 一万五 = 15000
			digit *= lastUnit / 10
		}
		section += digit
	}
	return total + section, true
}

// number is a number read from the text, and where it stood.
type number struct {
	val        int64
	start, end int  // rune span, the unit excluded
	digits     bool // written in digits
	cn         bool // written in Chinese numerals
	financial  bool // 壹贰叁…
}

// readNumber reads the number that starts at rs[i], in digits or in
// Chinese numerals; ok is false when none starts there.
func readNumber(rs []rune, i int) (number, bool) {
	n := number{start: i}
	j := i
	if i >= len(rs) {
		return n, false
	}
	if rs[i] >= '0' && rs[i] <= '9' {
		var v int64
		for j < len(rs) && rs[j] >= '0' && rs[j] <= '9' {
			if v < 1e15 {
				v = v*10 + int64(rs[j]-'0')
			}
			j++
		}
		n.val, n.end, n.digits = v, j, true
		return n, true
	}
	for j < len(rs) && isCN(rs[j]) {
		if isFinancial(rs[j]) {
			n.financial = true
		}
		j++
	}
	if j == i {
		return n, false
	}
	v, ok := parseCN(rs[i:j])
	if !ok {
		return n, false
	}
	n.val, n.end, n.cn = v, j, true
	return n, true
}

// hasBigUnit reports whether a Chinese numeral run has 百, 千 or 万: such a
// run is an amount even without 元.
func hasBigUnit(rs []rune) bool {
	for _, r := range rs {
		if cnValue[r] >= 100 {
			return true
		}
	}
	return false
}
