package bot

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"songnuan/domain"
)

// testID is a valid ID number (check digit computed) used across tests.
const testID = "310107199001011232"

type claimWant struct {
	key     string
	persons int
	amount  int64
}

func TestParseRegister(t *testing.T) {
	b := newTestBot(t, noStore{t})
	tests := []struct {
		in     string
		head   string
		size   int
		claims []claimWant
		check  func(regArgs) bool
	}{
		{"甲一 低保 3人", "甲一", 3, []claimWant{{"低保", 0, 0}}, nil},
		{"甲四 1人 特困供养", "甲四", 1, []claimWant{{"特困供养", 0, 0}}, nil},
		{"甲五 低保 3人 特困供养1人", "甲五", 3, []claimWant{{"低保", 0, 0}, {"特困供养", 1, 0}}, nil},
		{"甲八 低保 2人 登记失业1人", "甲八", 2, []claimWant{{"低保", 0, 0}, {"登记失业人员", 1, 0}}, nil},
		{"低保3人 甲一", "甲一", 0, []claimWant{{"低保", 3, 0}}, nil},
		{"甲一 低保3人特困供养1人", "甲一", 0, []claimWant{{"低保", 3, 0}, {"特困供养", 1, 0}}, nil},
		{"甲一 1人 妇联1500元", "甲一", 1, []claimWant{{"妇联", 0, 1500}}, nil},
		{"甲一 3人 其他困难800元", "甲一", 3, []claimWant{{"其他困难", 0, 800}}, nil},
		{"甲一 低保户 3人", "甲一", 3, []claimWant{{"低保", 0, 0}}, nil},
		{"甲一 类别:低保+特困1人 人数:3", "甲一", 3, []claimWant{{"低保", 0, 0}, {"特困供养", 1, 0}}, nil},
		{"居委:甘泉一村 3人 低保 甲一", "甲一", 3, []claimWant{{"低保", 0, 0}}, func(a regArgs) bool { return a.Committee == "甘泉一村" }},
		{"甲一 低保 3人 身份证:" + testID + " 电话:13812345678 地址:甘泉路1号", "甲一", 3, []claimWant{{"低保", 0, 0}},
			func(a regArgs) bool {
				return a.ID == testID && a.Phone == "13812345678" && a.Address == "甘泉路1号"
			}},
		{"甲一 低保 3人 " + testID + " 13812345678", "甲一", 3, []claimWant{{"低保", 0, 0}},
			func(a regArgs) bool { return a.ID == testID && a.Phone == "13812345678" }},
		{"编号12 4人", "", 4, nil, func(a regArgs) bool { return a.Code == "12" }},
	}
	for _, tt := range tests {
		a, err := b.parseRegister(b.normalize(tt.in))
		if err != nil {
			t.Errorf("parseRegister(%q): %v", tt.in, err)
			continue
		}
		var got []claimWant
		for _, c := range a.Claims {
			got = append(got, claimWant{c.Cat.Key, c.Persons, c.Amount})
		}
		if a.Head != tt.head || a.Size != tt.size || !reflect.DeepEqual(got, tt.claims) {
			t.Errorf("parseRegister(%q) = head %q size %d claims %v; want %q %d %v", tt.in, a.Head, a.Size, got, tt.head, tt.size, tt.claims)
		}
		if tt.check != nil && !tt.check(a) {
			t.Errorf("parseRegister(%q) = %+v fails its check", tt.in, a)
		}
	}
}

