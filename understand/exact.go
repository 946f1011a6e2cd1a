package understand

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// canonByLength is canonWords, longest word first, so 取消上一条 is tried
// before 取消 and 日程表 before 日程.
var canonByLength = func() []canonWord {
	out := slices.Clone(canonWords)
	slices.SortStableFunc(out, func(a, b canonWord) int {
		return utf8.RuneCountInString(b.word) - utf8.RuneCountInString(a.word)
	})
	return out
}()

// canonPrefix finds the command word t starts with, as the router would
// match it, and the arguments after it.
func (it *Interpreter) canonPrefix(t string) (canonWord, string, bool) {
	for _, cw := range canonByLength {
		rest, ok := strings.CutPrefix(t, cw.word)
		if !ok {
			continue
		}
		if rest == "" {
			if cw.bare {
				return cw, "", true
			}
			continue
		}
		trimmed := strings.TrimLeft(rest, " ")
		switch {
		case cw.argsSep && strings.HasPrefix(trimmed, ":"):
			args := strings.TrimSpace(strings.TrimPrefix(trimmed, ":"))
			if args != "" {
				return cw, args, true
			}
		case (cw.argsSep || cw.spaced) && rest[0] == ' ' && strings.TrimSpace(rest) != "":
			return cw, strings.TrimSpace(rest), true
		}
	}
	return canonWord{}, "", false
}

// exact reads a message written in a canonical form. ok is false when it
// is not one, or when its name needs correcting (老周, 周建花): then the
// free reading proposes the corrected command.
func (it *Interpreter) exact(in Input, stripped string) (Reading, bool) {
	nfkc := norm.NFKC.String(stripped)
	if cleanInvisible(stripped) != nfkc {
		return Reading{}, false // invisible characters: never as typed
	}
	t := strings.Join(strings.Fields(strings.NewReplacer("：", ":", "，", ",", "、", ",").Replace(nfkc)), " ")
	t = strings.ReplaceAll(t, " :", ":")
	t = strings.ReplaceAll(t, ": ", ":")
	cw, args, ok := it.canonPrefix(t)
	if !ok {
		if tl := strings.ToLower(t); tl == "help" {
			return Reading{Intent: Help, Mode: Exact, Command: stripped}, true
		}
		return Reading{}, false
	}
	if (cw.intent == Confirm || cw.intent == Broadcast) && in.Role != Admin {
		return Reading{}, false
	}
	r := Reading{Intent: cw.intent, Mode: Exact, Command: stripped}
	toks := strings.FieldsFunc(args, func(c rune) bool { return c == ' ' || c == ',' })
	switch cw.intent {
	case Visit:
		if !it.canonVisit(toks, in.Heads) {
			return Reading{}, false
		}
	case Register:
		ok, problem := it.canonRegister(toks, in.Heads)
		if problem != "" {
			return ask(Register, "登记 张三 低保 3人", problem), true
		}
		if !ok {
			return Reading{}, false
		}
	case Query:
		if !canonQuery(toks, in.Heads) {
			return Reading{}, false
		}
	case Progress:
		for _, tok := range toks {
			_, view := canonProgressViews[tok]
			committee := slices.Contains(it.committees, tok) || strings.HasPrefix(tok, "居委:")
			if !view && !committee {
				return Reading{}, false
			}
		}
	}
	return r, true
}

// canonName reports whether a name token stands as typed: a head's exact
// name, or a name no head has or nearly has.
func canonName(tok string, heads []Head, strict bool) bool {
	if utf8.RuneCountInString(tok) > MaxNameRunes {
		return false
	}
	w := resolve(tok, heads)
	if strict {
		w.near = w.nearSame
	}
	switch {
	case w.head != nil:
		return w.match == NameExact
	case len(w.ambiguous) > 0:
		return w.ambiguous[0].Name == tok
	case w.newName != "":
		return w.newName == tok && len(w.near) == 0 && w.surname == ""
	}
	return false
}

// numToken reads a number written in digits or Chinese numerals, whole.
func numToken(s string) (int64, bool) {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0, false
	}
	n, ok := readNumber(rs, 0)
	return n.val, ok && n.end == len(rs)
}

// moneyToken: 900元, 发放900元, 发放900, 九百元, 900块.
func moneyToken(tok string) bool {
	verb := ""
	for _, v := range []string{"发放", "发了", "补发", "发", "付"} {
		if s, ok := strings.CutPrefix(tok, v); ok {
			verb, tok = v, s
			break
		}
	}
	unit := false
	for _, u := range []string{"元钱", "块钱", "元", "块"} {
		if s, ok := strings.CutSuffix(tok, u); ok {
			tok, unit = s, true
			break
		}
	}
	_, ok := numToken(tok)
	return ok && (unit || verb != "")
}

