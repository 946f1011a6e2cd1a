package understand

import (
	"strings"
	"time"
)

// Intent is the command a message means.
type Intent string

// The intents, named by their canonical command word.
const (
	None      Intent = ""
	Register  Intent = "登记"
	Visit     Intent = "走访"
	Undo      Intent = "撤销"
	Donate    Intent = "捐款"
	Report    Intent = "上报"
	Progress  Intent = "进度"
	Standard  Intent = "标准"
	Todo      Intent = "待办"
	Schedule  Intent = "日程"
	Query     Intent = "查询"
	Help      Intent = "帮助"
	Rescue    Intent = "流浪"
	Export    Intent = "导出"
	Broadcast Intent = "广播"
	Confirm   Intent = "确认"
)

// Changes reports whether the intent changes the campaign's records, so
// that an inferred one must be confirmed before it acts.
func (i Intent) Changes() bool {
	switch i {
	case Register, Visit, Undo, Donate, Report:
		return true
	}
	return false
}

// Mode says how sure the reading is.
type Mode int

const (
	// Ask: the message cannot be acted on as it stands. Command is the
	// closest command filled in with what was understood, and Problem
	// says what is missing.
	Ask Mode = iota
	// Exact: the message is a canonical command and acts as typed.
	Exact
	// Inferred: the message means Command; a change acts once confirmed.
	Inferred
)

func (m Mode) String() string {
	switch m {
	case Exact:
		return "exact"
	case Inferred:
		return "inferred"
	}
	return "ask"
}

// Role is the sender's role, as the bot's staff list has it.
type Role string

// The three roles.
const (
	Worker Role = "worker"
	Leader Role = "leader"
	Admin  Role = "admin"
)

// Head is one household of the sender's committee: its head's name, its
// 编号 and what it is due (0 when unknown).
type Head struct {
	Name string
	Code string
	Due  int64
}

// Category is one category of the policy: its key and every word that
// names it.
type Category struct {
	Key   string
	Words []string
}

// NameMatch says how a name in the message was matched to a head.
type NameMatch int

const (
	NameNone    NameMatch = iota // no name in the message
	NameExact                    // the head's name as registered
	NameSuffix                   // the name with 家 or an honorific after it
	NameSurname                  // a surname and an honorific: 周阿姨, 老周
	NameSlip                     // one character off: 周建花 for 周建华
	NameNew                      // a name no head has, nor nearly
)

func (n NameMatch) String() string {
	return [...]string{"none", "exact", "suffix", "surname", "slip", "new"}[n]
}

// Claim is one category of a registration, with how many members it
// covers (0: the household as a whole).
type Claim struct {
	Key     string
	Persons int
}

// Reading is what a message means.
type Reading struct {
	Intent  Intent
	Mode    Mode
	Command string // the canonical command (Ask: the proposal)
	Problem string // Ask: what is missing or wrong, in Chinese

	Head  string    // the head's registered name, or the new name
	Code  string    // the household's 编号 when it was found
	Match NameMatch // how the name was found
	Near  *Head     // a registration's near-match among the heads
	Typed string    // the name as written, when it differs from Head
	Named bool      // the message names a household, found or not

	Amount    int64
	HasAmount bool
	TopUp     bool
	FullDue   bool // 钱已给, 足额: the amount is what is due
	Goods     string
	Date      string // YYYY-MM-DD; "" is today
	Visitor   string // 区领导 or 街镇领导; "" is the committee

	Size       int
	Categories []Claim
	ID         string
	Phone      string
	Address    string
	Notes      []string // what a worker added that no field holds

	Committee string // 进度/待办: the committee asked about
	View      string // 进度: "", 类别, 资金 or 逾期
	Source    string // 捐款
	Task      string // 上报
	Place     string // 流浪
	Situation string // 流浪
}

// Acts reports whether the reading may act (at once or once confirmed).
func (r Reading) Acts() bool { return r.Mode != Ask && r.Intent != None }

// NeedsConfirm reports whether the reading is a change that was inferred.
func (r Reading) NeedsConfirm() bool { return r.Mode == Inferred && r.Intent.Changes() }

// Input is one message and what it is read against.
type Input struct {
	Text      string
	Role      Role
	Committee string // the sender's committee (workers)
	Heads     []Head // the households of that committee
	Today     time.Time
	Prev      *Reading // the sender's previous reading, for follow-ups
}

// Interpreter reads messages against one policy and one street.
type Interpreter struct {
	committees []string
	short      map[string]string // 二村 → 甘泉二村
	cats       map[string]string // word → key
	catMax     int               // longest category word, in runes
	lex        map[string]lexEntry
	lexMax     int
}

