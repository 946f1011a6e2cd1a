package bottest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/bottest"
)

const confirmLine = "回复“是”确认，回复其他内容取消"

// visitsOf is how many visits the committee's household with head has.
func visitsOf(t *testing.T, bt *bottest.Bot, head string) int {
	t.Helper()
	hs, err := bt.Store.FindByHead(context.Background(), "甘泉一村", head)
	if err != nil || len(hs) != 1 {
		t.Fatalf("FindByHead(%s) = %d households, %v", head, len(hs), err)
	}
	return len(hs[0].Visits)
}

// TestInferredVisitIsConfirmed walks a dictated visit: it is restated in
// its canonical form with the household's 编号 and what is due, nothing is
// recorded before 是, and the 是 — delivered three times at once, as WeCom
// does when the bot is slow — records it once and answers exactly what the
// canonical command answers.
func TestInferredVisitIsConfirmed(t *testing.T) {
	bt := bottest.New(t)
	twin := bottest.New(t) // the same history, told the canonical command
	for _, b := range []*bottest.Bot{bt, twin} {
		b.Say(t, "wang", "登记 周建华 低保 3人")
	}
	got := bt.Say(t, "wang", "嗯，周建华家昨天去过了，九百元已经给他了。")
	for _, want := range []string{"您是要：走访 周建华 发放900元 日期:1月19日", "周建华（编号1）应发900元，已发0元，本次发放900元", confirmLine} {
		if !strings.Contains(got, want) {
			t.Errorf("restatement %q lacks %q", got, want)
		}
	}
	if !strings.HasSuffix(got, confirmLine) {
		t.Errorf("restatement does not end with %q: %q", confirmLine, got)
	}
	if n := visitsOf(t, bt, "周建华"); n != 0 {
		t.Fatalf("%d visits recorded before the 是", n)
	}

	yes := bt.NextMsgID()
	want, err := twin.Deliver("wang", yes, "走访 周建华 发放900元 日期:1月19日")
	if err != nil {
		t.Fatal(err)
	}
	replies := bt.DeliverAtOnce(t, "wang", yes, "是", 3)
	if n := visitsOf(t, bt, "周建华"); n != 1 {
		t.Errorf("%d visits recorded after three deliveries of one 是, want 1", n)
	}
	if !containsString(replies, want.Text) {
		t.Errorf("replies to 是 %q, none is the canonical reply %q", replies, want.Text)
	}
	// a later re-delivery of the same 是 gets the same answer, and no visit
	if r, err := bt.Deliver("wang", yes, "是"); err != nil || r.Text != want.Text {
		t.Errorf("re-delivered 是 = %q, %v; want the canonical reply %q", r.Text, err, want.Text)
	}
	if n := visitsOf(t, bt, "周建华"); n != 1 {
		t.Errorf("%d visits after a re-delivery, want 1", n)
	}
	// a new 是 has nothing left to confirm
	if got := bt.Say(t, "wang", "是"); !strings.Contains(got, "没有待确认") {
		t.Errorf("a second 是 = %q, want nothing to confirm", got)
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestAnythingButYesDropsThePendingChange: 不 drops an inferred visit,
// and the 是 after it records nothing.
func TestAnythingButYesDropsThePendingChange(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 李国强 低保 4人")
	if got := bt.Say(t, "wang", "李国强家去过了 一千块给了"); !strings.HasSuffix(got, confirmLine) {
		t.Fatalf("no confirmation asked: %q", got)
	}
	if got := bt.Say(t, "wang", "不"); got != "好的，已取消，没有记录。" {
		t.Errorf("不 = %q, want only that the change was dropped", got)
	}
	if got := bt.Say(t, "wang", "是"); !strings.Contains(got, "没有待确认") {
		t.Errorf("是 after 不 = %q, want nothing to confirm", got)
	}
	if n := visitsOf(t, bt, "李国强"); n != 0 {
		t.Errorf("%d visits after 不, want 0", n)
	}
}

// TestRefusalWordsDropThePendingChange: a worker's 取消 or 算了 drops
// the pending change with one line (取消 is also the admin's broadcast
// word, so it must not be answered as a command the worker may not use);
// with nothing pending, 不 is read as any other message.
func TestRefusalWordsDropThePendingChange(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 李国强 低保 4人")
	for _, no := range []string{"取消", "算了。", "不对"} {
		if got := bt.Say(t, "wang", "李国强家去过了 一千块给了"); !strings.HasSuffix(got, confirmLine) {
			t.Fatalf("no confirmation asked: %q", got)
		}
		if got := bt.Say(t, "wang", no); got != "好的，已取消，没有记录。" {
			t.Errorf("%s = %q, want only that the change was dropped", no, got)
		}
	}
	if got := bt.Say(t, "wang", "不"); strings.Contains(got, "已取消") {
		t.Errorf("不 with nothing pending = %q, want no cancellation claimed", got)
	}
	if n := visitsOf(t, bt, "李国强"); n != 0 {
		t.Errorf("%d visits after refusals, want 0", n)
	}
}

// TestPendingChangeExpires: a 是 more than ten minutes after the
// restatement records nothing.
func TestPendingChangeExpires(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 王秀英 特困 1人")
	if got := bt.Say(t, "wang", "王秀英 1460 已发"); !strings.HasSuffix(got, confirmLine) {
		t.Fatalf("no confirmation asked: %q", got)
	}
	bt.SetNow(bt.Now().Add(11 * time.Minute))
	if got := bt.Say(t, "wang", "是"); !strings.Contains(got, "超过10分钟") {
		t.Errorf("late 是 = %q, want it to say the change expired", got)
	}
	if n := visitsOf(t, bt, "王秀英"); n != 0 {
		t.Errorf("%d visits after an expired 是, want 0", n)
	}
}

// TestLookAlikeVisitProposesTheHousehold: a canonical 走访 of a name that
// is a head's with an honorific, or one character off, proposes that
// household with its 编号 and never advises registering the look-alike.
func TestLookAlikeVisitProposesTheHousehold(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 周建华 低保 3人")
	for _, text := range []string{"走访 老周师傅 发放900元", "走访 周建花 发放900元", "走访 周阿姨 发放900元"} {
		got := bt.Say(t, "wang", text)
		if !strings.Contains(got, "走访 周建华 发放900元") || !strings.Contains(got, "编号1") || strings.Contains(got, "登记") {
			t.Errorf("%s = %q, want 周建华 (编号1) proposed and no registration advised", text, got)
		}
	}
	// a name like no head's is still told to register first
	if got := bt.Say(t, "wang", "走访 蒋文斌 发放900元"); !strings.Contains(got, "请先登记") {
		t.Errorf("visit to an unknown name = %q, want the advice to register", got)
	}
}

// TestLookAlikeRegistrationAsks: registering a name one character off a
// head of the same surname asks whether it is another household; 是 then
// registers it.
func TestLookAlikeRegistrationAsks(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 周建华 低保 3人")
	got := bt.Say(t, "wang", "登记 周建荣 低保 2人")
	if !strings.Contains(got, "周建华（编号1）") || !strings.Contains(got, "另一户") {
		t.Fatalf("look-alike registration = %q, want the question", got)
	}
	if got := bt.Say(t, "wang", "是"); !strings.Contains(got, "已登记：周建荣（编号2") {
		t.Errorf("是 = %q, want 周建荣 registered as 编号2", got)
	}
	// an exact head is an update, asked nothing
	if got := bt.Say(t, "wang", "登记 周建华 低保 4人"); !strings.Contains(got, "已更新") {
		t.Errorf("update = %q", got)
	}
	// a sentence is no name, however short of the 20-character cap
	if got := bt.Say(t, "wang", "登记 王大锤是个很长很长很长很长很长的名字吧 低保 3人"); !strings.Contains(got, "不像户主姓名") {
		t.Errorf("a sentence as a head = %q, want it refused", got)
	}
	// invisible characters no longer make a second household
	bt.Say(t, "wang", "登记 零宽户 低保 2人")
	if got := bt.Say(t, "wang", "登记 零\u200b宽户 低保 3人"); !strings.Contains(got, "已更新") {
		t.Errorf("零\\u200b宽户 = %q, want the update of 零宽户", got)
	}
}

// TestQuestionsAnswerAtOnce: read-only requests, canonical with a
// trailing ？ or written freely, answer without a confirmation.
func TestQuestionsAnswerAtOnce(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 周建华 低保 3人")
	for user, texts := range map[string][]string{
		"wang": {"进度？", "待办。", "还剩几家没跑", "周建华的钱发了吗", "最后期限是几号"},
		"li":   {"进度吗", "目前整体进展如何", "甘泉一村怎么样了"},
	} {
		for _, text := range texts {
			if got := bt.Say(t, user, text); strings.Contains(got, confirmLine) || strings.Contains(got, "没看懂") || strings.Contains(got, "您是想") {
				t.Errorf("%s %q = %q, want an answer", user, text, got)
			}
		}
	}
	if got := bt.Say(t, "li", "二村呢？"); strings.Contains(got, "查询") {
		t.Errorf("leader's follow-up = %q, offers 查询", got)
	}
}

// TestPendingRegistrationIsSealed: a registration waiting for its 是 may
// hold a whole ID and phone number; Redis keeps them sealed, and the
// restatement shows neither.
func TestPendingRegistrationIsSealed(t *testing.T) {
	bt := bottest.New(t)
	const id, phone = "11010519491231002X", "13812345678"
	got := bt.Say(t, "wang", "新增一户 蒋文斌，低保，三口人，身份证 "+id+"，手机"+phone)
	if !strings.HasSuffix(got, confirmLine) {
		t.Fatalf("no confirmation asked: %q", got)
	}
	if strings.Contains(got, id) || strings.Contains(got, phone) {
		t.Errorf("the restatement shows a whole number: %q", got)
	}
	kept, err := bt.Store.TakePending(context.Background(), "wang", "confirm")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(kept, id) || strings.Contains(kept, phone) || strings.Contains(kept, "蒋文斌") {
		t.Errorf("the pending change is kept in the clear: %q", kept)
	}
}

// TestInferredUndoNamesWhatItUndoes: 上一条撤掉 is restated with the
// record it would take back, and 是 takes it back.
func TestInferredUndoNamesWhatItUndoes(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 周建华 低保 3人")
	bt.Say(t, "wang", "走访 周建华 发放900元")
	got := bt.Say(t, "wang", "刚刚那条发错了，删掉")
	if !strings.Contains(got, "您是要：撤销") || !strings.Contains(got, "走访记录：周建华（编号1）") || !strings.HasSuffix(got, confirmLine) {
		t.Fatalf("undo restatement = %q", got)
	}
	if got := bt.Say(t, "wang", "是"); !strings.Contains(got, "已撤销走访记录") {
		t.Errorf("是 = %q, want the visit taken back", got)
	}
	if n := visitsOf(t, bt, "周建华"); n != 0 {
		t.Errorf("%d visits after the undo, want 0", n)
	}
}

// TestFormCommandsRunAsWritten: a command a form built (the workbench)
// is never restated: a look-alike registration from a form registers.
func TestFormCommandsRunAsWritten(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 周建华 低保 3人")
	r, err := bt.Handle(context.Background(), bot.Incoming{MsgID: "web:wang:1", From: "wang", MsgType: "text", Text: "登记 周建荣 低保 2人", At: bt.Now(), Form: true})
	if err != nil || !strings.Contains(r.Text, "已登记：周建荣") {
		t.Errorf("form registration = %q, %v; want it registered as written", r.Text, err)
	}
}
