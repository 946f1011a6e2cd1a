package bot

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"songnuan/understand"
)

// Normalize puts chat input in the one form the router and parsers match:
// trimmed, half-width, single spaces, Chinese numerals turned into digits
// where they count something (三人户→3人, 九百元→900元, 发放五百→发放500).
// Numerals elsewhere are left alone because they are part of names (甲一).
func Normalize(s string) string {
	return NormalizeWith(s, nil)
}

// builtinKeep are phrases of the campaign whose numerals are part of a
// name, not a count; the bot adds the policy's category words.
var builtinKeep = []string{"千万人帮万家", "一户多残", "一日捐", "一次性", "老三八", "三八红旗手", "两新", "百企助百老", "百岁"}

// NormalizeWith is Normalize that also leaves the numerals inside any of
// keep untouched, so category names such as 一户多残 survive.
func NormalizeWith(s string, keep []string) string {
	rs := []rune(halfWidth(s))
	rs = collapseSpaces(rs)
	if slices.ContainsFunc(rs, isCNNumeral) {
		protected := make([]bool, len(rs))
		markKeep(rs, protected, builtinKeep)
		markKeep(rs, protected, keep)
		rs = convertNumerals(rs, protected)
	}
	out := string(rs)
	out = sizeSuffix(out)
	return out
}

// halfWidth maps full-width ASCII forms and the ideographic space to their
// plain forms, and the Chinese punctuation the parsers split on.
func halfWidth(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000 || r == '\t' || r == '\n' || r == '\r' || r == 0xA0:
			r = ' '
		case r == '、' || r == '；':
			r = ','
		case r == '。':
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

// collapseSpaces trims and turns each run of spaces into one, and drops the
// spaces around a colon so "居委 : 甘泉" reads as "居委:甘泉".
func collapseSpaces(rs []rune) []rune {
	out := make([]rune, 0, len(rs))
	for _, r := range rs {
		if r == ' ' {
			if len(out) == 0 || out[len(out)-1] == ' ' || out[len(out)-1] == ':' {
				continue
			}
		}
		if r == ':' && len(out) > 0 && out[len(out)-1] == ' ' {
			out = out[:len(out)-1]
		}
		out = append(out, r)
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	return out
}

// markKeep flags the runes of every occurrence of a keep word that holds a
// Chinese numeral.
func markKeep(rs []rune, protected []bool, words []string) {
	for _, w := range words {
		wr := []rune(w)
		if len(wr) == 0 || !strings.ContainsFunc(w, isCNNumeral) {
			continue
		}
		for i := 0; i+len(wr) <= len(rs); i++ {
			if runesHavePrefix(rs[i:], wr) {
				for j := range wr {
					protected[i+j] = true
				}
			}
		}
	}
}

func runesHavePrefix(rs, p []rune) bool {
	if len(rs) < len(p) {
		return false
	}
	for i := range p {
		if rs[i] != p[i] {
			return false
		}
	}
	return true
}

// numeralUnits are the characters after which a numeral is a count.
const numeralUnits = "人口户元块天号月日"

// numeralTriggers are the words after which a numeral is an amount.
var numeralTriggers = []string{"发放", "补发", "发了", "发", "付", "金额", "人数", "编号", "共"}

var numeralTriggerRunes = func() [][]rune {
	out := make([][]rune, len(numeralTriggers))
	for i, t := range numeralTriggers {
		out[i] = []rune(t)
	}
	return out
}()

func runesHaveSuffix(rs, s []rune) bool {
	return len(rs) >= len(s) && runesHavePrefix(rs[len(rs)-len(s):], s)
}

func isCNNumeral(r rune) bool {
	return strings.ContainsRune("零〇一二两三四五六七八九十百千万", r)
}

// convertNumerals replaces the Chinese numeral runs that stand in a numeric
// context with digits.
func convertNumerals(rs []rune, protected []bool) []rune {
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); {
		if !isCNNumeral(rs[i]) || protected[i] {
			out = append(out, rs[i])
			i++
			continue
		}
		j := i
		for j < len(rs) && isCNNumeral(rs[j]) && !protected[j] {
			j++
		}
		run := rs[i:j]
		numeric := j < len(rs) && strings.ContainsRune(numeralUnits, rs[j])
		if !numeric {
			before := out
			if n := len(before); n > 0 && before[n-1] == ' ' {
				before = before[:n-1]
			}
			for _, t := range numeralTriggerRunes {
				if runesHaveSuffix(before, t) {
					numeric = true
					break
				}
			}
		}
		if v, ok := parseCNNumber(run); numeric && ok {
			out = append(out, []rune(strconv.FormatInt(v, 10))...)
		} else {
			out = append(out, run...)
		}
		i = j
	}
	return out
}

// parseCNNumber reads a run of Chinese numerals; package understand
// holds the one reader of them (三, 十五, 一百零五, the spoken 一千五 = 1500,
// 三万二千, 二〇二四).
func parseCNNumber(rs []rune) (int64, bool) { return understand.ParseNumeral(rs) }

var (
	reSizeHu   = regexp.MustCompile(`(\d+)人户`)
	reSizeKou  = regexp.MustCompile(`(\d+)口(人)?`)
	reKuai     = regexp.MustCompile(`(\d+)块(钱)?`)
	reYuanQian = regexp.MustCompile(`(\d+)元钱`)
)

// sizeSuffix writes the spoken forms of a size and an amount the one way
// the parsers read: 3人户, 3口人, 3口 → 3人; 900块钱 → 900元.
func sizeSuffix(s string) string {
	if !strings.ContainsAny(s, "户口块钱") {
		return s
	}
	s = reSizeHu.ReplaceAllString(s, "${1}人")
	s = reSizeKou.ReplaceAllString(s, "${1}人")
	s = reKuai.ReplaceAllString(s, "${1}元")
	s = reYuanQian.ReplaceAllString(s, "${1}元")
	return s
}
