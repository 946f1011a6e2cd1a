package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"songnuan/chat"
	"songnuan/redact"
)

// household is one household registered for a mixed run.
type household struct {
	worker Worker
	ref    string // its code, or its head when the reply showed no code
	due    int64  // 合计 from the registration reply
}

// Name parts for heads. No Chinese numerals (the bot reads 一…十, 两, 百,
// 千 as numbers in some places) and nothing that is part of a category
// word, so every head is read as a name.
var (
	surnames = []rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏窦章苏潘葛奚范彭郎鲁韦昌马苗凤方俞任袁柳鲍史唐费廉岑薛雷贺倪汤")
	given    = []rune("春夏秋冬梅兰竹菊松柏明华文武安宁乐和英杰秀丽玉珍桂芳淑敏静雅晨曦海涛峰岚云霞志刚建国红军")
)

// nameSpace is how many distinct heads headName makes.
var nameSpace = len(surnames) * len(given) * len(given) * len(given)

// headName is the x-th head: a surname and three given characters.
func headName(x int) string {
	x %= nameSpace
	r := []rune{surnames[x%len(surnames)]}
	x /= len(surnames)
	for range 3 {
		r = append(r, given[x%len(given)])
		x /= len(given)
	}
	return string(r)
}

// registerText varies sizes and categories the way a committee's list
// does: plain 低保 households, 特困 members inside them, unemployment,
// illness-driven poverty, entitled veterans.
func registerText(head string, rnd *rand.Rand) string {
	switch rnd.IntN(6) {
	case 0:
		return fmt.Sprintf("登记 %s 低保 %d人", head, 1+rnd.IntN(5))
	case 1:
		return fmt.Sprintf("登记 %s 1人 特困供养", head)
	case 2:
		return fmt.Sprintf("登记 %s 低保 %d人 特困供养1人", head, 2+rnd.IntN(3))
	case 3:
		return fmt.Sprintf("登记 %s 低保 %d人 登记失业1人", head, 2+rnd.IntN(3))
	case 4:
		return fmt.Sprintf("登记 %s 因病支出型 %d人", head, 1+rnd.IntN(4))
	default:
		return fmt.Sprintf("登记 %s %d人 重点优抚1人", head, 1+rnd.IntN(3))
	}
}

// inCommittee names the worker's committee when one was given.
func inCommittee(text string, w Worker) string {
	if w.Committee == "" {
		return text
	}
	return text + " 居委:" + w.Committee
}

var (
	// 甲一（编号3，甘泉一村，3人）: the header of every household reply.
	reCode = regexp.MustCompile(`编号(\d+)`)
	// The last line of an entitlement, "合计 900元", or after an update
	// "合计 900→1000元".
	reTotal = regexp.MustCompile(`合计\s*(?:\d+\s*→\s*)?(\d+)\s*元`)
)

// register registers opt.Households households, spread over the workers,
// with opt.C in flight, and reads each one's code and total from its
// reply. Any registration the bot refuses stops the run: the mixed
// traffic would measure error replies instead.
func register(ctx context.Context, c *chat.Client, lanes []lane, opt Options, ids *idSet) (*mixed, Setup, error) {
	rnd := rand.New(rand.NewPCG(uint64(opt.Seed), 1))
	offset := rnd.IntN(nameSpace) // another run's heads stay apart
	hh := make([]household, opt.Households)
	reqs := make([]request, len(hh))
	heads := make([]string, len(hh))
	for i := range hh {
		w := opt.Workers[i%len(opt.Workers)]
		heads[i] = headName(offset + i)
		m := c.Text(w.UserID, inCommittee(registerText(heads[i], rnd), w))
		m.MsgID = ids.fresh()
		req, err := c.Request(ctx, m)
		if err != nil {
			return nil, Setup{}, err
		}
		hh[i].worker = w
		reqs[i] = request{req: req, msgID: m.MsgID, kind: kindRegister}
	}
	start := time.Now()
	got := fire(ctx, reqs, lanes)
	setup := Setup{Elapsed: time.Since(start)}
	if err := ctx.Err(); err != nil {
		return nil, setup, err
	}
	for i, x := range got {
		reply, err := setupReply(c, x)
		if err != nil {
			return nil, setup, fmt.Errorf("登记第 %d 户（%s，发自 %s）失败，压测停止：%w", i+1, heads[i], hh[i].worker.UserID, err)
		}
		total := reTotal.FindStringSubmatch(reply)
		if total == nil {
			return nil, setup, fmt.Errorf("登记第 %d 户（%s，发自 %s）没有成功，压测停止。机器人回复：%s",
				i+1, heads[i], hh[i].worker.UserID, shortReply(reply))
		}
		hh[i].due, _ = strconv.ParseInt(total[1], 10, 64)
		if code := reCode.FindStringSubmatch(reply); code != nil {
			hh[i].ref = code[1]
		} else {
			hh[i].ref = heads[i]
			setup.ByHead++
		}
		setup.Households++
	}
	return &mixed{opt: opt, hh: hh, rnd: rnd}, setup, nil
}

// setupReply is the decrypted reply to a setup request, or why there is
// none.
func setupReply(c *chat.Client, x shot) (string, error) {
	switch {
	case x.status == 0:
		return "", fmt.Errorf("没有应答：%s", errText(x.err))
	case x.status != http.StatusOK:
		return "", fmt.Errorf("HTTP %d", x.status)
	case x.err != nil:
		return "", fmt.Errorf("读回复：%s", errText(x.err))
	}
	reply, err := c.OpenReply(x.body)
	if err != nil {
		return "", fmt.Errorf("回复解不开（凭据和机器人的不一致？）")
	}
	if reply == "" {
		return "", fmt.Errorf("没有直接回复（回复被推送了？）")
	}
	return reply, nil
}

// shortReply is the first lines of a reply, masked, for an error message.
func shortReply(s string) string {
	lines := strings.Split(redact.Text(s), "\n")
	if len(lines) > 3 {
		lines = append(lines[:3], "…")
	}
	return strings.Join(lines, " / ")
}

// mixed yields the campaign's busy-week traffic: in every 20 messages 16
// visits, 3 待办 and 1 进度, shuffled. Visits go through the households in
// order, so the first round records a payment for each and later rounds
// meet the bot's duplicate check, as re-reported visits do.
type mixed struct {
	opt   Options
	hh    []household
	rnd   *rand.Rand
	block []string
	visit int
	todo  int
	prog  int
}

func (m *mixed) next() message {
	if len(m.block) == 0 {
		for range 16 {
			m.block = append(m.block, kindVisit)
		}
		m.block = append(m.block, kindTodo, kindTodo, kindTodo, kindProgress)
		m.rnd.Shuffle(len(m.block), func(i, j int) { m.block[i], m.block[j] = m.block[j], m.block[i] })
	}
	k := m.block[0]
	m.block = m.block[1:]
	switch k {
	case kindVisit:
		h := m.hh[m.visit%len(m.hh)]
		m.visit++
		paid := h.due
		if paid <= 0 {
			paid = 500 // a household whose items all need an amount stated
		}
		return message{user: h.worker.UserID, text: inCommittee(fmt.Sprintf("走访 %s 发放%d元", h.ref, paid), h.worker), kind: kindVisit}
	case kindTodo:
		w := m.opt.Workers[m.todo%len(m.opt.Workers)]
		m.todo++
		return message{user: w.UserID, text: inCommittee("待办", w), kind: kindTodo}
	default:
		l := m.opt.Leaders[m.prog%len(m.opt.Leaders)]
		m.prog++
		return message{user: l, text: "进度", kind: kindProgress}
	}
}
