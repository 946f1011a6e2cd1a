package understand

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// amount is a sum of money found in the text.
type amount struct {
	val      int64
	explicit bool // with 元/块, a money word, or in 百/千/万 or 壹贰叁
}

// nameHit is a name found in the text.
type nameHit struct {
	typed   string // as written, honorifics and 家 excluded
	surname bool   // only a surname with an honorific or 老/小
	start   int
}

// doc is one message being read: its runes, which of them are accounted
// for, and what was found.
type doc struct {
	rs   []rune
	s    string
	off  []int // byte offset of each rune in s, and len(s) at the end
	used []bool

	cues       cue
	cats       []Claim // categories in order, members with their count
	catAt      []int   // where each category was
	committees []string
	visitor    string
	amounts    []amount
	sizes      []int
	alone      bool
	dates      []string
	dateErr    string
	future     bool
	id, phone  string
	address    string
	addrLong   bool
	goods      []string
	names      []nameHit
	headHits   []string // heads found whole, in order
	code       string
	notes      []string
	households int // 三户: a count of households
	questionMk bool
}

func newDoc(rs []rune) *doc {
	d := &doc{rs: rs, used: make([]bool, len(rs)+1)}
	var sb strings.Builder
	d.off = make([]int, len(rs)+1)
	for i, r := range rs {
		d.off[i] = sb.Len()
		sb.WriteRune(r)
	}
	d.s = sb.String()
	d.off[len(rs)] = sb.Len()
	return d
}

// sub is the text of runes [i, j).
func (d *doc) sub(i, j int) string { return d.s[d.off[i]:d.off[j]] }

// claim marks runes [i, j) as accounted for.
func (d *doc) claim(i, j int) {
	for k := i; k < j; k++ {
		d.used[k] = true
	}
}

// free reports whether runes [i, j) are all unclaimed.
func (d *doc) free(i, j int) bool {
	if j > len(d.rs) {
		return false
	}
	for k := i; k < j; k++ {
		if d.used[k] {
			return false
		}
	}
	return true
}

// hasAt reports whether w stands at rune i.
func (d *doc) hasAt(i int, w string) bool {
	return i <= len(d.rs) && strings.HasPrefix(d.s[d.off[i]:], w)
}

