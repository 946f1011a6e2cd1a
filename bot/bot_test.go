package bot

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"songnuan/domain"
	"songnuan/internal/campaigntest"
	"songnuan/understand"
)

// noStore fails the test on any call: the paths that claim not to need the
// store are run against it.
type noStore struct{ tb testing.TB }

func (s noStore) fail(name string) { s.tb.Helper(); s.tb.Fatalf("store.%s called", name) }
func (s noStore) Replayed(context.Context, string, string) (string, bool, error) {
	s.fail("Replayed")
	return "", false, ErrUnavailable
}
func (s noStore) Household(context.Context, string, string) (domain.Household, error) {
	s.fail("Household")
	return domain.Household{}, ErrUnavailable
}
func (s noStore) FindByHead(context.Context, string, string) ([]domain.Household, error) {
	s.fail("FindByHead")
	return nil, ErrUnavailable
}
func (s noStore) Heads(context.Context, string) ([]HouseholdRef, error) {
	s.fail("Heads")
	return nil, ErrUnavailable
}
func (s noStore) NextCode(context.Context, string) (string, error) {
	s.fail("NextCode")
	return "", ErrUnavailable
}
func (s noStore) Apply(context.Context, Change) (Applied, error) {
	s.fail("Apply")
	return Applied{}, ErrUnavailable
}
func (s noStore) LastUndo(context.Context, string) (UndoRecord, error) {
	s.fail("LastUndo")
	return UndoRecord{}, ErrUnavailable
}
func (s noStore) ClaimPerson(context.Context, string, PersonRef) (PersonRef, error) {
	s.fail("ClaimPerson")
	return PersonRef{}, ErrUnavailable
}
func (s noStore) ReleasePerson(context.Context, string, PersonRef) error {
	s.fail("ReleasePerson")
	return ErrUnavailable
}
func (s noStore) Counters(context.Context, string) (domain.Counters, error) {
	s.fail("Counters")
	return nil, ErrUnavailable
}
func (s noStore) AllCounters(context.Context) (map[string]domain.Counters, error) {
	s.fail("AllCounters")
	return nil, ErrUnavailable
}
func (s noStore) AddCounters(context.Context, string, map[string]int64) error {
	s.fail("AddCounters")
	return ErrUnavailable
}
func (s noStore) Unvisited(context.Context, string, int) ([]HouseholdRef, int, error) {
	s.fail("Unvisited")
	return nil, 0, ErrUnavailable
}
func (s noStore) Households(context.Context, string) ([]domain.Household, error) {
	s.fail("Households")
	return nil, ErrUnavailable
}
func (s noStore) Audit(context.Context, string, int) ([]AuditEntry, error) {
	s.fail("Audit")
	return nil, ErrUnavailable
}

// fullNumber finds an unmasked ID or mobile number.
var fullNumber = regexp.MustCompile(`[0-9]{17}[0-9Xx]|1[3-9][0-9]{9}`)

// leaksNumber reports whether s shows a full ID or mobile number.
func leaksNumber(s string) bool {
	return fullNumber.MatchString(s)
}

var testStaff = domain.Directory{
	"wang":  {UserID: "wang", Name: "王芳", Role: domain.RoleWorker, Committee: "甘泉一村"},
	"li":    {UserID: "li", Name: "李强", Role: domain.RoleLeader},
	"admin": {UserID: "admin", Name: "赵敏", Role: domain.RoleAdmin},
}

