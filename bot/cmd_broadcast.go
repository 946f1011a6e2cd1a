package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"songnuan/domain"
	"songnuan/redact"
)

// BroadcastTTL is how long a broadcast preview waits for 确认.
const BroadcastTTL = 10 * time.Minute

// pendingBroadcast is the kind under which a preview waits in the store.
const pendingBroadcast = "broadcast"

// maxBroadcastUsers is how many users one WeCom app message may name.
const maxBroadcastUsers = 1000

// broadcastNamesShown is how many recipients a preview names.
const broadcastNamesShown = 8

const fmtBroadcast = "广播格式：广播 通知内容 对象:社工（对象可写 全体、社工、领导、管理员、居委名或成员，多个用逗号隔开；不写为全体）"

// reBroadcast splits the message as typed (not normalised: the text goes
// out as the admin wrote it, line breaks and numerals included) into the
// text and the audience named on its last line.
var reBroadcast = regexp.MustCompile(`(?s)^[\s\x{3000}]*广播[\s\x{3000}]*[:：]?[\s\x{3000}]*(.*?)[\s\x{3000}]*(?:对象[\s\x{3000}]*[:：][\s\x{3000}]*([^\n]*?))?[\s\x{3000}]*$`)

// broadcastDraft is a broadcast waiting for 确认: the message exactly as
// it will be sent and the users it was resolved to when previewed.
type broadcastDraft struct {
	Text  string    `json:"text"`
	To    []string  `json:"to"`
	Label string    `json:"label"`
	At    time.Time `json:"at"`
	MsgID string    `json:"msg"`
}

// broadcast handles 广播 <text> [对象:…]: it resolves the audience now and
// shows a preview; nothing is sent until the admin answers 确认.
func (b *Bot) broadcast(ctx context.Context, m *msg) (Reply, error) {
	sm := reBroadcast.FindStringSubmatch(m.in.Text)
	if sm == nil || strings.TrimSpace(sm[1]) == "" {
		return Reply{}, domain.Userf("请写通知内容。" + fmtBroadcast)
	}
	body := strings.TrimSpace(sm[1])
	if redact.Contains(body) {
		return Reply{}, domain.Userf("广播内容里有身份证号或手机号，群发不能带完整号码。请去掉号码或改写座机，例如：如有问题请联系社区服务办（62000000）。")
	}
	spec := strings.TrimSpace(b.normalize(sm[2]))
	to, label, err := b.audience(spec)
	if err != nil {
		return Reply{}, err
	}
	d := broadcastDraft{Text: body + "\n——" + m.staff.Name, To: to, Label: label, At: b.now(), MsgID: m.in.MsgID}
	if len(d.Text) > maxMessageBytes {
		return Reply{}, domain.Userf(fmt.Sprintf("广播内容太长：一条消息最多约%d个汉字，请删减或分两次发送。", (maxMessageBytes-100)/3))
	}
	js, err := json.Marshal(d)
	if err != nil {
		return Reply{}, fmt.Errorf("encode broadcast draft: %w", err)
	}
	if err := b.store.PutPending(ctx, m.staff.UserID, pendingBroadcast, string(js), BroadcastTTL); err != nil {
		return Reply{}, fmt.Errorf("keep broadcast draft: %w", err)
	}
	return Reply{Text: lines(
		fmt.Sprintf("广播预览，将发给%d人（%s）：%s", len(to), label, b.names(to)),
		"————",
		d.Text,
		"————",
		fmt.Sprintf("%d分钟内回复“确认”发送，回复“取消”放弃。", int(BroadcastTTL.Minutes())),
	)}, nil
}

// audience resolves 对象 to userids, sorted and without repeats, and a
// label for the preview. Empty means everyone.
func (b *Bot) audience(spec string) ([]string, string, error) {
	if spec == "" {
		spec = "全体"
	}
	set := map[string]bool{}
	add := func(keep func(domain.Staff) bool) int {
		n := 0
		for id, s := range b.staff {
			if keep(s) {
				set[id] = true
				n++
			}
		}
		return n
	}
	var words []string
	for _, w := range tokens(spec) {
		words = append(words, w)
		var n int
		switch w {
		case "全体", "全部", "所有人", "大家":
			n = add(func(domain.Staff) bool { return true })
		case "社工", "居委干部", "居委", "工作人员":
			n = add(func(s domain.Staff) bool { return s.Role == domain.RoleWorker })
		case "领导":
			n = add(func(s domain.Staff) bool { return s.Role == domain.RoleLeader })
		case "管理员", "社区服务办":
			n = add(func(s domain.Staff) bool { return s.Role == domain.RoleAdmin })
		default:
			if slices.Contains(b.committees, w) {
				n = add(func(s domain.Staff) bool { return s.Role == domain.RoleWorker && s.Committee == w })
				break
			}
			if _, ok := b.staff.Lookup(w); ok {
				n = add(func(s domain.Staff) bool { return s.UserID == w })
				break
			}
			n = add(func(s domain.Staff) bool { return s.Name == w })
			if n == 0 {
				return nil, "", domain.Userf("不认识广播对象" + shown(w) + "。" + fmtBroadcast + "。例如：广播 明天上午9点开会 对象:" + b.exampleCommittee())
			}
		}
		if n == 0 {
			return nil, "", domain.Userf("广播对象" + shown(w) + "里没有人。" + fmtBroadcast)
		}
	}
	to := make([]string, 0, len(set))
	for id := range set {
		to = append(to, id)
	}
	slices.Sort(to)
	return to, strings.Join(words, "、"), nil
}

