package bot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"songnuan/domain"
	"songnuan/internal/campaigntest"
)

func (s noStore) AddCountersOnce(context.Context, CounterChange) (Applied, error) {
	s.fail("AddCountersOnce")
	return Applied{}, ErrUnavailable
}
func (s noStore) AddAudit(context.Context, AuditEntry) error {
	s.fail("AddAudit")
	return ErrUnavailable
}
func (s noStore) PutPending(context.Context, string, string, string, time.Duration) error {
	s.fail("PutPending")
	return ErrUnavailable
}
func (s noStore) TakePending(context.Context, string, string) (string, error) {
	s.fail("TakePending")
	return "", ErrUnavailable
}
func (s noStore) RememberAsked(context.Context, string, string, time.Duration) error {
	s.fail("RememberAsked")
	return ErrUnavailable
}
func (s noStore) LastAsked(context.Context, string) (string, error) {
	s.fail("LastAsked")
	return "", ErrUnavailable
}
func (s noStore) OpenRescue(context.Context, string, RescueReport) (RescueReport, bool, error) {
	s.fail("OpenRescue")
	return RescueReport{}, false, ErrUnavailable
}
func (s noStore) MarkRescueAlerted(context.Context, string, time.Time) error {
	s.fail("MarkRescueAlerted")
	return ErrUnavailable
}
func (s noStore) MarkRescueTarget(context.Context, string, string, time.Time) error {
	s.fail("MarkRescueTarget")
	return ErrUnavailable
}
func (s noStore) RescueTargetsReached(context.Context, string, []string) (map[string]bool, error) {
	s.fail("RescueTargetsReached")
	return nil, ErrUnavailable
}
func (s noStore) CloseRescue(context.Context, string, string, time.Time) (RescueReport, bool, error) {
	s.fail("CloseRescue")
	return RescueReport{}, false, ErrUnavailable
}
func (s noStore) UnalertedRescues(context.Context, int) ([]RescueReport, error) {
	s.fail("UnalertedRescues")
	return nil, ErrUnavailable
}
func (s noStore) OpenRescues(context.Context, int) ([]RescueReport, int, error) {
	s.fail("OpenRescues")
	return nil, 0, ErrUnavailable
}

