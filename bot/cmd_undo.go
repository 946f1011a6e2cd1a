package bot

import (
	"context"
	"errors"
	"fmt"

	"songnuan/domain"
)

// undo handles 撤销: it reverses the sender's own last change, unless the
// household changed since.
func (b *Bot) undo(ctx context.Context, m *msg) (Reply, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		text, retry, err := b.undoOnce(ctx, m)
		if err != nil || !retry {
			return Reply{Text: text}, err
		}
		if err := pause(ctx, attempt); err != nil {
			return Reply{}, err
		}
	}
	return Reply{}, fmt.Errorf("undo for %s: %w", m.staff.UserID, ErrConflict)
}

func (b *Bot) undoOnce(ctx context.Context, m *msg) (string, bool, error) {
	rec, err := b.store.LastUndo(ctx, m.staff.UserID)
	if errors.Is(err, ErrNotFound) {
		if m.staff.Committee != "" {
			if first, ok, err := b.replayed(ctx, m.opID(), m.staff.Committee); err != nil || ok {
				return b.replyAgain(ctx, m.staff.Committee, first, err)
			}
		}
		return "", false, domain.Userf("没有可撤销的操作。撤销只对您自己最近的登记或走访有效，例如发送：撤销")
	}
	if err != nil {
		return "", false, fmt.Errorf("read undo: %w", err)
	}
	cur, err := b.store.Household(ctx, rec.Committee, rec.Code)
	if errors.Is(err, ErrNotFound) {
		if first, ok, err := b.replayed(ctx, m.opID(), rec.Committee); err != nil || ok {
			return b.replyAgain(ctx, rec.Committee, first, err)
		}
		return "", false, domain.Userf("不能撤销：编号" + rec.Code + "的户已被删除。如有疑问请联系社区服务办。")
	}
	if err != nil {
		return "", false, fmt.Errorf("read household %s/%s: %w", rec.Committee, rec.Code, err)
	}
	if cur.Version != rec.AfterVersion {
		// This very message may have been the undo that moved the version
		// on: answer as then.
		if first, ok, err := b.replayed(ctx, m.opID(), rec.Committee); err != nil || ok {
			return b.replyAgain(ctx, rec.Committee, first, err)
		}
		who := cur.UpdatedBy
		if s, ok := b.staff.Lookup(cur.UpdatedBy); ok {
			who = s.Name
		}
		return "", false, domain.Userf(fmt.Sprintf("不能撤销：%s（编号%s）在您这次操作之后又被%s改过（%s）。请发送 查询 编号%s 核对，再直接重新登记或走访。",
			cur.Head, cur.Code, who, cur.UpdatedAt.In(campaignZone).Format("1月2日15:04"), cur.Code))
	}

	var after *domain.Household
	todo := TodoKeep
	text := ""
	switch {
	case rec.Before == nil:
		// undoing a registration removes the household
		text = fmt.Sprintf("已撤销登记：%s（编号%s，%s）已删除。", cur.Head, cur.Code, cur.Committee)
		if len(cur.Visits) == 0 {
			todo = TodoRemove
		}
	default:
		a := *rec.Before
		a.Version = cur.Version + 1
		after = &a
		if len(cur.Visits) > 0 && len(a.Visits) == 0 {
			todo = TodoAdd
		}
		if rec.Kind == ChangeVisit && len(cur.Visits) > 0 {
			text = fmt.Sprintf("已撤销走访记录：%s（编号%s）%s。", cur.Head, cur.Code, visitLine(cur.Visits[len(cur.Visits)-1]))
		} else {
			text = fmt.Sprintf("已撤销修改：%s 恢复为 %d人，%s。", householdHeader(after), after.Size, totalLine(after.Entitlement.Total))
		}
	}
	ap, err := b.store.Apply(ctx, Change{
		OpID: m.opID(), Kind: ChangeUndo, Actor: m.staff.UserID, At: b.now(),
		Committee: cur.Committee, Code: cur.Code,
		Before: &cur, After: after,
		Deltas: domain.CounterDeltas(&cur, after),
		Todo:   todo,
		Undo:   UndoPop,
		Result: text,
		Audit:  auditDetail(m.staff, "撤销 "+string(rec.Kind)+" "+rec.OpID, &cur, after, m.in.MsgID),
	})
	switch {
	case errors.Is(err, ErrConflict):
		return "", true, nil
	case err != nil:
		return "", false, fmt.Errorf("apply undo %s/%s: %w", cur.Committee, cur.Code, err)
	case ap.Replayed:
		return b.withPending(ctx, cur.Committee, ap.Result, ap.Counters)
	}
	ref := PersonRef{Committee: cur.Committee, Code: cur.Code}
	if cur.IDHash != "" && (after == nil || after.IDHash != cur.IDHash) {
		if err := b.store.ReleasePerson(ctx, cur.IDHash, ref); err != nil {
			b.log.WarnContext(ctx, "release person claim after undo", "committee", cur.Committee, "code", cur.Code, "err", err)
		}
	}
	if after != nil && after.IDHash != "" && after.IDHash != cur.IDHash {
		if _, err := b.store.ClaimPerson(ctx, after.IDHash, ref); err != nil {
			b.log.WarnContext(ctx, "reclaim person after undo", "committee", cur.Committee, "code", cur.Code, "err", err)
		}
	}
	return b.withPending(ctx, cur.Committee, text, ap.Counters)
}

// replyAgain answers a re-delivered 撤销 with its first answer.
func (b *Bot) replyAgain(ctx context.Context, committee, first string, err error) (string, bool, error) {
	if err != nil {
		return "", false, err
	}
	return b.withPending(ctx, committee, first, nil)
}
