package bottest_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"songnuan/bot"
	"songnuan/bottest"
	"songnuan/domain"
	"songnuan/internal/campaigntest"
	"songnuan/policy"
)

// Valid ID numbers (GB 11643 check digits) used in the tests.
const (
	idA = "310107199001011232"
	idB = "310107195512034569"
	idC = "310107196203157893"
)

// fullNumber finds an unmasked ID or mobile number.
var fullNumber = regexp.MustCompile(`[0-9]{17}[0-9Xx]|1[3-9][0-9]{9}`)

// leaksNumber reports whether s shows a full ID or mobile number.
func leaksNumber(s string) bool {
	return fullNumber.MatchString(s)
}

func lastLine(s string) string {
	ls := strings.Split(s, "\n")
	return ls[len(ls)-1]
}

func mustContain(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("reply lacks %q:\n%s", w, got)
		}
	}
}

func mustNotContain(t *testing.T, got string, not ...string) {
	t.Helper()
	for _, w := range not {
		if strings.Contains(got, w) {
			t.Errorf("reply has %q:\n%s", w, got)
		}
	}
}

func TestRegisterTotals(t *testing.T) {
	bt := bottest.New(t)
	tests := []struct{ text, total string }{
		{"登记 甲一 低保 3人", "合计 900元"},
		{"登记 甲四 1人 特困供养", "合计 1460元"},
		{"登记 甲五 低保 3人 特困供养1人", "合计 2260元"},
		{"登记 甲八 低保 2人 登记失业1人", "合计 1550元"},
		{"登记 甲二 低保 三人户", "合计 900元"},
		{"登记　甲三　３口人　低保", "合计 900元"},
		{"登记 甲六 1人 妇联1500元", "合计 1500元"},
		{"登记 甲七 3人 其他困难800元 低保", "合计 1700元"},
	}
	var sum int64
	for _, tt := range tests {
		got := bt.Say(t, "wang", tt.text)
		if lastLine(got) != tt.total {
			t.Errorf("%s: last line %q, want %q\n%s", tt.text, lastLine(got), tt.total, got)
		}
		var n int64
		for _, r := range strings.TrimSuffix(strings.TrimPrefix(tt.total, "合计 "), "元") {
			n = n*10 + int64(r-'0')
		}
		sum += n
	}
	c := bt.Counters(t, "甘泉一村")
	if c[domain.CtrHouseholds] != int64(len(tests)) || c[domain.CtrDue] != sum || c[domain.CtrShort] != sum {
		t.Errorf("counters = %v, want hh %d due %d short %d", c, len(tests), sum, sum)
	}
}

func TestRegisterAsksForAmount(t *testing.T) {
	bt := bottest.New(t)
	got := bt.Say(t, "wang", "登记 甲九 1人 妇联")
	mustContain(t, got, "金额待填", "500–2000元", "登记 甲九 妇联1人500元")
	if lastLine(got) != "合计 0元" {
		t.Errorf("last line %q", lastLine(got))
	}
	got = bt.Say(t, "wang", "登记 甲九 妇联1人500元")
	mustContain(t, got, "已更新", "妇联 0→500元", "合计 0→500元")
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrNeedAmount] != 0 || c[domain.CtrDue] != 500 {
		t.Errorf("counters = %v", c)
	}
	got = bt.Say(t, "wang", "登记 甲九 妇联1人3000元")
	mustContain(t, got, "500-2000元")
}

func TestReRegisterUpdates(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 甲一 低保 3人")
	got := bt.Say(t, "wang", "登记 甲一 4人")
	mustContain(t, got, "已更新：甲一（编号1", "人数 3→4", "合计 900→1000元")
	if lastLine(got) != "合计 1000元" {
		t.Errorf("last line %q", lastLine(got))
	}
	got = bt.Say(t, "wang", "登记 编号1 特困供养1人")
	mustContain(t, got, "新增类别 特困供养", "合计 1000→2360元")
	got = bt.Say(t, "wang", "登记 编号1 去掉:特困供养")
	mustContain(t, got, "去掉类别 特困供养", "合计 2360→1000元")
	got = bt.Say(t, "wang", "登记 甲一 4人")
	mustContain(t, got, "没有变化")
	c := bt.Counters(t, "甘泉一村")
	if c[domain.CtrHouseholds] != 1 || c[domain.CtrPersons] != 4 || c[domain.CtrDue] != 1000 {
		t.Errorf("counters = %v, want one household of 4 due 1000", c)
	}
}