// names lists the first recipients by name.
func (b *Bot) names(ids []string) string {
	var ns []string
	for i, id := range ids {
		if i == broadcastNamesShown {
			return strings.Join(ns, "、") + fmt.Sprintf("等%d人", len(ids))
		}
		n := id
		if s, ok := b.staff.Lookup(id); ok && s.Name != "" {
			n = s.Name
		}
		ns = append(ns, n)
	}
	return strings.Join(ns, "、")
}

// confirm handles 确认 and 取消 of a previewed broadcast. The draft is
// taken from the store in one step, so two 确认 send it once; what could
// not be sent is kept for another 确认.
func (b *Bot) confirm(ctx context.Context, m *msg) (Reply, error) {
	cancel := m.args[0] != "确认" && m.args[0] != "确定" && m.args[0] != "确认发送"
	if !cancel && b.sender == nil {
		return Reply{}, errors.New("broadcast: no sender configured")
	}
	v, err := b.store.TakePending(ctx, m.staff.UserID, pendingBroadcast)
	if errors.Is(err, ErrNotFound) {
		return Reply{}, domain.Userf(fmt.Sprintf("没有待发送的广播（预览%d分钟内有效）。请先发送：广播 明天上午9点在街道开会 对象:社工", int(BroadcastTTL.Minutes())))
	}
	if err != nil {
		return Reply{}, fmt.Errorf("take broadcast draft: %w", err)
	}
	var d broadcastDraft
	if err := json.Unmarshal([]byte(v), &d); err != nil {
		return Reply{}, fmt.Errorf("decode broadcast draft: %w", err)
	}
	if cancel {
		return Reply{Text: "已取消，这条广播没有发送。"}, nil
	}
	elapsed := b.now().Sub(d.At)
	if elapsed > BroadcastTTL {
		return Reply{}, domain.Userf(fmt.Sprintf("这条广播的预览已超过%d分钟，没有发送。请重新发送：广播 通知内容 对象:%s", int(BroadcastTTL.Minutes()), d.Label))
	}
	var failed []string
	for start := 0; start < len(d.To); start += maxBroadcastUsers {
		chunk := d.To[start:min(start+maxBroadcastUsers, len(d.To))]
		err := b.sender.Send(ctx, domain.Message{ToUsers: chunk, Kind: domain.KindText, Text: d.Text, Idempotency: "bc:" + d.MsgID + ":" + chunk[0]})
		if err != nil {
			b.log.ErrorContext(ctx, "send broadcast", "user", m.staff.UserID, "recipients", len(chunk), "err", err)
			failed = append(failed, chunk...)
		}
	}
	sent := len(d.To) - len(failed)
	if sent > 0 {
		err := b.store.AddAudit(ctx, AuditEntry{
			Committee: StreetCommittee, Kind: ChangeBroadcast, Actor: m.staff.UserID, At: b.now(), OpID: m.opID(),
			Detail: fmt.Sprintf("%s(%s) 广播给%d人（%s）：%s；MsgId=%s", m.staff.Name, m.staff.UserID, sent, d.Label, firstLine(d.Text), d.MsgID),
		})
		if err != nil {
			b.log.WarnContext(ctx, "audit broadcast", "user", m.staff.UserID, "err", err)
		}
	}
	if len(failed) == 0 {
		return Reply{Text: fmt.Sprintf("已发送广播给%d人（%s）。", sent, d.Label)}, nil
	}
	d.To = failed
	js, _ := json.Marshal(d)
	if err := b.store.PutPending(ctx, m.staff.UserID, pendingBroadcast, string(js), max(BroadcastTTL-elapsed, time.Minute)); err != nil {
		b.log.WarnContext(ctx, "keep unsent broadcast", "user", m.staff.UserID, "err", err)
	}
	return Reply{Text: fmt.Sprintf("已发送%d人，%d人发送失败（企业微信暂时不可用）。请稍后回复“确认”重发给这%d人，或回复“取消”。", sent, len(failed), len(failed))}, nil
}
