package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/app"
	"songnuan/bot"
	"songnuan/config"
	"songnuan/domain"
	"songnuan/internal/redistest"
)

// delivery is one attempt to deliver a message and what came back.
type delivery struct {
	user, msgID, text string
	sent, answered    time.Time
	code              int
	reply             string
	err               error
}

// item is one household a worker registers and then visits.
type item struct {
	user, committee, head string
	regMsg, visitMsg      string // MsgIds of the two reports
	regReply, visitReply  string // the answers that ended each report
}

// outage is a span during which Redis was certainly down: from the moment
// the kill had completed until the restart began.
type outage struct{ from, to time.Time }

// streamer plays WeCom and four workers against one bot: each worker
// registers its households and then reports a visit to each, and every
// delivery answered with an error status or not at all is delivered again
// with the same MsgId, as WeCom retries.
type streamer struct {
	t       *testing.T
	a       *app.App
	s       *sender
	mu      sync.Mutex
	log     []delivery
	items   []*item
	answers atomic.Int64 // deliveries answered 200
	refused atomic.Int64 // deliveries answered 503 or not at all
}

func (st *streamer) record(d delivery) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.log = append(st.log, d)
}

// report delivers one message until it is answered, like WeCom does but
// without its limit of three tries, so that every report ends with an
// answer and the totals can be checked exactly. A late answer (an empty
// 200, the reply pushed afterwards) is read from the pushes.
func (st *streamer) report(user, msgID, text string) string {
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		since := lastSeq(st.a, user)
		d := delivery{user: user, msgID: msgID, text: text, sent: time.Now()}
		d.code, d.reply, d.err = st.s.text(user, msgID, text)
		d.answered = time.Now()
		st.record(d)
		switch {
		case d.err == nil && d.code == http.StatusOK && d.reply != "":
			st.answers.Add(1)
			return d.reply
		case d.err == nil && d.code == http.StatusOK:
			st.answers.Add(1)
			pushed := waitPush(st.a, user, since, 30*time.Second)
			st.record(delivery{user: user, msgID: msgID, text: text, sent: d.sent, answered: time.Now(), code: -1, reply: pushed})
			if recorded(pushed) {
				return pushed
			}
			// "未作记录，请稍后重发": the user sends it again.
		default:
			st.refused.Add(1)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st.t.Errorf("%s: %q was never answered", user, text)
	return ""
}

// lastSeq is the newest push to user so far.
func lastSeq(a *app.App, user string) int64 {
	recs := a.Fake.SentTo(user, 0)
	if len(recs) == 0 {
		return 0
	}
	return recs[len(recs)-1].Seq
}

// waitPush waits for a push to user after since and returns its text.
func waitPush(a *app.App, user string, since int64, wait time.Duration) string {
	for end := time.Now().Add(wait); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if recs := a.Fake.SentTo(user, since); len(recs) > 0 {
			return recs[0].Text
		}
	}
	return ""
}

// TestRedisKilledMidStream is the fault test: Redis is killed with SIGKILL
// twice while workers report, and restarted on the same data. Every report
// the bot answered as stored must be in the store, counted once; while
// Redis was down nothing may have been answered as stored.
//
// The bot's guarantee rests on the server's persistence settings (see
// SECURITY.md): appendonly yes and appendfsync always, which this server
// runs with and which the bot checks at start-up. Run the same test with
// --appendonly no and it fails: reports answered 已登记 vanish.
func TestRedisKilledMidStream(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a redis-server")
	}
	srv := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	cfg := config.Default()
	cfg.RedisURL = srv.URL()
	cfg.Staff = testStaff
	cfg.RateLimitPerMinute = 1000 // each worker reports 100 times in a few seconds
	log, logs := jsonLog()
	a := startAppWith(t, cfg, log)
	if strings.Contains(logs.String(), "may lose confirmed reports") {
		t.Fatalf("the bot warns about a durable redis:\n%s", logs)
	}
	st := &streamer{t: t, a: a, s: demoSender(t, a)}

	const perWorker = 50
	workers := testStaff[:4]
	for wi, w := range workers {
		for i := range perWorker {
			st.items = append(st.items, &item{user: w.UserID, committee: w.Committee,
				head:     fmt.Sprintf("户%sn%d", w.UserID, i),
				regMsg:   fmt.Sprintf("%d", 7100000000000000000+wi*1000+i),
				visitMsg: fmt.Sprintf("%d", 7200000000000000000+wi*1000+i)})
		}
	}
	total := int64(2 * len(st.items))

	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*item
			for _, it := range st.items {
				if it.user == w.UserID {
					mine = append(mine, it)
				}
			}
			for _, it := range mine {
				it.regReply = st.report(it.user, it.regMsg, "登记 "+it.head+" 低保 3人")
			}
			for _, it := range mine {
				it.visitReply = st.report(it.user, it.visitMsg, "走访 "+it.head+" 发放900元")
			}
		}()
	}

	// Two outages: one among the registrations, one among the visits.
	var outages []outage
	for _, at := range []int64{total / 4, total * 5 / 8} {
		for st.answers.Load() < at {
			time.Sleep(5 * time.Millisecond)
		}
		refusedBefore := st.refused.Load()
		srv.Kill()
		o := outage{from: time.Now()}
		// Stay down until the bot has refused a few deliveries, so the
		// outage is felt, then come back on the same data.
		for end := time.Now().Add(5 * time.Second); st.refused.Load() < refusedBefore+8 && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		o.to = time.Now()
		srv.Restart()
		outages = append(outages, o)
		if st.refused.Load() == refusedBefore {
			t.Errorf("redis was down from %v to %v and no delivery was refused", o.from, o.to)
		}
	}
	wg.Wait()
	if t.Failed() {
		for _, d := range st.log {
			if d.code != http.StatusOK || d.answered.Sub(d.sent) > time.Second {
				t.Logf("%s %s %q: HTTP %d %q %v after %v", d.user, d.msgID, d.text, d.code, d.reply, d.err, d.answered.Sub(d.sent))
			}
		}
		return
	}
	checkOutages(t, st.log, outages)
	checkStored(t, a, st.items)
	t.Logf("%d reports, %d deliveries, %d refused during %d outages", total, len(st.log), st.refused.Load(), len(outages))
}

