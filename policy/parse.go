package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"songnuan/domain"
	"songnuan/internal/yamlcheck"
)

// Problem is one mistake in a policy file: its line, the path of the
// key (items[3].fund; empty for the file as a whole) and, in Chinese, what
// is wrong.
type Problem = yamlcheck.Problem

// Error lists every problem Parse found, ordered by line, so an admin
// fixes the file in one pass instead of one error per upload. Its Lines
// read "policy.yaml:12: items[3].fund: 不能为空", and so does Error, one
// per line.
type Error = yamlcheck.Error

// Parse reads a policy file (YAML; see policy/default.yaml for
// the format). source names the file in problem lines. On any problem it
// returns a *Error listing all of them, unknown keys included.
func Parse(data []byte, source string) (*Policy, error) {
	ps := &policyParser{yamlcheck.New(yamlcheck.Chinese)}
	p := ps.parse(data)
	if err := ps.Err(source, nil); err != nil {
		return nil, err
	}
	p.index()
	return p, nil
}

type policyParser struct{ *yamlcheck.Checker }

// policyItemPos and policyCatPos remember where things were written, for problems
// found only when items and categories are checked against each other.
type policyItemPos struct {
	line   int            // the item's mapping
	fields map[string]int // field → line of its value
	excl   []int          // lines of exclude_persons_of entries
}

type policyCatPos struct {
	line    int
	key     int
	items   []int
	aliases []int
}

// The keys each mapping of the file may have.
var (
	policyKeys     = []string{"name", "version", "document", "items", "categories"}
	policyItemKeys = []string{"id", "name", "short", "unit", "kind", "amount", "step", "min", "max", "budget", "fund", "dept", "note",
		"band_group", "exclusive_group", "exclude_persons_of", "trigger", "visitor"}
	policyCatKeys = []string{"key", "level", "items", "aliases"}
)

func (ps *policyParser) parse(data []byte) *Policy {
	root, ok := ps.Decode(data)
	if !ok {
		return nil
	}
	if root == nil {
		ps.Add(1, "", "文件是空的，应有 name、version、items、categories")
		return nil
	}
	p := &Policy{}
	var items, cats *yaml.Node
	seen := ps.Mapping(root, "", policyKeys, func(k, v *yaml.Node, path string) {
		switch k.Value {
		case "name":
			p.Name = ps.str(v, path)
		case "version":
			p.Version = ps.str(v, path)
		case "document":
			p.Document = ps.str(v, path)
		case "items":
			items = v
		case "categories":
			cats = v
		}
	})
	if seen == nil {
		return nil
	}
	ps.required(root, "", seen, map[string]string{"name": p.Name, "version": p.Version})
	var ipos []policyItemPos
	var cpos []policyCatPos
	if items == nil {
		ps.Add(root.Line, "items", "不能为空")
	} else {
		p.Items, ipos = ps.items(items)
	}
	if cats == nil {
		ps.Add(root.Line, "categories", "不能为空")
	} else {
		p.Categories, cpos = ps.categories(cats)
	}
	ps.crossCheck(p, ipos, cpos)
	return p
}

// required reports each key that is missing or empty.
func (ps *policyParser) required(n *yaml.Node, path string, seen map[string]int, vals map[string]string) {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if vals[k] != "" {
			continue
		}
		line, ok := seen[k]
		if !ok {
			line = n.Line
		}
		ps.Add(line, yamlcheck.Join(path, k), "不能为空")
	}
}

func (ps *policyParser) str(v *yaml.Node, path string) string {
	if v.Kind != yaml.ScalarNode {
		ps.Add(v.Line, path, "应为文字")
		return ""
	}
	if v.ShortTag() == "!!null" {
		return ""
	}
	return strings.TrimSpace(v.Value)
}

func (ps *policyParser) integer(v *yaml.Node, path string) (int64, bool) {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!int" {
		n, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
		if err == nil {
			return n, true
		}
	}
	ps.Add(v.Line, path, "应为整数（元），例如 1000")
	return 0, false
}

// strList reads a list of texts and the line of each.
func (ps *policyParser) strList(v *yaml.Node, path string) ([]string, []int) {
	if v.Kind != yaml.SequenceNode {
		ps.Add(v.Line, path, `应为列表，例如 ["1", "2"]`)
		return nil, nil
	}
	var out []string
	var lines []int
	for i, e := range v.Content {
		e = yamlcheck.Deref(e)
		s := ps.str(e, fmt.Sprintf("%s[%d]", path, i))
		if s == "" {
			if e.Kind == yaml.ScalarNode {
				ps.Add(e.Line, fmt.Sprintf("%s[%d]", path, i), "不能为空")
			}
			continue
		}
		out = append(out, s)
		lines = append(lines, e.Line)
	}
	return out, lines
}

