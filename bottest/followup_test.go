package bottest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/bottest"
)

// followUpBot is a bot whose two committees have households in more than
// one category, some visited, so that a committee's summary, its
// categories and its funds are three different answers.
func followUpBot(t *testing.T) *bottest.Bot {
	t.Helper()
	bt := bottest.New(t)
	for _, s := range []struct{ user, text string }{
		{"wang", "登记 周建华 低保 3人"},
		{"wang", "登记 王秀英 特困 1人"},
		{"wang", "走访 周建华 发放900元"},
		{"chen", "登记 李国强 低保 2人"},
		{"chen", "登记 张桂芳 特困 1人"},
		{"chen", "走访 张桂芳 发放1460元"},
	} {
		if got := bt.Say(t, s.user, s.text); !strings.Contains(got, "已") {
			t.Fatalf("%s %q = %q", s.user, s.text, got)
		}
	}
	return bt
}

// answer is what a reply shows, as text or markdown.
func answer(t *testing.T, bt *bottest.Bot, user, text string) bot.Reply {
	t.Helper()
	r, err := bt.Deliver(user, bt.NextMsgID(), text)
	if err != nil {
		t.Fatalf("%s %q: %v", user, text, err)
	}
	return r
}

func shown(r bot.Reply) string { return r.Text + r.Markdown }

// TestFollowUpAsksThePreviousQuestionAgain: 二村呢？ after a question
// about 一村 is that question, in the same view, for 甘泉二村, answered
// exactly as its canonical form; a worker's follow-up is checked as the
// canonical form would be, so another committee stays refused. The
// canonical answer is asked by a colleague of the same committee after
// the earlier messages (a leader's change nothing), so the sender's own
// last question stays theirs.
func TestFollowUpAsksThePreviousQuestionAgain(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		before []string // the earlier questions
		then   string   // the follow-up
		want   string   // the canonical command it must answer as
	}{
		{"categories", "li", []string{"一村特困户走访完了没有"}, "二村呢？", "进度 甘泉二村 类别"},
		{"funds", "li", []string{"一村资金怎么样"}, "那二村呢", "进度 甘泉二村 资金"},
		{"summary", "li", []string{"进度 甘泉一村"}, "二村呢", "进度 甘泉二村"},
		{"canonical view", "li", []string{"进度 甘泉一村 资金"}, "二村呢", "进度 甘泉二村 资金"},
		{"street categories", "li", []string{"特困户走访完了没有"}, "二村呢", "进度 甘泉二村 类别"},
		{"a chain", "li", []string{"一村资金怎么样", "二村呢"}, "一村呢", "进度 甘泉一村 资金"},
		{"no question before", "li", nil, "二村呢", "进度 甘泉二村"},
		{"after a change", "wang", []string{"进度 甘泉一村 类别", "登记 赵淑珍 低保 1人"}, "甘泉一村呢", "进度 甘泉一村 类别"},
		{"a household", "wang", []string{"查询 周建华"}, "王秀英呢", "查询 王秀英"},
		{"a worker's own committee", "wang", []string{"我们的资金怎么样"}, "一村呢", "进度 甘泉一村 资金"},
		{"a worker asks for another", "wang", []string{"进度 甘泉一村 类别"}, "那甘泉二村呢", "进度 甘泉二村 类别"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bt := followUpBot(t)
			var want bot.Reply
			if tt.user == "li" {
				want = answer(t, bt, tt.user, tt.want)
			}
			for _, q := range tt.before {
				answer(t, bt, tt.user, q)
			}
			if tt.user == "wang" {
				want = answer(t, bt, "zhao", tt.want) // wang's colleague in 甘泉一村
			}
			got := answer(t, bt, tt.user, tt.then)
			if shown(got) != shown(want) || got.Refused != want.Refused {
				t.Errorf("%q after %q =\n%s\nwant the answer to %q:\n%s", tt.then, tt.before, shown(got), tt.want, shown(want))
			}
		})
	}
}

// TestFollowUpViewsDiffer makes sure the follow-up tests can tell the
// views apart: each answers differently.
func TestFollowUpViewsDiffer(t *testing.T) {
	bt := followUpBot(t)
	seen := map[string]string{}
	for _, c := range []string{"进度 甘泉二村", "进度 甘泉二村 类别", "进度 甘泉二村 资金", "进度 甘泉一村 资金"} {
		s := shown(answer(t, bt, "li", c))
		if other, ok := seen[s]; ok {
			t.Errorf("%q answers as %q does:\n%s", c, other, s)
		}
		seen[s] = c
	}
	if got := answer(t, bt, "wang", "进度 甘泉二村 类别"); !got.Refused || strings.Contains(shown(got), "李国强") {
		t.Errorf("worker of 甘泉一村 asking for 甘泉二村 = %q, want a refusal", shown(got))
	}
}

// TestFollowUpForgottenAfterHalfAnHour: a question is remembered for 30
// minutes of campaign time; after that 二村呢 is 甘泉二村's summary again.
func TestFollowUpForgottenAfterHalfAnHour(t *testing.T) {
	for _, tt := range []struct {
		after time.Duration
		want  string
	}{
		{29 * time.Minute, "进度 甘泉二村 资金"},
		{31 * time.Minute, "进度 甘泉二村"},
	} {
		bt := followUpBot(t)
		answer(t, bt, "li", "一村资金怎么样")
		bt.SetNow(bt.Now().Add(tt.after))
		want := answer(t, bt, "li", tt.want)
		if got := answer(t, bt, "li", "二村呢"); shown(got) != shown(want) {
			t.Errorf("二村呢 %v after the question =\n%s\nwant the answer to %q:\n%s", tt.after, shown(got), tt.want, shown(want))
		}
	}
}

// TestFollowUpNeverChanges: whatever comes after a question, a follow-up
// is read as a question; a change is still restated and waits for 是, and
// a change found where the question is kept is not taken for one.
func TestFollowUpNeverChanges(t *testing.T) {
	bt := followUpBot(t)
	ctx := context.Background()
	before := bt.Counters(t, "甘泉一村")
	for _, text := range []string{"王秀英呢", "那王秀英呢？", "王秀英家呢 1460", "王秀英家也去过了，一千四百六", "二村呢"} {
		answer(t, bt, "wang", "查询 周建华")
		if got := shown(answer(t, bt, "wang", text)); strings.Contains(got, "已记录") || strings.Contains(got, "已撤销") {
			t.Errorf("%q after 查询 = %q, changed something", text, got)
		}
		bt.Say(t, "wang", "不") // drop whatever waits for a 是
	}
	// a change where the question is kept, as if written there
	v, err := json.Marshal(map[string]any{"cmd": "走访 王秀英 发放1460元", "exp": bt.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if err := bt.Store.RememberAsked(ctx, "wang", bt.Sealer.Seal(string(v)), time.Hour); err != nil {
		t.Fatal(err)
	}
	if got := shown(answer(t, bt, "wang", "王秀英呢")); strings.Contains(got, "已记录") || strings.Contains(got, confirmLine) {
		t.Errorf("王秀英呢 after a kept change = %q, want a question's answer", got)
	}
	if got := bt.Say(t, "wang", "是"); strings.Contains(got, "已记录") {
		t.Errorf("是 after it = %q, recorded something", got)
	}
	after := bt.Counters(t, "甘泉一村")
	for k, v := range before {
		if after[k] != v {
			t.Errorf("counter %s = %d after the follow-ups, was %d", k, after[k], v)
		}
	}
	if n := visitsOf(t, bt, "王秀英"); n != 0 {
		t.Errorf("王秀英 has %d visits after follow-ups, want 0", n)
	}
}