func TestSameHeadOtherIDIsNewHousehold(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 甲一 低保 3人 身份证:"+idA)
	got := bt.Say(t, "wang", "登记 甲一 低保 2人 身份证:"+idB)
	mustContain(t, got, "已登记：甲一（编号2")
	got = bt.Say(t, "wang", "登记 甲一 低保 3人 身份证:"+idA)
	mustContain(t, got, "没有变化", "编号1")
	got = bt.Say(t, "wang", "走访 甲一 发放900元")
	mustContain(t, got, "2户户主叫甲一", "编号1 身份证 310107********1232", "编号2 身份证 310107********4569", "走访 编号1 发放900元")
	mustNotContain(t, got, "已记录")
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrVisited] != 0 {
		t.Errorf("an ambiguous visit was counted: %v", c)
	}
	got = bt.Say(t, "wang", "走访 编号2 发放800元")
	mustContain(t, got, "已记录", "已足额", "待走访 1户")
}

func TestPersonRegisteredElsewhere(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 甲一 低保 3人 身份证:"+idA+" 电话:13812345678 地址:甘泉路1号")
	got := bt.Say(t, "chen", "登记 乙一 低保 2人 身份证:"+idA)
	mustContain(t, got, "重复", "甘泉一村")
	mustNotContain(t, got, "甲一", "编号", "1232", "5678", "甘泉路", "900")
	got = bt.Say(t, "wang", "登记 甲二 低保 2人 身份证:"+idA)
	mustContain(t, got, "重复", "编号1", "户主甲一")
	if c := bt.Counters(t, "甘泉二村"); c[domain.CtrHouseholds] != 0 {
		t.Errorf("甘泉二村 counters = %v, want nothing", c)
	}
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrHouseholds] != 1 {
		t.Errorf("甘泉一村 counters = %v, want one household", c)
	}
}

func TestVisitRules(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 甲一 低保 3人")
	bt.Say(t, "wang", "登记 甲二 低保 3人")

	got := bt.Say(t, "wang", "走访 甲一 发放500元 日期:1月15日")
	mustContain(t, got, "已记录", "1月15日", "少发 400元", "甘泉一村 待走访 1户")
	got = bt.Say(t, "zhao", "走访 甲一 发放500元 日期:1月15日")
	mustContain(t, got, "重复", "1月15日", "王芳")
	got = bt.Say(t, "zhao", "走访 甲一 发放400元")
	mustContain(t, got, "已记录补发", "已足额")
	got = bt.Say(t, "zhao", "走访 甲一 发放400元")
	mustContain(t, got, "重复", "王芳")
	got = bt.Say(t, "wang", "补发 甲一 100元")
	mustContain(t, got, "重复")

	got = bt.Say(t, "wang", "走访 甲一 发放500元 走访人:街镇领导")
	mustContain(t, got, "已记录", "街镇领导", "应发增加", "应发1400元", "已发1400元", "已足额")
	got = bt.Say(t, "wang", "走访 甲一 发放1000元 走访人:区领导")
	mustContain(t, got, "重复", "街镇领导")

	got = bt.Say(t, "wang", "走访 甲二 发放1000元")
	mustContain(t, got, "多发 100元", "待走访 0户")
	got = bt.Say(t, "wang", "走访 甲二 发放900元 日期:1月25日")
	mustContain(t, got, "还没到")

	c := bt.Counters(t, "甘泉一村")
	want := domain.Counters{domain.CtrHouseholds: 2, domain.CtrVisited: 2, domain.CtrLeader: 1, domain.CtrDue: 2300, domain.CtrPaid: 2400, domain.CtrOver: 100}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("counter %s = %d, want %d (all: %v)", k, c[k], v, c)
		}
	}
	if c[domain.CtrShort] != 0 {
		t.Errorf("short = %d, want 0", c[domain.CtrShort])
	}
}