// dateToken: 今天, 1月12日, 2024-01-12, 1/12.
func dateToken(tok string) bool {
	if _, ok := relDays[tok]; ok {
		return true
	}
	rs := []rune(tok)
	d := newDoc(rs)
	i := 0
	if y, j, ok := d.isoDate(0); ok && j == len(rs) {
		_ = y
		return true
	}
	n, ok := readNumber(rs, i)
	if !ok || n.end >= len(rs) {
		return false
	}
	if rs[n.end] == '年' {
		if n, ok = readNumber(rs, n.end+1); !ok || n.end >= len(rs) {
			return false
		}
	}
	switch rs[n.end] {
	case '月':
		m, ok := readNumber(rs, n.end+1)
		if !ok {
			return false
		}
		return m.end == len(rs) || m.end == len(rs)-1 && (rs[m.end] == '日' || rs[m.end] == '号')
	case '/', '-', '.':
		m, ok := readNumber(rs, n.end+1)
		return ok && m.end == len(rs)
	}
	return false
}

// codeToken: 编号12.
func codeToken(tok string) bool {
	s, ok := strings.CutPrefix(tok, "编号")
	if !ok {
		return false
	}
	_, ok = numToken(s)
	return ok && strings.ContainsFunc(s, isDigit)
}

// fieldToken: key:value with a key the router knows.
func fieldToken(tok string) bool {
	k, _, ok := strings.Cut(tok, ":")
	return ok && fieldKeys[strings.ToLower(k)]
}

// canonVisit checks the arguments of 走访 token by token, as its parser
// reads them.
func (it *Interpreter) canonVisit(toks []string, heads []Head) bool {
	return canonArgs(toks, heads, func(tok string) bool {
		return moneyToken(tok) || dateToken(tok) || canonVisitWords[tok] || visitorWords[tok] != ""
	})
}

// canonArgs checks a command's arguments: each is a field, a 编号 or one
// of the command's own (own), except the first other one, the household:
// a short number or a name that stands as typed.
func canonArgs(toks []string, heads []Head, own func(string) bool) bool {
	named := false
	for _, tok := range toks {
		switch {
		case fieldToken(tok), codeToken(tok), own(tok):
		case !named && len(tok) <= 6 && strings.Trim(tok, "0123456789") == "":
			named = true
		case !named:
			if !canonName(tok, heads, false) {
				return false
			}
			named = true
		default:
			return false
		}
	}
	return true
}

// canonRegister checks the arguments of 登记; problem is set when the
// name is too long to be one.
func (it *Interpreter) canonRegister(toks []string, heads []Head) (bool, string) {
	named := false
	for _, tok := range toks {
		switch {
		case fieldToken(tok), codeToken(tok), sizeToken(tok), it.catsToken(tok):
		case len(tok) == 18 && strings.Trim(strings.ToUpper(tok), "0123456789X") == "":
		case len(tok) == 11 && tok[0] == '1' && strings.Trim(tok, "0123456789") == "":
		case !named:
			if utf8.RuneCountInString(tok) > MaxNameRunes {
				return false, fmt.Sprintf("户主姓名最多%d个字，请只写姓名，例如：登记 张三 低保 3人", MaxNameRunes)
			}
			if SentenceLike(tok) {
				return false, "“" + tok + "”不像户主姓名，请只写姓名，例如：登记 张三 低保 3人"
			}
			if !canonName(tok, heads, true) {
				return false, ""
			}
			named = true
		default:
			return false, ""
		}
	}
	return true, ""
}

// sizeToken: 3人, 三口, 3口人, 3人户.
func sizeToken(tok string) bool {
	for _, u := range []string{"口人", "人户", "人", "口"} {
		if s, ok := strings.CutSuffix(tok, u); ok {
			_, ok := numToken(s)
			return ok
		}
	}
	return false
}

// catsToken: a token made only of category words, each with an optional
// count or amount glued on: 低保, 特困供养1人, 低保3人特困供养1人.
func (it *Interpreter) catsToken(tok string) bool {
	rest := strings.TrimPrefix(tok, "+")
	found := false
	for rest != "" {
		best := ""
		for w := range it.cats {
			if len(w) > len(best) && strings.HasPrefix(rest, w) {
				best = w
			}
		}
		if best == "" {
			return false
		}
		found = true
		rest = rest[len(best):]
		for _, tail := range []string{"户", "家庭", "人员", "对象"} {
			if s, ok := strings.CutPrefix(rest, tail); ok {
				rest = s
				break
			}
		}
		rs := []rune(rest)
		if len(rs) > 0 && isDigit(rs[0]) {
			n, _ := readNumber(rs, 0)
			if n.end < len(rs) && (rs[n.end] == '人' || rs[n.end] == '元') {
				rest = string(rs[n.end+1:])
			} else {
				return false
			}
		}
		rest = strings.TrimLeft(rest, "+和及")
	}
	return found
}

// canonQuery checks the arguments of 查询.
func canonQuery(toks []string, heads []Head) bool {
	return canonArgs(toks, heads, func(string) bool { return false })
}

// SentenceLike reports a long name token that reads as a sentence: it
// holds particles no name has (是, 的, 吧 …). Such a token is refused as a
// head, however short it is of MaxNameRunes.
func SentenceLike(tok string) bool {
	if utf8.RuneCountInString(tok) <= 6 {
		return false
	}
	return strings.ContainsAny(tok, "是的吧了吗呢个很")
}
