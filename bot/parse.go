package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"songnuan/domain"
	"songnuan/policy"
	"songnuan/redact"
	"songnuan/understand"
)

// Formats shown with every parse error, so the user sees what to type.
const (
	fmtRegister = "登记格式：登记 张三 低保 3人（可加 特困供养1人 身份证:… 电话:… 地址:… 居委:…；去掉类别写 去掉:低保）"
	fmtVisit    = "走访格式：走访 张三 发放900元（可加 物品:大米一袋 走访人:街镇领导 日期:1月15日）"
	fmtQuery    = "查询格式：查询 张三 或 查询 编号12"
	fmtStandard = "标准格式：标准 或 标准 低保 3人"
)

// Limits that catch typos before they become money.
const (
	maxSize     = policy.MaxHouseholdSize
	maxAmount   = 100000
	maxHeadRune = 20
)

// regArgs is a parsed 登记: what the user stated, nothing inferred yet.
type regArgs struct {
	Head      string
	Code      string
	Size      int // 0: not stated
	Claims    []claimArg
	ID        string // validated
	Phone     string // validated
	Address   string
	Committee string
	Remove    []string // category keys to take off a registered household
}

// claimArg is one category as typed: 特困供养1人, 低保, 妇联1500元.
type claimArg struct {
	Cat     policy.Category
	Persons int   // count glued to the word, 0 if none
	Amount  int64 // amount glued to the word, 0 if none
}

// fieldKey is what a "key:value" token sets.
type fieldKey int

const (
	keyNone fieldKey = iota
	keyID
	keyPhone
	keyAddress
	keyCommittee
	keyCode
	keyHead
	keySize
	keyCategory
	keyGoods
	keyVisitor
	keyDate
	keyAmount
	keyRemove
)

var fieldKeys = map[string]fieldKey{
	"身份证": keyID, "身份证号": keyID, "身份证号码": keyID, "证件号": keyID, "证件号码": keyID, "ID": keyID, "id": keyID,
	"电话": keyPhone, "手机": keyPhone, "手机号": keyPhone, "手机号码": keyPhone, "联系电话": keyPhone, "电话号码": keyPhone,
	"地址": keyAddress, "住址": keyAddress, "家庭地址": keyAddress,
	"居委": keyCommittee, "居委会": keyCommittee, "居民区": keyCommittee, "社区": keyCommittee,
	"编号": keyCode, "户号": keyCode,
	"户主": keyHead, "姓名": keyHead,
	"人数": keySize, "家庭人数": keySize,
	"类别": keyCategory, "类型": keyCategory,
	"物品": keyGoods, "实物": keyGoods, "礼品": keyGoods, "慰问品": keyGoods,
	"走访人": keyVisitor, "慰问人": keyVisitor, "走访": keyVisitor,
	"日期": keyDate, "时间": keyDate, "走访日期": keyDate,
	"发放": keyAmount, "金额": keyAmount, "补发": keyAmount,
	"去掉": keyRemove, "删除": keyRemove, "删去": keyRemove, "取消": keyRemove,
}

var (
	reSize     = regexp.MustCompile(`^(\d+)人$`)
	reCodeTok  = regexp.MustCompile(`^编号(\d{1,6})$`)
	reCode     = regexp.MustCompile(`^\d{1,6}$`) // household codes are short; a long number is an ID or phone
	reDigits   = regexp.MustCompile(`^\d+$`)
	reBareID   = regexp.MustCompile(`^\d{17}[\dXx]$`)
	reBarePh   = regexp.MustCompile(`^1\d{10}$`)
	reCount    = regexp.MustCompile(`^(\d+)人`)
	reAmount   = regexp.MustCompile(`^(\d+)元`)
	reCatTail  = regexp.MustCompile(`^(?:户|家庭|人员|对象)`)
	reMoneyTok = regexp.MustCompile(`^(?:发放|发了|发|补发|付)?(\d+)元$|^(?:发放|发了|发|补发|付)(\d+)$`)
)

// tokens splits normalised text on spaces and commas.
func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

// splitKV splits "key:value" when key is a known field.
func splitKV(tok string) (fieldKey, string, string, bool) {
	k, v, ok := strings.Cut(tok, ":")
	if !ok {
		return keyNone, "", "", false
	}
	return fieldKeys[k], k, strings.TrimSpace(v), true
}