// prefixAt returns the first of ws that stands at i, and its length in runes.
func (d *doc) prefixAt(i int, ws []string) (string, int) {
	if i >= len(d.rs) {
		return "", 0
	}
	rest := d.s[d.off[i]:]
	for _, w := range ws {
		if strings.HasPrefix(rest, w) {
			return w, utf8.RuneCountInString(w)
		}
	}
	return "", 0
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// scanFields finds ID numbers, phone numbers and addresses, with their key
// or in their usual shape without one.
func (d *doc) scanFields() {
	rs := d.rs
	for i := 0; i < len(rs); i++ {
		if d.used[i] {
			continue
		}
		if _, n := d.prefixAt(i, idKeys); n > 0 {
			if id, end := d.collectDigits(i+n, 18, true); id != "" {
				d.id = id
				d.claim(i, end)
				i = end - 1
				continue
			}
		}
		if _, n := d.prefixAt(i, phoneKeys); n > 0 {
			if ph, end := d.collectPhone(i + n); ph != "" {
				d.phone = ph
				d.claim(i, end)
				i = end - 1
				continue
			}
		}
		if _, n := d.prefixAt(i, addressKeys); n > 0 {
			j := i + n
			for j < len(rs) && rs[j] == ':' || j < len(rs) && rs[j] == ' ' && j == i+n {
				j++
			}
			k := j
			for k < len(rs) && rs[k] != ' ' {
				k++
			}
			if k > j && looksLikeAddress(rs[j:k]) {
				d.setAddress(string(rs[j:k]))
				d.claim(i, k)
				i = k - 1
				continue
			}
		}
	}
	// bare numbers: 18 characters of an ID, 11 digits of a mobile, with
	// or without dashes; an address by its 路…号 shape
	for i := 0; i < len(rs); i++ {
		if d.used[i] || !isDigit(rs[i]) || i > 0 && isDigit(rs[i-1]) {
			continue
		}
		j := i
		for j < len(rs) && (isDigit(rs[j]) || rs[j] == '-' && j+1 < len(rs) && isDigit(rs[j+1])) {
			j++
		}
		if j < len(rs) && (rs[j] == 'x') && j-i == 17 {
			j++
		}
		plain := strings.ReplaceAll(string(rs[i:j]), "-", "")
		switch {
		case len(plain) == 18 && d.id == "":
			d.id = strings.ToUpper(plain)
			d.claim(i, j)
		case len(plain) == 11 && plain[0] == '1' && d.phone == "":
			d.phone = plain
			d.claim(i, j)
		case len(plain) >= 11 && strings.Contains(string(rs[i:j]), "-") && d.phone == "":
			d.phone = string(rs[i:j])
			d.claim(i, j)
		}
	}
	for i := 0; i < len(rs); i++ {
		if d.used[i] || (i > 0 && rs[i-1] != ' ') || !isHan(rs[i]) {
			continue
		}
		k := i
		for k < len(rs) && rs[k] != ' ' && !d.used[k] {
			k++
		}
		if looksLikeAddress(rs[i:k]) && strings.ContainsAny(string(rs[i:k]), "路街弄") {
			d.setAddress(string(rs[i:k]))
			d.claim(i, k)
		}
	}
}

func (d *doc) setAddress(a string) {
	if utf8.RuneCountInString(a) > MaxAddressRunes {
		d.addrLong = true
		return
	}
	d.address = a
}

// looksLikeAddress: a road, lane or building with a number.
func looksLikeAddress(rs []rune) bool {
	s := string(rs)
	hasNum := strings.ContainsFunc(s, isDigit)
	return hasNum && (strings.Contains(s, "号") || strings.Contains(s, "弄") || strings.Contains(s, "室")) && isHan(rs[0])
}

// collectDigits reads want digits (an ID may end in X) from i on, across
// spaces and a colon; it returns "" when fewer are there.
func (d *doc) collectDigits(i, want int, idX bool) (string, int) {
	var b strings.Builder
	j := i
	for j < len(d.rs) && b.Len() < want {
		r := d.rs[j]
		switch {
		case isDigit(r):
			b.WriteRune(r)
		case r == ' ' || r == ':' || r == '-':
		case idX && r == 'x' && b.Len() == want-1:
			b.WriteRune('X')
		default:
			j = len(d.rs) + 1
			continue
		}
		j++
	}
	if j > len(d.rs) {
		j = len(d.rs)
	}
	if b.Len() != want {
		return "", i
	}
	return b.String(), j
}

// collectPhone reads a phone number after its key: digits and dashes,
// across spaces.
func (d *doc) collectPhone(i int) (string, int) {
	var b strings.Builder
	digits := 0
	j := i
	for j < len(d.rs) {
		r := d.rs[j]
		if isDigit(r) {
			b.WriteRune(r)
			digits++
		} else if r == '-' && digits > 0 {
			b.WriteRune(r)
		} else if r != ' ' && r != ':' || digits >= 7 && r == ' ' && !(j+1 < len(d.rs) && isDigit(d.rs[j+1])) {
			break
		} else if r == ' ' && digits > 0 && digits+d.digitRun(j+1) > phoneDigits(b.String()) {
			break // the next group is another number (72岁), not the phone's rest
		}
		j++
	}
	if digits < 7 || digits > 13 {
		return "", i
	}
	p := strings.Trim(b.String(), "-")
	if plain := strings.ReplaceAll(p, "-", ""); len(plain) == 11 && plain[0] == '1' {
		p = plain
	}
	return p, j
}

// phoneDigits is the most digits a phone number beginning so can have: a
// mobile 11, a landline with its area code (0…) 12, a local number 8.
func phoneDigits(p string) int {
	switch {
	case strings.HasPrefix(p, "1"):
		return 11
	case strings.HasPrefix(p, "0"):
		return 12
	}
	return 8
}

// digitRun counts the digits of the group at i (dashes between them
// allowed). A group that runs on into other characters (3号楼, 72岁) is
// no part of a phone number: it counts as too long.
func (d *doc) digitRun(i int) int {
	n := 0
	for ; i < len(d.rs) && (isDigit(d.rs[i]) || d.rs[i] == '-'); i++ {
		if isDigit(d.rs[i]) {
			n++
		}
	}
	if i < len(d.rs) && d.rs[i] != ' ' {
		return len(d.rs)
	}
	return n
}

// scanDates finds visit dates: 今天/昨天/前天/大前天, 上周五, 1月12日, 12号,
// 2024-01-12. A date after today is noted as future.
func (d *doc) scanDates(today time.Time) {
	rs := d.rs
	t0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, today.Location())
	add := func(t time.Time, i, j int) {
		d.claim(i, j)
		if t.After(t0) {
			d.future = true
			return
		}
		d.dates = append(d.dates, t.Format("2006-01-02"))
	}
	for i := 0; i < len(rs); i++ {
		if d.used[i] {
			continue
		}
		if w, n := d.prefixAt(i, []string{"大前天", "今天", "今日", "昨天", "昨日", "前天"}); n > 0 {
			add(t0.AddDate(0, 0, -relDays[w]), i, i+n)
			i += n - 1
			continue
		}
		if d.hasAt(i, "上周") || d.hasAt(i, "上星期") {
			n := 2
			if d.hasAt(i, "上星期") {
				n = 3
			}
			if i+n < len(rs) {
				if wd, ok := weekdays[string(rs[i+n])]; ok {
					cur := int(t0.Weekday())
					if cur == 0 {
						cur = 7
					}
					add(t0.AddDate(0, 0, -(cur-1)-7+(wd-1)), i, i+n+1)
					i += n
					continue
				}
			}
		}
		if !isDigit(rs[i]) && !isCN(rs[i]) || i > 0 && (isDigit(rs[i-1]) || isCN(rs[i-1])) {
			continue
		}
		// ISO: 2024-01-12
		if isDigit(rs[i]) {
			if y, j, ok := d.isoDate(i); ok {
				add(y, i, j)
				i = j - 1
				continue
			}
		}
		n, ok := readNumber(rs, i)
		if !ok || n.financial {
			continue
		}
		j := n.end
		// 1.13 or 1/13: month and day
		if n.digits && j+1 < len(rs) && (rs[j] == '.' || rs[j] == '/') && isDigit(rs[j+1]) && n.val >= 1 && n.val <= 12 {
			if dn, ok := readNumber(rs, j+1); ok && dn.end-j-1 <= 2 && (dn.end == len(rs) || rs[dn.end] == ' ') {
				if t, ok := dateOf(t0, int(n.val), int(dn.val)); ok {
					add(t, i, dn.end)
					i = dn.end - 1
					continue
				}
			}
		}
		if j < len(rs) && rs[j] == '月' {
			m := n.val
			if j+1 < len(rs) && (isDigit(rs[j+1]) || isCN(rs[j+1])) {
				dn, ok := readNumber(rs, j+1)
				if ok && m >= 1 && m <= 12 && dn.val >= 1 && dn.val <= 31 {
					k := dn.end
					if k < len(rs) && (rs[k] == '日' || rs[k] == '号') {
						k++
					}
					if t, ok := dateOf(t0, int(m), int(dn.val)); ok {
						add(t, i, k)
					} else {
						d.dateErr = "日期不对"
						d.claim(i, k)
					}
					i = k - 1
					continue
				}
			}
			if j+1 < len(rs) && rs[j+1] == '份' {
				d.claim(i, j+2) // 1月份: a month, not a date
				i = j + 1
			}
			continue
		}
		if j < len(rs) && rs[j] == '号' && (n.digits || n.cn) && n.val >= 1 && n.val <= 31 {
			if j+1 < len(rs) && strings.ContainsRune("楼室弄", rs[j+1]) {
				continue
			}
			if t, ok := dateOf(t0, int(t0.Month()), int(n.val)); ok {
				add(t, i, j+1)
			}
			i = j
		}
	}
}