func (ps *policyParser) items(n *yaml.Node) ([]Item, []policyItemPos) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		ps.Add(n.Line, "items", "应为非空列表，每项一个补助标准")
		return nil, nil
	}
	var items []Item
	var pos []policyItemPos
	for i, e := range n.Content {
		it, ip, ok := ps.item(yamlcheck.Deref(e), fmt.Sprintf("items[%d]", i))
		if ok {
			items = append(items, it)
			pos = append(pos, ip)
		}
	}
	return items, pos
}

var policyItemKinds = []ItemKind{ItemFixed, ItemScale, ItemAverage, ItemRange, ItemDiscretionary, ItemBudget}

// policyKindFields are the numeric fields each kind uses; any other numeric
// field on that kind is a mistake worth naming.
var policyKindFields = map[ItemKind][]string{
	ItemFixed:         {"amount"},
	ItemScale:         {"amount", "step"},
	ItemAverage:       {"amount"},
	ItemRange:         {"min", "max"},
	ItemDiscretionary: {},
	ItemBudget:        {"budget"},
}

func (ps *policyParser) item(n *yaml.Node, path string) (Item, policyItemPos, bool) {
	var it Item
	ip := policyItemPos{line: n.Line}
	nums := map[string]*int64{"amount": &it.Amount, "step": &it.Step, "min": &it.Min, "max": &it.Max, "budget": &it.Budget}
	numSet := map[string]bool{}
	var unit, kind, trigger, visitor string
	ip.fields = ps.Mapping(n, path, policyItemKeys, func(k, v *yaml.Node, p string) {
		switch k.Value {
		case "id":
			it.ID = ps.str(v, p)
		case "name":
			it.Name = ps.str(v, p)
		case "short":
			it.Short = ps.str(v, p)
		case "unit":
			unit = ps.str(v, p)
		case "kind":
			kind = ps.str(v, p)
		case "fund":
			it.Fund = ps.str(v, p)
		case "dept":
			it.Dept = ps.str(v, p)
		case "note":
			it.Note = ps.str(v, p)
		case "band_group":
			it.BandGroup = ps.str(v, p)
		case "exclusive_group":
			it.ExclusiveGroup = ps.str(v, p)
		case "exclude_persons_of":
			it.ExcludePersonsOf, ip.excl = ps.strList(v, p)
		case "trigger":
			trigger = ps.str(v, p)
		case "visitor":
			visitor = ps.str(v, p)
		case "amount", "step", "min", "max", "budget":
			if x, ok := ps.integer(v, p); ok {
				*nums[k.Value] = x
				numSet[k.Value] = true
			}
		}
	})
	if ip.fields == nil {
		return it, ip, false
	}
	line := func(f string) int {
		if l, ok := ip.fields[f]; ok {
			return l
		}
		return n.Line
	}
	ps.required(n, path, ip.fields, map[string]string{"id": it.ID, "name": it.Name, "kind": kind, "fund": it.Fund, "dept": it.Dept})

	it.Kind = ItemKind(kind)
	if kind != "" && !slices.Contains(policyItemKinds, it.Kind) {
		ps.Add(line("kind"), path+".kind", "应为 fixed、scale、average、range、discretionary 或 budget")
	}
	switch Unit(unit) {
	case PerPerson, PerHousehold:
		it.Unit = Unit(unit)
	case "":
		if it.Kind != ItemBudget {
			ps.Add(line("unit"), path+".unit", "不能为空，应为 person 或 household")
		}
	default:
		ps.Add(line("unit"), path+".unit", "应为 person 或 household")
	}

	if allowed, ok := policyKindFields[it.Kind]; ok {
		for _, f := range []string{"amount", "step", "min", "max", "budget"} {
			if numSet[f] && !slices.Contains(allowed, f) {
				ps.Add(line(f), path+"."+f, "%s 项目不用填 %s", it.Kind, f)
			}
		}
		need := func(f string, lowest int64, msg string) {
			switch {
			case !numSet[f]:
				if _, written := ip.fields[f]; !written {
					ps.Add(n.Line, path+"."+f, "%s 项目必须填 %s", it.Kind, f)
				}
			case *nums[f] < lowest:
				ps.Add(line(f), path+"."+f, "%s", msg)
			}
		}
		switch it.Kind {
		case ItemFixed, ItemAverage:
			need("amount", 1, "应大于0")
		case ItemScale:
			need("amount", 1, "应大于0")
			need("step", 0, "不能为负数")
			if it.Unit == PerPerson {
				ps.Add(line("unit"), path+".unit", "scale 项目按户人数计，应为 household")
			}
		case ItemRange:
			need("min", 1, "应大于0")
			need("max", 1, "应大于0")
			if numSet["min"] && numSet["max"] && it.Max < it.Min {
				ps.Add(line("max"), path+".max", "不能小于 min（%d）", it.Min)
			}
		case ItemBudget:
			if numSet["budget"] && it.Budget < 0 {
				ps.Add(line("budget"), path+".budget", "不能为负数")
			}
		}
	}

	switch Trigger(trigger) {
	case "", TriggerRegister:
		it.Trigger = TriggerRegister
		if visitor != "" {
			ps.Add(line("visitor"), path+".visitor", "只有 trigger: visit 的项目才填 visitor")
		}
	case TriggerVisit:
		it.Trigger = TriggerVisit
		switch domain.Visitor(visitor) {
		case domain.VisitorDistrict, domain.VisitorStreet:
			it.Visitor = domain.Visitor(visitor)
		case "":
			ps.Add(line("visitor"), path+".visitor", "trigger: visit 的项目必须填 visitor（%s 或 %s）", domain.VisitorDistrict, domain.VisitorStreet)
		default:
			ps.Add(line("visitor"), path+".visitor", "应为 %s 或 %s", domain.VisitorDistrict, domain.VisitorStreet)
		}
		if it.Kind != ItemFixed || it.Unit != PerHousehold {
			ps.Add(line("trigger"), path+".trigger", "走访触发的项目应为 kind: fixed、unit: household")
		}
	default:
		ps.Add(line("trigger"), path+".trigger", "应为 register 或 visit")
	}
	if it.BandGroup != "" && (it.Kind != ItemFixed || it.Unit != PerPerson || it.Trigger == TriggerVisit) {
		ps.Add(line("band_group"), path+".band_group", "只用于登记触发、按人（person）的 fixed 项目")
	}
	return it, ip, true
}

