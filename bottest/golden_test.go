package bottest_test

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"songnuan/bottest"
	"songnuan/internal/testkit"
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
	testkit.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
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
