package broadcast

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"songnuan/domain"
	"songnuan/schedule"
)

// LeaseName is the ledger lease only the ticking instance holds.
const LeaseName = "broadcast"

// Recipient is a staff member announcements can go to.
type Recipient struct {
	UserID    string
	Name      string
	Role      domain.Role
	Committee string // workers only
}

// FromDirectory lists the staff of a directory as recipients, for
// Runner.Recipients when the staff list comes from the configuration.
func FromDirectory(d domain.Directory) func(context.Context) ([]Recipient, error) {
	return func(context.Context) ([]Recipient, error) {
		out := make([]Recipient, 0, len(d))
		for _, s := range d {
			out = append(out, Recipient{UserID: s.UserID, Name: s.Name, Role: s.Role, Committee: s.Committee})
		}
		slices.SortFunc(out, func(a, b Recipient) int { return strings.Compare(a.UserID, b.UserID) })
		return out, nil
	}
}

// Runner sends a schedule's announcements. Several runners (one per
// instance) may share a Ledger; only the lease holder works.
//
// Each announcement occurrence is expanded into deliveries (one per person,
// or one per party list, tag list, group chat or robot), each with a ledger
// id "<occurrence id>/<target>". A delivery goes through these ledger
// records, every one written with MarkSent so that only one instance ever
// writes it:
//
//	id               claimed: this instance will send it
//	id#try<k>        attempt k is being made (claimed just before Send)
//	id#err<k>        attempt k failed
//	id#ok            sent
//	id#failed        MaxTries attempts failed; the admins were told
//	id#skipped       no longer useful when its turn came
//	id#doubt         an attempt was cut off; the admins were told
//
// A Send is made only by the instance that claimed its attempt, so a
// message is never sent twice. If an instance dies between claiming an
// attempt and recording its result, nobody can know whether WeCom got the
// message: the next lease holder does not resend it (that could send it
// twice) but records it as in doubt and tells the admins, so nothing is
// lost silently. A delivery claimed but not attempted, or whose last
// attempt is recorded as failed, is picked up and retried by the next
// lease holder. The occurrence id itself is recorded once all its
// deliveries are claimed, or when it is skipped as no longer useful.
type Runner struct {
	Schedule *schedule.Schedule
	Sender   domain.Sender
	Ledger   Ledger
	Limiter  Limiter
	// Clock is the campaign time (SONGNUAN_NOW may move it). Run
	// advances a clock that stands still by the real time elapsed.
	Clock domain.Clock
	// Recipients lists the staff that roles and users resolve to.
	Recipients func(ctx context.Context) ([]Recipient, error)
	// Counters reads a committee's counters for templates and for
	// only_if_open announcements.
	Counters func(ctx context.Context, committee string) (domain.Counters, error)
	// Admins are told, by userid, about deliveries that failed.
	Admins []string
	Logger *slog.Logger
	// Sweep, when set, runs at the end of every tick that holds the
	// lease, so that one instance at a time does it, with at most
	// Interval to finish; its error is logged and stops nothing. The
	// program sweeps 流浪 reports whose alert reached nobody
	// (bot.Bot.SweepRescueAlerts).
	Sweep func(ctx context.Context, now time.Time) (int, error)

	// Optional settings; zero means the default in parentheses.
	Owner           string        // lease owner (random per Runner)
	Interval        time.Duration // real time between ticks (15 s)
	LeaseTTL        time.Duration // lease lifetime, renewed every tick (60 s)
	MaxTries        int           // attempts per delivery (5)
	Backoff         time.Duration // delay after the first failure, doubled after each (1 s)
	SendTimeout     time.Duration // one Send (10 s)
	LateAfter       time.Duration // sent later than this after its time gets the 补发 note (15 min)
	FirstLookback   time.Duration // how far back the very first tick looks (12 h)
	RobotPerMinute  int           // per group robot (20)
	MemberPerMinute int           // app messages per member (30)
	ChatPerMinute   int           // per app group chat (200)

	mu     sync.Mutex
	once   sync.Once
	holder bool
	// recovering is set from taking the lease until a tick has gone
	// through every due occurrence without error.
	recovering bool
	queue      []*item
	queued     map[string]bool
	// uncertain holds delivery ids whose claim got a ledger error.
	uncertain map[string]bool
	tc        *tickCache
	lastSeen  time.Time // Run's previous campaign time, to move a frozen clock
	lastReal  time.Time
}

