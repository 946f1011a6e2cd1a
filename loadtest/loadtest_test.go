package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"songnuan/chat"
	"songnuan/wecom"
)

func testCreds(t *testing.T) chat.Credentials {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return chat.Credentials{
		CorpID: "wwload", Token: "tok" + strconv.Itoa(int(k[0])),
		EncodingAESKey: base64.StdEncoding.EncodeToString(k)[:43], AgentID: "1000009",
	}
}

// fakeBot opens every callback with the app's crypto, records it and
// answers with what reply decides.
type fakeBot struct {
	t      *testing.T
	crypto *wecom.Crypto
	creds  chat.Credentials
	srv    *httptest.Server
	reply  func(m wecom.Message) (status int, text string)

	mu  sync.Mutex
	got []wecom.Message
}

func newFakeBot(t *testing.T, reply func(m wecom.Message) (int, string)) *fakeBot {
	t.Helper()
	creds := testCreds(t)
	cr, err := wecom.NewCrypto(creds.Token, creds.EncodingAESKey, creds.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBot{t: t, crypto: cr, creds: creds, reply: reply}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *fakeBot) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/wecom/callback" {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	m, err := b.crypto.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
	if err != nil {
		b.t.Errorf("callback does not open: %v", err)
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.got = append(b.got, m)
	status, text := b.reply(m)
	b.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, "unavailable", status)
		return
	}
	if text == "" {
		return
	}
	out, _ := b.crypto.SealReply(wecom.TextReplyXML(m.FromUserName, b.creds.CorpID, time.Now().Unix(), text), q.Get("timestamp"), q.Get("nonce"))
	w.Write(out)
}

func (b *fakeBot) messages() []wecom.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]wecom.Message(nil), b.got...)
}

// distinctIDs fails the test when two messages share a MsgId.
func distinctIDs(t *testing.T, ms []wecom.Message) {
	t.Helper()
	seen := map[string]int{}
	for i, m := range ms {
		if m.MsgID == "" {
			t.Fatalf("message %d has no MsgId", i)
		}
		if j, ok := seen[m.MsgID]; ok {
			t.Fatalf("messages %d and %d share MsgId %s", j, i, m.MsgID)
		}
		seen[m.MsgID] = i
	}
}

