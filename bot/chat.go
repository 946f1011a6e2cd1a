package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"songnuan/domain"
	"songnuan/policy"
	"songnuan/redact"
	"songnuan/understand"
)

// Free-form messages. A message the router does not match, or a canonical
// one it cannot carry out as typed (a name one character off, a bare
// amount), is read by package understand against the committee's
// households. A read-only request is answered at once; a change is
// restated in its canonical form and carried out only when the sender
// answers 是: then exactly the canonical command runs, keyed by the 是
// message, so its reply is the canonical reply and a re-delivery of the 是
// has one effect.

// Pending confirmations.
const (
	pendingConfirm = "confirm"
	confirmTTL     = 10 * time.Minute
	confirmLine    = "回复“是”确认，回复其他内容取消"
)

// pendingAction is an inferred change waiting for its 是.
type pendingAction struct {
	Command string `json:"cmd"`
	Expires int64  `json:"exp"`          // campaign clock, Unix seconds
	By      string `json:"by,omitempty"` // MsgId of the 是 that carried it out
}

// newReader builds the interpreter for the staff's committees and the
// policy's category words.
func newReader(committees []string, p *policy.Policy) *understand.Interpreter {
	cats := make([]understand.Category, 0, len(p.Categories))
	for _, c := range p.Categories {
		cats = append(cats, understand.Category{Key: c.Key, Words: c.Aliases})
	}
	return understand.New(committees, cats)
}

// canonical is a message as the router matches it: clean, without the
// question mark or particle that may end it, normalised.
func (b *Bot) canonical(text string) string {
	return b.normalize(understand.StripTrailing(understand.Clean(text)))
}

// storeFree reads a free-form text without the committee's households
// and reports whether its answer needs no store: a question about help,
// the standards or the schedule. Such a text leaves a pending change as
// it is, as 帮助 does; anything else drops it, so needs the store.
func (b *Bot) storeFree(st domain.Staff, text string) (understand.Reading, bool) {
	rd := b.interp.Read(understand.Input{Text: text, Role: understand.Role(st.Role), Committee: st.Committee, Today: b.now()})
	free := rd.Mode == understand.Inferred && (rd.Intent == understand.Help || rd.Intent == understand.Standard || rd.Intent == understand.Schedule)
	return rd, free
}

// confirmPending carries out the sender's pending change when text says
// yes to it. ok is false when nothing is pending for this message: the
// message is then read as any other.
func (b *Bot) confirmPending(ctx context.Context, m *msg) (Reply, bool, error) {
	user := m.staff.UserID
	v, err := b.store.TakePending(ctx, user, pendingConfirm)
	if errors.Is(err, ErrNotFound) {
		return Reply{}, false, nil
	}
	if err != nil {
		return Reply{}, false, fmt.Errorf("take pending of %s: %w", user, err)
	}
	p, ok := b.openPending(v)
	if !ok {
		return Reply{}, false, nil
	}
	left := time.Unix(p.Expires, 0).Sub(b.now())
	switch {
	case p.By != "" && p.By != m.in.MsgID:
		// carried out by an earlier 是: this one is a new message
		if err := b.putPending(ctx, user, p, left); err != nil {
			return Reply{}, false, err
		}
		return Reply{}, false, nil
	case b.now().Unix() > p.Expires:
		return Reply{Text: "待确认的操作已超过10分钟，没有记录。请重新发送。", Refused: true}, true, nil
	}
	// kept with the 是's MsgId, so a re-delivery of this 是 runs the same
	// command under the same op id and gets the same reply
	p.By = m.in.MsgID
	if err := b.putPending(ctx, user, p, left); err != nil {
		return Reply{}, false, err
	}
	rep, err := b.runCommand(ctx, m, p.Command)
	return rep, true, err
}

// putPending keeps p for user, sealed: a registration's command may hold
// a whole ID or phone number.
func (b *Bot) putPending(ctx context.Context, user string, p pendingAction, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	v, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode pending: %w", err)
	}
	if err := b.store.PutPending(ctx, user, pendingConfirm, b.sealer.Seal(string(v)), ttl); err != nil {
		return fmt.Errorf("put pending of %s: %w", user, err)
	}
	return nil
}

// openPending reads what putPending kept; ok is false for anything else.
func (b *Bot) openPending(sealed string) (pendingAction, bool) {
	var p pendingAction
	v, err := b.sealer.Open(sealed)
	if err != nil || json.Unmarshal([]byte(v), &p) != nil || p.Command == "" {
		return pendingAction{}, false
	}
	return p, true
}

// dropPending forgets the sender's pending change, reporting whether there
// was one not yet carried out.
func (b *Bot) dropPending(ctx context.Context, m *msg) (bool, error) {
	if m.staff.Role == domain.RoleLeader {
		return false, nil // leaders make no changes, so have none pending
	}
	v, err := b.store.TakePending(ctx, m.staff.UserID, pendingConfirm)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("drop pending of %s: %w", m.staff.UserID, err)
	}
	p, ok := b.openPending(v)
	return ok && p.By == "", nil
}