func (ps *policyParser) categories(n *yaml.Node) ([]Category, []policyCatPos) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		ps.Add(n.Line, "categories", "应为非空列表，每项一个登记类别")
		return nil, nil
	}
	var cats []Category
	var pos []policyCatPos
	for i, e := range n.Content {
		e = yamlcheck.Deref(e)
		path := fmt.Sprintf("categories[%d]", i)
		var c Category
		cp := policyCatPos{line: e.Line}
		var level string
		seen := ps.Mapping(e, path, policyCatKeys, func(k, v *yaml.Node, p string) {
			switch k.Value {
			case "key":
				c.Key = ps.str(v, p)
				cp.key = v.Line
			case "level":
				level = ps.str(v, p)
			case "items":
				c.Items, cp.items = ps.strList(v, p)
			case "aliases":
				c.Aliases, cp.aliases = ps.strList(v, p)
			}
		})
		if seen == nil {
			continue
		}
		ps.required(e, path, seen, map[string]string{"key": c.Key, "level": level})
		switch Unit(level) {
		case PerPerson, PerHousehold:
			c.Level = Unit(level)
		case "":
		default:
			ps.Add(seen["level"], path+".level", "应为 person 或 household")
		}
		if len(c.Items) == 0 {
			if _, written := seen["items"]; !written {
				ps.Add(e.Line, path+".items", "不能为空，写这个类别触发的项目编号，例如 [\"2\", \"6\"]")
			} else if len(cp.items) == 0 {
				ps.Add(seen["items"], path+".items", "不能为空，写这个类别触发的项目编号，例如 [\"2\", \"6\"]")
			}
		}
		cats = append(cats, c)
		pos = append(pos, cp)
	}
	return cats, pos
}