func TestParseRegisterRefuses(t *testing.T) {
	b := newTestBot(t, noStore{t})
	tests := []struct{ in, want string }{
		{"低保 3人", "户主"},
		{"甲一 低保 3人 4人", "人数写了两个"},
		{"甲一 低保 低保 3人", "写了两次"},
		{"甲一 乙二 低保 3人", "看不懂“乙二”"},
		{"甲一 低保 30人", "人数应为1到20人"},
		{"甲一 低保 0人", "人数应为1到20人"},
		{"甲一 低保 3人 身份证:110105194912310021", "校验位"},
		{"甲一 低保 3人 电话:12345", "电话号码格式不对"},
		{"甲一 低保 3人 爱好:下棋", "看不懂“爱好:”"},
		{"甲一 低保 3人 地址:", "后面没有内容"},
		{"甲一 低保 3人 类别:打麻将", "不是已知的补助类别"},
		{"甲一 低保 3人 编号:abc", "编号应为数字"},
	}
	for _, tt := range tests {
		_, err := b.parseRegister(b.normalize(tt.in))
		var ue *domain.UserError
		if !errors.As(err, &ue) {
			t.Errorf("parseRegister(%q) error = %v, want a domain.UserError", tt.in, err)
			continue
		}
		if !strings.Contains(ue.Message, tt.want) {
			t.Errorf("parseRegister(%q) = %q, want it to say %q", tt.in, ue.Message, tt.want)
		}
		if !strings.Contains(ue.Message, "例如") && !strings.Contains(ue.Message, "格式") {
			t.Errorf("parseRegister(%q) = %q shows no example", tt.in, ue.Message)
		}
	}
}

// TestParseErrorsNeverEchoNumbers: a mistyped ID or phone quoted back is
// masked.
func TestParseErrorsNeverEchoNumbers(t *testing.T) {
	b := newTestBot(t, noStore{t})
	for _, in := range []string{
		"甲一 低保 3人 31010719900101123X 乙",
		"甲一 乙13812345678 低保 3人",
		"甲一 低保 3人 x310107199001011234",
	} {
		_, err := b.parseRegister(b.normalize(in))
		if err == nil {
			t.Errorf("parseRegister(%q) accepted", in)
			continue
		}
		if leaksNumber(err.Error()) {
			t.Errorf("parseRegister(%q) error shows a full number: %q", in, err)
		}
	}
}

func TestResolveClaims(t *testing.T) {
	b := newTestBot(t, noStore{t})
	for _, tt := range []struct {
		in   string
		want string // "" = fine
	}{
		{"甲一 3人 特困供养", "请写明几人"},
		{"甲一 2人 特困供养3人", "多于家庭人数"},
		{"甲一 低保3人 4人", "不一致"},
		{"甲一 特困供养1人", "请写家庭人数"},
		{"甲一 1人 特困供养", ""},
	} {
		a, err := b.parseRegister(b.normalize(tt.in))
		if err != nil {
			t.Fatalf("parseRegister(%q): %v", tt.in, err)
		}
		var msg string
		size, err := resolveSize(a, 0)
		if err == nil {
			_, err = resolveClaims(a.Claims, size)
		}
		if err != nil {
			msg = err.Error()
		}
		if tt.want == "" && msg != "" || !strings.Contains(msg, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, msg, tt.want)
		}
	}
}

