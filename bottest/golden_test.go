package bottest_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"songnuan/bottest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the replies")

// step is one message of a scripted conversation.
type step struct{ user, text string }

// runScript plays steps against a fresh bot and returns the transcript.
func runScript(t *testing.T, bt *bottest.Bot, steps []step) string {
	t.Helper()
	var sb strings.Builder
	for _, s := range steps {
		got := bt.Say(t, s.user, s.text)
		sb.WriteString("> " + s.user + ": " + s.text + "\n")
		sb.WriteString(got + "\n\n")
	}
	return sb.String()
}

// checkGolden compares got with testdata/name.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, diff(string(want), got))
	}
}

// diff shows the first differing lines.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(i+1) + ":\nwant: " + wl + "\ngot:  " + gl
		}
	}
	return ""
}

func itoa(n int) string {
	var b []byte
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestConversationGolden(t *testing.T) {
	bt := bottest.New(t)
	got := runScript(t, bt, []step{
		{"wang", "帮助"},
		{"wang", "登记 甲一 低保 3人"},
		{"wang", "登记 甲四 1人 特困供养"},
		{"wang", "登记 甲五 低保 3人 特困供养1人 身份证:310107199001011232 电话:13812345678"},
		{"wang", "登记 甲八 低保 2人 登记失业1人"},
		{"wang", "登记 甲九 1人 妇联"},
		{"wang", "登记 甲一 低保 4人"},
		{"wang", "走访 甲一 发放一千元"},
		{"zhao", "走访 甲一 发放1000元"},
		{"wang", "走访 甲四 发放1000元 日期:1月18日 物品:大米一袋"},
		{"wang", "补发 甲四 460元"},
		{"wang", "走访 甲五 发放500元 走访人:街镇领导"},
		{"wang", "走访 甲五 发放1000元 走访人:区领导"},
		{"wang", "查询 甲五"},
		{"wang", "待办"},
		{"wang", "撤销"},
		{"wang", "标准 低保 3人"},
		{"li", "待办"},
		{"li", "查询 甲一"},
		{"chen", "查询 甲一"},
		{"chen", "查询 甲一 居委:甘泉一村"},
	})
	checkGolden(t, "conversation", got)
}