func TestReRegisterKeepsLeaderItem(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 甲一 低保 3人")
	bt.Say(t, "wang", "走访 甲一 发放1500元 走访人:区领导")
	got := bt.Say(t, "wang", "登记 甲一 4人")
	mustContain(t, got, "区领导走访慰问金 1000元", "合计 1900→2000元")
}

// TestConcurrentVisits: two workers report the same household at the same
// moment; one visit is counted and the other is told 重复.
func TestConcurrentVisits(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 甲一 低保 3人")
	for round := 0; round < 5; round++ {
		replies := make([]string, 2)
		var wg sync.WaitGroup
		for i, u := range []string{"wang", "zhao"} {
			wg.Go(func() { replies[i] = bt.Say(t, u, "走访 甲一 发放900元") })
		}
		wg.Wait()
		recorded, dup := 0, 0
		for _, r := range replies {
			switch {
			case strings.HasPrefix(r, "已记录"):
				recorded++
			case strings.HasPrefix(r, "重复"):
				dup++
			}
		}
		if round == 0 && (recorded != 1 || dup != 1) {
			t.Fatalf("replies = %q, want one 已记录 and one 重复", replies)
		}
		if round > 0 && dup != 2 {
			t.Fatalf("round %d replies = %q, want both 重复", round, replies)
		}
	}
	c := bt.Counters(t, "甘泉一村")
	if c[domain.CtrVisited] != 1 || c[domain.CtrPaid] != 900 || c[domain.CtrShort] != 0 {
		t.Errorf("counters = %v, want visited 1 paid 900", c)
	}
}

// TestSameMessageThreeTimes: WeCom delivering one message three times at
// once has one effect, and every delivery gets the first answer.
func TestSameMessageThreeTimes(t *testing.T) {
	bt := bottest.New(t)
	for _, text := range []string{"登记 甲一 低保 3人 身份证:" + idA, "走访 甲一 发放900元", "登记 甲一 4人", "撤销"} {
		id := bt.NextMsgID()
		replies := make([]string, 3)
		var wg sync.WaitGroup
		for i := range replies {
			wg.Go(func() {
				r, err := bt.Deliver("wang", id, text)
				if err != nil {
					t.Errorf("%s: %v", text, err)
				}
				replies[i] = r.Text
			})
		}
		wg.Wait()
		if replies[0] != replies[1] || replies[1] != replies[2] {
			t.Errorf("%s: deliveries answered differently:\n%s\n--\n%s\n--\n%s", text, replies[0], replies[1], replies[2])
		}
		// and once more, later
		r, err := bt.Deliver("wang", id, text)
		if err != nil || r.Text != replies[0] {
			t.Errorf("%s: late re-delivery = %q, %v; want %q", text, r.Text, err, replies[0])
		}
	}
	c := bt.Counters(t, "甘泉一村")
	// the 撤销 took back the size change only
	want := domain.Counters{domain.CtrHouseholds: 1, domain.CtrPersons: 3, domain.CtrVisited: 1, domain.CtrPaid: 900, domain.CtrDue: 900}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("counter %s = %d, want %d (all: %v)", k, c[k], v, c)
		}
	}
}

func TestUndo(t *testing.T) {
	bt := bottest.New(t)
	got := bt.Say(t, "wang", "撤销")
	mustContain(t, got, "没有可撤销")

	bt.Say(t, "wang", "登记 甲一 低保 3人 身份证:"+idA)
	got = bt.Say(t, "wang", "撤销")
	mustContain(t, got, "已撤销登记", "甲一")
	if c := bt.Counters(t, "甘泉一村"); len(c) != 0 {
		t.Errorf("counters after undoing the only registration = %v, want none", c)
	}
	// the person claim went with it
	got = bt.Say(t, "chen", "登记 乙一 低保 2人 身份证:"+idA)
	mustContain(t, got, "已登记")

	bt.Say(t, "wang", "登记 甲二 低保 3人")
	bt.Say(t, "wang", "走访 甲二 发放900元")
	got = bt.Say(t, "wang", "撤销")
	mustContain(t, got, "已撤销走访", "甲二", "待走访 1户")
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrVisited] != 0 || c[domain.CtrPaid] != 0 || c[domain.CtrShort] != 900 {
		t.Errorf("counters after undoing the visit = %v", c)
	}
	got = bt.Say(t, "wang", "待办")
	mustContain(t, got, "甲二(编号")

	// someone else changed the household since: refused
	bt.Say(t, "wang", "登记 甲二 4人")
	bt.Say(t, "zhao", "走访 甲二 发放1000元")
	got = bt.Say(t, "wang", "撤销")
	mustContain(t, got, "不能撤销", "赵亮")
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrPersons] != 4 || c[domain.CtrPaid] != 1000 {
		t.Errorf("a refused undo changed counters: %v", c)
	}
}