// isoDate reads 2024-01-12 or 2024.1.12 at i.
func (d *doc) isoDate(i int) (time.Time, int, bool) {
	rs := d.rs
	y, ok := readNumber(rs, i)
	if !ok || y.end-i != 4 || y.end >= len(rs) || rs[y.end] != '-' && rs[y.end] != '.' {
		return time.Time{}, 0, false
	}
	m, ok := readNumber(rs, y.end+1)
	if !ok || !m.digits || m.end >= len(rs) || rs[m.end] != rs[y.end] {
		return time.Time{}, 0, false
	}
	dd, ok := readNumber(rs, m.end+1)
	if !ok || !dd.digits {
		return time.Time{}, 0, false
	}
	t := time.Date(int(y.val), time.Month(m.val), int(dd.val), 0, 0, 0, 0, time.UTC)
	if int(t.Month()) != int(m.val) || t.Day() != int(dd.val) {
		return time.Time{}, 0, false
	}
	return t, dd.end, true
}

// dateOf is month/day in the latest year that does not put it more than
// 60 days after today, as the bot reads dates.
func dateOf(today time.Time, m, day int) (time.Time, bool) {
	t := time.Date(today.Year(), time.Month(m), day, 0, 0, 0, 0, today.Location())
	if t.Day() != day || int(t.Month()) != m {
		return t, false
	}
	if t.Sub(today) > 60*24*time.Hour {
		t = t.AddDate(-1, 0, 0)
	}
	return t, true
}