// shown is a token quoted back to the user, with any ID or phone number
// in it masked.
func shown(tok string) string {
	if utf8.RuneCountInString(tok) > 20 {
		tok = string([]rune(tok)[:20]) + "…"
	}
	return "“" + redact.Text(tok) + "”"
}

func atoi(s string, max int) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && n <= max
}

// scanCats reads a token made only of category words, each with an
// optional glued count and amount: 低保, 特困供养1人, 妇联1500元,
// 低保3人特困供养1人. It fails when anything else is left over.
func (b *Bot) scanCats(tok string) ([]claimArg, bool) {
	var out []claimArg
	rest := strings.TrimPrefix(tok, "+")
	for rest != "" {
		w := ""
		for _, cand := range b.words {
			if strings.HasPrefix(rest, cand) {
				w = cand
				break
			}
		}
		if w == "" {
			return nil, false
		}
		cat, ok := b.policy.Lookup(w)
		if !ok {
			return nil, false
		}
		rest = rest[len(w):]
		if m := reCatTail.FindString(rest); m != "" {
			rest = rest[len(m):]
		}
		c := claimArg{Cat: cat}
		if m := reCount.FindStringSubmatch(rest); m != nil {
			n, ok := atoi(m[1], maxSize)
			if !ok || n == 0 {
				return nil, false
			}
			c.Persons = n
			rest = rest[len(m[0]):]
		}
		if m := reAmount.FindStringSubmatch(rest); m != nil {
			a, ok := atoi(m[1], maxAmount)
			if !ok || a == 0 {
				return nil, false
			}
			c.Amount = int64(a)
			rest = rest[len(m[0]):]
		}
		rest = strings.TrimLeft(rest, "+和及")
		out = append(out, c)
	}
	return out, len(out) > 0
}

// parseRegister reads the arguments of 登记 (tokens in any order).
func (b *Bot) parseRegister(args string) (regArgs, error) {
	return b.parseRegisterTokens(tokens(args))
}

