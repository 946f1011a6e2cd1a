package broadcast

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"songnuan/domain"
	"songnuan/redact"
)

// drain tries every queued delivery that is due, within the rate limits.
// It stops early after half the lease's lifetime of real time, so that a
// slow WeCom cannot keep the lease from being renewed.
func (r *Runner) drain(ctx context.Context, now time.Time) {
	started := time.Now()
	budget := r.LeaseTTL / 2
	var keep []*item
	// A pass may queue new items (alerts to the admins); they get a pass
	// of their own.
	for len(r.queue) > 0 {
		pending := r.queue
		r.queue = nil
		slices.SortStableFunc(pending, func(a, b *item) int { return a.notBefore.Compare(b.notBefore) })
		for i, it := range pending {
			if ctx.Err() != nil || time.Since(started) > budget {
				keep = append(keep, pending[i:]...)
				break
			}
			if now.Before(it.notBefore) {
				keep = append(keep, it)
				continue
			}
			if r.try(ctx, now, it) {
				keep = append(keep, it)
			} else {
				delete(r.queued, it.id)
			}
		}
	}
	r.queue = keep
}

// try makes one attempt at a due delivery and reports whether it stays
// queued.
func (r *Runner) try(ctx context.Context, now time.Time, it *item) bool {
	log := r.Logger.With("delivery", it.id)
	if !now.Before(it.until) {
		first, err := r.Ledger.MarkSent(ctx, it.id+"#skipped", "no longer useful at "+now.Format(time.RFC3339))
		if err != nil {
			log.Warn("record skipped delivery", "error", clean(err))
			return true
		}
		if first {
			log.Warn("delivery skipped: no longer useful", "announcement", it.ann, "useful_until", it.until.Format(time.RFC3339), "attempts_made", it.tries)
		}
		return false
	}
	ok, wait, err := r.Limiter.Allow(ctx, it.limitKey, it.perMinute)
	if err != nil {
		log.Warn("rate limiter unavailable; will retry", "error", clean(err))
		it.notBefore = now.Add(r.Backoff)
		return true
	}
	if !ok {
		it.notBefore = now.Add(max(wait, 100*time.Millisecond))
		return true
	}
	attempt := it.tries + 1
	first, err := r.Ledger.MarkSent(ctx, fmt.Sprintf("%s#try%d", it.id, attempt), r.Owner+" at "+now.Format(time.RFC3339))
	if err != nil {
		log.Warn("claim attempt; will retry", "attempt", attempt, "error", clean(err))
		it.notBefore = now.Add(r.Backoff)
		return true
	}
	if !first {
		// Another instance made this attempt; it owns the delivery now.
		log.Info("attempt made elsewhere; dropping", "attempt", attempt)
		return false
	}
	sctx, cancel := context.WithTimeout(ctx, r.SendTimeout)
	err = r.Sender.Send(sctx, it.msg)
	cancel()
	if err == nil {
		if _, err := r.Ledger.MarkSent(ctx, it.id+"#ok", "sent at "+now.Format(time.RFC3339)); err != nil {
			log.Warn("record sent delivery", "error", clean(err))
		}
		log.Info("sent", "announcement", it.ann, "attempt", attempt)
		return false
	}
	it.tries = attempt
	if _, merr := r.Ledger.MarkSent(ctx, fmt.Sprintf("%s#err%d", it.id, attempt), clean(err)); merr != nil {
		log.Warn("record failed attempt", "error", clean(merr))
	}
	if attempt >= r.MaxTries {
		log.Error("delivery failed; giving up", "announcement", it.ann, "attempts", attempt, "error", clean(err))
		if gerr := r.giveUp(ctx, now, it); gerr != nil {
			log.Warn("record given-up delivery", "error", clean(gerr))
		}
		return false
	}
	delay := r.Backoff << (attempt - 1)
	it.notBefore = now.Add(delay)
	log.Warn("send failed; will retry", "attempt", attempt, "retry_in", delay.String(), "error", clean(err))
	return true
}

// giveUp records a delivery as failed and tells the admins, unless the
// delivery is itself an alert to the admins.
func (r *Runner) giveUp(ctx context.Context, now time.Time, it *item) error {
	first, err := r.Ledger.MarkSent(ctx, it.id+"#failed", fmt.Sprintf("gave up after %d attempts at %s", it.tries, now.Format(time.RFC3339)))
	if err != nil || !first {
		return err
	}
	if it.alert {
		r.Logger.Error("alert to the admins could not be sent", "delivery", it.id)
		return nil
	}
	r.alert(ctx, now, it, fmt.Sprintf("【广播失败】公告 %s（原定 %s）发给%s的消息重试%d次仍未发出。请检查企业微信应用设置和网络，必要时手动通知。",
		it.ann, r.Schedule.FormatTime(it.occAt), it.target, r.MaxTries))
	return nil
}

// alert queues a message to the admins about a delivery, once.
func (r *Runner) alert(ctx context.Context, now time.Time, about *item, text string) {
	if len(r.Admins) == 0 {
		r.Logger.Error("no admins to tell about a broadcast problem", "delivery", about.id)
		return
	}
	id := about.id + "/alert"
	first, err := r.Ledger.MarkSent(ctx, id, "claimed by "+r.Owner+" at "+now.Format(time.RFC3339))
	if err != nil {
		r.Logger.Error("claim alert to the admins", "delivery", about.id, "error", clean(err))
		return
	}
	if !first {
		return
	}
	r.enqueue(&item{
		id:        id,
		ann:       about.ann,
		occAt:     about.occAt,
		until:     now.Add(24 * time.Hour),
		msg:       domain.Message{ToUsers: slices.Clone(r.Admins), Kind: domain.KindText, Text: fit(text, ""), Idempotency: id},
		limitKey:  "admins",
		perMinute: r.MemberPerMinute,
		notBefore: now,
		target:    "管理员",
		alert:     true,
	})
}

var secretInURL = regexp.MustCompile(`(?i)(access_token|corpsecret|secret|key)=[^&\s"']+`)

// clean makes an error safe to log or store: WeCom client errors carry the
// request URL with its access token or robot key, and nothing may carry an
// ID or phone number.
func clean(err error) string {
	if err == nil {
		return ""
	}
	return redact.Text(secretInURL.ReplaceAllString(err.Error(), "$1=***"))
}
