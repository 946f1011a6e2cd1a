package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"songnuan/domain"
	"songnuan/redact"
)

const fmtRescue = "流浪求助格式：流浪 地点 情况，例如：流浪 甘泉公园东门 老人衣着单薄睡在长椅上"

// Limits on a report, so an alert stays one readable message.
const (
	maxRescuePlace     = 40
	maxRescueSituation = 200
)

// msgCallNow is what a reporter is told whenever the rescue group may not
// have heard: a person in the cold must not wait for a chat message.
const msgCallNow = "请立即拨打110或区救助管理站电话"

// rescueReport handles 流浪 <地点> <情况> (寒冬送温暖): any staff member reports a
// rough sleeper, the report is recorded once per message and the rescue
// group is alerted at once; a re-delivery alerts only if no alert of the
// report has reached anyone yet. With no rescue group configured the admins
// are alerted instead and the reporter is told to phone. 流浪 结案 <编号>
// closes a report.
func (b *Bot) rescueReport(ctx context.Context, m *msg) (Reply, error) {
	toks := tokens(m.args[0])
	if len(toks) > 0 && (toks[0] == "结案" || toks[0] == "办结" || toks[0] == "关闭") {
		return b.rescueClose(ctx, m, toks[1:])
	}
	if len(toks) < 2 {
		return Reply{}, domain.Userf("请写地点和情况。" + fmtRescue)
	}
	// Whatever was typed, no full ID or mobile number is stored, sent on
	// or logged.
	place, situation := redact.Text(toks[0]), redact.Text(strings.Join(toks[1:], " "))
	if utf8.RuneCountInString(place) > maxRescuePlace || utf8.RuneCountInString(situation) > maxRescueSituation {
		return Reply{}, domain.Userf(fmt.Sprintf("地点最多%d个字，情况最多%d个字，请写得简短些。", maxRescuePlace, maxRescueSituation) + fmtRescue)
	}
	r, created, err := b.store.OpenRescue(ctx, m.opID(), RescueReport{
		Place: place, Situation: situation, By: m.staff.UserID, ByName: m.staff.Name,
		Committee: m.staff.Committee, At: b.now(), MsgID: m.in.MsgID,
	})
	if err != nil {
		return Reply{}, fmt.Errorf("record rescue report: %w", err)
	}
	if !created && !r.Alerted.IsZero() {
		// A re-delivery of a report someone has heard of.
		return Reply{Text: fmt.Sprintf("流浪求助%s号已在%s登记过，不再重复通知。如情况紧急，%s。", r.ID, b.schedule.FormatTime(r.At), msgCallNow)}, nil
	}
	// A first delivery, or a re-delivery of a report whose alert may not
	// have gone out: the process died before sending or before marking,
	// or every send failed. The alert is the stored report's, with the
	// same idempotency keys, so WeCom's duplicate check (app messages,
	// 30 minutes) drops it where the first try did arrive; a group robot
	// has no such check and may then get it twice.
	text, _ := b.alertRescue(ctx, r)
	b.countAlert(ctx, m.opID(), r, text)
	return Reply{Text: text}, nil
}

// countAlert counts r's alert once per opID (its message), whichever
// delivery or sweep gets this far; text is what the reporter was told.
func (b *Bot) countAlert(ctx context.Context, opID string, r RescueReport, text string) {
	ctrCommittee := StreetCommittee
	if r.Committee != "" {
		ctrCommittee = r.Committee
	}
	_, err := b.store.AddCountersOnce(ctx, CounterChange{
		OpID: opID, Kind: ChangeRescue, Actor: r.By, At: r.At, Committee: ctrCommittee,
		Deltas: map[string]int64{domain.CtrAlerts: 1}, Result: text,
		Audit: fmt.Sprintf("%s(%s) 流浪求助%s号 %s；MsgId=%s", r.ByName, r.By, r.ID, r.Place, r.MsgID),
	})
	if err != nil {
		// The report and the alert stand; only the tally is behind.
		b.log.WarnContext(ctx, "count rescue alert", "report", r.ID, "err", err)
	}
}

// alertText is the alert the rescue group (or the admins) receive.
func (b *Bot) alertText(r RescueReport) string {
	who := r.ByName
	if r.Committee != "" {
		who += "（" + r.Committee + "）"
	}
	return lines(
		"【寒冬送温暖·流浪人员求助】"+r.ID+"号",
		"地点："+r.Place,
		"情况："+r.Situation,
		"报告人："+who+" "+b.schedule.FormatTime(r.At),
		"处置完毕请社区服务办发送：流浪 结案 "+r.ID,
	)
}