// parseRegisterTokens reads 登记 tokens; an import builds them from a
// row's fields so rows and chat are checked alike.
func (b *Bot) parseRegisterTokens(toks []string) (regArgs, error) {
	var a regArgs
	seenCat := map[string]bool{}
	addCats := func(cs []claimArg) error {
		for _, c := range cs {
			if seenCat[c.Cat.Key] {
				return domain.Userf("类别“" + c.Cat.Key + "”写了两次，请只写一次。" + fmtRegister)
			}
			seenCat[c.Cat.Key] = true
			a.Claims = append(a.Claims, c)
		}
		return nil
	}
	setSize := func(s string) error {
		n, ok := atoi(s, maxSize)
		if !ok || n == 0 {
			return domain.Userf(fmt.Sprintf("家庭人数应为1到%d人，例如：3人。", maxSize) + fmtRegister)
		}
		if a.Size != 0 && a.Size != n {
			return domain.Userf(fmt.Sprintf("人数写了两个（%d人和%d人），请只写一个。", a.Size, n) + fmtRegister)
		}
		a.Size = n
		return nil
	}
	for _, tok := range toks {
		tok = understand.Clean(tok) // 零\u200b宽户 is 零宽户, from chat or a sheet
		if key, k, v, ok := splitKV(tok); ok {
			if v == "" {
				return a, domain.Userf("“" + k + ":”后面没有内容。" + fmtRegister)
			}
			var err error
			switch key {
			case keyID:
				a.ID, err = ValidateID(v)
			case keyPhone:
				a.Phone, err = ValidatePhone(v)
			case keyAddress:
				if utf8.RuneCountInString(v) > understand.MaxAddressRunes {
					return a, domain.Userf(fmt.Sprintf("地址最多%d个字，请写到门牌号，例如：地址:甘泉路88弄3号601室。", understand.MaxAddressRunes))
				}
				a.Address = v
			case keyCommittee:
				a.Committee = v
			case keyCode:
				if !reCode.MatchString(v) {
					return a, domain.Userf("编号应为数字，例如：登记 编号12 4人")
				}
				a.Code = strings.TrimLeft(v, "0")
			case keyHead:
				if a.Head != "" && a.Head != v {
					return a, domain.Userf("户主写了两个，请只写一个。" + fmtRegister)
				}
				a.Head = v
			case keySize:
				err = setSize(strings.TrimSuffix(v, "人"))
			case keyRemove:
				for _, part := range strings.Split(v, "+") {
					c, ok := b.policy.Lookup(part)
					if !ok {
						return a, domain.Userf(shown(part) + "不是已知的补助类别，例如：登记 编号12 去掉:低保")
					}
					a.Remove = append(a.Remove, c.Key)
				}
			case keyCategory:
				for _, part := range strings.Split(v, "+") {
					cs, ok := b.scanCats(part)
					if !ok {
						return a, domain.Userf(shown(part) + "不是已知的补助类别，发送“标准”查看全部类别。" + fmtRegister)
					}
					if err := addCats(cs); err != nil {
						return a, err
					}
				}
			default:
				return a, domain.Userf("看不懂" + shown(k+":") + "，可以写 身份证: 电话: 地址: 居委:。" + fmtRegister)
			}
			if err != nil {
				return a, err
			}
			continue
		}
		switch {
		case reSize.MatchString(tok):
			if err := setSize(reSize.FindStringSubmatch(tok)[1]); err != nil {
				return a, err
			}
		case reCodeTok.MatchString(tok):
			a.Code = strings.TrimLeft(reCodeTok.FindStringSubmatch(tok)[1], "0")
		case reBareID.MatchString(tok):
			id, err := ValidateID(tok)
			if err != nil {
				return a, err
			}
			a.ID = id
		case reBarePh.MatchString(tok):
			ph, err := ValidatePhone(tok)
			if err != nil {
				return a, err
			}
			a.Phone = ph
		default:
			if cs, ok := b.scanCats(tok); ok {
				if err := addCats(cs); err != nil {
					return a, err
				}
				continue
			}
			if a.Head == "" && validHead(tok) {
				if understand.SentenceLike(tok) {
					return a, domain.Userf("“" + redact.Text(tok) + "”不像户主姓名，请只写姓名。" + fmtRegister)
				}
				a.Head = tok
				continue
			}
			if a.Head == "" {
				return a, inferable("户主姓名" + shown(tok) + "不对：应是1到20个字的姓名。" + fmtRegister)
			}
			return a, inferable("看不懂" + shown(tok) + "：不是已知的补助类别（发送“标准”查看），也不是人数。" + fmtRegister)
		}
	}
	if a.Head == "" && a.Code == "" {
		return a, domain.Userf("请写户主姓名。" + fmtRegister)
	}
	return a, nil
}

// validHead accepts a name: a few characters, not a number, no field
// separator.
func validHead(s string) bool {
	n := utf8.RuneCountInString(s)
	if n == 0 || n > maxHeadRune || reDigits.MatchString(s) {
		return false
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
		if r == ':' || r == '"' || r == '<' || r == '>' {
			return false
		}
	}
	return digits < 6 // a long number is a mistyped ID or phone, never a name
}

// visitArgs is a parsed 走访.
type visitArgs struct {
	Head      string
	Code      string
	Paid      int64
	PaidSet   bool
	TopUp     bool // said 补发
	Goods     string
	Visitor   domain.Visitor
	Date      string // as typed; "" is today
	Committee string
}

// visitorWords maps what users type for who visited.
var visitorWords = map[string]domain.Visitor{
	"区领导": domain.VisitorDistrict, "区级领导": domain.VisitorDistrict, "区委领导": domain.VisitorDistrict,
	"街镇领导": domain.VisitorStreet, "街道领导": domain.VisitorStreet, "镇领导": domain.VisitorStreet, "街领导": domain.VisitorStreet,
	"居委": domain.VisitorCommittee, "居委会": domain.VisitorCommittee, "社工": domain.VisitorCommittee, "居委干部": domain.VisitorCommittee,
}