// scanMembers finds members of a category: 其中2人特困, 其中一个重残无业,
// 老伴残疾重残.
func (it *Interpreter) scanMembers(d *doc) {
	rs := d.rs
	for i := 0; i < len(rs); i++ {
		if d.used[i] {
			continue
		}
		start, j, persons := i, i, 0
		switch {
		case d.hasAt(i, "其中"):
			j = i + 2
			if j < len(rs) && rs[j] == ' ' {
				j++
			}
			if j >= len(rs) {
				continue
			}
			n, ok := readNumber(rs, j)
			if !ok {
				continue
			}
			j = n.end
			if _, u := d.prefixAt(j, []string{"个人", "人", "个", "位"}); u > 0 {
				j += u
			} else {
				continue
			}
			if j < len(rs) && rs[j] == '是' {
				j++
			}
			persons = int(n.val)
		default:
			if _, n := d.prefixAt(i, relationWords); n > 0 {
				j, persons = i+n, 1
				if j < len(rs) && rs[j] == '是' {
					j++
				}
			} else {
				continue
			}
		}
		key, n := it.categoryAt(d, j)
		if n == 0 || persons <= 0 || persons > maxSize {
			continue
		}
		d.cats = append(d.cats, Claim{Key: key, Persons: persons})
		d.catAt = append(d.catAt, start)
		d.claim(start, j+n)
		i = j + n - 1
	}
}

// categoryAt returns the longest category word at i, with its tail.
func (it *Interpreter) categoryAt(d *doc, i int) (string, int) {
	for n := min(it.catMax+2, len(d.rs)-i); n > 0; n-- {
		if e, ok := it.lex[d.sub(i, i+n)]; ok && e.kind == lexCategory {
			return e.value, n
		}
	}
	return "", 0
}

// scanHeads finds the committee's heads written whole, longest names
// first so 张伟 does not take part of a longer name.
func (d *doc) scanHeads(heads []Head) {
	for _, h := range heads {
		name := []rune(h.Name)
		if len(name) < 2 {
			continue
		}
		for i := 0; i+len(name) <= len(d.rs); i++ {
			if !d.free(i, i+len(name)) || !runesEqual(d.rs[i:i+len(name)], name) {
				continue
			}
			d.claim(i, i+len(name))
			d.headHits = append(d.headHits, h.Name)
			d.names = append(d.names, nameHit{typed: h.Name, start: i})
			end := i + len(name)
			if end < len(d.rs) {
				if _, n := d.prefixAt(end, honorifics); n > 0 {
					d.claim(end, end+n)
				} else if d.rs[end] == houseSuffix {
					d.claim(end, end+1)
				}
			}
		}
	}
}