// alertRescue sends the alert, marks the report alerted once anyone has
// it, and says to the reporter who heard of it; reached is whether anyone
// did. Each target's Idempotency key depends only on the report and the
// target, so an alert sent again for the same report carries the same keys.
func (b *Bot) alertRescue(ctx context.Context, r RescueReport) (text string, reached bool) {
	recorded := fmt.Sprintf("已登记流浪求助%s号：%s。", r.ID, r.Place)
	if b.sender == nil {
		return recorded + "本机器人不能发出通知，" + msgCallNow + "，并告知社区服务办。", false
	}
	body := b.alertText(r)
	var targets []domain.Message
	var names []string // what each target is called in the store's record of who was reached
	if len(b.rescue.ToUsers) > 0 {
		targets, names = append(targets, domain.Message{ToUsers: slices.Clone(b.rescue.ToUsers)}), append(names, "users")
	}
	if b.rescue.ChatID != "" {
		targets, names = append(targets, domain.Message{ChatID: b.rescue.ChatID}), append(names, "chat")
	}
	if b.rescue.RobotKey != "" {
		targets, names = append(targets, domain.Message{RobotKey: b.rescue.RobotKey}), append(names, "robot")
	}
	if len(targets) == 0 {
		admins := b.admins()
		if len(admins) == 0 {
			return recorded + "本机器人没有设置救助联系人，" + msgCallNow + "，并告知社区服务办。", false
		}
		err := b.sender.Send(ctx, domain.Message{ToUsers: admins, Kind: domain.KindText, Text: body, Idempotency: "rescue:" + r.ID + ":admins"})
		if err != nil {
			b.log.ErrorContext(ctx, "alert admins of rescue report", "report", r.ID, "err", err)
			return recorded + "本机器人没有设置救助联系人，通知管理员也失败了，" + msgCallNow + "，并告知社区服务办。", false
		}
		b.markAlerted(ctx, r)
		return recorded + "本机器人没有设置救助联系人，" + msgCallNow + "；已通知社区服务办管理员。", true
	}
	// A target an earlier try reached is not sent to again: a group robot
	// has no duplicate check. When the record cannot be read, every
	// target is tried (WeCom drops a repeat to members and chats).
	had, err := b.store.RescueTargetsReached(ctx, r.ID, names)
	if err != nil {
		b.log.WarnContext(ctx, "read rescue alert targets", "report", r.ID, "err", err)
	}
	sent := 0
	for i, t := range targets {
		if had[names[i]] {
			sent++
			continue
		}
		t.Kind, t.Text, t.Idempotency = domain.KindText, body, fmt.Sprintf("rescue:%s:%d", r.ID, i)
		if err := b.sender.Send(ctx, t); err != nil {
			b.log.ErrorContext(ctx, "alert rescue group", "report", r.ID, "target", i, "err", err)
			continue
		}
		sent++
		if err := b.store.MarkRescueTarget(ctx, r.ID, names[i], b.now()); err != nil {
			b.log.WarnContext(ctx, "mark rescue alert target", "report", r.ID, "target", names[i], "err", err)
		}
	}
	if sent == 0 {
		return recorded + "通知救助组失败，" + msgCallNow + "，并告知社区服务办。", false
	}
	// The report counts as heard once every target has it; until then
	// the sweep (or a re-delivery) tries the others.
	if sent == len(targets) {
		b.markAlerted(ctx, r)
	}
	return recorded + "已通知救助组，请在安全的前提下留意现场；情况危急" + strings.TrimPrefix(msgCallNow, "请") + "。", true
}

// markAlerted records that r's alert reached someone. When that fails the
// alert still stands: at worst a re-delivery sends it again.
func (b *Bot) markAlerted(ctx context.Context, r RescueReport) {
	if err := b.store.MarkRescueAlerted(ctx, r.ID, b.now()); err != nil {
		b.log.WarnContext(ctx, "mark rescue report alerted", "report", r.ID, "err", err)
	}
}

// admins are the userids of the admins, sorted, for alerts nobody else is
// configured to receive.
func (b *Bot) admins() []string {
	var ids []string
	for _, s := range b.staff {
		if s.Role == domain.RoleAdmin {
			ids = append(ids, s.UserID)
		}
	}
	slices.Sort(ids)
	return ids
}

// rescueClose handles 流浪 结案 <编号>: an admin, or whoever made the
// report, closes it.
func (b *Bot) rescueClose(ctx context.Context, m *msg, args []string) (Reply, error) {
	const example = "结案格式：流浪 结案 编号，例如：流浪 结案 3（发送“进度”可看未结案的编号）"
	if len(args) != 1 {
		return Reply{}, domain.Userf(example)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(args[0], "编号"), "号")
	if !reCode.MatchString(id) {
		return Reply{}, domain.Userf(example)
	}
	id = strings.TrimLeft(id, "0")
	if m.staff.Role != domain.RoleAdmin {
		// Only the reporter may close their own report; anyone else learns
		// nothing about it.
		open, _, err := b.store.OpenRescues(ctx, rescueScan)
		if err != nil {
			return Reply{}, fmt.Errorf("read open rescue reports: %w", err)
		}
		mine := slices.ContainsFunc(open, func(r RescueReport) bool { return r.ID == id && r.By == m.staff.UserID })
		if !mine {
			return Reply{}, domain.Userf("没有您报告的、未结案的流浪求助" + id + "号；别人报告的请社区服务办管理员结案。" + example)
		}
	}
	r, closed, err := b.store.CloseRescue(ctx, id, m.staff.UserID, b.now())
	if errors.Is(err, ErrNotFound) {
		return Reply{}, domain.Userf("没有编号" + id + "的流浪求助。" + example)
	}
	if err != nil {
		return Reply{}, fmt.Errorf("close rescue report %s: %w", id, err)
	}
	if !closed {
		by := r.ClosedBy
		if s, ok := b.staff.Lookup(by); ok {
			by = s.Name
		}
		return Reply{Text: fmt.Sprintf("流浪求助%s号（%s）已于%s由%s结案。", r.ID, r.Place, b.schedule.FormatTime(r.ClosedAt), by)}, nil
	}
	left, n, err := b.store.OpenRescues(ctx, progressRescues)
	if err != nil {
		return Reply{}, fmt.Errorf("read open rescue reports: %w", err)
	}
	rest := "流浪求助已全部结案。"
	if n > 0 {
		rest = rescueLine(left, n)
	}
	return Reply{Text: lines(fmt.Sprintf("已结案：流浪求助%s号（%s）。", r.ID, r.Place), rest)}, nil
}