// parseVisit reads the arguments of 走访; verb is the command word used.
func (b *Bot) parseVisit(verb, args string) (visitArgs, error) {
	v := visitArgs{Visitor: domain.VisitorCommittee, TopUp: verb == "补发"}
	setPaid := func(s string) error {
		n, ok := atoi(s, maxAmount)
		if !ok {
			return domain.Userf(fmt.Sprintf("发放金额应在0到%d元之间，例如：发放900元。", maxAmount) + fmtVisit)
		}
		if v.PaidSet && v.Paid != int64(n) {
			return domain.Userf("金额写了两个，请只写一个。" + fmtVisit)
		}
		v.Paid, v.PaidSet = int64(n), true
		return nil
	}
	for _, tok := range tokens(args) {
		if key, k, val, ok := splitKV(tok); ok {
			if val == "" {
				return v, domain.Userf("“" + k + ":”后面没有内容。" + fmtVisit)
			}
			switch key {
			case keyGoods:
				v.Goods = val
			case keyVisitor:
				who, ok := visitorWords[val]
				if !ok {
					return v, domain.Userf("走访人请写 区领导、街镇领导 或 居委，例如：走访人:街镇领导。" + fmtVisit)
				}
				v.Visitor = who
			case keyDate:
				v.Date = val
			case keyCommittee:
				v.Committee = val
			case keyCode:
				if !reCode.MatchString(val) {
					return v, domain.Userf("编号应为数字，例如：走访 编号12 发放900元")
				}
				v.Code = strings.TrimLeft(val, "0")
			case keyHead:
				v.Head = val
			case keyAmount:
				if k == "补发" {
					v.TopUp = true
				}
				if err := setPaid(strings.TrimSuffix(val, "元")); err != nil {
					return v, err
				}
			default:
				return v, domain.Userf("看不懂" + shown(k+":") + "，可以写 物品: 走访人: 日期: 居委:。" + fmtVisit)
			}
			continue
		}
		if m := reMoneyTok.FindStringSubmatch(tok); m != nil {
			if strings.HasPrefix(tok, "补发") {
				v.TopUp = true
			}
			if err := setPaid(m[1] + m[2]); err != nil {
				return v, err
			}
			continue
		}
		if who, ok := visitorWords[tok]; ok {
			v.Visitor = who
			continue
		}
		switch {
		case tok == "发放" || tok == "发了":
		case tok == "补发":
			v.TopUp = true
		case reCodeTok.MatchString(tok):
			v.Code = strings.TrimLeft(reCodeTok.FindStringSubmatch(tok)[1], "0")
		case looksLikeDate(tok):
			v.Date = tok
		case reCode.MatchString(tok) && v.Head == "" && v.Code == "":
			v.Code = strings.TrimLeft(tok, "0")
		case v.Head == "" && v.Code == "" && validHead(tok):
			v.Head = tok
		default:
			return v, inferable("看不懂" + shown(tok) + "。" + fmtVisit)
		}
	}
	if v.Head == "" && v.Code == "" {
		return v, domain.Userf("请写户主姓名或编号。" + fmtVisit)
	}
	if !v.PaidSet && v.Goods == "" {
		return v, domain.Userf("请写发放金额或物品，例如：走访 张三 发放900元，或 走访 张三 物品:大米一袋。")
	}
	return v, nil
}

