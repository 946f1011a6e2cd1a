package policy_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"songnuan/domain"
	"songnuan/policy"
)

func TestParsePolicyGoodFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(data, "good.yaml")
	if err != nil {
		t.Fatalf("good.yaml: %v", err)
	}
	if p.Name != "测试区2024" || p.Version != "7" || p.Document != "测试文件" {
		t.Errorf("header %q %q %q", p.Name, p.Version, p.Document)
	}
	wantItems := []policy.Item{
		{ID: "1", Name: "特困供养人员", Unit: policy.PerPerson, Kind: policy.ItemFixed, Amount: 1000, Fund: "财政", Dept: "民政局", BandGroup: "特殊对象", Trigger: policy.TriggerRegister},
		{ID: "2", Name: "低保家庭", Short: "低保补助", Unit: policy.PerHousehold, Kind: policy.ItemScale, Amount: 700, Step: 100, Fund: "财政", Dept: "民政局",
			ExclusiveGroup: "一般对象", ExcludePersonsOf: []string{"1"}, Trigger: policy.TriggerRegister},
		{ID: "3", Name: "妇联", Unit: policy.PerPerson, Kind: policy.ItemRange, Min: 500, Max: 2000, Fund: "妇联拨款", Dept: "妇联", Trigger: policy.TriggerRegister},
		{ID: "4", Name: "临时补助", Unit: policy.PerHousehold, Kind: policy.ItemDiscretionary, Fund: "财政", Dept: "民政局", Trigger: policy.TriggerRegister},
		{ID: "5", Name: "党员慰问", Unit: policy.PerHousehold, Kind: policy.ItemAverage, Amount: 500, Fund: "慰问经费", Dept: "组织部", Trigger: policy.TriggerRegister},
		{ID: "6", Name: "红十字", Kind: policy.ItemBudget, Budget: 620000, Fund: "募集款", Dept: "红十字会", Note: "约1500人", Trigger: policy.TriggerRegister},
		{ID: "7", Name: "区领导走访", Unit: policy.PerHousehold, Kind: policy.ItemFixed, Amount: 1000, Fund: "慰问经费", Dept: "区领导",
			ExclusiveGroup: "领导", Trigger: policy.TriggerVisit, Visitor: domain.VisitorDistrict},
		{ID: "8", Name: "街镇领导走访", Unit: policy.PerHousehold, Kind: policy.ItemFixed, Amount: 500, Fund: "慰问经费", Dept: "街镇领导",
			ExclusiveGroup: "领导", Trigger: policy.TriggerVisit, Visitor: domain.VisitorStreet},
	}
	if !reflect.DeepEqual(p.Items, wantItems) {
		t.Errorf("items\n got %+v\nwant %+v", p.Items, wantItems)
	}
	wantCats := []policy.Category{
		{Key: "特困", Level: policy.PerPerson, Items: []string{"1"}, Aliases: []string{"特困供养"}},
		{Key: "低保", Level: policy.PerHousehold, Items: []string{"2"}},
		{Key: "妇联", Level: policy.PerPerson, Items: []string{"3"}, Aliases: []string{"妇联慰问"}},
		{Key: "其他困难", Level: policy.PerHousehold, Items: []string{"4"}},
		{Key: "两新党员", Level: policy.PerHousehold, Items: []string{"5"}},
		{Key: "红十字", Level: policy.PerPerson, Items: []string{"6"}},
	}
	if !reflect.DeepEqual(p.Categories, wantCats) {
		t.Errorf("categories\n got %+v\nwant %+v", p.Categories, wantCats)
	}
	if got, want := p.Words(), []string{"两新党员", "其他困难", "妇联慰问", "特困供养", "红十字", "低保", "妇联", "特困"}; !slices.Equal(got, want) {
		t.Errorf("Words() = %v, want %v", got, want)
	}
}

