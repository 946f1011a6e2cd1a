package bottest_test

import (
	"testing"

	"songnuan/bottest"
	"songnuan/domain"
)

// TestCorrectADonation: a donation recorded with the wrong amount is set
// right by 更正捐款, the committee's total moving with it; a re-delivery
// changes nothing more, and a source never recorded is answered with the
// ones that were.
func TestCorrectADonation(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "捐款 一日捐 5000元")
	bt.Say(t, "wang", "捐款 募捐 800元")
	id := bt.NextMsgID()
	r, err := bt.Deliver("wang", id, "更正捐款 一日捐 4500元")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r.Text, "已更正捐款：一日捐 5000元→4500元", "甘泉一村累计捐款 5300元")
	if again, err := bt.Deliver("wang", id, "更正捐款 一日捐 4500元"); err != nil || again.Text != r.Text {
		t.Errorf("re-delivery answered %q %v, want the first answer", again.Text, err)
	}
	if got := bt.Counters(t, "甘泉一村")[domain.CtrDonations]; got != 5300 {
		t.Errorf("donations %d after the correction, want 5300", got)
	}
	mustContain(t, bt.Say(t, "wang", "更正捐款 募捐 0元"), "募捐 800元→0元", "甘泉一村累计捐款 4500元")
	mustContain(t, bt.Say(t, "wang", "更正捐款 慈善 100元"), "没有来源为“慈善”的捐款", "一日捐", "更正捐款 一日捐 4500元")
	mustContain(t, bt.Say(t, "chen", "更正捐款 一日捐 100元 居委:甘泉一村"), "只能办理本居委")
}

// TestUndoAReport: a task reported by mistake goes back to not reported
// with 撤销上报, and can be reported again; one never reported is said so.
func TestUndoAReport(t *testing.T) {
	bt := bottest.New(t)
	mustContain(t, bt.Say(t, "wang", "上报 名单"), "已上报“列出帮困对象名单")
	mustContain(t, bt.Say(t, "wang", "撤销上报 名单"), "已撤销上报：甘泉一村 的“列出帮困对象名单", "改回未上报")
	mustContain(t, bt.Say(t, "wang", "待办"), "列出帮困对象名单")
	mustNotContain(t, bt.Say(t, "wang", "待办"), "分类上报（已完成）")
	mustContain(t, bt.Say(t, "wang", "撤销上报 名单"), "还没有上报")
	mustContain(t, bt.Say(t, "wang", "上报 名单"), "已上报“列出帮困对象名单")
	mustContain(t, bt.Say(t, "wang", "撤销上报 3"), "不用上报")
}
