package understand

import "testing"

// TestStripTrailing: a question mark, full stop or particle at the end
// never changes the command, and nothing else is cut.
func TestStripTrailing(t *testing.T) {
	for in, want := range map[string]string{
		"进度？": "进度", "进度吗": "进度", "待办。": "待办", "走访 周建华 发放900元吧": "走访 周建华 发放900元",
		"查询 周建华？？": "查询 周建华", "?": "?", "帮助！": "帮助", "二村呢？": "二村", "吗": "吗", "标准 低保 3人": "标准 低保 3人",
	} {
		if got := StripTrailing(in); got != want {
			t.Errorf("StripTrailing(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClean: invisible characters go, full-width forms become plain.
func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"零\u200b宽户": "零宽户", "周\u202e建华": "周建华", "９００元": "900元", "\ufeff登记": "登记",
	} {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if _, ok := CleanName("王大锤是个很长很长很长很长很长的名字吧还要更长"); ok {
		t.Error("CleanName accepted a name of more than 20 characters")
	}
}
