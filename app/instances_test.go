package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"songnuan/broadcast"
	"songnuan/domain"
	"songnuan/internal/redistest"
	"songnuan/schedule"
	"songnuan/store"
	"songnuan/store/storetest"
	"songnuan/wecom/fakeapi"
)

// campaignNow stands the processes' campaign clock in the visiting phase
// of the built-in 2024 schedule.
const campaignNow = "2024-01-15T09:00:00+08:00"

// cluster is several songnuan processes sharing one Redis (under one key
// prefix) and one fake WeCom API, as several instances behind a load
// balancer share the real ones.
type cluster struct {
	procs   []*proc
	senders []*sender
	fake    *fakeapi.Server
	store   *store.Store // the test's own view of the shared data
	creds   creds
	env     map[string]string
}

// startCluster starts n processes. They are separate processes, not
// several Apps in this one, so that nothing they share by accident (a
// package variable, the HTTP client silenceper keeps globally, a cache)
// can make them agree where real instances would not; building the binary
// costs a few seconds once.
func startCluster(t *testing.T, n int, env map[string]string) *cluster {
	t.Helper()
	return startClusterWith(t, n, env, nil)
}

// startClusterWith is startCluster with the fake WeCom API prepared by
// setup before any instance starts.
func startClusterWith(t *testing.T, n int, env map[string]string, setup func(*fakeapi.Server)) *cluster {
	t.Helper()
	redisURL := redistest.URL(t)
	prefix := storetest.Prefix()
	cl := &cluster{creds: newCreds(), fake: fakeapi.New()}
	cl.fake.SetCredentials(cl.creds.CorpID, cl.creds.Secret)
	if setup != nil {
		setup(cl.fake)
	}
	api := httptest.NewServer(cl.fake)
	t.Cleanup(api.Close)
	st, err := store.Open(context.Background(), store.Options{URL: redisURL, Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cl.store = st
	t.Cleanup(func() {
		if err := storetest.DeletePrefix(context.Background(), st.Client(), prefix); err != nil {
			t.Errorf("clean up keys under %s: %v", prefix, err)
		}
		st.Close()
	})
	cl.env = map[string]string{
		"REDIS_URL": redisURL, "SONGNUAN_KEY_PREFIX": prefix, "SONGNUAN_CONFIG": staffYAML(t),
		"WECOM_CORP_ID": cl.creds.CorpID, "WECOM_TOKEN": cl.creds.Token, "WECOM_ENCODING_AES_KEY": cl.creds.AESKey,
		"WECOM_AGENT_ID": cl.creds.AgentID, "WECOM_SECRET": cl.creds.Secret, "WECOM_API_BASE": api.URL,
		"SONGNUAN_DATA_KEY": randomKey(), "SONGNUAN_NOW": campaignNow,
	}
	for k, v := range env {
		cl.env[k] = v
	}
	for range n {
		p := startProc(t, cl.env)
		cl.procs = append(cl.procs, p)
		cl.senders = append(cl.senders, newSender(t, p.addr, cl.creds.Token, cl.creds.AESKey, cl.creds.CorpID, cl.creds.AgentID))
	}
	return cl
}

// answer is what one delivery got.
type answer struct {
	code  int
	reply string
	err   error
}

// deliverEverywhere delivers one message to every instance at once, then
// once more to instance again, and returns the answers in that order.
func (cl *cluster) deliverEverywhere(user, msgID, text string, again int) []answer {
	out := make([]answer, len(cl.senders)+1)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range cl.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a := &out[i]
			a.code, a.reply, a.err = s.text(user, msgID, text)
		}()
	}
	close(start)
	wg.Wait()
	a := &out[len(cl.senders)]
	a.code, a.reply, a.err = cl.senders[again].text(user, msgID, text)
	return out
}

func TestSeveralInstancesHandleEachMessageOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three bot processes")
	}
	cl := startCluster(t, 3, nil)
	const perWorker = 12
	workers := []domain.Staff{testStaff[0], testStaff[2]} // one in each committee
	var wg sync.WaitGroup
	var mu sync.Mutex
	messages := 0
	for wi, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			say := func(n int, msgID, text, want string) {
				answers := cl.deliverEverywhere(w.UserID, msgID, text, n%len(cl.senders))
				for i, a := range answers {
					if a.err != nil || a.code != http.StatusOK || a.reply != answers[0].reply {
						t.Errorf("%s %q delivery %d: HTTP %d %q %v; the first got %q", w.UserID, text, i, a.code, a.reply, a.err, answers[0].reply)
					}
				}
				if !strings.HasPrefix(answers[0].reply, want) {
					t.Errorf("%s %q = %q, want %s…", w.UserID, text, answers[0].reply, want)
				}
				mu.Lock()
				messages++
				mu.Unlock()
			}
			for i := range perWorker {
				say(i, fmt.Sprint(7300000000000000000+wi*1000+i), fmt.Sprintf("登记 户%sn%d 低保 3人", w.UserID, i), "已登记")
			}
			for i := range perWorker {
				say(i, fmt.Sprint(7400000000000000000+wi*1000+i), fmt.Sprintf("走访 户%sn%d 发放900元", w.UserID, i), "已记录")
			}
		}()
	}
	wg.Wait()

	ctx := context.Background()
	for _, w := range workers {
		ctr, err := cl.store.Counters(ctx, w.Committee)
		if err != nil {
			t.Fatal(err)
		}
		if ctr[domain.CtrHouseholds] != perWorker || ctr[domain.CtrVisited] != perWorker || ctr[domain.CtrPaid] != 900*perWorker {
			t.Errorf("%s counters: hh %d visited %d paid %d, want %d, %d, %d", w.Committee,
				ctr[domain.CtrHouseholds], ctr[domain.CtrVisited], ctr[domain.CtrPaid], perWorker, perWorker, 900*perWorker)
		}
		hs, err := cl.store.Households(ctx, w.Committee)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			if len(h.Visits) != 1 {
				t.Errorf("%s/%s has %d visits, want 1", w.Committee, h.Head, len(h.Visits))
			}
		}
	}
	// Each message was handled by exactly one instance; every other
	// delivery was answered from the dedup store.
	var handled, duplicates float64
	for _, p := range cl.procs {
		handled += p.metric(t, `songnuan_messages_total{outcome="ok",type="text"}`)
		duplicates += p.metric(t, `songnuan_messages_total{outcome="duplicate",type="text"}`)
	}
	if int(handled) != messages || int(duplicates) != len(cl.senders)*messages {
		t.Errorf("instances handled %v messages and answered %v duplicates; want %d and %d",
			handled, duplicates, messages, len(cl.senders)*messages)
	}
}

// scheduleYAML is a campaign schedule with two announcements: one to
// everybody already due when the instances start, and one to the workers
// due a few seconds later.
const scheduleYAML = `name: 测试日程
timezone: Asia/Shanghai
phases:
  - name: 走访慰问
    start: 2024-01-01
    end: 2024-02-06
announcements:
  - id: started
    when: {at: %s}
    to: {roles: [all]}
    template: "【测试】{{.Name}}：公告一"
  - id: soon
    when: {at: %s}
    to: {roles: [workers]}
    template: "【测试】{{.Committee}}{{.Name}}：公告二"
`

// broadcastSchedule writes the test schedule and returns its path and the
// campaign time to start the instances at: a few seconds before the second
// announcement goes out (its time plus its jitter, see broadcast.Jitter).
func broadcastSchedule(t *testing.T) (string, time.Time) {
	t.Helper()
	soon := time.Date(2024, 1, 15, 8, 30, 0, 0, time.FixedZone("CST", 8*3600))
	yaml := fmt.Sprintf(scheduleYAML, soon.Add(-time.Hour).Format(time.RFC3339), soon.Format(time.RFC3339))
	s, err := schedule.Parse([]byte(yaml), "test")
	if err != nil {
		t.Fatal(err)
	}
	due := s.Due(soon.Add(-time.Second), soon)
	if len(due) != 1 {
		t.Fatalf("schedule has %d occurrences at %v, want the second announcement", len(due), soon)
	}
	path := filepath.Join(t.TempDir(), "schedule.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, soon.Add(broadcast.Jitter(due[0])).Add(-5 * time.Second)
}

// TestSeveralInstancesBroadcastOnce runs a schedule on three instances at
// once while WeCom refuses the first sends: every announcement reaches
// every recipient once, the one due at start-up and the one that comes due
// while they run.
func TestSeveralInstancesBroadcastOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three bot processes for half a minute")
	}
	path, now := broadcastSchedule(t)
	const sendPath = "/cgi-bin/message/send"
	env := map[string]string{"SONGNUAN_SCHEDULE": path, "SONGNUAN_NOW": now.Format(time.RFC3339)}
	cl := startClusterWith(t, 3, env, func(f *fakeapi.Server) {
		f.FailNext(sendPath, -1, 3) // WeCom is busy at first
	})

	want := map[string]int{}
	for _, s := range testStaff {
		want["公告一 "+s.UserID] = 1
		if s.Role == domain.RoleWorker {
			want["公告二 "+s.UserID] = 1
		}
	}
	got := func() map[string]int {
		n := map[string]int{}
		for _, r := range cl.fake.Sent() {
			for _, u := range r.ToUsers {
				switch {
				case strings.Contains(r.Text, "：公告一"):
					n["公告一 "+u]++
				case strings.Contains(r.Text, "：公告二"):
					n["公告二 "+u]++
				default:
					n["other "+r.Text]++
				}
			}
		}
		return n
	}
	for end := time.Now().Add(60 * time.Second); !maps.Equal(got(), want) && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	// One more round of ticks on every instance: nothing goes again.
	time.Sleep(16 * time.Second)
	if g := got(); !maps.Equal(g, want) {
		t.Errorf("sent %v, want each announcement once to each of %v", g, want)
	}
	if n := cl.fake.Calls(sendPath); n != len(want)+3 {
		t.Errorf("message/send called %d times, want %d sends and the 3 refused", n, len(want))
	}
}