func TestRunPlain(t *testing.T) {
	b := newFakeBot(t, func(m wecom.Message) (int, string) { return http.StatusOK, "可用命令：" + m.FromUserName })
	res, err := Run(context.Background(), Options{
		URL: b.srv.URL, Credentials: b.creds, N: 300, C: 8, Warmup: 40, Text: "帮助",
		Workers: []Worker{{UserID: "wang"}, {UserID: "li"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := b.messages()
	if len(got) != 340 {
		t.Fatalf("bot received %d messages, want 300 timed + 40 warm-up", len(got))
	}
	distinctIDs(t, got)
	users := map[string]int{}
	for _, m := range got {
		if m.Content != "帮助" || m.MsgType != "text" || m.ToUserName != b.creds.CorpID || m.AgentID != b.creds.AgentID {
			t.Fatalf("message = %+v", m)
		}
		users[m.FromUserName]++
	}
	if users["wang"] != 170 || users["li"] != 170 {
		t.Errorf("senders = %v, want wang and li in turn", users)
	}
	if res.Sent != 300 || res.OK != 300 || res.Failed() != 0 || res.Empty != 0 {
		t.Errorf("result = %+v", res)
	}
	l := res.Latency
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) || res.PerSecond <= 0 || res.Elapsed <= 0 {
		t.Errorf("latency %+v, rate %.1f, elapsed %v", l, res.PerSecond, res.Elapsed)
	}
	if len(res.Replies) != 1 || res.Replies[0] != (ReplyCount{Text: "可用命令", Count: 300}) {
		t.Errorf("reply tally = %+v, want 可用命令 ×300", res.Replies)
	}
}

// mixBot plays the bot's side of a mixed run closely enough to check the
// tool: registrations get a code per committee and a total; visits must
// name a registered code, come from the worker who registered it and pay
// its total.
type mixBot struct {
	t     *testing.T
	next  map[string]int              // committee → last code
	due   map[string]map[string]int64 // committee → code → total
	owner map[string]map[string]string
	heads map[string]bool
	kinds map[string]int
	regs  []string
}

var reRegister = regexp.MustCompile(`^登记 (\S+) (.+)$`)
var reVisit = regexp.MustCompile(`^走访 (\d+) 发放(\d+)元(?: 居委:(\S+))?$`)

func committeeOf(m wecom.Message, text string) string {
	if _, c, ok := strings.Cut(text, " 居委:"); ok {
		return c
	}
	return "居委-" + m.FromUserName
}

func (mb *mixBot) reply(m wecom.Message) (int, string) {
	text := m.Content
	c := committeeOf(m, text)
	switch {
	case strings.HasPrefix(text, "登记 "):
		mb.kinds["登记"]++
		mb.regs = append(mb.regs, text)
		r := reRegister.FindStringSubmatch(text)
		if r == nil || mb.heads[r[1]] {
			mb.t.Errorf("bad or repeated registration %q", text)
			return http.StatusOK, "没看懂"
		}
		mb.heads[r[1]] = true
		mb.next[c]++
		code := strconv.Itoa(mb.next[c])
		total := int64(700 + 100*len(r[2]))
		if mb.due[c] == nil {
			mb.due[c], mb.owner[c] = map[string]int64{}, map[string]string{}
		}
		mb.due[c][code], mb.owner[c][code] = total, m.FromUserName
		return http.StatusOK, fmt.Sprintf("已登记 %s（编号%s，%s，3人）\n· 低保 900元（市、区财政）\n合计 %d元", r[1], code, c, total)
	case strings.HasPrefix(text, "走访 "):
		mb.kinds["走访"]++
		v := reVisit.FindStringSubmatch(text)
		if v == nil {
			mb.t.Errorf("bad visit %q", text)
			return http.StatusOK, "没看懂"
		}
		due, ok := mb.due[c][v[1]]
		if !ok || strconv.FormatInt(due, 10) != v[2] || mb.owner[c][v[1]] != m.FromUserName {
			mb.t.Errorf("visit %q from %s: due %d, owner %s", text, m.FromUserName, due, mb.owner[c][v[1]])
		}
		return http.StatusOK, "已记录 编号" + v[1]
	case strings.HasPrefix(text, "待办"):
		mb.kinds["待办"]++
		return http.StatusOK, "待走访 3户"
	case text == "进度":
		mb.kinds["进度"]++
		if m.FromUserName != "zhao" {
			mb.t.Errorf("进度 from %s, want the leader zhao", m.FromUserName)
		}
		return http.StatusOK, "" // pushed as markdown
	}
	mb.t.Errorf("unexpected message %q", text)
	return http.StatusOK, "没看懂"
}

func TestRunMix(t *testing.T) {
	mb := &mixBot{t: t, next: map[string]int{}, due: map[string]map[string]int64{}, owner: map[string]map[string]string{},
		heads: map[string]bool{}, kinds: map[string]int{}}
	b := newFakeBot(t, mb.reply)
	var progress bytes.Buffer
	res, err := Run(context.Background(), Options{
		URL: b.srv.URL, Credentials: b.creds, N: 400, C: 4, Warmup: 100, Mix: true, Households: 30, Seed: 7,
		Workers: []Worker{{UserID: "wang"}, {UserID: "admin", Committee: "甘泉二村"}}, Leaders: []string{"zhao"},
		Out: &progress,
	})
	if err != nil {
		t.Fatalf("Run = %v\n%s", err, progress.String())
	}
	distinctIDs(t, b.messages())
	if len(b.messages()) != 30+100+400 {
		t.Fatalf("bot received %d messages, want 530", len(b.messages()))
	}
	// Warm-up and timed traffic come from one sequence of 500, in blocks
	// of 20: exactly 80/15/5.
	want := map[string]int{"登记": 30, "走访": 400, "待办": 75, "进度": 25}
	for k, n := range want {
		if mb.kinds[k] != n {
			t.Errorf("bot saw %d %s, want %d (all: %v)", mb.kinds[k], k, n, mb.kinds)
		}
	}
	if res.Setup.Households != 30 || res.Setup.ByHead != 0 {
		t.Errorf("setup = %+v", res.Setup)
	}
	wantKinds := []KindResult{{Kind: "走访", Count: 320}, {Kind: "待办", Count: 60}, {Kind: "进度", Count: 20}}
	if len(res.Kinds) != 3 {
		t.Fatalf("kinds = %+v", res.Kinds)
	}
	for i, k := range res.Kinds {
		if k.Kind != wantKinds[i].Kind || k.Count != wantKinds[i].Count || k.Failed != 0 || k.Latency.Max <= 0 {
			t.Errorf("kind %d = %+v, want %s ×%d", i, k, wantKinds[i].Kind, wantKinds[i].Count)
		}
	}
	if res.Sent != 400 || res.OK != 400 || res.Empty != 20 || res.Failed() != 0 {
		t.Errorf("result = %+v", res)
	}
	// admin's registrations name its committee; wang's do not.
	for _, r := range mb.regs {
		if strings.Contains(r, "居委:") != strings.HasSuffix(r, "居委:甘泉二村") {
			t.Errorf("registration %q", r)
		}
	}
	if mb.next["甘泉二村"] != 15 || mb.next["居委-wang"] != 15 {
		t.Errorf("households per committee = %v, want 15 each", mb.next)
	}
	var out bytes.Buffer
	res.Write(&out)
	for _, s := range []string{"混合流量", "走访", "待办", "进度", "bench n=400 c=4 mix=true"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
}

// TestSetupRefused: a registration the bot refuses stops the run and
// shows the bot's answer.
func TestSetupRefused(t *testing.T) {
	b := newFakeBot(t, func(m wecom.Message) (int, string) {
		return http.StatusOK, "您还没有登记为工作人员，请联系社区服务办管理员添加 userid " + m.FromUserName
	})
	_, err := Run(context.Background(), Options{URL: b.srv.URL, Credentials: b.creds, N: 20, C: 2, Mix: true, Households: 3})
	if err == nil || !strings.Contains(err.Error(), "还没有登记为工作人员") {
		t.Fatalf("Run = %v, want the refusal shown", err)
	}
	if n := len(b.messages()); n != 3 {
		t.Errorf("bot received %d messages, want only the 3 registrations", n)
	}
}

func setEnvCreds(t *testing.T, c chat.Credentials) {
	t.Setenv("WECOM_CORP_ID", c.CorpID)
	t.Setenv("WECOM_TOKEN", c.Token)
	t.Setenv("WECOM_ENCODING_AES_KEY", c.EncodingAESKey)
	t.Setenv("WECOM_AGENT_ID", c.AgentID)
}

// TestMainFailing: a bot that answers some messages with 503 or with a
// reply that does not decrypt makes bench fail, with the counts shown.
func TestMainFailing(t *testing.T) {
	var mu sync.Mutex
	n := 0
	b := newFakeBot(t, func(m wecom.Message) (int, string) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n%10 == 0 {
			return http.StatusServiceUnavailable, ""
		}
		return http.StatusOK, "好"
	})
	setEnvCreds(t, b.creds)
	var out bytes.Buffer
	err := Main([]string{"--url", b.srv.URL, "--n", "100", "--c", "4", "--warmup", "0"}, &out)
	if err == nil || !strings.Contains(err.Error(), "10 个请求失败") {
		t.Fatalf("Main = %v, want 10 failed requests\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "HTTP 503 ×10") || !strings.Contains(out.String(), "non200=10") {
		t.Errorf("report:\n%s", out.String())
	}

	// Replies sealed with another key count as failures too.
	other := testCreds(t)
	bad, _ := wecom.NewCrypto(other.Token, other.EncodingAESKey, other.CorpID)
	b2 := newFakeBot(t, func(wecom.Message) (int, string) { return http.StatusOK, "好" })
	setEnvCreds(t, b2.creds)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		b2.serve(rec, r)
		// Re-seal the bot's reply with a key the client does not have.
		sealed, _ := bad.SealReply(wecom.TextReplyXML("wang", other.CorpID, 1, "好"), "1", "2")
		w.Write(sealed)
	}))
	defer srv.Close()
	out.Reset()
	err = Main([]string{"--url", srv.URL, "--n", "30", "--c", "3", "--warmup", "0"}, &out)
	if err == nil || !strings.Contains(err.Error(), "回复解不开 30") {
		t.Fatalf("Main with undecryptable replies = %v\n%s", err, out.String())
	}

	// A bot that is not there: every request gets no answer.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	out.Reset()
	err = Main([]string{"--url", url, "--n", "5", "--c", "2", "--warmup", "0", "--timeout", "2s"}, &out)
	if err == nil || !strings.Contains(err.Error(), "无应答 5") {
		t.Fatalf("Main against a closed port = %v\n%s", err, out.String())
	}
}

func TestMainSucceeds(t *testing.T) {
	b := newFakeBot(t, func(wecom.Message) (int, string) { return http.StatusOK, "可用命令" })
	setEnvCreds(t, b.creds)
	var out bytes.Buffer
	if err := Main([]string{"--url", b.srv.URL, "--n", "50", "--c", "5", "--warmup", "10", "--text", "待办"}, &out); err != nil {
		t.Fatalf("Main = %v\n%s", err, out.String())
	}
	if len(b.messages()) != 60 {
		t.Errorf("bot received %d messages, want 60", len(b.messages()))
	}
	if !regexp.MustCompile(`(?m)^bench n=50 c=5 mix=false elapsed=\S+s rate=\S+ p50=\S+ms p90=\S+ms p99=\S+ms max=\S+ms ok=50 empty=0 non200=0 no_answer=0 bad_reply=0 warmup_failed=0 tool_cpu_us=\d+$`).MatchString(out.String()) {
		t.Errorf("report lacks the result line:\n%s", out.String())
	}
}

func TestReplyKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"已记录：甲一（编号1）1月15日 居委走访 王芳 发放900元\n应发900元", "已记录"},
		{"重复：严军春涛（编号12）已于1月15日由王芳走访过", "重复"},
		{"甘泉一村 待走访 12户\n未走访：甲五(编号2)", "甘泉一村 待走访 #户"},
		{"没看懂这条消息。查一户的补助和走访", "没看懂这条消息"},
		{"可用命令（照示例发送）：", "可用命令"},
		{"户主身份证110105194912310021的户已登记", "户主身份证#********#的…"},
		{"系统繁忙，请稍后再试。", "系统繁忙"},
	} {
		if got := replyKey(c.in); got != c.want {
			t.Errorf("replyKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLatency(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := latency(d)
	want := Latency{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("latency(1..100ms) = %+v, want %+v", got, want)
	}
	if got := latency([]time.Duration{7}); got.P50 != 7 || got.P99 != 7 || got.Max != 7 {
		t.Errorf("latency of one = %+v", got)
	}
	if got := latency(nil); got != (Latency{}) {
		t.Errorf("latency(nil) = %+v", got)
	}
}

func TestHeadName(t *testing.T) {
	seen := map[string]int{}
	numerals := "零一二两三四五六七八九十百千万"
	for x := range 200000 {
		h := headName(12345 + x)
		if j, ok := seen[h]; ok {
			t.Fatalf("headName repeats %q at %d and %d", h, j, x)
		}
		seen[h] = x
		if strings.ContainsAny(h, numerals) {
			t.Fatalf("head %q holds a numeral", h)
		}
	}
}

func TestWorkersAndStaff(t *testing.T) {
	ws, err := parseWorkers(" wang, li@甘泉二村 ,")
	want := []Worker{{UserID: "wang"}, {UserID: "li", Committee: "甘泉二村"}}
	if err != nil || len(ws) != 2 || ws[0] != want[0] || ws[1] != want[1] {
		t.Errorf("parseWorkers = %+v, %v", ws, err)
	}
	if _, err := parseWorkers("@甘泉一村"); err == nil {
		t.Error("parseWorkers accepted a committee without a userid")
	}
	path := filepath.Join(t.TempDir(), "songnuan.yaml")
	os.WriteFile(path, []byte(`http_addr: ":8080"
staff:
  - {userid: w1, name: 甲, role: worker, committee: 甘泉一村}
  - {userid: w2, name: 乙, role: worker, committee: 甘泉三村}
  - {userid: boss, name: 丙, role: leader}
  - {userid: root, name: 丁, role: admin}
`), 0o600)
	ws, ls, err := readStaff(path)
	if err != nil || len(ws) != 2 || ws[0].UserID != "w1" || ws[1].UserID != "w2" || len(ls) != 1 || ls[0] != "boss" {
		t.Errorf("readStaff = %+v, %v, %v", ws, ls, err)
	}
	os.WriteFile(path, []byte("staff: []\n"), 0o600)
	if _, _, err := readStaff(path); err == nil || !strings.Contains(err.Error(), "role: worker") {
		t.Errorf("readStaff(no workers) = %v", err)
	}
}

// BenchmarkBuild is the tool's own cost per message, paid before the
// clock starts: MsgId, XML, encryption, signature, the request and its
// wire form.
func BenchmarkBuild(b *testing.B) {
	creds := chat.DemoCredentials()
	c, err := chat.NewClient("http://127.0.0.1:8080", creds, nil)
	if err != nil {
		b.Fatal(err)
	}
	gen := &plain{opt: Options{Workers: []Worker{{UserID: "wang"}}, Text: "走访 12 发放900元"}}
	ids := &idSet{seen: map[string]bool{}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := build(context.Background(), c, gen, 1, ids, true); err != nil {
			b.Fatal(err)
		}
	}
}
