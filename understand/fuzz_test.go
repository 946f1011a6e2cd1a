package understand

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRead reads arbitrary text as each role: it must never panic, and
// whatever it proposes must be valid UTF-8 and never longer than a phone
// screen's worth of command.
func FuzzRead(f *testing.F) {
	w := loadWorld(f)
	it := New(w.committees, w.cats)
	for _, c := range loadCorpus(f) {
		f.Add(c.texts[len(c.texts)-1])
	}
	f.Add("走访 \u200b周建华\u202e 发放九百万亿元")
	f.Add("其中一千人特困 其中 ")
	f.Add("身份证 3101 0519 62")
	f.Add("1.")
	f.Add("编号")
	f.Fuzz(func(t *testing.T, text string) {
		for _, role := range []Role{Worker, Leader, Admin} {
			in := Input{Text: text, Role: role, Today: w.today}
			if role == Worker {
				in.Committee, in.Heads = w.committee, w.heads
			}
			r := it.Read(in)
			if !utf8.ValidString(r.Command) {
				t.Fatalf("%q as %s: command %q is not UTF-8", text, role, r.Command)
			}
			if r.Mode == Inferred && r.Intent.Changes() && strings.TrimSpace(r.Command) == "" {
				t.Fatalf("%q as %s: an inferred change with no command", text, role)
			}
			prev := r
			in.Prev = &prev
			it.Read(in)
		}
	})
}
