package bot

import (
	"context"
	"fmt"
	"time"
)

// The sweep of 流浪 reports whose alert reached nobody.
const (
	// rescueSweepAfter is how old a report must be before the sweep
	// alerts it: well past the callback's 5 s and the sender's timeouts,
	// so a report being handled right now is not alerted twice.
	rescueSweepAfter = 2 * time.Minute
	// rescueSweepWithin bounds how far back the sweep goes. Reports
	// recorded before alerts were marked carry no mark although their
	// alert went out, and must not all be sent again after an upgrade;
	// a report older than this was answered (if at all) with a call to
	// phone, not with a chat message.
	rescueSweepWithin = time.Hour
	// rescueSweepScan is how many of the newest open reports a sweep
	// reads: more than are ever reported in rescueSweepWithin.
	rescueSweepScan = 200
)

// SweepRescueAlerts sends the alert of each open 流浪 report that no
// alert has reached, recorded between 2 minutes and an hour before now:
// the process died between recording the report and alerting, and
// WeCom's re-deliveries did not get through, or every send failed. Each
// such report is tried once per sweep, exactly as its first delivery
// would (same targets, same Idempotency keys), and marked alerted once
// anyone has it; a report whose alert fails again is tried at the next
// sweep. It returns how many reports' alerts reached someone. An error
// means the open reports could not be read; failed sends are logged.
//
// Only one instance should sweep at a time (the broadcast lease holder),
// or a report may be alerted by two at once.
func (b *Bot) SweepRescueAlerts(ctx context.Context, now time.Time) (sent int, err error) {
	if b.sender == nil || (!b.hasRescueTargets() && len(b.admins()) == 0) {
		// Nobody could be told; the reporter was told to phone.
		return 0, nil
	}
	open, err := b.store.UnalertedRescues(ctx, rescueSweepScan)
	if err != nil {
		return 0, fmt.Errorf("read unalerted rescue reports: %w", err)
	}
	for _, r := range open {
		age := now.Sub(r.At)
		if age < rescueSweepAfter || age > rescueSweepWithin {
			continue
		}
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		text, reached := b.alertRescue(ctx, r)
		if !reached {
			b.log.WarnContext(ctx, "rescue alert reached nobody again; the next sweep tries again",
				"report", r.ID, "age", age.Round(time.Second).String())
			continue
		}
		sent++
		b.log.InfoContext(ctx, "rescue alert sent late by the sweep", "report", r.ID, "age", age.Round(time.Second).String())
		if r.MsgID != "" {
			b.countAlert(ctx, MessageOpID(r.MsgID), r, text)
		}
	}
	return sent, nil
}

// hasRescueTargets reports whether a rescue group is configured.
func (b *Bot) hasRescueTargets() bool {
	return len(b.rescue.ToUsers) > 0 || b.rescue.ChatID != "" || b.rescue.RobotKey != ""
}