// runCommand runs a canonical command on the message's behalf, as if the
// sender had typed it: same MsgId, same op id, same reply.
func (b *Bot) runCommand(ctx context.Context, m *msg, cmd string) (Reply, error) {
	m2 := *m
	m2.in.Text = cmd
	m2.confirmed = true
	r, args := b.match(b.normalize(cmd))
	if r == nil {
		return Reply{}, fmt.Errorf("command %q read from a message matches no route", cmd)
	}
	return b.runRoute(ctx, &m2, r, args)
}

// heads are the committee's households as the interpreter reads names
// against them.
func (b *Bot) heads(ctx context.Context, committee string) ([]understand.Head, error) {
	refs, err := b.store.Heads(ctx, committee)
	if err != nil {
		return nil, fmt.Errorf("read heads of %s: %w", committee, err)
	}
	hs := make([]understand.Head, len(refs))
	for i, r := range refs {
		hs[i] = understand.Head{Name: r.Head, Code: r.Code}
	}
	return hs, nil
}

// read interprets the message against the committee's households.
func (b *Bot) read(ctx context.Context, m *msg, text, committee string) (understand.Reading, error) {
	in := understand.Input{Text: text, Role: understand.Role(m.staff.Role), Committee: committee, Today: b.now()}
	if committee != "" {
		hs, err := b.heads(ctx, committee)
		if err != nil {
			return understand.Reading{}, err
		}
		in.Heads = hs
	}
	rd := b.interp.Read(in)
	if rd.Intent != understand.Visit || rd.Code == "" {
		return rd, nil
	}
	// what is due, for 钱已给 and for the restatement: read again with it
	h, err := b.store.Household(ctx, committee, rd.Code)
	if err != nil {
		return rd, fmt.Errorf("read household %s/%s: %w", committee, rd.Code, err)
	}
	for i := range in.Heads {
		if in.Heads[i].Code == rd.Code {
			in.Heads[i].Due = dueOf(&h)
		}
	}
	return b.interp.Read(in), nil
}

// dueOf is what a household is still due: its entitlement less what its
// visits paid, or the whole entitlement once that is paid.
func dueOf(h *domain.Household) int64 {
	var paid int64
	for _, v := range h.Visits {
		paid += v.Paid
	}
	if left := h.Entitlement.Total - paid; left > 0 {
		return left
	}
	return h.Entitlement.Total
}

// inferText answers a message the router could not carry out as typed.
// canon is the router's own complaint about it, if it matched a route.
func (b *Bot) inferText(ctx context.Context, m *msg, canon *domain.UserError) (Reply, error) {
	dropped, err := b.dropPending(ctx, m)
	if err != nil {
		return Reply{}, err
	}
	committee := ""
	if m.staff.Role == domain.RoleWorker {
		committee = m.staff.Committee
	}
	rd, err := b.read(ctx, m, m.in.Text, committee)
	if err != nil {
		return Reply{}, err
	}
	rep, err := b.answerReading(ctx, m, rd, canon)
	if err == nil && dropped && rep.Text != "" {
		rep.Text = "已取消上一条待确认的操作。\n" + rep.Text
	}
	return rep, err
}

// lookAlike stops a canonical registration of a new head whose name is
// an existing head's with 家 or an honorific, or one character off one of
// the same surname: the registration is restated and waits for a 是.
func (b *Bot) lookAlike(ctx context.Context, m *msg, committee, head string) (Reply, bool, error) {
	hs, err := b.heads(ctx, committee)
	if err != nil {
		return Reply{}, false, err
	}
	for _, h := range hs {
		if h.Name == head {
			return Reply{}, false, nil // an update of a registered household
		}
	}
	rd := b.interp.Read(understand.Input{Text: m.in.Text, Role: understand.Role(m.staff.Role), Committee: committee, Heads: hs, Today: b.now()})
	if rd.Intent != understand.Register || rd.Mode != understand.Inferred || rd.Near == nil && rd.Code == "" {
		return Reply{}, false, nil
	}
	rep, err := b.answerReading(ctx, m, rd, nil)
	return rep, true, err
}

