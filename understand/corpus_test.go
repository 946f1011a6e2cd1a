package understand

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// world is the committee the corpus is read against (testdata/world.txt).
type world struct {
	committee  string
	committees []string
	today      time.Time
	heads      []Head
	cats       []Category
}

func loadWorld(tb testing.TB) world {
	tb.Helper()
	f, err := os.Open("testdata/world.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var w world
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "committee":
			w.committee = f[1]
		case "committees":
			w.committees = f[1:]
		case "today":
			t, err := time.ParseInLocation("2006-01-02", f[1], time.FixedZone("CST", 8*3600))
			if err != nil {
				tb.Fatal(err)
			}
			w.today = t.Add(10 * time.Hour)
		case "category":
			w.cats = append(w.cats, Category{Key: f[1], Words: f[2:]})
		default:
			due, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				tb.Fatalf("world line %q: %v", line, err)
			}
			w.heads = append(w.heads, Head{Code: f[0], Name: f[1], Due: due})
		}
	}
	return w
}

// corpusCase is one line of testdata/corpus.txt.
type corpusCase struct {
	line  int
	role  Role
	texts []string // the message, after any earlier ones it follows
	kind  byte     // '=', '~' or '?'
	want  string   // command, or the proposed intent for '?'
	near  bool
}

func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	data, err := os.ReadFile("testdata/corpus.txt")
	if err != nil {
		tb.Fatal(err)
	}
	var out []corpusCase
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, " | ")
		if len(parts) != 3 {
			tb.Fatalf("corpus line %d: want ROLE | TEXT | WANT, got %q", n+1, line)
		}
		c := corpusCase{line: n + 1}
		switch parts[0] {
		case "w":
			c.role = Worker
		case "l":
			c.role = Leader
		case "a":
			c.role = Admin
		default:
			tb.Fatalf("corpus line %d: role %q", n+1, parts[0])
		}
		text, err := strconv.Unquote(`"` + strings.ReplaceAll(parts[1], `"`, `\"`) + `"`)
		if err != nil {
			tb.Fatalf("corpus line %d: %v", n+1, err)
		}
		c.texts = strings.Split(text, " >> ")
		want := strings.TrimSpace(parts[2])
		if w, ok := strings.CutSuffix(want, "[near]"); ok {
			want, c.near = strings.TrimSpace(w), true
		}
		c.kind, c.want = want[0], strings.TrimSpace(want[1:])
		out = append(out, c)
	}
	return out
}

// read runs a case's messages in order, each after the last.
func (w world) read(it *Interpreter, c corpusCase) Reading {
	var prev *Reading
	var r Reading
	for _, t := range c.texts {
		in := Input{Text: t, Role: c.role, Today: w.today, Prev: prev}
		if c.role == Worker {
			in.Committee, in.Heads = w.committee, w.heads
		}
		r = it.Read(in)
		prev = &r
	}
	return r
}

// verdict says whether a reading is right, and when it is not, whether
// it is wrong (a change with another household, amount or size than
// meant, or a change where none was meant).
func (c corpusCase) verdict(r Reading) (right, wrong bool) {
	switch c.kind {
	case '=':
		right = r.Mode == Exact && r.Command == c.want
	case '~':
		cmdOK := r.Command == c.want
		if p, ok := strings.CutSuffix(c.want, "*"); ok {
			cmdOK = strings.HasPrefix(r.Command, p)
		}
		right = r.Mode == Inferred && cmdOK && (r.Near != nil) == c.near
	case '?':
		right = r.Mode == Ask && (c.want == "*" || string(r.Intent) == c.want)
	}
	if right || r.Mode == Ask || !r.Intent.Changes() {
		return right, false
	}
	if c.kind == '?' {
		return false, true
	}
	return false, !sameEffect(c.want, r.Command)
}

var (
	reMoney = regexp.MustCompile(`(?:发放|补发)(\d+)元`)
	reSize  = regexp.MustCompile(` (\d+)人(?: |$)`)
)

// sameEffect compares two commands on what they change: the command, its
// household, amount and size.
func sameEffect(want, got string) bool {
	wf, gf := strings.Fields(want), strings.Fields(got)
	if len(wf) == 0 || len(gf) == 0 || wf[0] != gf[0] {
		return false
	}
	if len(wf) > 1 && len(gf) > 1 && wf[1] != gf[1] {
		return false
	}
	for _, re := range []*regexp.Regexp{reMoney, reSize} {
		if fmt.Sprint(re.FindStringSubmatch(want)) != fmt.Sprint(re.FindStringSubmatch(got)) {
			return false
		}
	}
	return true
}

// intentOf is the intent a case expects, for the per-intent shares.
func (c corpusCase) intentOf() string {
	if c.kind == '?' {
		if c.want == "*" {
			return "(无)"
		}
		return c.want + "?"
	}
	f := strings.FieldsFunc(c.want, func(r rune) bool { return r == ' ' || r == ':' || r == '：' })
	switch f[0] {
	case "慰问", "发放", "补发":
		return "走访"
	case "新增", "添加":
		return "登记"
	case "撤回", "取消上一条":
		return "撤销"
	case "完成情况", "进展":
		return "进度"
	case "help", "菜单":
		return "帮助"
	}
	return f[0]
}

// TestCorpus reads every message of the corpus and fails on any reading
// that would change the wrong household, amount or size, and when fewer
// than 95% are read right.
func TestCorpus(t *testing.T) {
	w := loadWorld(t)
	it := New(w.committees, w.cats)
	cases := loadCorpus(t)
	if len(cases) < 300 {
		t.Fatalf("corpus has %d messages, want at least 300", len(cases))
	}
	type tally struct{ right, all int }
	per := map[string]*tally{}
	right := 0
	for _, c := range cases {
		r := w.read(it, c)
		ok, wrong := c.verdict(r)
		k := c.intentOf()
		if per[k] == nil {
			per[k] = &tally{}
		}
		per[k].all++
		if ok {
			right++
			per[k].right++
			continue
		}
		desc := fmt.Sprintf("line %d %s %q: got %s %q (%s), want %c %s", c.line, c.role, strings.Join(c.texts, " >> "), r.Mode, r.Command, r.Problem, c.kind, c.want)
		if wrong {
			t.Errorf("WRONG %s", desc)
		} else {
			t.Logf("miss %s", desc)
		}
	}
	keys := make([]string, 0, len(per))
	for k := range per {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	fmt.Fprintf(&sb, "corpus: %d/%d right (%.1f%%)\n", right, len(cases), 100*float64(right)/float64(len(cases)))
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %-6s %3d/%-3d %5.1f%%\n", k, per[k].right, per[k].all, 100*float64(per[k].right)/float64(per[k].all))
	}
	t.Log("\n" + sb.String())
	if float64(right) < 0.95*float64(len(cases)) {
		t.Errorf("%.1f%% of the corpus read right, want at least 95%%", 100*float64(right)/float64(len(cases)))
	}
}