// lexEntry is one word of the combined lexicon.
type lexEntry struct {
	kind  lexKind
	cue   cue
	value string
}

type lexKind uint8

const (
	lexWord lexKind = iota
	lexCategory
	lexCommittee
	lexVisitor
)

// New builds an interpreter for a street's committees and a policy's
// categories.
func New(committees []string, cats []Category) *Interpreter {
	it := &Interpreter{short: map[string]string{}, cats: map[string]string{}, lex: map[string]lexEntry{}}
	it.committees = append(it.committees, committees...)
	for _, c := range cats {
		it.cats[c.Key] = c.Key
		for _, w := range c.Words {
			it.cats[w] = c.Key
		}
	}
	add := func(w string, e lexEntry) {
		w = strings.ToLower(w)
		if old, ok := it.lex[w]; ok && old.kind == lexCommittee && e.kind != lexCommittee {
			return
		}
		it.lex[w] = e
		if n := len([]rune(w)); n > it.lexMax {
			it.lexMax = n
		}
	}
	for w, c := range words {
		add(w, lexEntry{kind: lexWord, cue: c})
	}
	for w, c := range aloneWordsCue {
		add(w, lexEntry{kind: lexWord, cue: c})
	}
	for w, v := range visitorWords {
		add(w, lexEntry{kind: lexVisitor, cue: cueLeaderVisit, value: v})
	}
	for w, k := range it.cats {
		add(w, lexEntry{kind: lexCategory, value: k})
		// 低保户, 特困户, 特困人员: a category word with a tail
		for _, tail := range []string{"户", "家庭", "人员", "对象"} {
			if _, ok := it.cats[w+tail]; !ok {
				add(w+tail, lexEntry{kind: lexCategory, value: k})
			}
		}
		if n := len([]rune(w)); n > it.catMax {
			it.catMax = n
		}
	}
	// short committee names: a suffix ending in 村 or a two-character
	// prefix that only one committee has
	count := map[string]int{}
	forms := map[string]string{}
	for _, c := range committees {
		rs := []rune(c)
		seen := map[string]bool{}
		for i := 1; i < len(rs)-1; i++ {
			if rs[len(rs)-1] == '村' {
				s := string(rs[i:])
				if !seen[s] {
					seen[s] = true
					count[s]++
					forms[s] = c
				}
			}
		}
		if len(rs) > 2 {
			s := string(rs[:2])
			if !seen[s] {
				count[s]++
				forms[s] = c
			}
		}
	}
	for s, n := range count {
		if n == 1 {
			it.short[s] = forms[s]
		}
	}
	for s, c := range it.short {
		add(s, lexEntry{kind: lexCommittee, value: c})
	}
	for _, c := range committees {
		add(c, lexEntry{kind: lexCommittee, value: c})
	}
	return it
}

// Committee returns the committee a name or short name means, if exactly
// one.
func (it *Interpreter) Committee(name string) (string, bool) {
	for _, c := range it.committees {
		if c == name {
			return c, true
		}
	}
	c, ok := it.short[name]
	return c, ok
}

// IsConfirmation reports whether text says yes to a pending change.
func IsConfirmation(text string) bool { return isWordOf(text, confirmSet) }

// IsRefusal reports whether text says no to a pending change (不, 取消,
// 算了…): the change is dropped and nothing else is read into the text.
func IsRefusal(text string) bool { return isWordOf(text, refuseSet) }

// isWordOf reports whether text, less trailing punctuation and case, is
// one of the short words of set.
func isWordOf(text string, set map[string]bool) bool {
	if len(text) > 24 {
		return false // the longest word with its punctuation is far shorter
	}
	t := stripTrailing(text)
	if len(t) > 12 {
		return false
	}
	if t = strings.ToLower(t); set[t] {
		return true
	}
	if !strings.ContainsFunc(text, mayNormalize) {
		return false
	}
	return set[strings.ToLower(stripTrailing(cleanInvisible(text)))]
}

// mayNormalize reports a rune that Clean may change: a full-width or
// half-width form, or an invisible character.
func mayNormalize(r rune) bool { return r >= 0xFF00 && r <= 0xFFEF || r == 0x3000 || invisible(r) }

// confirmSet and refuseSet are confirmWords and refuseWords as sets.
var confirmSet, refuseSet = wordSet(confirmWords), wordSet(refuseWords)

func wordSet(ws []string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}
