package broadcast_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"songnuan/broadcast"
	"songnuan/broadcast/broadcasttest"
	"songnuan/domain"
	"songnuan/internal/campaigntest"
	"songnuan/internal/testkit"
	"songnuan/schedule"
)

var cstZone = time.FixedZone("CST", 8*3600)

func cst(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, cstZone)
}

// env is one shared Redis, as far as the runners can tell.
type env struct {
	t       *testing.T
	clock   *broadcasttest.Clock
	ledger  *broadcasttest.Ledger
	limiter *broadcasttest.Limiter
	sender  *broadcasttest.Sender
	logs    *testkit.Buffer

	mu       sync.Mutex
	counters map[string]domain.Counters
}

func newEnv(t *testing.T, start time.Time) *env {
	clock := broadcasttest.NewClock(start)
	return &env{
		t:        t,
		clock:    clock,
		ledger:   broadcasttest.NewLedger(clock.Now),
		limiter:  broadcasttest.NewLimiter(clock.Now),
		sender:   &broadcasttest.Sender{},
		logs:     &testkit.Buffer{},
		counters: broadcasttest.Counters(),
	}
}

func (e *env) runner(s *schedule.Schedule, owner string) *broadcast.Runner {
	return &broadcast.Runner{
		Schedule:   s,
		Sender:     e.sender,
		Ledger:     e.ledger,
		Limiter:    e.limiter,
		Clock:      e.clock.Now,
		Recipients: func(context.Context) ([]broadcast.Recipient, error) { return broadcasttest.Staff(), nil },
		Counters: func(_ context.Context, c string) (domain.Counters, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.counters[c], nil
		},
		Admins: []string{"admin"},
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Owner:  owner,
	}
}

// tick moves the clock to at and ticks r there.
func (e *env) tick(r *broadcast.Runner, at time.Time) {
	e.t.Helper()
	e.clock.Set(at)
	if err := r.Tick(context.Background(), at); err != nil {
		e.t.Fatalf("Tick(%s): %v", at.Format(time.RFC3339), err)
	}
}

// to returns the messages sent to one userid.
func (e *env) to(user string) []domain.Message {
	var out []domain.Message
	for _, s := range e.sender.Messages() {
		if slices.Contains(s.Message.ToUsers, user) {
			out = append(out, s.Message)
		}
	}
	return out
}