// polMarshal writes a parsed policy back in the file format, so a round
// trip shows the parser reads every field it is given.
func polMarshal(t *testing.T, p *policy.Policy) []byte {
	t.Helper()
	type item struct {
		ID             string      `yaml:"id"`
		Name           string      `yaml:"name"`
		Short          string      `yaml:"short,omitempty"`
		Unit           policy.Unit `yaml:"unit,omitempty"`
		Kind           string      `yaml:"kind"`
		Amount         *int64      `yaml:"amount,omitempty"`
		Step           *int64      `yaml:"step,omitempty"`
		Min            *int64      `yaml:"min,omitempty"`
		Max            *int64      `yaml:"max,omitempty"`
		Budget         *int64      `yaml:"budget,omitempty"`
		Fund           string      `yaml:"fund"`
		Dept           string      `yaml:"dept"`
		Note           string      `yaml:"note,omitempty"`
		BandGroup      string      `yaml:"band_group,omitempty"`
		ExclusiveGroup string      `yaml:"exclusive_group,omitempty"`
		Exclude        []string    `yaml:"exclude_persons_of,omitempty"`
		Trigger        string      `yaml:"trigger"`
		Visitor        string      `yaml:"visitor,omitempty"`
	}
	type category struct {
		Key     string      `yaml:"key"`
		Level   policy.Unit `yaml:"level"`
		Items   []string    `yaml:"items"`
		Aliases []string    `yaml:"aliases,omitempty"`
	}
	type file struct {
		Name       string     `yaml:"name"`
		Version    string     `yaml:"version"`
		Document   string     `yaml:"document,omitempty"`
		Items      []item     `yaml:"items"`
		Categories []category `yaml:"categories"`
	}
	f := file{Name: p.Name, Version: p.Version, Document: p.Document}
	for _, it := range p.Items {
		x := item{ID: it.ID, Name: it.Name, Short: it.Short, Unit: it.Unit, Kind: string(it.Kind), Fund: it.Fund, Dept: it.Dept, Note: it.Note,
			BandGroup: it.BandGroup, ExclusiveGroup: it.ExclusiveGroup, Exclude: it.ExcludePersonsOf, Trigger: string(it.Trigger), Visitor: string(it.Visitor)}
		switch it.Kind {
		case policy.ItemFixed, policy.ItemAverage:
			x.Amount = &it.Amount
		case policy.ItemScale:
			x.Amount, x.Step = &it.Amount, &it.Step
		case policy.ItemRange:
			x.Min, x.Max = &it.Min, &it.Max
		case policy.ItemBudget:
			if it.Budget != 0 {
				x.Budget = &it.Budget
			}
		}
		f.Items = append(f.Items, x)
	}
	for _, c := range p.Categories {
		f.Categories = append(f.Categories, category{c.Key, c.Level, c.Items, c.Aliases})
	}
	out, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParsePolicyRoundTrip(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"good.yaml": good, "default.yaml": policy.DefaultYAML()} {
		p, err := policy.Parse(data, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := policy.Parse(polMarshal(t, p), "again.yaml")
		if err != nil {
			t.Fatalf("%s written back: %v", name, err)
		}
		if !reflect.DeepEqual(p, again) {
			t.Errorf("%s changes on a round trip:\n%+v\n%+v", name, p, again)
		}
	}
}

// polBase is a valid policy; error cases change one part of it.
const polBase = `name: 测试区
version: "1"
items:
  - id: "1"
    name: 特困供养人员
    unit: person
    kind: fixed
    amount: 1000
    fund: 财政
    dept: 民政局
categories:
  - key: 特困
    level: person
    items: ["1"]
`

func TestParsePolicyBaseIsGood(t *testing.T) {
	if _, err := policy.Parse([]byte(polBase), "p.yaml"); err != nil {
		t.Fatal(err)
	}
}

var polMarkRE = regexp.MustCompile(`#@(\d)\s*$`)

// polExpect replaces @1, @2 … in want with the lines of the file marked
// "#@1", "#@2" …: the line each problem must be reported on.
func polExpect(t *testing.T, file string, want []string) []string {
	t.Helper()
	marks := map[string]string{}
	for i, l := range strings.Split(file, "\n") {
		if m := polMarkRE.FindStringSubmatch(l); m != nil {
			marks["@"+m[1]] = fmt.Sprint(i + 1)
		}
	}
	var out []string
	for _, w := range want {
		w = regexp.MustCompile(`@\d`).ReplaceAllStringFunc(w, func(m string) string {
			l, ok := marks[m]
			if !ok {
				t.Fatalf("no mark %s in the file", m)
			}
			return l
		})
		out = append(out, w)
	}
	return out
}

func TestParsePolicyErrors(t *testing.T) {
	item2 := `  - id: "2"
    name: 低保家庭
    unit: household
    kind: scale
    amount: 700
    step: 100
    fund: 财政
    dept: 民政局
`
	tests := []struct {
		name string
		file string
		want []string
	}{
		{"missing field: the item's line",
			strings.Replace(polBase, "    fund: 财政\n", "", 1),
			[]string{"p.yaml:4: items[0].fund: 不能为空"}},
		{"empty field: its own line",
			strings.Replace(polBase, "fund: 财政", `fund: "" #@1`, 1),
			[]string{"p.yaml:@1: items[0].fund: 不能为空"}},
		{"unknown key in an item",
			strings.Replace(polBase, "    amount: 1000", "    amout: 1000 #@1", 1),
			[]string{"p.yaml:4: items[0].amount: fixed 项目必须填 amount", "p.yaml:@1: items[0].amout: 未知字段，是不是 amount？"}},
		{"unknown key at the top",
			polBase + "colour: red #@1\n",
			[]string{"p.yaml:@1: colour: 未知字段，可用的键：name、version、document、items、categories"}},
		{"unknown key in a category",
			polBase + "    alias: [特困人员] #@1\n",
			[]string{"p.yaml:@1: categories[0].alias: 未知字段，是不是 aliases？"}},
		{"unit",
			strings.Replace(polBase, "unit: person", "unit: people #@1", 1),
			[]string{"p.yaml:@1: items[0].unit: 应为 person 或 household"}},
		{"kind",
			strings.Replace(polBase, "kind: fixed", "kind: fixd #@1", 1),
			[]string{"p.yaml:@1: items[0].kind: 应为 fixed、scale、average、range、discretionary 或 budget"}},
		{"amount with a unit",
			strings.Replace(polBase, "amount: 1000", "amount: 1000元 #@1", 1),
			[]string{"p.yaml:@1: items[0].amount: 应为整数（元），例如 1000"}},
		{"amount quoted",
			strings.Replace(polBase, "amount: 1000", `amount: "1000" #@1`, 1),
			[]string{"p.yaml:@1: items[0].amount: 应为整数（元），例如 1000"}},
		{"amount zero",
			strings.Replace(polBase, "amount: 1000", "amount: 0 #@1", 1),
			[]string{"p.yaml:@1: items[0].amount: 应大于0"}},
		{"a field the kind does not use",
			strings.Replace(polBase, "    amount: 1000\n", "    amount: 1000\n    min: 500 #@1\n", 1),
			[]string{"p.yaml:@1: items[0].min: fixed 项目不用填 min"}},
		{"range upside down",
			strings.Replace(polBase, "    kind: fixed\n    amount: 1000\n", "    kind: range\n    min: 2000\n    max: 500 #@1\n", 1),
			[]string{"p.yaml:@1: items[0].max: 不能小于 min（2000）"}},
		{"scale per person",
			strings.Replace(polBase, "kind: fixed\n    amount: 1000", "kind: scale\n    amount: 700\n    step: 100", 1),
			[]string{"p.yaml:6: items[0].unit: scale 项目按户人数计，应为 household"}},
		{"scale without step",
			strings.Replace(polBase, "unit: person\n    kind: fixed", "unit: household\n    kind: scale", 1),
			[]string{"p.yaml:4: items[0].step: scale 项目必须填 step"}},
		{"duplicate id",
			strings.Replace(polBase, `  - id: "1"`, `  - id: "1" #@2`, 1),
			nil}, // filled below
		{"duplicate key",
			strings.Replace(polBase, "    kind: fixed\n", "    kind: fixed #@2\n    kind: fixed #@1\n", 1),
			[]string{"p.yaml:@1: items[0].kind: 重复的字段（第@2行已有）"}},
		{"category names a missing item",
			strings.Replace(polBase, `items: ["1"]`, `items: ["1", "9"] #@1`, 1),
			[]string{`p.yaml:@1: categories[0].items[1]: 没有编号为“9”的项目`}},
		{"alias used by two categories",
			strings.Replace(polBase, "  - key: 特困\n", "  - key: 特困 #@2\n", 1) + "  - key: 特困人员\n    level: person\n    items: [\"1\"]\n    aliases: [特困] #@1\n",
			[]string{"p.yaml:@1: categories[1].aliases[0]: “特困”已用于 categories[0]（第@2行），一个词只能指一个类别"}},
		{"alias with a digit",
			polBase + "    aliases: [特困1] #@1\n",
			[]string{"p.yaml:@1: categories[0].aliases[0]: “特困1”不能含数字：人数和金额紧跟在类别后面写（特困供养1人），会分不开"}},
		{"alias the normaliser would rewrite",
			polBase + "    aliases: [一户多残] #@1\n",
			[]string{"p.yaml:@1: categories[0].aliases[0]: “一户多残”含“一户”，聊天输入会把它换成阿拉伯数字，请换个写法"}},
		{"item no category triggers",
			strings.Replace(polBase, "categories:", item2+"categories:", 1),
			[]string{"p.yaml:11: items[1]: 没有类别触发项目“2”：在某个类别的 items 里加上它，或删去这个项目"}},
		{"visit without visitor",
			strings.Replace(polBase, "    dept: 民政局\n", "    dept: 民政局\n  - id: \"2\" #@1\n    name: 区领导走访\n    unit: household\n    kind: fixed\n    amount: 1000\n    fund: 慰问经费\n    dept: 区领导\n    trigger: visit\n", 1),
			[]string{"p.yaml:@1: items[1].visitor: trigger: visit 的项目必须填 visitor（区领导 或 街镇领导）"}},
		{"visit by someone unknown, per person",
			strings.Replace(polBase, "    dept: 民政局\n", "    dept: 民政局\n  - id: \"2\"\n    name: 市领导走访\n    unit: person\n    kind: fixed\n    amount: 1000\n    fund: 慰问经费\n    dept: 市领导\n    trigger: visit #@2\n    visitor: 市领导 #@1\n", 1),
			[]string{"p.yaml:@2: items[1].trigger: 走访触发的项目应为 kind: fixed、unit: household", "p.yaml:@1: items[1].visitor: 应为 区领导 或 街镇领导"}},
		{"visitor on a registration item",
			strings.Replace(polBase, "    dept: 民政局\n", "    dept: 民政局\n    visitor: 区领导 #@1\n", 1),
			[]string{"p.yaml:@1: items[0].visitor: 只有 trigger: visit 的项目才填 visitor"}},
		{"bad trigger",
			strings.Replace(polBase, "    dept: 民政局\n", "    dept: 民政局\n    trigger: phone #@1\n", 1),
			[]string{"p.yaml:@1: items[0].trigger: 应为 register 或 visit"}},
		{"band group on a household item",
			strings.Replace(polBase, "categories:", item2+"    band_group: 残联 #@1\ncategories:", 1) + "  - key: 低保\n    level: household\n    items: [\"2\"]\n",
			[]string{"p.yaml:@1: items[1].band_group: 只用于登记触发、按人（person）的 fixed 项目"}},
		{"exclusion of a missing item",
			strings.Replace(polBase, "categories:", item2+"    exclude_persons_of: [\"1\", \"7\"] #@1\ncategories:", 1) + "  - key: 低保\n    level: household\n    items: [\"2\"]\n",
			[]string{"p.yaml:@1: items[1].exclude_persons_of[1]: 没有编号为“7”的项目"}},
		{"exclusion of itself",
			strings.Replace(polBase, "categories:", item2+"    exclude_persons_of: [\"2\"] #@1\ncategories:", 1) + "  - key: 低保\n    level: household\n    items: [\"2\"]\n",
			[]string{"p.yaml:@1: items[1].exclude_persons_of[0]: 不能扣除自己"}},
		{"exclusion of a household item",
			strings.Replace(polBase, "categories:", item2+"categories:", 1) + "  - key: 低保\n    level: household\n    items: [\"2\"]\n    \n",
			nil}, // filled below
		{"category triggers a visit item",
			strings.Replace(polBase, "    dept: 民政局\n", "    dept: 民政局\n  - id: \"2\"\n    name: 区领导走访\n    unit: household\n    kind: fixed\n    amount: 1000\n    fund: 慰问经费\n    dept: 区领导\n    trigger: visit\n    visitor: 区领导\n", 1) +
				"  - key: 领导\n    level: household\n    items: [\n      \"2\" #@1\n    ]\n",
			[]string{"p.yaml:@1: categories[1].items[0]: 项目“2”由走访触发，不能由登记类别触发"}},
		{"two alternatives in one category",
			strings.Replace(strings.Replace(polBase, "    dept: 民政局\n", "    dept: 民政局\n    exclusive_group: 一般\n", 1), "categories:",
				strings.Replace(item2, "    dept: 民政局\n", "    dept: 民政局\n    exclusive_group: 一般\n", 1)+"categories:", 1) + "  - key: 低保\n    level: household\n    items: [\"2\", \"1\"] #@1\n",
			[]string{"p.yaml:@1: categories[1].items[1]: 项目“2”和“1”同属 exclusive_group 一般，不能由同一类别触发"}},
		{"range item of two categories",
			strings.Replace(polBase, "kind: fixed\n    amount: 1000", "kind: range\n    min: 500\n    max: 2000", 1) +
				"  - key: 妇联\n    level: person\n    items: [\"1\"] #@1\n",
			[]string{"p.yaml:@1: categories[1].items[0]: 项目“1”已由 categories[0] 触发；range 项目只能由一个类别触发，否则金额或人数无法归属"}},
		{"category level and empty items",
			polBase + "  - key: 优抚\n    level: everyone #@2\n    items: [] #@3\n",
			[]string{"p.yaml:@2: categories[1].level: 应为 person 或 household", "p.yaml:@3: categories[1].items: 不能为空，写这个类别触发的项目编号，例如 [\"2\", \"6\"]"}},
		{"top level missing",
			"document: x\n",
			[]string{"p.yaml:1: name: 不能为空", "p.yaml:1: version: 不能为空", "p.yaml:1: items: 不能为空", "p.yaml:1: categories: 不能为空"}},
		{"items not a list",
			"name: a\nversion: b\nitems: 3 #@1\ncategories: {} #@2\n",
			[]string{"p.yaml:@1: items: 应为非空列表，每项一个补助标准", "p.yaml:@2: categories: 应为非空列表，每项一个登记类别"}},
		{"not a mapping",
			"- 1\n- 2\n",
			[]string{"p.yaml:1: 应为映射（key: value），可用的键：name、version、document、items、categories"}},
		{"empty file",
			"",
			[]string{"p.yaml:1: 文件是空的，应有 name、version、items、categories"}},
		{"tab indentation",
			"name: a\n\tversion: b\n",
			[]string{"p.yaml:2: YAML 格式错误：缩进用了 Tab，请改用空格（found a tab character that violates indentation）"}},
		{"unbalanced bracket: the line of the list",
			strings.Replace(polBase, `items: ["1"]`, `items: ["1" #@1`, 1),
			[]string{"p.yaml:@1: YAML 格式错误：方括号 [ ] 没有配对（did not find expected ',' or ']'）"}},
		{"bad indentation: the line",
			"name: a\n version: b #@1\n",
			[]string{"p.yaml:@1: YAML 格式错误：冒号位置不对：缩进有误，或值里的冒号要加引号（mapping values are not allowed in this context）"}},
		{"bad indentation in a list: the line the list starts",
			"name: a\nitems:\n  - id: x #@1\n   name: y\n",
			[]string{"p.yaml:@1: YAML 格式错误：列表缩进不对齐（did not find expected '-' indicator）"}},
		{"a second document",
			strings.Replace(polBase, "fund: 财政", `fund: "" #@1`, 1) + "--- #@2\nname: b\n",
			[]string{"p.yaml:@1: items[0].fund: 不能为空", "p.yaml:@2: 文件里有第二个 YAML 文档：只留一个，删去 --- 那一行"}},
		{"unclosed quote: the last line",
			polBase + "document: \"x #@1\n",
			[]string{"p.yaml:@1: YAML 格式错误：引号没有配对（found unexpected end of stream）"}},
		{"a merge key",
			strings.Replace(polBase, "    fund: 财政\n", "    <<: {fund: 财政} #@1\n", 1),
			[]string{"p.yaml:4: items[0].fund: 不能为空", "p.yaml:@1: items[0].<<: 不支持合并键 <<，请把每个字段写全"}},
		{"colon in a plain value",
			"name: a\nversion: b: c #@1\n",
			[]string{"p.yaml:@1: YAML 格式错误：冒号位置不对：缩进有误，或值里的冒号要加引号（mapping values are not allowed in this context）"}},
	}
	for i := range tests {
		switch tests[i].name {
		case "duplicate id":
			tests[i].file = strings.Replace(tests[i].file, "categories:", `  - id: "1" #@1
    name: 另一个
    unit: person
    kind: fixed
    amount: 1
    fund: 财政
    dept: 民政局
categories:`, 1)
			tests[i].want = []string{"p.yaml:@1: items[1].id: 编号“1”重复（第@2行已用）"}
		case "exclusion of a household item":
			tests[i].file = strings.Replace(tests[i].file, "    dept: 民政局\n", "    dept: 民政局\n    exclude_persons_of: [\"2\"] #@1\n", 1)
			tests[i].want = []string{"p.yaml:@1: items[0].exclude_persons_of[0]: 项目“2”不是按人计的，无法扣除人数"}
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tc.file), "p.yaml")
			var pe *policy.Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, %v; want a *Error\n%s", p, err, tc.file)
			}
			if p != nil {
				t.Error("a policy came back with the error")
			}
			want := polExpect(t, tc.file, tc.want)
			if got := pe.Lines(); !slices.Equal(got, want) {
				t.Errorf("problems\n got %q\nwant %q\nfile:\n%s", got, want, tc.file)
			}
			if err.Error() != strings.Join(pe.Lines(), "\n") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestParsePolicySeveralErrorsAtOnce(t *testing.T) {
	file := `name: 测试区
version: "1"
colour: red #@1
items:
  - id: "1"
    name: 特困供养人员
    unit: people #@2
    kind: fixed
    amount: 1000
    dept: 民政局
  - id: "2" #@3
    name: 妇联
    unit: person
    kind: range
    min: 500
    max: 2000
    fund: 妇联拨款
    dept: 妇联
categories:
  - key: 特困
    level: person
    items: ["1", "3"] #@4
  - key: 妇联
    level: person
    items: ["2"]
    aliases: [特困] #@5
`
	want := polExpect(t, file, []string{
		"p.yaml:@1: colour: 未知字段，可用的键：name、version、document、items、categories",
		"p.yaml:5: items[0].fund: 不能为空",
		"p.yaml:@2: items[0].unit: 应为 person 或 household",
		"p.yaml:@4: categories[0].items[1]: 没有编号为“3”的项目",
		"p.yaml:@5: categories[1].aliases[0]: “特困”已用于 categories[0]（第20行），一个词只能指一个类别",
	})
	_, err := policy.Parse([]byte(file), "p.yaml")
	var pe *policy.Error
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *Error", err)
	}
	if got := pe.Lines(); !slices.Equal(got, want) {
		t.Errorf("problems\n got %q\nwant %q", got, want)
	}
	if pe.Source != "p.yaml" || len(pe.Problems) != 5 || pe.Problems[1] != (policy.Problem{Line: 5, Key: "items[0].fund", Msg: "不能为空"}) {
		t.Errorf("Error %+v", pe)
	}
}

// A district's own file replaces the default, and Entitle follows it.
func TestParsePolicyDrivesEntitle(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(data, "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := policy.Entitle(p, polHousehold(3, polClaim("低保", 0), polClaim("特困供养", 1), polPaid("其他困难", 0, 300), polClaim("两新党员", 0)))
	if err != nil {
		t.Fatal(err)
	}
	want := []polLine{{"1", 1, 1000, false}, {"2", 2, 800, false}, {"4", 0, 300, false}, {"5", 0, 500, false}}
	if got := polLines(e); !slices.Equal(got, want) || e.Total != 2600 || e.Policy != "测试区2024" || e.PolicyVersion != "7" {
		t.Errorf("got %+v total %d under %s %s, want %+v total 2600 under 测试区2024 7", got, e.Total, e.Policy, e.PolicyVersion, want)
	}
	if it, ok := p.LeaderItem(domain.VisitorStreet); !ok || it.Item != "8" || it.Amount != 500 {
		t.Errorf("LeaderItem(街镇领导) = %+v, %v", it, ok)
	}
}