// answerReading acts on a reading: a read-only request at once, a change
// after confirmation, anything else with the closest command.
func (b *Bot) answerReading(ctx context.Context, m *msg, rd understand.Reading, canon *domain.UserError) (Reply, error) {
	same := b.normalize(rd.Command) == b.canonical(m.in.Text)
	switch {
	case canon != nil && (rd.Mode != understand.Inferred || same):
		return Reply{Text: canon.Message, Refused: true}, nil // nothing better than the router's own answer
	case rd.Mode == understand.Ask || rd.Intent == understand.None:
		return Reply{Text: b.askText(m.staff, rd, m.in.Text), Refused: true}, nil
	case !rd.Intent.Changes():
		return b.runCommand(ctx, m, rd.Command)
	case m.staff.Role == domain.RoleLeader:
		r, _ := b.match(b.normalize(rd.Command))
		if r != nil {
			return Reply{Text: refusedRole(m.staff.Role, r), Refused: true}, nil
		}
	}
	text, err := b.restate(ctx, m, rd)
	if err != nil {
		return Reply{}, err
	}
	p := pendingAction{Command: rd.Command, Expires: b.now().Add(confirmTTL).Unix()}
	if err := b.putPending(ctx, m.staff.UserID, p, confirmTTL); err != nil {
		return Reply{}, err
	}
	m.proposed = true
	return Reply{Text: text, Refused: true}, nil // nothing changed yet
}

// restate says what an inferred change will do, in its canonical form,
// and asks for the 是.
func (b *Bot) restate(ctx context.Context, m *msg, rd understand.Reading) (string, error) {
	ls := []string{"您是要：" + redact.Text(rd.Command)} // never a whole ID or phone number
	switch rd.Intent {
	case understand.Visit:
		h, err := b.store.Household(ctx, m.staff.Committee, rd.Code)
		if err != nil {
			return "", fmt.Errorf("read household %s/%s: %w", m.staff.Committee, rd.Code, err)
		}
		var paid int64
		for _, v := range h.Visits {
			paid += v.Paid
		}
		l := fmt.Sprintf("%s（编号%s）应发%d元，已发%d元", h.Head, h.Code, h.Entitlement.Total, paid)
		if rd.HasAmount {
			l += fmt.Sprintf("，本次%s%d元", map[bool]string{true: "补发", false: "发放"}[rd.TopUp], rd.Amount)
		}
		ls = append(ls, l+"。")
		if rd.Match == understand.NameSlip {
			ls = append(ls, "（您写的是“"+redact.Text(rd.Typed)+"”，本居委没有这个户主。）")
		}
	case understand.Register:
		switch {
		case rd.Code != "":
			ls = append(ls, fmt.Sprintf("这是已登记的%s（编号%s），将更新这一户。", rd.Head, rd.Code))
		case rd.Near != nil:
			ls = append(ls, fmt.Sprintf("注意：本居委已有户主%s（编号%s），只差一个字。确认是另一户吗？", rd.Near.Name, rd.Near.Code))
		default:
			ls = append(ls, "将新登记一户。")
		}
		if len(rd.Notes) > 0 {
			ls = append(ls, "未记录："+redact.Text(strings.Join(rd.Notes, "、")))
		}
	case understand.Undo:
		ls = append(ls, b.undoPreview(ctx, m.staff.UserID))
	}
	return lines(append(ls, confirmLine)...), nil
}

// undoPreview names the record a 撤销 would take back, as far as it can
// be read now; the 撤销 itself checks again when it runs.
func (b *Bot) undoPreview(ctx context.Context, user string) string {
	rec, err := b.store.LastUndo(ctx, user)
	if err != nil {
		return "将撤销您的上一条登记或走访。"
	}
	what := map[ChangeKind]string{ChangeRegister: "登记", ChangeUpdate: "更新", ChangeVisit: "走访记录"}[rec.Kind]
	if what == "" {
		what = "记录"
	}
	h, err := b.store.Household(ctx, rec.Committee, rec.Code)
	if err != nil {
		return "将撤销您的上一条" + what + "（编号" + rec.Code + "）。"
	}
	return fmt.Sprintf("将撤销您的上一条%s：%s（编号%s）。", what, h.Head, h.Code)
}

// askUsage names what a proposed command does, for "您是想…吗".
var askUsage = map[understand.Intent]string{
	understand.Visit: "记录走访", understand.Register: "登记一户", understand.Query: "查一户",
	understand.Progress: "查看进度", understand.Standard: "查补助标准", understand.Todo: "查看待办",
	understand.Schedule: "查看日程", understand.Donate: "记录捐款", understand.Report: "上报事项",
	understand.Rescue: "报告流浪人员", understand.Undo: "撤销上一条", understand.Export: "导出统计表",
}

// askText proposes the closest command, filled in with what was read.
func (b *Bot) askText(st domain.Staff, rd understand.Reading, text string) string {
	usage, ok := askUsage[rd.Intent]
	if !ok {
		return b.unknown(st, b.canonical(text))
	}
	ls := []string{}
	if rd.Problem != "" {
		ls = append(ls, rd.Problem)
	}
	ls = append(ls, "您是想"+usage+"吗？例如："+redact.Text(rd.Command), "发送“帮助”查看全部命令。")
	return lines(ls...)
}