func parse(t *testing.T, src string) *schedule.Schedule {
	t.Helper()
	s, err := schedule.Parse([]byte(src), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const head = `name: 测试
timezone: Asia/Shanghai
phases:
  - {name: 调查摸底, start: 2024-01-01, end: 2024-01-20}
  - {name: 走访慰问, start: 2024-01-21, end: 2024-02-06}
tasks:
  - {id: visits, what: 走访慰问全部帮困对象, owner: worker, deadline: 2024-02-06, scope: committee, measure: visits}
`

func TestAnnouncementKindsAndTargets(t *testing.T) {
	s := parse(t, head+`
announcements:
  - id: start
    when: {phase_start: 走访慰问}
    to: {users: [zhao, wang], parties: ["2", "3"], tags: ["7"]}
    template: 今天起走访慰问{{if .Committee}}，{{.Committee}}待走访{{.Unvisited}}户{{end}}
  - id: remind
    when: {before_deadline: {task: visits, days: 3}}
    to: {roles: [workers], chat_id: chat1}
    kind: markdown
    template: "**{{.Deadline}}截止** {{.Committee}}"
  - id: fixed
    when: {at: 2024-01-09T09:00:00+08:00}
    to: {robot_key: robotkey1}
    template: 明天慈善募捐
`)
	e := newEnv(t, cst(2024, 1, 1, 0, 0))
	r := e.runner(s, "a")
	occ := s.Occurrences()
	for _, o := range occ {
		// Not before its time plus jitter, which is at least a minute.
		e.tick(r, o.At.Add(59*time.Second))
		before := len(e.sender.Messages())
		e.tick(r, o.At.Add(broadcast.Jitter(o)))
		if len(e.sender.Messages()) == before {
			t.Errorf("%s not sent at its time plus jitter", o.ID)
		}
	}
	type row struct {
		users, parties, tags, chat, robot, kind, text string
	}
	var got []row
	for _, s := range e.sender.Messages() {
		m := s.Message
		got = append(got, row{strings.Join(m.ToUsers, "|"), strings.Join(m.ToParties, "|"), strings.Join(m.ToTags, "|"), m.ChatID, m.RobotKey, string(m.Kind), m.Text})
		if !strings.HasPrefix(m.Idempotency, "fixed@") && !strings.HasPrefix(m.Idempotency, "start@") && !strings.HasPrefix(m.Idempotency, "remind@") {
			t.Errorf("idempotency key %q does not name the occurrence", m.Idempotency)
		}
	}
	want := []row{
		{"", "", "", "", "robotkey1", "text", "明天慈善募捐"},
		{"zhao", "", "", "", "", "text", "今天起走访慰问"},
		{"wang", "", "", "", "", "text", "今天起走访慰问，甘泉一村待走访3户"},
		{"", "2|3", "", "", "", "text", "今天起走访慰问"},
		{"", "", "7", "", "", "text", "今天起走访慰问"},
		{"wang", "", "", "", "", "markdown", "**2月6日截止** 甘泉一村"},
		{"li", "", "", "", "", "markdown", "**2月6日截止** 甘泉二村"},
		{"zhang", "", "", "", "", "markdown", "**2月6日截止** 甘泉三村"},
		{"", "", "", "chat1", "", "markdown", "**2月6日截止**"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("sent\n got %q\nwant %q", got, want)
	}
	if strings.Contains(e.logs.String(), "robotkey1") {
		t.Error("a robot key reached the log")
	}
}

func TestJitterAvoidsPeaks(t *testing.T) {
	s := campaigntest.Schedule()
	seen := map[time.Duration]bool{}
	for _, o := range s.Occurrences() {
		for _, at := range []time.Time{o.At, o.At.Add(28 * time.Minute), o.At.Add(59 * time.Minute)} {
			o.At = at
			for i := 0; i < 20; i++ {
				o.ID = fmt.Sprintf("%s-%d", o.Announcement, i)
				j := broadcast.Jitter(o)
				if j < time.Minute || j >= 9*time.Minute {
					t.Errorf("%s: jitter %v outside 1..9 minutes", o.ID, j)
				}
				if m := o.At.Add(j).Minute(); m == 0 || m == 30 {
					t.Errorf("%s at %s goes out at :%02d", o.ID, at.Format("15:04"), m)
				}
				if broadcast.Jitter(o) != j {
					t.Errorf("%s: jitter not stable", o.ID)
				}
				seen[j] = true
			}
		}
	}
	if len(seen) < 20 {
		t.Errorf("jitter takes only %d values: it does not spread", len(seen))
	}
}

// deliveries counts successful sends by idempotency key.
func deliveries(e *env) map[string]int {
	out := map[string]int{}
	for _, s := range e.sender.Messages() {
		out[s.Message.Idempotency]++
	}
	return out
}

func TestExactlyOnceWithTwoRunners(t *testing.T) {
	for _, c := range []struct {
		name       string
		splitBrain bool // both believe they hold the lease
		flaky      bool // every first attempt to li fails
	}{
		{"lease", false, false},
		{"lease, flaky sends", false, true},
		{"split brain", true, false},
		{"split brain, flaky sends", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := campaigntest.Schedule()
			e := newEnv(t, cst(2023, 12, 20, 0, 0))
			if c.flaky {
				e.sender.Fail = func(m domain.Message, attempt int) error {
					if slices.Contains(m.ToUsers, "li") && attempt == 1 {
						return errors.New("errcode 45009")
					}
					return nil
				}
			}
			a, b := e.runner(s, "a"), e.runner(s, "b")
			if c.splitBrain {
				a.Ledger = alwaysLease{e.ledger}
				b.Ledger = alwaysLease{e.ledger}
			}
			// Ten-minute steps around every occurrence, six hours apart
			// elsewhere: the 60 s lease lapses between steps, so the
			// holder changes hands at random.
			for _, at := range steps(s, cst(2023, 12, 20, 0, 0), cst(2024, 3, 2, 0, 0)) {
				e.clock.Set(at)
				var wg sync.WaitGroup
				for _, r := range []*broadcast.Runner{a, b} {
					wg.Go(func() {
						if err := r.Tick(context.Background(), at); err != nil {
							t.Errorf("tick: %v", err)
						}
					})
				}
				wg.Wait()
			}
			got := deliveries(e)
			var ids []string
			for id, n := range got {
				if n != 1 {
					t.Errorf("%s sent %d times", id, n)
				}
				ids = append(ids, id)
			}
			slices.Sort(ids)
			if want := broadcasttest.ExpectedDefault(s); !slices.Equal(ids, want) {
				t.Errorf("delivered %d, want %d\n got %v\nwant %v", len(ids), len(want), ids, want)
			}
			if strings.Contains(e.logs.String(), "in doubt") {
				t.Error("a delivery was reported in doubt without any crash")
			}
		})
	}
}

// steps are the times the exactly-once test ticks at.
func steps(s *schedule.Schedule, from, to time.Time) []time.Time {
	var out []time.Time
	for at := from; at.Before(to); at = at.Add(6 * time.Hour) {
		out = append(out, at)
	}
	for _, o := range s.Occurrences() {
		for d := -10 * time.Minute; d <= time.Hour; d += 10 * time.Minute {
			out = append(out, o.At.Add(d))
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// alwaysLease lets every runner believe it holds the lease, as two
// instances do when a paused holder's lease expired under it.
type alwaysLease struct{ *broadcasttest.Ledger }

func (alwaysLease) Lease(context.Context, string, string, time.Duration) (bool, error) {
	return true, nil
}

func TestCatchUpAfterDowntime(t *testing.T) {
	s := campaigntest.Schedule()
	e := newEnv(t, cst(2024, 1, 16, 0, 0))
	ctx := context.Background()
	if err := e.ledger.SetLastRun(ctx, cst(2024, 1, 16, 0, 0)); err != nil {
		t.Fatal(err)
	}
	r := e.runner(s, "a")
	// Down from 01-16 until 02-04 10:00.
	e.tick(r, cst(2024, 2, 4, 10, 0))

	wang := e.to("wang")
	var texts []string
	for _, m := range wang {
		texts = append(texts, m.Text)
	}
	if len(wang) != 2 {
		t.Fatalf("wang got %d messages, want the phase start and the 3-day reminder:\n%s", len(wang), strings.Join(texts, "\n---\n"))
	}
	if !strings.HasSuffix(wang[0].Text, "\n（补发：原定 1月21日 09:00）") || !strings.Contains(wang[0].Text, "募捐、走访慰问") {
		t.Errorf("late phase start = %q", wang[0].Text)
	}
	if !strings.HasSuffix(wang[1].Text, "\n（补发：原定 2月3日 09:00）") || !strings.Contains(wang[1].Text, "2天后（2月6日）截止") {
		t.Errorf("late reminder = %q", wang[1].Text)
	}
	if z := e.to("zhao"); len(z) != 1 || !strings.Contains(z[0].Text, "（补发：原定 1月21日 09:00）") {
		t.Errorf("leader got %v", z)
	}
	// The list reminders (01-17, 01-19) were no longer useful after 01-20:
	// logged and recorded as skipped, not sent.
	entries := e.ledger.Entries()
	logs := e.logs.String()
	for _, id := range []string{"list-3d@2024-01-17T09:00:00+08:00", "list-1d@2024-01-19T09:00:00+08:00"} {
		if !strings.HasPrefix(entries[id], "skipped") {
			t.Errorf("ledger %s = %q, want skipped", id, entries[id])
		}
		if !strings.Contains(logs, `"occurrence":"`+id+`"`) || !strings.Contains(logs, "announcement skipped") {
			t.Errorf("skip of %s not logged", id)
		}
		for d := range deliveries(e) {
			if strings.HasPrefix(d, id) {
				t.Errorf("expired %s was sent", d)
			}
		}
	}
	// Nothing goes twice, however often it ticks and whatever LastRun says.
	n := len(e.sender.Messages())
	e.tick(r, cst(2024, 2, 4, 10, 1))
	_ = e.ledger.SetLastRun(ctx, cst(2024, 1, 16, 0, 0))
	e.tick(r, cst(2024, 2, 4, 10, 2))
	if got := len(e.sender.Messages()); got != n {
		t.Errorf("%d more messages on later ticks", got-n)
	}
	// The next one, on time, carries no note.
	e.tick(r, cst(2024, 2, 5, 9, 10))
	w := e.to("wang")
	if last := w[len(w)-1].Text; strings.Contains(last, "补发") || !strings.Contains(last, "明天（2月6日）截止") {
		t.Errorf("on-time reminder = %q", last)
	}
}

func TestRateLimitedRobot(t *testing.T) {
	var b strings.Builder
	b.WriteString(head + "announcements:\n")
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&b, "  - {id: n%02d, when: {at: 2024-01-09T09:00:00+08:00}, to: {robot_key: robotkey1}, template: 第%d条}\n", i, i)
	}
	s := parse(t, b.String())
	start := cst(2024, 1, 9, 9, 10) // every one of them is due
	e := newEnv(t, start)
	r := e.runner(s, "a")
	e.tick(r, start)
	if got := len(e.sender.Messages()); got != 20 {
		t.Fatalf("sent %d in the first minute, want 20", got)
	}
	e.tick(r, start.Add(30*time.Second))
	if got := len(e.sender.Messages()); got != 20 {
		t.Fatalf("sent %d within the minute, want still 20", got)
	}
	e.tick(r, start.Add(time.Minute))
	if got := len(e.sender.Messages()); got != 25 {
		t.Fatalf("sent %d after a minute, want 25", got)
	}
	for _, s := range e.sender.Messages() {
		if s.Attempt != 1 {
			t.Errorf("%s took %d attempts: the limiter should keep it from failing", s.Message.Idempotency, s.Attempt)
		}
	}
}

func TestMemberRateLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString(head + "announcements:\n")
	for i := 0; i < 35; i++ {
		fmt.Fprintf(&b, "  - {id: n%02d, when: {at: 2024-01-09T09:00:00+08:00}, to: {users: [wang]}, template: 第%d条}\n", i, i)
	}
	start := cst(2024, 1, 9, 9, 10)
	e := newEnv(t, start)
	r := e.runner(parse(t, b.String()), "a")
	e.tick(r, start)
	if got := len(e.to("wang")); got != 30 {
		t.Fatalf("wang got %d in a minute, want 30", got)
	}
	e.tick(r, start.Add(time.Minute))
	if got := len(e.to("wang")); got != 35 {
		t.Fatalf("wang got %d, want 35", got)
	}
}

func TestFailedSendsRetriedThenAdminsTold(t *testing.T) {
	s := parse(t, head+`
announcements:
  - {id: notice, when: {at: 2024-01-09T09:00:00+08:00}, to: {users: [wang, li, zhang]}, template: 通知}
`)
	o := s.Occurrences()[0]
	start := o.At.Add(broadcast.Jitter(o))
	e := newEnv(t, start)
	e.sender.Fail = func(m domain.Message, attempt int) error {
		switch {
		case slices.Contains(m.ToUsers, "wang"):
			return errors.New("send message: errcode 60020 https://qyapi.weixin.qq.com/cgi-bin/message/send?access_token=SECRETTOKEN")
		case slices.Contains(m.ToUsers, "li") && attempt <= 2:
			return errors.New("errcode -1 system busy")
		}
		return nil
	}
	r := e.runner(s, "a")
	wangKey := o.ID + "/u/wang"
	// Exponential backoff: attempts at +0, +1 s, +3 s, +7 s, +15 s.
	steps := []struct {
		after    time.Duration
		attempts int
	}{
		{0, 1}, {500 * time.Millisecond, 1}, {time.Second, 2}, {2 * time.Second, 2}, {3 * time.Second, 3},
		{6 * time.Second, 3}, {7 * time.Second, 4}, {14 * time.Second, 4}, {15 * time.Second, 5}, {time.Minute, 5},
	}
	for _, st := range steps {
		e.tick(r, start.Add(st.after))
		if got := e.sender.Attempts(wangKey); got != st.attempts {
			t.Fatalf("at +%v: %d attempts, want %d", st.after, got, st.attempts)
		}
	}
	if got := e.to("wang"); len(got) != 0 {
		t.Errorf("wang got %v", got)
	}
	if got := e.to("li"); len(got) != 1 {
		t.Errorf("li got %d messages after two failures, want 1", len(got))
	}
	if got := e.to("zhang"); len(got) != 1 {
		t.Errorf("zhang got %d", len(got))
	}
	admin := e.to("admin")
	if len(admin) != 1 {
		t.Fatalf("admins got %d messages, want 1", len(admin))
	}
	if txt := admin[0].Text; !strings.Contains(txt, "notice") || !strings.Contains(txt, "王芳") || !strings.Contains(txt, "5次") {
		t.Errorf("admin alert = %q: it must name the announcement, the recipient and the tries", txt)
	}
	if !strings.HasPrefix(e.ledger.Entries()[wangKey+"#failed"], "gave up") {
		t.Error("failure not recorded in the ledger")
	}
	if logs := e.logs.String(); strings.Contains(logs, "SECRETTOKEN") || strings.Contains(e.ledger.Entries()[wangKey+"#err1"], "SECRETTOKEN") {
		t.Error("an access token reached the log or the ledger")
	}
}

func TestRemindersOnlyToCommitteesWithOpenWork(t *testing.T) {
	s := campaigntest.Schedule()
	var o schedule.Occurrence
	for _, x := range s.Occurrences() {
		if x.Announcement == "visits-3d" {
			o = x
		}
	}
	at := o.At.Add(10 * time.Minute)
	e := newEnv(t, at)
	r := e.runner(s, "a")
	e.tick(r, at)
	wang, li, zhang := e.to("wang"), e.to("li"), e.to("zhang")
	if len(li) != 0 {
		t.Errorf("甘泉二村 has nothing open but got %+v", li)
	}
	if len(wang) != 1 || !strings.Contains(wang[0].Text, "甘泉一村") || !strings.Contains(wang[0].Text, "还有3户未走访") || !strings.Contains(wang[0].Text, "还有300元未发放") {
		t.Errorf("甘泉一村 reminder = %+v", wang)
	}
	if len(zhang) != 1 || strings.Contains(zhang[0].Text, "未走访") || !strings.Contains(zhang[0].Text, "还有200元未发放") {
		t.Errorf("甘泉三村 reminder = %+v", zhang)
	}
	if len(e.to("zhao"))+len(e.to("admin")) != 0 {
		t.Error("a reminder for committees went to a leader or admin")
	}
}

func TestLeaseHolderAloneSends(t *testing.T) {
	s := parse(t, head+`
announcements:
  - {id: a1, when: {at: 2024-01-09T09:00:00+08:00}, to: {users: [wang]}, template: 一}
  - {id: a2, when: {at: 2024-01-10T09:00:00+08:00}, to: {users: [wang]}, template: 二}
`)
	e := newEnv(t, cst(2024, 1, 9, 9, 0))
	a, b := e.runner(s, "a"), e.runner(s, "b")
	a.LeaseTTL = time.Hour
	e.tick(a, cst(2024, 1, 9, 9, 0)) // a takes the lease until 10:00; a1 is not due yet
	e.tick(b, cst(2024, 1, 9, 9, 20))
	if n := len(e.sender.Messages()); n != 0 {
		t.Fatalf("b sent %d without the lease", n)
	}
	e.tick(a, cst(2024, 1, 9, 9, 20))
	if n := len(e.sender.Messages()); n != 1 {
		t.Fatalf("a sent %d, want 1", n)
	}
	// Stopping Run releases the lease: b takes over at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = a.Run(ctx)
	e.tick(b, cst(2024, 1, 9, 9, 21)) // within a's lease had it not been released
	e.tick(b, cst(2024, 1, 10, 9, 20))
	if n := len(e.sender.Messages()); n != 2 {
		t.Fatalf("after a stopped, %d sent, want 2", n)
	}
}

// denyAll is a limiter that refuses everything, keeping deliveries queued.
type denyAll struct{}

func (denyAll) Allow(context.Context, string, int) (bool, time.Duration, error) {
	return false, time.Hour, nil
}

func TestRecoveryAfterCrash(t *testing.T) {
	s := parse(t, head+`
announcements:
  - {id: notice, when: {at: 2024-01-09T09:00:00+08:00}, to: {users: [wang, li, zhang, zhao]}, template: 通知}
`)
	o := s.Occurrences()[0]
	at := o.At.Add(10 * time.Minute)
	e := newEnv(t, at)
	ctx := context.Background()
	a := e.runner(s, "a")
	a.Limiter = denyAll{}
	e.tick(a, at) // a claims all four and queues them; then it dies without releasing
	if n := len(e.sender.Messages()); n != 0 {
		t.Fatalf("sent %d", n)
	}
	// What a was doing when it died:
	// li: attempt 1 made and failed; zhang: attempt 1 made, result never
	// recorded (WeCom may or may not have it); wang, zhao: not attempted.
	_, _ = e.ledger.MarkSent(ctx, o.ID+"/u/li#try1", "a")
	_, _ = e.ledger.MarkSent(ctx, o.ID+"/u/li#err1", "errcode -1")
	_, _ = e.ledger.MarkSent(ctx, o.ID+"/u/zhang#try1", "a")

	b := e.runner(s, "b")
	e.tick(b, at.Add(30*time.Second))
	if n := len(e.sender.Messages()); n != 0 {
		t.Fatalf("b sent %d while a's lease was still valid", n)
	}
	e.tick(b, at.Add(2*time.Minute)) // a's lease has expired
	for _, u := range []string{"wang", "li", "zhao"} {
		if got := len(e.to(u)); got != 1 {
			t.Errorf("%s got %d after recovery, want 1", u, got)
		}
	}
	if got := e.sender.Attempts(o.ID + "/u/li"); got != 1 {
		t.Errorf("li: %d sends by b, want 1 (attempt 2)", got)
	}
	if got := len(e.to("zhang")); got != 0 {
		t.Errorf("zhang's delivery is in doubt and must not be resent, got %d", got)
	}
	admin := e.to("admin")
	if len(admin) != 1 || !strings.Contains(admin[0].Text, "张敏") || !strings.Contains(admin[0].Text, "notice") || !strings.Contains(admin[0].Text, "核实") {
		t.Errorf("admins got %+v, want one note about zhang's delivery in doubt", admin)
	}
	e.tick(b, at.Add(3*time.Minute))
	if got := len(e.sender.Messages()); got != 4 {
		t.Errorf("%d messages in all, want 4 (three recipients and one alert)", got)
	}
}

func TestRunSendsAndStops(t *testing.T) {
	s := parse(t, head+`
announcements:
  - {id: a1, when: {at: 2024-01-09T09:00:00+08:00}, to: {users: [wang]}, template: 一}
`)
	at := cst(2024, 1, 9, 9, 20)
	e := newEnv(t, at)
	r := e.runner(s, "a")
	r.Interval = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for len(e.sender.Messages()) == 0 {
		select {
		case <-deadline:
			t.Fatal("Run sent nothing")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if ok, _ := e.ledger.Lease(context.Background(), broadcast.LeaseName, "other", time.Minute); !ok {
		t.Error("Run did not release the lease")
	}
}

func TestFromDirectory(t *testing.T) {
	d := domain.Directory{
		"wang": {UserID: "wang", Name: "王芳", Role: domain.RoleWorker, Committee: "甘泉一村"},
		"zhao": {UserID: "zhao", Name: "赵书记", Role: domain.RoleLeader},
	}
	got, err := broadcast.FromDirectory(d)(context.Background())
	if err != nil || len(got) != 2 || got[0] != (broadcast.Recipient{UserID: "wang", Name: "王芳", Role: domain.RoleWorker, Committee: "甘泉一村"}) || got[1].UserID != "zhao" {
		t.Errorf("FromDirectory = %+v, %v", got, err)
	}
}

// TestSweepRunsUnderTheLease: only the lease holder sweeps, at every tick,
// and a failing sweep is logged without holding up the announcements.
func TestSweepRunsUnderTheLease(t *testing.T) {
	s := parse(t, head+`
announcements:
  - {id: a1, when: {at: 2024-01-09T09:00:00+08:00}, to: {users: [wang]}, template: 一}
`)
	e := newEnv(t, cst(2024, 1, 9, 9, 0))
	var mu sync.Mutex
	swept := map[string][]time.Time{}
	sweeper := func(owner string) func(context.Context, time.Time) (int, error) {
		return func(_ context.Context, now time.Time) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			swept[owner] = append(swept[owner], now)
			return 0, errors.New("rescue reports unreadable")
		}
	}
	a, b := e.runner(s, "a"), e.runner(s, "b")
	a.Sweep, b.Sweep = sweeper("a"), sweeper("b")
	a.LeaseTTL = time.Hour
	e.tick(a, cst(2024, 1, 9, 9, 0))
	e.tick(b, cst(2024, 1, 9, 9, 10))
	e.tick(a, cst(2024, 1, 9, 9, 20))
	mu.Lock()
	got := swept
	mu.Unlock()
	if want := []time.Time{cst(2024, 1, 9, 9, 0), cst(2024, 1, 9, 9, 20)}; !slices.EqualFunc(got["a"], want, time.Time.Equal) {
		t.Errorf("the lease holder swept at %v, want %v", got["a"], want)
	}
	if len(got["b"]) != 0 {
		t.Errorf("a runner without the lease swept at %v", got["b"])
	}
	if n := len(e.to("wang")); n != 1 {
		t.Errorf("%d announcements sent with a failing sweep, want 1", n)
	}
	if !strings.Contains(e.logs.String(), "rescue reports unreadable") {
		t.Errorf("the sweep's error was not logged:\n%s", e.logs.String())
	}
}