func TestParseVisit(t *testing.T) {
	b := newTestBot(t, noStore{t})
	tests := []struct {
		verb, in string
		want     visitArgs
	}{
		{"走访", "甲一 发放900元", visitArgs{Head: "甲一", Paid: 900, PaidSet: true, Visitor: domain.VisitorCommittee}},
		{"走访", "编号3 发放 900元", visitArgs{Code: "3", Paid: 900, PaidSet: true, Visitor: domain.VisitorCommittee}},
		{"走访", "3 900元", visitArgs{Code: "3", Paid: 900, PaidSet: true, Visitor: domain.VisitorCommittee}},
		{"走访", "甲一 发放500元 走访人:街镇领导 日期:1月15日 物品:大米一袋", visitArgs{Head: "甲一", Paid: 500, PaidSet: true, Visitor: domain.VisitorStreet, Date: "1月15日", Goods: "大米一袋"}},
		{"走访", "甲一 区领导 发放1000元 昨天", visitArgs{Head: "甲一", Paid: 1000, PaidSet: true, Visitor: domain.VisitorDistrict, Date: "昨天"}},
		{"补发", "甲一 100元", visitArgs{Head: "甲一", Paid: 100, PaidSet: true, TopUp: true, Visitor: domain.VisitorCommittee}},
		{"走访", "甲一 补发100元", visitArgs{Head: "甲一", Paid: 100, PaidSet: true, TopUp: true, Visitor: domain.VisitorCommittee}},
		{"走访", "甲一 物品:米面油", visitArgs{Head: "甲一", Goods: "米面油", Visitor: domain.VisitorCommittee}},
		{"走访", "甲一 发放900元 居委:甘泉一村", visitArgs{Head: "甲一", Paid: 900, PaidSet: true, Visitor: domain.VisitorCommittee, Committee: "甘泉一村"}},
	}
	for _, tt := range tests {
		got, err := b.parseVisit(tt.verb, b.normalize(tt.in))
		if err != nil {
			t.Errorf("parseVisit(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("parseVisit(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	for _, in := range []string{"发放900元", "甲一", "甲一 发放900元 发放800元", "甲一 走访人:外星人 900元", "甲一 乙二 900元", "甲一 发放999999元"} {
		if _, err := b.parseVisit("走访", b.normalize(in)); err == nil {
			t.Errorf("parseVisit(%q) accepted", in)
		}
	}
}

func TestParseDate(t *testing.T) {
	now := time.Date(2024, 1, 20, 10, 0, 0, 0, campaignZone)
	tests := []struct{ in, want string }{
		{"", "2024-01-20"},
		{"今天", "2024-01-20"},
		{"昨天", "2024-01-19"},
		{"前天", "2024-01-18"},
		{"2024-01-15", "2024-01-15"},
		{"2024/1/15", "2024-01-15"},
		{"1月15日", "2024-01-15"},
		{"1月15号", "2024-01-15"},
		{"1-15", "2024-01-15"},
		{"12月28日", "2023-12-28"}, // last December, not next
		{"2023年12月28日", "2023-12-28"},
	}
	for _, tt := range tests {
		got, err := parseDate(tt.in, now)
		if err != nil || got != tt.want {
			t.Errorf("parseDate(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"1月21日", "2024-02-01", "2月30日", "13月1日", "明天吧", "2025-01-01"} {
		if got, err := parseDate(in, now); err == nil {
			t.Errorf("parseDate(%q) = %q, want refused", in, got)
		}
	}
}

// FuzzParse: normalising, routing and parsing any text never panics, and
// a reply never shows a full ID or phone number that was not asked for.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"登记 甲一 低保 3人", "登记 甲五 低保 3人 特困供养1人", "走访 甲一 发放九百元 日期:1月15日",
		"标准 低保 三人", "登记 甲一 妇联1500元 1人 身份证:" + testID, "补发 编号3 一千五", "帮助", "撤销",
		"登记 甲一 低保3人特困供养1人+妇联1人1500元", "走访 甲一 发放一万五千零五十元", "标准 特困 二十人",
		"登记 ：：：", "登记 身份证:", "十十十百千万人户口元块",
	} {
		f.Add(s)
	}
	b := newTestBot(f, noStore{f})
	f.Fuzz(func(t *testing.T, s string) {
		text := b.normalize(s)
		if b.normalize(text) != text {
			t.Errorf("Normalize is not idempotent on %q: %q then %q", s, text, b.normalize(text))
		}
		r, args := b.match(text)
		if r == nil {
			_ = b.unknown(testStaff["wang"], text)
			return
		}
		var err error
		switch r.name {
		case "register":
			_, err = b.parseRegister(args[0])
		case "visit":
			var v visitArgs
			if v, err = b.parseVisit(args[0], args[1]); err == nil {
				_, err = parseDate(v.Date, b.now())
			}
		case "standards":
			_, err = b.standards(context.Background(), &msg{staff: testStaff["wang"], args: args})
		case "query", "todo":
			_, err = parseQuery(args[0], r.name == "query")
		}
		if err != nil && leaksNumber(err.Error()) {
			t.Errorf("error for %q shows a number: %q", s, err)
		}
	})
}