func runesEqual(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// scanHonorifics finds a head's surname with an honorific or 老/小 before
// the words are read, so 钱阿姨 is a person and not money.
func (d *doc) scanHonorifics(heads []Head) {
	sur := headSurnames(heads)
	for i := 0; i < len(d.rs); i++ {
		if end := d.surnameForm(i, sur); end > 0 {
			i = end - 1
		}
	}
}

// headSurnames is a test for the first character of any head's name.
func headSurnames(heads []Head) func(rune) bool {
	firsts := make([]rune, 0, len(heads))
	for _, h := range heads {
		firsts = append(firsts, firstRune(h.Name))
	}
	return func(r rune) bool { return slices.Contains(firsts, r) }
}

// firstRune is the first character of s.
func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// surnameForm reads a surname with 老/小 before it or an honorific after
// it (老周, 小黄, 老周师傅, 周阿姨) at i, records it and returns where it
// ends; 0 when there is none.
func (d *doc) surnameForm(i int, sur func(rune) bool) int {
	rs := d.rs
	if d.used[i] || !isHan(rs[i]) {
		return 0
	}
	if strings.ContainsRune(nameAffixes, rs[i]) && i+1 < len(rs) && !d.used[i+1] && sur(rs[i+1]) {
		k := i + 2
		if k >= len(rs) || rs[k] == ' ' || d.used[k] || rs[k] == houseSuffix || d.honorificAt(k) > 0 || !inName(rs[k]) {
			return d.addName(string(rs[i+1]), true, i, k)
		}
	}
	if sur(rs[i]) {
		if n := d.honorificAt(i + 1); n > 0 {
			d.names = append(d.names, nameHit{typed: string(rs[i]), surname: true, start: i})
			d.claim(i, i+1+n)
			return i + 1 + n
		}
	}
	return 0
}

// scanWords claims the lexicon's words, longest first at each place:
// cues, categories, committees and visitors.
func (it *Interpreter) scanWords(d *doc) {
	rs := d.rs
	for i := 0; i < len(rs); i++ {
		if d.used[i] || rs[i] == ' ' {
			continue
		}
		for n := min(it.lexMax, len(rs)-i); n > 0; n-- {
			if !d.free(i, i+n) {
				continue
			}
			e, ok := it.lex[d.sub(i, i+n)]
			if !ok {
				continue
			}
			switch e.kind {
			case lexWord:
				d.cues |= e.cue
			case lexCategory:
				d.cats = append(d.cats, Claim{Key: e.value})
				d.catAt = append(d.catAt, i)
			case lexCommittee:
				if !contains(d.committees, e.value) {
					d.committees = append(d.committees, e.value)
				}
			case lexVisitor:
				d.visitor = e.value
			}
			d.claim(i, i+n)
			i += n - 1
			break
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// scanNumbers reads the numbers left: amounts, sizes, ages, counts, codes.
func (d *doc) scanNumbers() {
	rs := d.rs
	for i := 0; i < len(rs); i++ {
		if d.used[i] || !isDigit(rs[i]) && !isCN(rs[i]) {
			continue
		}
		if d.hasAt(i, "编号") {
			continue
		}
		n, ok := readNumber(rs, i)
		if !ok {
			continue
		}
		j := n.end
		if !d.free(i, j) {
			continue
		}
		before := ""
		if i > 0 {
			before = d.sub(max(0, i-3), i)
		}
		if strings.HasSuffix(before, "编号") || strings.HasSuffix(before, "编号 ") {
			d.code = fmt.Sprint(n.val)
			d.claim(i, j)
			i = j - 1
			continue
		}
		if u, un := d.prefixAt(j, moneyUnits); un > 0 {
			_ = u
			d.amounts = append(d.amounts, amount{val: n.val, explicit: true})
			d.claim(i, j+un)
			i = j + un - 1
			continue
		}
		if _, un := d.prefixAt(j, sizeUnits); un > 0 {
			if n.val >= 1 {
				d.sizes = append(d.sizes, int(n.val))
			}
			d.claim(i, j+un)
			i = j + un - 1
			continue
		}
		if _, un := d.prefixAt(j, ageUnits); un > 0 {
			d.notes = append(d.notes, d.sub(i, j+un))
			d.claim(i, j+un)
			i = j + un - 1
			continue
		}
		if j < len(rs) && strings.ContainsRune(measureWords, rs[j]) {
			continue // goods: 一袋, 一桶
		}
		if _, un := d.prefixAt(j, countUnits); un > 0 && n.cn && !hasBigUnit(rs[i:j]) {
			d.households = int(n.val)
			d.claim(i, j+un)
			i = j + un - 1
			continue
		}
		if n.digits && j-i > 6 {
			continue // a long number that is no ID or phone: left alone
		}
		trig := false
		for _, t := range moneyTriggers {
			b := strings.TrimRight(before, " ")
			if strings.HasSuffix(b, t) {
				trig = true
				break
			}
		}
		switch {
		case n.financial || n.cn && hasBigUnit(rs[i:j]):
			d.amounts = append(d.amounts, amount{val: n.val, explicit: true})
		case n.digits && n.val >= 10:
			d.amounts = append(d.amounts, amount{val: n.val, explicit: trig})
		case n.cn && trig:
			d.amounts = append(d.amounts, amount{val: n.val, explicit: true})
		case n.digits:
			d.amounts = append(d.amounts, amount{val: n.val})
		default:
			continue
		}
		d.claim(i, j)
		if j < len(rs) && rs[j] == '整' {
			d.claim(j, j+1)
		}
		i = j - 1
	}
}

// scanGoods finds goods: 大米一袋, 一桶油, 米和油.
func (d *doc) scanGoods() {
	rs := d.rs
	for i := 0; i < len(rs); i++ {
		if d.used[i] {
			continue
		}
		start := i
		j := i
		// a quantity before: 一袋, 两桶
		if n, ok := readNumber(rs, j); ok && n.end < len(rs) && strings.ContainsRune(measureWords, rs[n.end]) {
			j = n.end + 1
		}
		g, gn := d.prefixAt(j, goodsByLength)
		if gn == 0 || !d.free(start, j+gn) {
			continue
		}
		_ = g
		end := j + gn
		if end == j+gn && j == start {
			// a quantity after: 大米一袋
			if n, ok := readNumber(rs, end); ok && n.end < len(rs) && strings.ContainsRune(measureWords, rs[n.end]) && d.free(end, n.end+1) {
				end = n.end + 1
			}
		}
		d.goods = append(d.goods, d.sub(start, end))
		d.claim(start, end)
		// 米和油: joined goods stay one entry
		if end < len(rs) && rs[end] == '和' {
			if _, gn2 := d.prefixAt(end+1, goodsByLength); gn2 > 0 && d.free(end+1, end+1+gn2) {
				d.goods[len(d.goods)-1] = d.sub(start, end+1+gn2)
				d.claim(end, end+1+gn2)
				end += 1 + gn2
			} else if n, ok := readNumber(rs, end+1); ok && n.end < len(rs) && strings.ContainsRune(measureWords, rs[n.end]) {
				// 一袋米和一桶油 is read on the next pass
				d.claim(end, end+1)
			}
		}
		i = end - 1
	}
}

// goodsByLength is goodsWords, longest first.
var goodsByLength = func() []string {
	out := append([]string(nil), goodsWords...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if len([]rune(out[j])) > len([]rune(out[i])) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}()

// isSurname reports a surname that may start a name not yet registered.
func isSurname(r rune) bool { return strings.ContainsRune(surnames, r) }

// inName reports a rune that may stand inside a name.
func inName(r rune) bool { return isHan(r) && !strings.ContainsRune(notInName, r) && !isCN(r) }

// scanNames finds the names left: 老周, 周阿姨, 蒋文斌家, a name after 姓.
func (d *doc) scanNames(heads []Head) {
	rs := d.rs
	headSur := headSurnames(heads)
	sur := func(r rune) bool { return headSur(r) || isSurname(r) }
	for i := 0; i < len(rs); i++ {
		if end := d.surnameForm(i, sur); end > 0 {
			i = end - 1
			continue
		}
		if d.used[i] || !sur(rs[i]) {
			continue
		}
		// a full name: the surname and one or two more characters
		j := i + 1
		for j < len(rs) && j < i+3 && !d.used[j] && (inName(rs[j]) || rs[j] == houseSuffix && j == i+1 && j+1 < len(rs) && inName(rs[j+1]) && !d.used[j+1]) {
			if d.honorificAt(j) > 0 {
				break
			}
			j++
		}
		if j == i+1 {
			continue
		}
		if i > 0 && !d.used[i-1] && inName(rs[i-1]) && rs[i-1] != ' ' {
			continue // the middle of a word, not the start of a name
		}
		i = d.addName(string(rs[i:j]), false, i, j) - 1
	}
}

// addName records the name typed at runes [i, j), claims it with the
// honorific and 家 after it, and returns where they end.
func (d *doc) addName(typed string, surname bool, i, j int) int {
	d.names = append(d.names, nameHit{typed: typed, surname: surname, start: i})
	d.claim(i, j)
	if n := d.honorificAt(j); n > 0 {
		d.claim(j, j+n)
		j += n
	}
	if j < len(d.rs) && d.rs[j] == houseSuffix {
		d.claim(j, j+1)
	}
	return j
}

// honorificAt is the length of the honorific at i, 0 if none.
func (d *doc) honorificAt(i int) int {
	if i >= len(d.rs) || d.used[i] {
		return 0
	}
	_, n := d.prefixAt(i, honorifics)
	return n
}

// wordy reports a rune a note can be made of: a letter or a digit.
func wordy(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// leftovers are the unclaimed words, for notes.
func (d *doc) leftovers() []string {
	var out []string
	i := 0
	for i < len(d.rs) {
		if d.used[i] || d.rs[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(d.rs) && !d.used[j] && d.rs[j] != ' ' {
			j++
		}
		if w := d.sub(i, j); strings.ContainsFunc(w, wordy) {
			out = append(out, w) // a lone ：or 、 is no note
		}
		i = j
	}
	return out
}
