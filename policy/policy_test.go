package policy_test

import (
	"flag"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/width"

	"songnuan/internal/testkit"
	"songnuan/policy"
)

var update = flag.Bool("update", false, "rewrite policy/testdata golden files")

func TestDefaultPolicyParses(t *testing.T) {
	p, err := policy.Parse(policy.DefaultYAML(), "default.yaml")
	if err != nil {
		t.Fatalf("embedded default policy: %v", err)
	}
	d := policy.Default()
	if d != policy.Default() {
		t.Error("Default parses again on every call")
	}
	if !reflect.DeepEqual(p, d) {
		t.Error("Default differs from parsing its embedded file")
	}
	if d.Name != "长宁区2023" || len(d.Items) != 27 {
		t.Errorf("default policy %q with %d items, want 长宁区2023 with 27", d.Name, len(d.Items))
	}
}

// polScan reads s as a chat parser does: at each point the first of
// words (longest first) that s starts with. It returns the category keys
// read and what was left unread.
func polScan(p *policy.Policy, words []string, s string) ([]string, string) {
	var keys []string
next:
	for s != "" {
		for _, w := range words {
			if strings.HasPrefix(s, w) {
				c, _ := p.Lookup(w)
				keys = append(keys, c.Key)
				s = s[len(w):]
				continue next
			}
		}
		break
	}
	return keys, s
}

func TestPolicyWords(t *testing.T) {
	p := policy.Default()
	words := p.Words()

	owner := map[string]string{}
	var all []string
	for _, c := range p.Categories {
		for _, w := range append([]string{c.Key}, c.Aliases...) {
			if o, dup := owner[w]; dup {
				t.Errorf("%q names both %s and %s", w, o, c.Key)
			}
			owner[w] = c.Key
			all = append(all, w)
		}
	}
	slices.Sort(all)
	sorted := slices.Sorted(slices.Values(words))
	if !slices.Equal(sorted, all) {
		t.Errorf("Words() is not every key and alias once:\n got %v\nwant %v", sorted, all)
	}
	for i := 1; i < len(words); i++ {
		if utf8.RuneCountInString(words[i]) > utf8.RuneCountInString(words[i-1]) {
			t.Errorf("Words() not longest first: %q before %q", words[i-1], words[i])
		}
	}
	for w, key := range owner {
		if c, ok := p.Lookup(w); !ok || c.Key != key {
			t.Errorf("Lookup(%q) = %q, %v; want %q", w, c.Key, ok, key)
		}
	}

	// No prefix traps: any two words of different categories typed
	// together read back as those two categories, and a count or amount
	// glued on never changes the word read.
	for _, a := range words {
		for _, b := range words {
			if owner[a] == owner[b] {
				continue
			}
			got, rest := polScan(p, words, a+b)
			if want := []string{owner[a], owner[b]}; !slices.Equal(got, want) || rest != "" {
				t.Errorf("%q reads as %v (left %q), want %v", a+b, got, rest, want)
			}
		}
		for _, tail := range []string{"1人", "1500元"} {
			got, rest := polScan(p, words, a+tail)
			if !slices.Equal(got, []string{owner[a]}) || rest != tail {
				t.Errorf("%q reads as %v (left %q)", a+tail, got, rest)
			}
		}
	}
}

// The chat normaliser turns Chinese numerals before these units into
// digits, and the parser reads digits as counts and amounts: a word with
// either could never be matched.
var polNumeralUnitRE = regexp.MustCompile(`[0-9零〇一二两三四五六七八九十百千万][人口户元块天号月日]|[0-9\s:：,，]`)

func TestPolicyWordsSurviveNormalising(t *testing.T) {
	for _, w := range policy.Default().Words() {
		if m := polNumeralUnitRE.FindString(w); m != "" {
			t.Errorf("%q holds %q", w, m)
		}
	}
}

