package bot

import "context"

// scheduleOverview handles 日程: the current phase, the next deadlines and the
// days left. It needs no store.
func (b *Bot) scheduleOverview(_ context.Context, _ *msg) (Reply, error) {
	return Reply{Text: b.schedule.Overview(b.now())}, nil
}