// item is one delivery waiting to be sent.
type item struct {
	id        string // ledger id of the delivery
	ann       string // announcement id, for logs and alerts
	occAt     time.Time
	until     time.Time
	msg       domain.Message
	limitKey  string
	perMinute int
	tries     int // attempts made so far
	notBefore time.Time
	target    string // whom, in words, for logs and alerts
	alert     bool   // an alert to the admins: its own failure is only logged
}

// tickCache keeps one tick's reads of recipients and counters.
type tickCache struct {
	recipients []Recipient
	loaded     bool
	counters   map[string]domain.Counters
}

func (r *Runner) init() {
	r.once.Do(func() {
		if r.Owner == "" {
			var b [8]byte
			_, _ = rand.Read(b[:])
			r.Owner = hex.EncodeToString(b[:])
		}
		setDefault(&r.Interval, 15*time.Second)
		setDefault(&r.LeaseTTL, time.Minute)
		setDefault(&r.MaxTries, 5)
		setDefault(&r.Backoff, time.Second)
		setDefault(&r.SendTimeout, 10*time.Second)
		setDefault(&r.LateAfter, 15*time.Minute)
		setDefault(&r.FirstLookback, 12*time.Hour)
		setDefault(&r.RobotPerMinute, 20)
		setDefault(&r.MemberPerMinute, 30)
		setDefault(&r.ChatPerMinute, 200)
		if r.Logger == nil {
			r.Logger = slog.New(slog.DiscardHandler)
		}
		r.Logger = r.Logger.With("component", "broadcast", "owner", r.Owner)
		r.queued = map[string]bool{}
		r.uncertain = map[string]bool{}
	})
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Jitter is how long after its time an occurrence goes out: one to eight
// minutes, the same for every instance, never on the minute :00 or :30
// (WeCom asks senders to avoid those peaks).
func Jitter(o schedule.Occurrence) time.Duration {
	h := fnv.New64a()
	h.Write([]byte(o.ID))
	d := time.Minute + time.Duration(h.Sum64()%(7*60))*time.Second
	if o.At.Add(d).Minute()%30 == 0 {
		d += time.Minute
	}
	return d
}

// Run ticks until ctx is done, then releases the lease. Between ticks it
// wakes early when a queued retry or a rate-limited message is due.
func (r *Runner) Run(ctx context.Context) error {
	r.init()
	r.Logger.Info("broadcast runner started", "interval", r.Interval.String())
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := r.Ledger.Release(rctx, LeaseName, r.Owner); err != nil {
			r.Logger.Warn("release lease", "error", clean(err))
		}
	}()
	nextTick := time.Now()
	for {
		now := r.campaignNow()
		if !time.Now().Before(nextTick) {
			if err := r.Tick(ctx, now); err != nil && ctx.Err() == nil {
				r.Logger.Error("broadcast tick", "error", clean(err))
			}
			nextTick = time.Now().Add(r.Interval)
		} else {
			r.mu.Lock()
			if r.holder {
				r.drain(ctx, now)
			}
			r.mu.Unlock()
		}
		wait := time.Until(nextTick)
		if d, ok := r.nextDue(now); ok && d < wait {
			wait = max(d, 100*time.Millisecond)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// campaignNow reads the clock; a clock that stands still (a fixed
// SONGNUAN_NOW) is moved on by the real time elapsed, or retries and rate
// limits would never come due.
func (r *Runner) campaignNow() time.Time {
	now := r.Clock()
	if !r.lastSeen.IsZero() && !now.After(r.lastSeen) {
		now = r.lastSeen.Add(time.Since(r.lastReal))
	}
	r.lastSeen, r.lastReal = now, time.Now()
	return now
}

// nextDue is how long until the first queued delivery may be tried.
func (r *Runner) nextDue(now time.Time) (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.holder || len(r.queue) == 0 {
		return 0, false
	}
	first := r.queue[0].notBefore
	for _, it := range r.queue[1:] {
		if it.notBefore.Before(first) {
			first = it.notBefore
		}
	}
	return first.Sub(now), true
}

// Tick does one round at campaign time now: take or renew the lease, send
// what is due since the last run, retry what is queued, and record how far
// everything is finished. Without the lease it drops its queue (the holder
// recovers those deliveries from the ledger) and does nothing.
func (r *Runner) Tick(ctx context.Context, now time.Time) error {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	held, err := r.Ledger.Lease(ctx, LeaseName, r.Owner, r.LeaseTTL)
	if err != nil {
		return fmt.Errorf("take lease: %w", err)
	}
	if !held {
		if r.holder && len(r.queue) > 0 {
			r.Logger.Warn("lease lost; the new holder takes over queued deliveries", "queued", len(r.queue))
		}
		r.holder, r.queue, r.queued = false, nil, map[string]bool{}
		return nil
	}
	if !r.holder {
		// Newly the holder: what the previous holder claimed and did not
		// finish is recovered, until one tick gets through without error.
		r.recovering = true
	}
	r.holder = true
	defer r.sweep(ctx, now)
	fresh := r.recovering
	r.tc = &tickCache{counters: map[string]domain.Counters{}}
	defer func() { r.tc = nil }()

	last, err := r.Ledger.LastRun(ctx)
	if err != nil {
		return fmt.Errorf("read last run: %w", err)
	}
	from := last
	if last.IsZero() || now.Before(last) {
		// First run, or the campaign clock was moved back for a demo:
		// look back a while; the ledger keeps anything from going twice.
		from = now.Add(-r.FirstLookback)
	}
	watermark := now
	var errs []error
	for _, o := range r.Schedule.Due(from, now) {
		done, err := r.occurrence(ctx, now, o, fresh)
		if err != nil {
			errs = append(errs, fmt.Errorf("occurrence %s: %w", o.ID, err))
		}
		if !done {
			watermark = minTime(watermark, o.At.Add(-time.Nanosecond))
		}
	}
	r.drain(ctx, now)
	for _, it := range r.queue {
		watermark = minTime(watermark, it.occAt.Add(-time.Nanosecond))
	}
	if err := r.Ledger.SetLastRun(ctx, watermark); err != nil {
		errs = append(errs, fmt.Errorf("store last run: %w", err))
	}
	if len(errs) == 0 {
		r.recovering = false
	}
	return errors.Join(errs...)
}

// sweep runs Sweep, bounded by Interval so that the lease, renewed at the
// start of the tick, is still held while it works.
func (r *Runner) sweep(ctx context.Context, now time.Time) {
	if r.Sweep == nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, r.Interval)
	defer cancel()
	if _, err := r.Sweep(sctx, now); err != nil && ctx.Err() == nil {
		r.Logger.Error("sweep", "error", clean(err))
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// occurrence handles one due occurrence. It reports whether the occurrence
// is finished with as far as this tick goes (false: look at it again).
func (r *Runner) occurrence(ctx context.Context, now time.Time, o schedule.Occurrence, fresh bool) (bool, error) {
	sendAt := o.At.Add(Jitter(o))
	if now.Before(sendAt) {
		return false, nil
	}
	log := r.Logger.With("occurrence", o.ID)
	expanded, err := r.Ledger.Sent(ctx, o.ID)
	if err != nil {
		return false, err
	}
	if expanded && !fresh {
		return true, nil
	}
	if !expanded && !now.Before(o.Until) {
		info := fmt.Sprintf("skipped: no longer useful at %s (useful until %s)", now.Format(time.RFC3339), o.Until.Format(time.RFC3339))
		if first, err := r.Ledger.MarkSent(ctx, o.ID, info); err != nil {
			return false, err
		} else if first {
			log.Warn("announcement skipped: its time passed while the bot was down", "announcement", o.Announcement,
				"was_due", o.At.Format(time.RFC3339), "useful_until", o.Until.Format(time.RFC3339))
		}
		return true, nil
	}
	late := ""
	if now.Sub(sendAt) > r.LateAfter {
		late = fmt.Sprintf("（补发：原定 %s）", r.Schedule.FormatTime(o.At))
	}
	items, err := r.expand(ctx, now, o, late)
	if err != nil {
		return false, err
	}
	claimed := 0
	for _, it := range items {
		first, err := r.Ledger.MarkSent(ctx, it.id, "claimed by "+r.Owner+" at "+now.Format(time.RFC3339))
		if err != nil {
			// The claim may or may not have been written.
			r.uncertain[it.id] = true
			return false, err
		}
		switch {
		case first:
			r.enqueue(it)
			claimed++
		case r.queued[it.id]:
		case fresh || r.uncertain[it.id]:
			// Claimed by the previous lease holder, which is gone, or by
			// this instance when the ledger answered with an error:
			// finish what was started.
			delete(r.uncertain, it.id)
			if err := r.recover(ctx, now, it); err != nil {
				return false, err
			}
		default:
			// Claimed by another instance that is working right now
			// (both think they hold the lease): it finishes it.
		}
	}
	if !expanded {
		info := fmt.Sprintf("expanded: %d deliveries at %s", len(items), now.Format(time.RFC3339))
		if _, err := r.Ledger.MarkSent(ctx, o.ID, info); err != nil {
			return false, err
		}
		log.Info("announcement due", "announcement", o.Announcement, "deliveries", len(items), "claimed", claimed, "late", late != "")
	}
	return true, nil
}

func (r *Runner) enqueue(it *item) {
	r.queue = append(r.queue, it)
	r.queued[it.id] = true
}

// recover reads a claimed delivery's records and queues it again when it
// is safe to: never attempted, or its last attempt failed.
func (r *Runner) recover(ctx context.Context, now time.Time, it *item) error {
	for _, end := range []string{"#ok", "#failed", "#skipped", "#doubt"} {
		done, err := r.Ledger.Sent(ctx, it.id+end)
		if err != nil || done {
			return err
		}
	}
	tries := 0
	for tries < r.MaxTries {
		tried, err := r.Ledger.Sent(ctx, fmt.Sprintf("%s#try%d", it.id, tries+1))
		if err != nil {
			return err
		}
		if !tried {
			break
		}
		tries++
	}
	if tries > 0 {
		failed, err := r.Ledger.Sent(ctx, fmt.Sprintf("%s#err%d", it.id, tries))
		if err != nil {
			return err
		}
		if !failed {
			first, err := r.Ledger.MarkSent(ctx, it.id+"#doubt", "attempt "+fmt.Sprint(tries)+" cut off; found by "+r.Owner)
			if err != nil || !first {
				return err
			}
			r.Logger.Error("delivery in doubt: an attempt was cut off, not resending", "delivery", it.id, "attempt", tries)
			r.alert(ctx, now, it, fmt.Sprintf("【广播待核实】公告 %s（原定 %s）发给%s的消息发送时服务中断，无法确认是否送达。为免重复未重发，请向收件人核实。",
				it.ann, r.Schedule.FormatTime(it.occAt), it.target))
			return nil
		}
		if tries >= r.MaxTries {
			return r.giveUp(ctx, now, it)
		}
	}
	it.tries = tries
	r.Logger.Info("delivery recovered from the ledger", "delivery", it.id, "attempts_made", tries)
	r.enqueue(it)
	return nil
}

// expand turns an occurrence into its deliveries as of now.
func (r *Runner) expand(ctx context.Context, now time.Time, o schedule.Occurrence, late string) ([]*item, error) {
	var items []*item
	base := item{ann: o.Announcement, occAt: o.At, until: o.Until, notBefore: now}
	msg := func(text string) domain.Message { return domain.Message{Kind: o.Kind, Text: fit(text, late)} }
	var renderFailed []string

	if len(o.To.Roles)+len(o.To.Users) > 0 {
		recips, err := r.recipients(ctx)
		if err != nil {
			return nil, err
		}
		byID := map[string]Recipient{}
		var users []Recipient
		for _, rc := range recips {
			byID[rc.UserID] = rc
			if slices.Contains(o.To.Roles, rc.Role) {
				users = append(users, rc)
			}
		}
		for _, u := range o.To.Users {
			if !slices.ContainsFunc(users, func(rc Recipient) bool { return rc.UserID == u }) {
				rc, ok := byID[u]
				if !ok {
					rc = Recipient{UserID: u}
				}
				users = append(users, rc)
			}
		}
		for _, rc := range users {
			var c domain.Counters
			if rc.Committee != "" {
				if c, err = r.counters(ctx, rc.Committee); err != nil {
					return nil, err
				}
			}
			if o.OnlyIfOpen && (rc.Committee == "" || len(r.Schedule.OpenWork(o, now, c)) == 0) {
				continue
			}
			target := describeUser(rc)
			text, err := schedule.RenderAnnouncement(o, r.Schedule.Data(o, now, rc.Name, rc.Committee, c))
			if err != nil {
				r.Logger.Error("render announcement", "occurrence", o.ID, "user", rc.UserID, "error", clean(err))
				renderFailed = append(renderFailed, target)
				continue
			}
			it := base
			it.id, it.target = o.ID+"/u/"+rc.UserID, target
			it.msg = msg(text)
			it.msg.ToUsers = []string{rc.UserID}
			it.limitKey, it.perMinute = "member:"+rc.UserID, r.MemberPerMinute
			items = append(items, &it)
		}
	}

	group := func(suffix, target, key string, perMinute int, set func(*domain.Message)) {
		text, err := schedule.RenderAnnouncement(o, r.Schedule.Data(o, now, "", "", nil))
		if err != nil {
			r.Logger.Error("render announcement", "occurrence", o.ID, "target", target, "error", clean(err))
			renderFailed = append(renderFailed, target)
			return
		}
		it := base
		it.id, it.target = o.ID+"/"+suffix, target
		it.msg = msg(text)
		set(&it.msg)
		it.limitKey, it.perMinute = key, perMinute
		items = append(items, &it)
	}
	if to := o.To; len(to.Parties) > 0 {
		group("p", "部门 "+strings.Join(to.Parties, ","), "party:"+strings.Join(to.Parties, "|"), r.MemberPerMinute,
			func(m *domain.Message) { m.ToParties = to.Parties })
	}
	if to := o.To; len(to.Tags) > 0 {
		group("t", "标签 "+strings.Join(to.Tags, ","), "tag:"+strings.Join(to.Tags, "|"), r.MemberPerMinute,
			func(m *domain.Message) { m.ToTags = to.Tags })
	}
	if to := o.To; to.ChatID != "" {
		group("c", "群聊 "+to.ChatID, "chat:"+to.ChatID, r.ChatPerMinute, func(m *domain.Message) { m.ChatID = to.ChatID })
	}
	if to := o.To; to.RobotKey != "" {
		group("r", "群机器人", RobotLimitKey(to.RobotKey), r.RobotPerMinute, func(m *domain.Message) { m.RobotKey = to.RobotKey })
	}
	for _, it := range items {
		it.msg.Idempotency = it.id
	}
	if len(renderFailed) > 0 {
		about := base
		about.id, about.target = o.ID+"/render", strings.Join(renderFailed, "、")
		r.alert(ctx, now, &about, fmt.Sprintf("【广播失败】公告 %s（原定 %s）的模板无法生成内容，未发给%s。请检查日程文件。",
			o.Announcement, r.Schedule.FormatTime(o.At), about.target))
	}
	return items, nil
}

// RobotLimitKey is the Limiter key of a group robot. The webhook key is
// hashed: whoever reads it can post to the group, and limiter keys end up
// in Redis key names.
func RobotLimitKey(webhookKey string) string {
	sum := sha256.Sum256([]byte(webhookKey))
	return "robot:" + hex.EncodeToString(sum[:8])
}

func describeUser(rc Recipient) string {
	name := rc.UserID
	if rc.Name != "" {
		name = rc.Name + "（" + rc.UserID + "）"
	}
	if rc.Committee != "" {
		name += " " + rc.Committee
	}
	return " " + name + " "
}

func (r *Runner) recipients(ctx context.Context) ([]Recipient, error) {
	if r.tc != nil && r.tc.loaded {
		return r.tc.recipients, nil
	}
	rs, err := r.Recipients(ctx)
	if err != nil {
		return nil, fmt.Errorf("list recipients: %w", err)
	}
	if r.tc != nil {
		r.tc.recipients, r.tc.loaded = rs, true
	}
	return rs, nil
}

func (r *Runner) counters(ctx context.Context, committee string) (domain.Counters, error) {
	if r.tc != nil {
		if c, ok := r.tc.counters[committee]; ok {
			return c, nil
		}
	}
	c, err := r.Counters(ctx, committee)
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	if c == nil {
		c = domain.Counters{}
	}
	if r.tc != nil {
		r.tc.counters[committee] = c
	}
	return c, nil
}

// maxMessageBytes is WeCom's limit for a text or app markdown message.
const maxMessageBytes = 2048

// fit appends the late note and cuts the text to what WeCom accepts,
// keeping the note: a cut message is better than none.
func fit(text, late string) string {
	if late != "" {
		late = "\n" + late
	}
	if len(text)+len(late) <= maxMessageBytes {
		return text + late
	}
	const more = "…"
	budget := maxMessageBytes - len(late) - len(more)
	cut := 0
	for i := range text {
		if i > budget {
			break
		}
		cut = i
	}
	return text[:cut] + more + late
}
