package bottest_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"songnuan/bot"
	"songnuan/bottest"
	"songnuan/domain"
)

func click(b *bottest.Bot, user, key string) (bot.Reply, error) {
	return b.Handle(context.Background(), bot.Incoming{MsgID: "e:" + user + ":1705716000:click:" + key, From: user,
		MsgType: "event", Event: "click", EventKey: key, At: b.Now()})
}

// A click on the app's menu is answered as the command it names.
func TestMenuClickIsAnsweredAsTheTypedCommand(t *testing.T) {
	b := bottest.New(t)
	b.Say(t, "wang", "登记 甲一 低保 3人")
	for key, cmd := range map[string]string{"todo": "待办", "progress": "进度", "schedule": "日程", "help": "帮助"} {
		for _, user := range []string{"wang", "li", "admin"} {
			got, err := click(b, user, key)
			if err != nil {
				t.Fatalf("%s clicks %s: %v", user, key, err)
			}
			want, err := b.Deliver(user, b.NextMsgID(), cmd)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text == "" || got.Text != want.Text || got.Markdown != want.Markdown {
				t.Errorf("%s clicks %s = %q, want the answer to %s: %q", user, key, got.Text, cmd, want.Text)
			}
			in := bot.Incoming{From: user, MsgType: "event", Event: "click", EventKey: key}
			if b.NeedsStore(in) != b.NeedsStore(bot.Incoming{From: user, MsgType: "text", Text: cmd}) {
				t.Errorf("NeedsStore differs between clicking %s and typing %s", key, cmd)
			}
		}
	}
	// clicks the menu does not have, and other events, are not answered
	for _, in := range []bot.Incoming{
		{MsgID: "e1", From: "wang", MsgType: "event", Event: "click", EventKey: "登记 甲二 低保 1人"},
		{MsgID: "e2", From: "wang", MsgType: "event", Event: "view", EventKey: "https://example.com/app/"},
	} {
		if r, err := b.Handle(context.Background(), in); err != nil || r.Text != "" || r.Markdown != "" {
			t.Errorf("%+v answered %q, %v; want nothing", in, r.Text, err)
		}
	}
	if n := b.Counters(t, "甘泉一村")[domain.CtrHouseholds]; n != 1 {
		t.Errorf("a click's key was run as a command: %d households", n)
	}
}

// 进度 and 待办 link to their workbench page when its address is known.
func TestProgressAndTodoLinkToTheWorkbench(t *testing.T) {
	b := bottest.NewWith(t, bottest.Options{WorkbenchURL: "https://wb.example.gov.cn/"})
	b.Say(t, "wang", "登记 甲一 低保 3人")
	for _, c := range []struct{ user, text, link string }{
		{"wang", "进度", "https://wb.example.gov.cn/app/"},
		{"li", "进度", "https://wb.example.gov.cn/app/"},
		{"wang", "待办", "https://wb.example.gov.cn/app/todo"},
		{"li", "待办", "https://wb.example.gov.cn/app/todo"},
	} {
		r, err := b.Deliver(c.user, b.NextMsgID(), c.text)
		if err != nil {
			t.Fatal(err)
		}
		body := r.Text + r.Markdown
		if !strings.HasSuffix(strings.TrimRight(body, ")"), c.link) {
			t.Errorf("%s %s does not end with a link to %s:\n%s", c.user, c.text, c.link, body)
		}
		if len(r.Text) > 2048 {
			t.Errorf("%s %s: text of %d bytes, over WeCom's 2048", c.user, c.text, len(r.Text))
		}
	}
	for _, text := range []string{"查询 甲一", "日程", "帮助"} {
		if got := b.Say(t, "wang", text); strings.Contains(got, "wb.example") {
			t.Errorf("%s links to the workbench:\n%s", text, got)
		}
	}
	plain := bottest.New(t)
	if got := plain.Say(t, "wang", "进度"); strings.Contains(got, "http") {
		t.Errorf("进度 links somewhere with no workbench address:\n%s", got)
	}
}

// The street view the leaders' page shows has 进度's numbers to the yuan.
func TestStreetStatsEqualProgress(t *testing.T) {
	b := bottest.New(t)
	b.Say(t, "wang", "登记 甲一 低保 3人")
	b.Say(t, "wang", "登记 甲二 特困供养1人 1人")
	b.Say(t, "chen", "登记 乙一 低保 2人")
	b.Say(t, "wang", "走访 甲一 发放900元")
	b.Say(t, "chen", "走访 乙一 发放500元")
	b.Say(t, "admin", "捐款 一日捐 3000元 居委:甘泉一村")
	s, err := b.StreetStats(context.Background(), "li", "")
	if err != nil {
		t.Fatal(err)
	}
	text := b.Say(t, "li", "进度")
	want := fmt.Sprintf("已走访 %d/%d户（%d%%），已发 %d/%d元，未发 %d元",
		s.Total.Visited, s.Total.Households, s.Total.Percent(), s.Total.Paid, s.Total.Due, s.Total.Short)
	if !strings.Contains(text, want) {
		t.Errorf("进度 does not read %q:\n%s", want, text)
	}
	if s.Total.Visited != 2 || s.Total.Households != 3 || s.Total.Paid != 1400 {
		t.Errorf("street totals = %+v, want 2/3 visited and 1400 paid", s.Total)
	}
	// committees in 进度's order, each line with the page's numbers
	re := regexp.MustCompile(`(?m)^(\d+)\. (\S+) 已走访 (\d+)/(\d+)户，已发 (\d+)/(\d+)元`)
	lines := re.FindAllStringSubmatch(text, -1)
	if len(lines) != len(s.Committees) {
		t.Fatalf("进度 lists %d committees, the page %d", len(lines), len(s.Committees))
	}
	for i, l := range lines {
		c := s.Committees[i]
		if got := fmt.Sprintf("%s %d/%d %d/%d", c.Name, c.Visited, c.Households, c.Paid, c.Due); got != fmt.Sprintf("%s %s/%s %s/%s", l[2], l[3], l[4], l[5], l[6]) {
			t.Errorf("row %d: page %s, 进度 %s", i+1, got, l[0])
		}
	}
	// a worker cannot read the street
	if _, err := b.StreetStats(context.Background(), "wang", ""); err == nil {
		t.Error("a worker read the street view")
	}
	// the category filter splits the money as 进度 类别 does
	s, err = b.StreetStats(context.Background(), "li", "低保")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.Say(t, "li", "进度 类别"), fmt.Sprintf("低保：已发 %d/%d元", s.Total.CategoryPaid, s.Total.CategoryDue)) {
		t.Errorf("低保 filter %d/%d differs from 进度 类别", s.Total.CategoryPaid, s.Total.CategoryDue)
	}
}