func TestCampaignRoutes(t *testing.T) {
	b := newTestBot(t, noStore{t})
	tests := []struct {
		in, route string
		args      []string
	}{
		{"进度", "progress", []string{""}},
		{"进度 甘泉一村", "progress", []string{"甘泉一村"}},
		{"进度 类别", "progress", []string{"类别"}},
		{"完成情况", "progress", []string{""}},
		{"日程", "schedule", nil},
		{"时间表", "schedule", nil},
		{"上报 2", "report", []string{"2"}},
		{"上报 名单 居委:甘泉一村", "report", []string{"名单 居委:甘泉一村"}},
		{"上报", "report", []string{""}},
		{"捐款 一日捐 5000元", "donation", []string{"一日捐 5000元"}},
		{"捐款：募捐 五千元", "donation", []string{"募捐 5000元"}},
		{"流浪 甘泉公园 老人", "rescue", []string{"甘泉公园 老人"}},
		{"流浪 结案 3", "rescue", []string{"结案 3"}},
		{"导出", "export", []string{""}},
		{"导出 完整", "export", []string{"完整"}},
		{"广播 明天开会 对象:社工", "broadcast", []string{"明天开会 对象:社工"}},
		{"确认", "confirm", []string{"确认"}},
		{"取消", "confirm", []string{"取消"}},
		{"取消上一条", "undo", nil},
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
	for _, in := range []string{
		"进度怎么样了", "日程安排发我一下", "上报了吗", "捐款", "捐款多少", "流浪", "流浪狗", "导出来", "导出表格给我",
		"广播", "广播了吗", "确认一下", "取消吧", "我确认",
	} {
		if r, _ := b.match(b.normalize(in)); r != nil {
			t.Errorf("%q matched %s", in, r.name)
		}
	}
}

func TestCampaignNeedsStore(t *testing.T) {
	b := newTestBot(t, noStore{t})
	for user, texts := range map[string][]string{
		"wang":  {"进度", "上报 2", "捐款 一日捐 5000元", "流浪 甘泉公园 老人"},
		"li":    {"进度 类别", "导出"},
		"admin": {"广播 开会", "确认", "取消", "导出 完整"},
	} {
		for _, text := range texts {
			if !b.NeedsStore(Incoming{From: user, MsgType: "text", Text: text}) {
				t.Errorf("NeedsStore(%s %q) = false", user, text)
			}
		}
	}
	// 日程 is answered from the schedule alone, against a store that
	// fails on use.
	got, err := b.Handle(context.Background(), Incoming{From: "wang", MsgType: "text", Text: "日程"})
	if err != nil || !strings.Contains(got.Text, "当前阶段：调查摸底") || !strings.Contains(got.Text, "1月20日") {
		t.Errorf("日程 = %q, %v", got.Text, err)
	}
	if b.NeedsStore(Incoming{From: "wang", MsgType: "text", Text: "日程"}) {
		t.Error("NeedsStore(日程) = true")
	}
	// Commands a role may not use are refused before the store (a
	// worker's 确认 is read as the 是 to a pending change, in the store).
	for _, text := range []string{"广播 开会", "导出"} {
		if b.NeedsStore(Incoming{From: "wang", MsgType: "text", Text: text}) {
			t.Errorf("NeedsStore(worker %q) = true", text)
		}
	}
}

func TestParseProgress(t *testing.T) {
	tests := []struct {
		in   string
		want progressArgs
	}{
		{"", progressArgs{}},
		{"甘泉一村", progressArgs{Committee: "甘泉一村"}},
		{"居委:甘泉一村 类别", progressArgs{Committee: "甘泉一村", View: viewCategory}},
		{"资金 甘泉二村", progressArgs{Committee: "甘泉二村", View: viewFund}},
	}
	for _, tt := range tests {
		got, err := parseProgress(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseProgress(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"甘泉一村 甘泉二村", "编号:3", "居委:", "13812345678"} {
		_, err := parseProgress(bad)
		var ue *domain.UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Message, fmtProgress) || leaksNumber(ue.Message) {
			t.Errorf("parseProgress(%q) = %v, want a user error with the format", bad, err)
		}
	}
}

func TestParseDonation(t *testing.T) {
	tests := []struct {
		in   string
		want donationArgs
	}{
		{"一日捐 5000元", donationArgs{Source: "一日捐", Amount: 5000}},
		{"5000 募捐", donationArgs{Source: "募捐", Amount: 5000}},
		{"蓝天下的至爱 300元 居委:甘泉一村", donationArgs{Source: "蓝天下的至爱", Amount: 300, Committee: "甘泉一村"}},
	}
	for _, tt := range tests {
		got, err := parseDonation(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseDonation(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"一日捐", "5000元", "一日捐 0元", "一日捐 10000001元", "一日捐 5000元 电话:13812345678", "310107199001011232 5元"} {
		_, err := parseDonation(bad)
		var ue *domain.UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Message, "捐款格式") || leaksNumber(ue.Message) {
			t.Errorf("parseDonation(%q) = %v, want a user error with the format", bad, err)
		}
	}
}

func TestFindTask(t *testing.T) {
	sts := campaigntest.Schedule().CommitteeStatus(time.Date(2024, 1, 15, 10, 0, 0, 0, campaignZone), nil)
	tests := []struct {
		ref, want string
	}{
		{"1", "plan"}, {"2", "list"}, {"5", "summary"}, {"list", "list"},
		{"方案", "plan"}, {"计划", "plan"}, {"名单", "list"}, {"小结", "summary"}, {"总结", "summary"}, {"3", "visits"},
	}
	for _, tt := range tests {
		i, err := findTask(sts, tt.ref)
		if err != nil || sts[i].Task.ID != tt.want {
			t.Errorf("findTask(%q) = %d, %v; want %s", tt.ref, i, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0", "6", "上报", "走访"} {
		if i, err := findTask(sts, bad); err == nil {
			t.Errorf("findTask(%q) = %s, want an error", bad, sts[i].Task.ID)
		}
	}
}
