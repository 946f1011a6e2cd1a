package bot

import (
	"slices"
	"testing"
)

func TestRouterMatches(t *testing.T) {
	b := newTestBot(t, noStore{t})
	tests := []struct {
		in, route string
		args      []string
	}{
		{"帮助", "help", nil},
		{"？", "help", nil},
		{"菜单", "help", nil},
		{"登记 甲一 低保 3人", "register", []string{"甲一 低保 3人"}},
		{"登记：甲一 低保 3人", "register", []string{"甲一 低保 3人"}},
		{"新增 甲一 低保 3人", "register", []string{"甲一 低保 3人"}},
		{"登记 甲八 低保 2人 登记失业1人", "register", []string{"甲八 低保 2人 登记失业1人"}},
		{"走访 甲一 发放900元", "visit", []string{"走访", "甲一 发放900元"}},
		{"慰问 编号3 发放九百元", "visit", []string{"慰问", "编号3 发放900元"}},
		{"补发 甲一 100元", "visit", []string{"补发", "甲一 100元"}},
		{"撤销", "undo", nil},
		{"撤回", "undo", nil},
		{"查询 甲一", "query", []string{"甲一"}},
		{"查 编号3", "query", []string{"编号3"}},
		{"标准", "standards", []string{""}},
		{"标准 低保 三人", "standards", []string{"低保 3人"}},
		{"待办", "todo", []string{""}},
		{"待办 居委:甘泉一村", "todo", []string{"居委:甘泉一村"}},
		{"未走访", "todo", []string{""}},
	}
	for _, tt := range tests {
		r, args := b.match(b.normalize(tt.in))
		if r == nil {
			t.Errorf("%q matched nothing, want %s", tt.in, tt.route)
			continue
		}
		if r.name != tt.route {
			t.Errorf("%q matched %s, want %s", tt.in, r.name, tt.route)
		}
		if tt.args != nil && !slices.Equal(args, tt.args) {
			t.Errorf("%q args = %q, want %q", tt.in, args, tt.args)
		}
	}
}

// TestRouterNearMisses lists texts that look like commands and must not
// run one.
func TestRouterNearMisses(t *testing.T) {
	b := newTestBot(t, noStore{t})
	for _, in := range []string{
		"登记",        // no arguments: answered with the format, not run
		"登记表怎么填",    // a question about the form
		"登记失业人员有哪些", // a category name starting with 登记
		"已登记",
		"请帮我登记 甲一",
		"走访",
		"走访完了",
		"明天去走访甲一",
		"撤销登记 甲一",
		"撤销了吗",
		"查询",
		"查询甲一", // needs a space: 查询… is too common a prefix in talk
		"标准是多少",
		"帮助我",
		"需要帮助",
		"待办事项很多",
		"我的待办呢",
		"help me",
		"低保 3人",
		"",
	} {
		if r, _ := b.match(b.normalize(in)); r != nil {
			t.Errorf("%q matched %s", in, r.name)
		}
	}
}
