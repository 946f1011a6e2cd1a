package bot

import (
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"songnuan/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the replies")

// checkGolden compares got with testdata/name.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	testkit.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// TestStoreFreeRepliesGolden keeps the replies that need no store: help
// for each role, the standards, format hints.
func TestStoreFreeRepliesGolden(t *testing.T) {
	b := newTestBot(t, noStore{t})
	var sb strings.Builder
	for _, c := range []struct{ user, text string }{
		{"wang", "帮助"}, {"li", "帮助"}, {"admin", "帮助"},
		{"wang", "标准"}, {"wang", "标准 低保 3人"}, {"wang", "标准 特困"}, {"wang", "标准 妇联"}, {"wang", "标准 其他困难"},
		{"wang", "标准 打麻将"}, {"wang", "你好"}, {"li", "你好"},
		{"wang", "走访 甲一"}, {"wang", "登记 甲一 低保 3人 电话:12345"},
		{"wang", "走访 甲一 发放900元 日期:2月30日"},
	} {
		r, err := b.Handle(context.Background(), Incoming{MsgID: "1", From: c.user, MsgType: "text", Text: c.text})
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		sb.WriteString("> " + c.user + ": " + c.text + "\n" + r.Text + "\n\n")
		if len(r.Text) > 2048 {
			t.Errorf("%s: reply is %d bytes, over WeCom's 2048 for a passive reply", c.text, len(r.Text))
		}
	}
	checkGolden(t, "store_free", sb.String())
}
