package understand

import (
	"testing"
	"unicode/utf8"
)

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

// TestMayTrail: the quick test of a message's last rune agrees with the
// punctuation and particles stripTrailing strips.
func TestMayTrail(t *testing.T) {
	for _, r := range trailingPunct {
		if !mayTrail(r) {
			t.Errorf("mayTrail(%q) = false, but %q is trailing punctuation", r, r)
		}
	}
	for _, p := range trailingParticles {
		r, _ := utf8.DecodeLastRuneInString(p)
		if !mayTrail(r) {
			t.Errorf("mayTrail(%q) = false, but %q is a trailing particle", r, p)
		}
	}
}

// TestIsConfirmation: the yes words, with punctuation or in full width,
// and nothing else.
func TestIsConfirmation(t *testing.T) {
	for _, s := range []string{"是", "是的", "对", "好", "确认", "嗯", "ok", "OK", "1", "是！", "ｏｋ", "１", " 是 ", "好的。"} {
		if !IsConfirmation(s) {
			t.Errorf("IsConfirmation(%q) = false", s)
		}
	}
	for _, s := range []string{"不", "不是", "帮助", "是不是", "好的，马上去", "11", "否", "2", ""} {
		if IsConfirmation(s) {
			t.Errorf("IsConfirmation(%q) = true", s)
		}
	}
}