// checkOutages: no delivery made and answered entirely while Redis was
// down was told its report was stored; each was refused (503) or told
// nothing was recorded.
func checkOutages(t *testing.T, log []delivery, outages []outage) {
	t.Helper()
	for _, d := range log {
		for _, o := range outages {
			if d.sent.Before(o.from) || d.answered.After(o.to) {
				continue
			}
			if recorded(d.reply) {
				t.Errorf("while redis was down %s's %q was answered %q", d.user, d.text, d.reply)
			}
			if d.code == http.StatusOK && d.reply != "" && !strings.Contains(d.reply, "未作记录") && !strings.Contains(d.reply, bot.MsgBusy) {
				t.Errorf("while redis was down %s's %q got HTTP 200 %q, want 503 or a text saying nothing was recorded", d.user, d.text, d.reply)
			}
		}
	}
}

// checkStored: every report answered as stored is in the store exactly
// once, and the counters agree with the households.
func checkStored(t *testing.T, a *app.App, items []*item) {
	t.Helper()
	ctx := context.Background()
	want := map[string]int64{}
	for _, it := range items {
		if !strings.HasPrefix(it.regReply, "已登记") {
			t.Errorf("%s registering %s ended with %q", it.user, it.head, it.regReply)
		}
		if !strings.HasPrefix(it.visitReply, "已记录") {
			t.Errorf("%s visiting %s ended with %q", it.user, it.head, it.visitReply)
		}
		hs, err := a.Store.FindByHead(ctx, it.committee, it.head)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 1 {
			t.Errorf("%s/%s: %d households, want 1", it.committee, it.head, len(hs))
			continue
		}
		visits := 0
		for _, v := range hs[0].Visits {
			if v.MsgID == it.visitMsg && v.Paid == 900 {
				visits++
			}
		}
		if len(hs[0].Visits) != 1 || visits != 1 {
			t.Errorf("%s/%s: visits %+v, want the one of message %s", it.committee, it.head, hs[0].Visits, it.visitMsg)
		}
		want[it.committee]++
	}
	for committee, n := range want {
		ctr, err := a.Store.Counters(ctx, committee)
		if err != nil {
			t.Fatal(err)
		}
		if ctr[domain.CtrHouseholds] != n || ctr[domain.CtrVisited] != n || ctr[domain.CtrPaid] != 900*n {
			t.Errorf("%s counters = hh %d visited %d paid %d, want %d, %d, %d", committee,
				ctr[domain.CtrHouseholds], ctr[domain.CtrVisited], ctr[domain.CtrPaid], n, n, 900*n)
		}
		// The counters are kept in the same atomic step as each change:
		// after the crashes they must still equal a recount.
		hs, err := a.Store.Households(ctx, committee)
		if err != nil {
			t.Fatal(err)
		}
		recount := domain.Counters{}
		for i := range hs {
			for f, v := range domain.CounterFields(&hs[i]) {
				recount[f] += v
			}
		}
		for f, v := range recount {
			if ctr[f] != v {
				t.Errorf("%s counter %s = %d, households add up to %d", committee, f, ctr[f], v)
			}
		}
	}
}