var (
	reDateISO  = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})日?$`)
	reDateCN   = regexp.MustCompile(`^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?$`)
	reDateMD   = regexp.MustCompile(`^(\d{1,2})[-/.](\d{1,2})$`)
	relDayWord = map[string]int{"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
)

func looksLikeDate(s string) bool {
	_, rel := relDayWord[s]
	return rel || reDateISO.MatchString(s) || reDateCN.MatchString(s) || reDateMD.MatchString(s)
}

// parseDate reads a visit date relative to today (campaign time). A date
// given without a year is the latest such date not far in the future, so
// "12月28日" said in January is last December. Future dates are refused.
func parseDate(s string, now time.Time) (string, error) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, campaignZone)
	bad := domain.Userf("日期看不懂，请写 1月15日、2024-01-15、今天 或 昨天，例如：走访 张三 发放900元 日期:1月15日")
	if s == "" {
		return today.Format("2006-01-02"), nil
	}
	var y, mo, d int
	yearGiven := false
	if back, ok := relDayWord[s]; ok {
		return today.AddDate(0, 0, -back).Format("2006-01-02"), nil
	}
	if m := reDateISO.FindStringSubmatch(s); m != nil {
		y, _ = strconv.Atoi(m[1])
		mo, _ = strconv.Atoi(m[2])
		d, _ = strconv.Atoi(m[3])
		yearGiven = true
	} else if m := reDateCN.FindStringSubmatch(s); m != nil {
		if m[1] != "" {
			y, _ = strconv.Atoi(m[1])
			yearGiven = true
		}
		mo, _ = strconv.Atoi(m[2])
		d, _ = strconv.Atoi(m[3])
	} else if m := reDateMD.FindStringSubmatch(s); m != nil {
		mo, _ = strconv.Atoi(m[1])
		d, _ = strconv.Atoi(m[2])
	} else {
		return "", bad
	}
	if !yearGiven {
		y = today.Year()
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, campaignZone)
	if mo < 1 || mo > 12 || d < 1 || t.Day() != d {
		return "", bad
	}
	if !yearGiven && t.Sub(today) > 60*24*time.Hour {
		t = t.AddDate(-1, 0, 0)
	}
	if t.After(today) {
		return "", domain.Userf(fmt.Sprintf("走访日期%s还没到，不能记录未来的走访。请写实际走访的日期，例如：日期:%d月%d日", cnDate(t), int(today.Month()), today.Day()))
	}
	return t.Format("2006-01-02"), nil
}

// cnDate writes a date the way the chat does: 1月15日.
func cnDate(t time.Time) string { return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day()) }

// cnDateStr writes a stored YYYY-MM-DD date as 1月15日.
func cnDateStr(s string) string {
	t, err := time.ParseInLocation("2006-01-02", s, campaignZone)
	if err != nil {
		return s
	}
	return cnDate(t)
}

// stdArgs is a parsed 标准.
type stdArgs struct {
	Cat  *policy.Category
	Size int
}

// parseStandards reads 标准 [类别] [N人].
func (b *Bot) parseStandards(args string) (stdArgs, error) {
	var a stdArgs
	for _, tok := range tokens(args) {
		if m := reSize.FindStringSubmatch(tok); m != nil {
			n, ok := atoi(m[1], maxSize)
			if !ok || n == 0 {
				return a, domain.Userf(fmt.Sprintf("人数应为1到%d人。", maxSize) + fmtStandard)
			}
			a.Size = n
			continue
		}
		cs, ok := b.scanCats(tok)
		if !ok || len(cs) != 1 || a.Cat != nil {
			return a, inferable(shown(tok) + "不是已知的补助类别。" + fmtStandard)
		}
		c := cs[0].Cat
		a.Cat = &c
		if cs[0].Persons > 0 {
			a.Size = cs[0].Persons
		}
	}
	return a, nil
}

// queryArgs is a parsed 查询 / 待办 target.
type queryArgs struct {
	Head      string
	Code      string
	Committee string
}

// parseQuery reads 查询 <户主或编号> [居委:…].
func parseQuery(args string, needTarget bool) (queryArgs, error) {
	var q queryArgs
	for _, tok := range tokens(args) {
		if key, _, v, ok := splitKV(tok); ok && v != "" {
			switch key {
			case keyCommittee:
				q.Committee = v
				continue
			case keyCode:
				if reCode.MatchString(v) {
					q.Code = strings.TrimLeft(v, "0")
					continue
				}
			case keyHead:
				q.Head = v
				continue
			}
			return q, domain.Userf("看不懂" + shown(tok) + "。" + fmtQuery)
		}
		switch {
		case reCodeTok.MatchString(tok):
			q.Code = strings.TrimLeft(reCodeTok.FindStringSubmatch(tok)[1], "0")
		case reCode.MatchString(tok) && q.Code == "" && q.Head == "":
			q.Code = strings.TrimLeft(tok, "0")
		case q.Head == "" && q.Code == "" && validHead(tok):
			q.Head = tok
		default:
			return q, inferable("看不懂" + shown(tok) + "。" + fmtQuery)
		}
	}
	if needTarget && q.Head == "" && q.Code == "" {
		return q, domain.Userf("请写户主姓名或编号。" + fmtQuery)
	}
	return q, nil
}