func TestPolicyLookup(t *testing.T) {
	p := policy.Default()
	// The short forms a Shanghai social worker types.
	want := map[string]string{
		"低保": "低保", "低保户": "低保", "特困": "特困供养", "特困人员": "特困供养", "特困供养": "特困供养",
		"重残无业": "重残无业", "定期定量": "重残无业", "因病支出型": "因病支出型", "因病支出型贫困": "因病支出型",
		"失业": "登记失业人员", "登记失业": "登记失业人员", "优抚": "重点优抚", "残疾大病": "残疾大病",
		"残疾重残": "残疾重残", "孤残": "残疾重残", "阳光宝宝": "残疾重残", "残疾低收入": "残疾低收入",
		"妇联": "妇联", "困境儿童": "妇联", "百企助百老": "百企助百老", "急难帮困": "急难帮困",
		"惠民帮扶": "惠民帮扶", "惠民": "惠民帮扶", "其他困难": "其他困难", "特殊困难": "其他困难",
		"御寒困难": "御寒困难", "支内": "支内回沪", "两新党员": "两新党员", "双结对": "双结对",
		"红十字": "红十字", "困境青少年": "困境青少年", "集中供养": "集中供养", "包户组": "包户组",
		"滞留对象": "救助站滞留", "教育帮困": "教育帮困", "工会帮困": "工会帮困",
	}
	for w, key := range want {
		if c, ok := p.Lookup(w); !ok || c.Key != key {
			t.Errorf("Lookup(%q) = %q, %v; want %q", w, c.Key, ok, key)
		}
	}
	levels := map[string]policy.Unit{"低保": policy.PerHousehold, "因病支出型": policy.PerHousehold, "其他困难": policy.PerHousehold, "惠民帮扶": policy.PerHousehold,
		"特困供养": policy.PerPerson, "妇联": policy.PerPerson, "残疾大病": policy.PerPerson, "登记失业人员": policy.PerPerson}
	for key, level := range levels {
		if c, _ := p.Lookup(key); c.Level != level {
			t.Errorf("%s is %q, want %q", key, c.Level, level)
		}
	}
	if c, _ := p.Lookup("特困"); !slices.Equal(c.Items, []string{"2", "6"}) {
		t.Errorf("特困 triggers %v, want [2 6]", c.Items)
	}
	// Near misses: too vague to pay anyone, or not a category at all.
	for _, w := range []string{"残疾", "重残", "困难", "领导", "区领导", "街镇领导", "一户多残", "千万人帮万家", "低保3人", " 低保", "特困供养1人", ""} {
		if c, ok := p.Lookup(w); ok {
			t.Errorf("Lookup(%q) = %s, want no category", w, c.Key)
		}
	}
}

func TestPolicyItemAccess(t *testing.T) {
	p := policy.Default()
	it, ok := p.Item("4")
	if !ok || !slices.Equal(it.ExcludePersonsOf, []string{"1", "2"}) || it.ExclusiveGroup == "" {
		t.Errorf("Item(4) = %+v, %v; want 低保 excluding persons of 1 and 2, in an exclusive group", it, ok)
	}
	if _, ok := p.Item("28"); ok {
		t.Error("Item(28) found")
	}
	for _, id := range []string{"19", "20", "21"} {
		if it, _ := p.Item(id); it.BandGroup != "残联" {
			t.Errorf("#%s band group %q, want 残联", id, it.BandGroup)
		}
	}
	// Words is a copy: a caller sorting it must not change the policy.
	w := p.Words()
	slices.Reverse(w)
	if p.Words()[0] == w[0] {
		t.Error("Words() returns the policy's own slice")
	}
}

func polWidth(s string) int {
	n := 0
	for _, r := range s {
		if k := width.LookupRune(r).Kind(); k == width.EastAsianWide || k == width.EastAsianFullwidth {
			n += 2
		} else {
			n++
		}
	}
	return n
}

var polCellRE = regexp.MustCompile(`\S+(?: \S+)*`)

func TestPolicyTable(t *testing.T) {
	got := policy.Default().Table()
	testkit.Golden(t, filepath.Join("testdata", "table.golden"), got, *update)

	// Every cell of a block starts at the same screen column as its
	// header, counting a Chinese character as two.
	blocks := strings.Split(got, "\n\n")
	if len(blocks) != 3 {
		t.Fatalf("want a title, the items and the categories; got %d blocks", len(blocks))
	}
	for _, block := range blocks[1:] {
		lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
		starts := func(line string) []int {
			var cols []int
			for _, loc := range polCellRE.FindAllStringIndex(line, -1) {
				cols = append(cols, polWidth(line[:loc[0]]))
			}
			return cols
		}
		head := starts(lines[0])
		for _, l := range lines[1:] {
			if strings.HasSuffix(l, " ") {
				t.Errorf("trailing space: %q", l)
			}
			cols := starts(l)
			if len(cols) > len(head) || !slices.Equal(cols, head[:len(cols)]) {
				t.Errorf("columns at %v, header at %v: %q", cols, head, l)
			}
		}
	}
	for _, row := range [][]string{
		{"4", "1人700元，每多1人+100元", "每户", "市、区财政", "民政局"},
		{"18", "500-2000元", "每人", "市妇联拨款", "妇联"},
		{"3", "酌情", "每户"},
		{"15", "预算约45万元", "-", "区教育局专项经费", "教育局"},
		{"27", "500元", "每户", "民政节日帮困慰问专项经费", "街镇领导"},
	} {
		found := false
		for _, l := range strings.Split(got, "\n") {
			cells := polCellRE.FindAllString(l, -1)
			if len(cells) > 0 && cells[0] == row[0] {
				found = true
				for _, want := range row[1:] {
					if !slices.Contains(cells, want) {
						t.Errorf("row %s has no cell %q: %q", row[0], want, l)
					}
				}
			}
		}
		if !found {
			t.Errorf("no row %s", row[0])
		}
	}
}