// crossCheck checks what ties items and categories together: unique ids
// and words, references, and the rules that keep Entitle unambiguous.
func (ps *policyParser) crossCheck(p *Policy, ipos []policyItemPos, cpos []policyCatPos) {
	idAt := map[string]int{}
	visitorAt := map[domain.Visitor]int{}
	for i, it := range p.Items {
		path := fmt.Sprintf("items[%d]", i)
		if it.ID != "" {
			if first, dup := idAt[it.ID]; dup {
				ps.Add(ipos[i].fields["id"], path+".id", "编号“%s”重复（第%d行已用）", it.ID, first)
			} else {
				idAt[it.ID] = ipos[i].fields["id"]
			}
		}
		if it.Visitor != "" {
			if first, dup := visitorAt[it.Visitor]; dup {
				ps.Add(ipos[i].fields["visitor"], path+".visitor", "%s 已有走访项目（第%d行）", it.Visitor, first)
			} else {
				visitorAt[it.Visitor] = ipos[i].fields["visitor"]
			}
		}
	}
	itemAt := func(id string) (int, bool) {
		for i, it := range p.Items {
			if it.ID == id {
				return i, true
			}
		}
		return 0, false
	}
	for i, it := range p.Items {
		for j, ref := range it.ExcludePersonsOf {
			path := fmt.Sprintf("items[%d].exclude_persons_of[%d]", i, j)
			line := ipos[i].excl[j]
			switch k, ok := itemAt(ref); {
			case !ok:
				ps.Add(line, path, "没有编号为“%s”的项目", ref)
			case ref == it.ID:
				ps.Add(line, path, "不能扣除自己")
			case p.Items[k].Unit != PerPerson:
				ps.Add(line, path, "项目“%s”不是按人计的，无法扣除人数", ref)
			}
		}
	}

	wordAt := map[string]string{} // word → "categories[i]（第N行）"
	triggeredBy := map[string]int{}
	for ci, c := range p.Categories {
		path := fmt.Sprintf("categories[%d]", ci)
		words := append([]string{c.Key}, c.Aliases...)
		lines := append([]int{cpos[ci].key}, cpos[ci].aliases...)
		for wi, w := range words {
			if w == "" {
				continue
			}
			wpath := path + ".key"
			if wi > 0 {
				wpath = fmt.Sprintf("%s.aliases[%d]", path, wi-1)
			}
			if msg := policyWordProblem(w); msg != "" {
				ps.Add(lines[wi], wpath, "“%s”%s", w, msg)
			}
			if first, dup := wordAt[w]; dup {
				ps.Add(lines[wi], wpath, "“%s”已用于 %s，一个词只能指一个类别", w, first)
			} else {
				wordAt[w] = fmt.Sprintf("%s（第%d行）", path, lines[wi])
			}
		}
		amountItems := 0
		groups := map[string]string{}
		for ii, id := range c.Items {
			ipath := fmt.Sprintf("%s.items[%d]", path, ii)
			line := cpos[ci].items[ii]
			k, ok := itemAt(id)
			if !ok {
				ps.Add(line, ipath, "没有编号为“%s”的项目", id)
				continue
			}
			if slices.Index(c.Items, id) < ii {
				ps.Add(line, ipath, "项目“%s”写了两次", id)
				continue
			}
			it := p.Items[k]
			if it.Trigger == TriggerVisit {
				ps.Add(line, ipath, "项目“%s”由走访触发，不能由登记类别触发", id)
				continue
			}
			if it.takesAmount() {
				amountItems++
				if amountItems == 2 {
					ps.Add(line, ipath, "一个类别最多触发一个需要写金额的项目（average、range、discretionary、budget）")
				}
			}
			if g := it.ExclusiveGroup; g != "" {
				if other, dup := groups[g]; dup {
					ps.Add(line, ipath, "项目“%s”和“%s”同属 exclusive_group %s，不能由同一类别触发", other, id, g)
				}
				groups[g] = id
			}
			if first, dup := triggeredBy[id]; dup && (it.takesAmount() || it.Kind == ItemScale) {
				ps.Add(line, ipath, "项目“%s”已由 categories[%d] 触发；%s 项目只能由一个类别触发，否则金额或人数无法归属", id, first, it.Kind)
			}
			if _, dup := triggeredBy[id]; !dup {
				triggeredBy[id] = ci
			}
		}
	}
	for i, it := range p.Items {
		if it.ID == "" || it.Trigger != TriggerRegister {
			continue
		}
		if _, ok := triggeredBy[it.ID]; !ok {
			ps.Add(ipos[i].line, fmt.Sprintf("items[%d]", i), "没有类别触发项目“%s”：在某个类别的 items 里加上它，或删去这个项目", it.ID)
		}
	}
}

// policyNumeralUnitRE finds a Chinese numeral right before a unit word: the
// chat normaliser turns 一户 into 1户, so such a category word could never
// match what reaches the parser.
var policyNumeralUnitRE = regexp.MustCompile(`[零〇一二两三四五六七八九十百千万][人口户元块天号月日]`)

// policyWordProblem says what makes w unusable as a category word, or "".
func policyWordProblem(w string) string {
	for _, r := range w {
		switch {
		case unicode.IsDigit(r):
			return "不能含数字：人数和金额紧跟在类别后面写（特困供养1人），会分不开"
		case unicode.IsSpace(r):
			return "不能含空格"
		case r < 0x80 && unicode.IsPunct(r), r == '：', r == '，':
			return "不能含标点"
		}
	}
	if m := policyNumeralUnitRE.FindString(w); m != "" {
		return fmt.Sprintf("含“%s”，聊天输入会把它换成阿拉伯数字，请换个写法", m)
	}
	return ""
}