func newTestBot(tb testing.TB, st Store) *Bot {
	tb.Helper()
	sealer, err := NewSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := New(Config{
		Store:  st,
		Policy: campaigntest.Policy(), Schedule: campaigntest.Schedule(),
		Staff:  testStaff,
		Clock:  func() time.Time { return time.Date(2024, 1, 20, 10, 0, 0, 0, campaignZone) },
		Sealer: sealer,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestNewNamesMissing(t *testing.T) {
	_, err := New(Config{})
	if err == nil {
		t.Fatal("New(Config{}) succeeded")
	}
	for _, name := range []string{"Store", "Policy", "Clock", "Sealer"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

// TestNoStoreReplies runs every message that needs no store against a
// store that fails on use, and checks NeedsStore agrees.
func TestNoStoreReplies(t *testing.T) {
	b := newTestBot(t, noStore{t})
	tests := []struct {
		in   Incoming
		want string
	}{
		{Incoming{From: "wang", MsgType: "text", Text: "帮助"}, "登记 张三 低保 3人"},
		{Incoming{From: "wang", MsgType: "text", Text: "标准"}, "低保 1人户700元，每多1人加100元"},
		{Incoming{From: "wang", MsgType: "text", Text: "标准 低保 3人"}, "合计 900元"},
		{Incoming{From: "wang", MsgType: "text", Text: "标准 特困"}, "合计 1460元"},
		{Incoming{From: "wang", MsgType: "text", Text: "你好"}, "登记 张三 低保 3人"},
		{Incoming{From: "wang", MsgType: "text", Text: "最后期限是几号"}, "当前阶段"},
		{Incoming{From: "stranger", MsgType: "text", Text: "登记 甲一 低保 3人"}, "userid"},
		{Incoming{From: "wang", MsgType: "image", MediaID: "m1"}, "只能接收文字消息和户名单文件"},
		{Incoming{From: "wang", MsgType: "voice", MediaID: "m1"}, "例如"},
		{Incoming{From: "wang", MsgType: "location"}, "只能接收文字"},
		{Incoming{From: "wang", MsgType: "event", Event: "enter_agent"}, "发送“帮助”查看可用命令"},
		{Incoming{From: "wang", MsgType: "event", Event: "subscribe"}, "发送“帮助”查看可用命令"},
		{Incoming{From: "wang", MsgType: "event", Event: "click"}, ""},
		{Incoming{From: "li", MsgType: "text", Text: "登记 甲一 低保 3人"}, "领导账号只能查看"},
		{Incoming{From: "li", MsgType: "text", Text: "撤销"}, "领导账号只能查看"},
		{Incoming{From: "li", MsgType: "file", FileName: "a.xlsx", MediaID: "m"}, "领导账号只能查看"},
	}
	for _, tt := range tests {
		if b.NeedsStore(tt.in) {
			t.Errorf("NeedsStore(%+v) = true", tt.in)
		}
		got, err := b.Handle(context.Background(), tt.in)
		if err != nil {
			t.Errorf("Handle(%+v): %v", tt.in, err)
			continue
		}
		if tt.want == "" && got.Text != "" || !strings.Contains(got.Text, tt.want) {
			t.Errorf("Handle(%q %q) = %q, want it to contain %q", tt.in.MsgType, tt.in.Text, got.Text, tt.want)
		}
	}
}

func TestUnregisteredIsOneLine(t *testing.T) {
	b := newTestBot(t, noStore{t})
	for _, text := range []string{"帮助", "登记 甲一 低保 3人", "hello"} {
		got, _ := b.Handle(context.Background(), Incoming{From: "nobody", MsgType: "text", Text: text})
		if got.Text != msgUnregistered || strings.Contains(got.Text, "\n") {
			t.Errorf("unregistered %q got %q", text, got.Text)
		}
	}
}

func TestNeedsStore(t *testing.T) {
	b := newTestBot(t, noStore{t})
	for _, text := range []string{"登记 甲一 低保 3人", "走访 甲一 发放900元", "撤销", "查询 甲一", "待办"} {
		if !b.NeedsStore(Incoming{From: "wang", MsgType: "text", Text: text}) {
			t.Errorf("NeedsStore(%q) = false", text)
		}
	}
	if !b.NeedsStore(Incoming{From: "wang", MsgType: "file", FileName: "a.csv"}) {
		t.Error("NeedsStore(file) = false")
	}
}

// TestHelpPerRole checks 帮助 lists exactly the commands a role may use.
func TestHelpPerRole(t *testing.T) {
	b := newTestBot(t, noStore{t})
	tests := []struct {
		user      string
		want, not []string
	}{
		{"wang", []string{"登记 张三", "走访 张三", "撤销", "查询 张三", "待办", "标准", "批量登记"}, []string{"居委:"}},
		{"li", []string{"查询 张三", "待办", "标准"}, []string{"登记 张三", "走访 张三", "撤销", "批量登记"}},
		{"admin", []string{"登记 张三 低保 3人 居委:甘泉一村", "走访 张三 发放900元 居委:", "撤销", "查询", "待办", "标准", "批量登记"}, nil},
	}
	for _, tt := range tests {
		got, err := b.Handle(context.Background(), Incoming{From: tt.user, MsgType: "text", Text: "帮助"})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(got.Text, w) {
				t.Errorf("%s help lacks %q:\n%s", tt.user, w, got.Text)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(got.Text, w) {
				t.Errorf("%s help has %q:\n%s", tt.user, w, got.Text)
			}
		}
		n := 0
		for i := range b.routes {
			if b.routes[i].name != "help" && b.routes[i].roles.has(testStaff[tt.user].Role) {
				n++
			}
		}
		if tt.user != "li" {
			n++ // the file import line
		}
		if lines := strings.Count(got.Text, "\n· "); lines != n {
			t.Errorf("%s help has %d command lines, want %d:\n%s", tt.user, lines, n, got.Text)
		}
	}
}

// TestChangeNeedsMsgID: a change without a MsgId is refused before the
// store is touched, since its OpID would collide with every other.
func TestChangeNeedsMsgID(t *testing.T) {
	b := newTestBot(t, noStore{t})
	for _, text := range []string{"登记 甲一 低保 3人", "走访 甲一 发放900元", "撤销"} {
		if _, err := b.Handle(context.Background(), Incoming{From: "wang", MsgType: "text", Text: text}); err == nil {
			t.Errorf("%s without MsgId: no error", text)
		}
	}
	if _, err := b.Handle(context.Background(), Incoming{From: "wang", MsgType: "file", FileName: "a.csv"}); err == nil {
		t.Error("file without MsgId: no error")
	}
}

// TestHelpSaysWhatTheBotReads: every natural example 帮助 shows is read
// as the command it stands beside.
func TestHelpSaysWhatTheBotReads(t *testing.T) {
	b := newTestBot(t, noStore{t})
	intent := map[string]understand.Intent{
		"register": understand.Register, "visit": understand.Visit, "undo": understand.Undo, "query": understand.Query,
		"standards": understand.Standard, "todo": understand.Todo, "progress": understand.Progress, "schedule": understand.Schedule,
		"report": understand.Report, "donation": understand.Donate, "rescue": understand.Rescue,
	}
	heads := []understand.Head{{Name: "张三", Code: "1", Due: 900}}
	n := 0
	for _, r := range b.routes {
		if r.says == "" {
			continue
		}
		n++
		text := strings.Trim(r.says, "“”")
		got := b.interp.Read(understand.Input{Text: text, Role: understand.Worker, Committee: "甘泉一村", Heads: heads, Today: time.Date(2024, 1, 15, 10, 0, 0, 0, campaignZone)})
		if got.Intent != intent[r.name] || got.Mode != understand.Inferred {
			t.Errorf("帮助 says %s for %s, read as %s %s %q", r.says, r.name, got.Mode, got.Intent, got.Command)
		}
	}
	if n < 10 {
		t.Errorf("帮助 has %d natural examples, want one beside each everyday command", n)
	}
}