func TestPermissions(t *testing.T) {
	bt := bottest.New(t)
	bt.Say(t, "wang", "登记 甲一 低保 3人 身份证:"+idA)
	bt.Say(t, "chen", "登记 乙一 低保 2人")

	// a worker of another committee learns nothing, whether the household exists or not
	for _, text := range []string{"查询 甲一 居委:甘泉一村", "查询 无此人 居委:甘泉一村", "走访 甲一 发放900元 居委:甘泉一村", "登记 甲一 5人 居委:甘泉一村", "待办 居委:甘泉一村"} {
		got := bt.Say(t, "chen", text)
		mustContain(t, got, "只能办理本居委（甘泉二村）")
		mustNotContain(t, got, "甲一", "900", "编号")
	}
	got := bt.Say(t, "chen", "查询 甲一")
	mustContain(t, got, "本居委没有户主叫甲一")
	mustNotContain(t, got, "甘泉一村")

	// leaders read everything, change nothing
	got = bt.Say(t, "li", "查询 甲一")
	mustContain(t, got, "甲一（编号1，甘泉一村", "310107********1232")
	got = bt.Say(t, "li", "查询 乙一")
	mustContain(t, got, "甘泉二村")
	for _, text := range []string{"登记 丙一 低保 3人 居委:甘泉一村", "走访 甲一 发放900元 居委:甘泉一村", "撤销"} {
		mustContain(t, bt.Say(t, "li", text), "领导账号只能查看")
	}
	got = bt.Say(t, "li", "待办")
	mustContain(t, got, "甘泉一村 待走访 1户", "甘泉二村 待走访 1户")

	// admins must name the committee, and a known one
	mustContain(t, bt.Say(t, "admin", "登记 丙一 低保 3人"), "请写明居委")
	mustContain(t, bt.Say(t, "admin", "登记 丙一 低保 3人 居委:甘泉九村"), "没有名为“甘泉九村”的居委")
	mustContain(t, bt.Say(t, "admin", "登记 丙一 低保 3人 居委:甘泉二村"), "已登记：丙一（编号2，甘泉二村")
	mustContain(t, bt.Say(t, "admin", "走访 丙一 发放900元 居委:甘泉二村"), "已记录", "甘泉二村 待走访 1户")
	if c := bt.Counters(t, "甘泉一村"); c[domain.CtrVisited] != 0 || c[domain.CtrHouseholds] != 1 {
		t.Errorf("甘泉一村 changed: %v", c)
	}
}

// TestNoFullNumbersInReplies plays a conversation full of ID and phone
// numbers and checks no reply and no audit line shows one.
func TestNoFullNumbersInReplies(t *testing.T) {
	bt := bottest.New(t)
	var replies []string
	say := func(user, text string) { replies = append(replies, bt.Say(t, user, text)) }
	say("wang", "登记 甲一 低保 3人 身份证:"+idA+" 电话:13812345678")
	say("wang", "登记 甲二 低保 2人 "+idB+" 13912345678")
	say("wang", "登记 甲一 低保 3人 身份证:"+idC)
	say("wang", "登记 甲一 电话:13712345678 编号1")
	say("chen", "登记 乙一 1人 特困 身份证:"+idA)
	say("wang", "登记 甲三 低保 3人 身份证:310107199001011233")
	say("wang", "登记 甲三 低保 3人 电话:1381234567")
	say("wang", "登记 甲三 低保 3人 "+idA+"1")
	say("wang", "登记 "+idB+" 低保 3人")
	say("wang", "走访 甲一 发放900元")
	say("wang", "走访 13812345678 发放900元")
	say("wang", "查询 甲一")
	say("wang", "查询 "+idA)
	say("li", "查询 甲一")
	say("wang", "撤销")
	say("wang", idA)
	for _, r := range replies {
		if leaksNumber(r) {
			t.Errorf("reply shows a full number:\n%s", r)
		}
	}
	for _, c := range []string{"甘泉一村", "甘泉二村"} {
		entries, err := bt.Store.Audit(context.Background(), c, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) == 0 && c == "甘泉一村" {
			t.Errorf("%s has no audit entries", c)
		}
		for _, e := range entries {
			d := strings.ReplaceAll(e.Detail, "来源="+e.OpID[2:], "")
			if leaksNumber(d) {
				t.Errorf("audit detail shows a full number: %s", e.Detail)
			}
		}
		hs, err := bt.Store.Households(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			for _, s := range []string{h.IDSealed, h.PhoneSealed, h.IDHash, h.Head, h.Address} {
				if strings.Contains(s, idA) || strings.Contains(s, idB) || strings.Contains(s, idC) || strings.Contains(s, "12345678") {
					t.Errorf("household %s stores a number in clear: %q", h.Code, s)
				}
			}
		}
	}
}

// failingStore makes Apply fail as if Redis were down.
type failingStore struct {
	bot.Store
	fail bool
}

func (f *failingStore) Apply(ctx context.Context, c bot.Change) (bot.Applied, error) {
	if f.fail {
		return bot.Applied{}, bot.ErrUnavailable
	}
	return f.Store.Apply(ctx, c)
}

// TestStoreDownNeverSaysRecorded: when the store fails the bot returns an
// error (the caller answers 503 and WeCom re-delivers) and never a reply
// claiming the change; the re-delivery then records it once.
func TestStoreDownNeverSaysRecorded(t *testing.T) {
	fs := &failingStore{}
	bt := bottest.NewWith(t, bottest.Options{Wrap: func(s bot.Store) bot.Store { fs.Store = s; return fs }})
	bt.Say(t, "wang", "登记 甲一 低保 3人 身份证:"+idA)
	fs.fail = true
	for _, text := range []string{"登记 甲二 低保 3人 身份证:" + idB, "走访 甲一 发放900元", "撤销"} {
		id := bt.NextMsgID()
		r, err := bt.Deliver("wang", id, text)
		if !errors.Is(err, bot.ErrUnavailable) {
			t.Errorf("%s: err = %v, want ErrUnavailable", text, err)
		}
		if r.Text != "" {
			t.Errorf("%s: reply %q with a failed store", text, r.Text)
		}
		fs.fail = false
		r, err = bt.Deliver("wang", id, text)
		if err != nil || !strings.HasPrefix(r.Text, "已") {
			t.Errorf("%s re-delivered: %q, %v", text, r.Text, err)
		}
		fs.fail = true
	}
	fs.fail = false
	// 甲二's failed first attempt left no claim behind
	mustContain(t, bt.Say(t, "chen", "登记 乙二 低保 2人 身份证:"+idC), "已登记")
	c := bt.Counters(t, "甘泉一村")
	if c[domain.CtrHouseholds] != 2 || c[domain.CtrVisited] != 0 {
		t.Errorf("counters = %v, want 2 households and the visit undone", c)
	}
}

// TestStoredEntitlementSurvivesPolicyChange: a new policy changes nothing
// stored until the household is registered again.
func TestStoredEntitlementSurvivesPolicyChange(t *testing.T) {
	old := bottest.New(t)
	old.Say(t, "wang", "登记 甲一 低保 3人")
	yaml := strings.Replace(string(campaigntest.PolicyYAML()), "version: ", "version: 2024-", 1)
	yaml = regexp.MustCompile(`(?m)^(\s+amount: )700$`).ReplaceAllString(yaml, "${1}800")
	p, err := policy.Parse([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := p.Standards("低保", 3); e.Total == 900 {
		t.Fatalf("test policy did not change 低保: %+v", e)
	}
	bt := bottest.NewWith(t, bottest.Options{Store: old.Store, Policy: p})
	got := bt.Say(t, "wang", "查询 甲一")
	mustContain(t, got, "合计 900元")
	got = bt.Say(t, "wang", "登记 甲一 低保 3人")
	mustContain(t, got, "按现行标准重算", "合计 900→1000元")
}
