package chat

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/internal/testkit"
	"songnuan/wecom"
	"songnuan/wecom/fakeapi"
)

// testCreds returns credentials with a fresh random key, so nothing in a
// test can pass by knowing the demo ones.
func testCreds(t *testing.T) Credentials {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return Credentials{
		CorpID: "wwtest" + strconv.Itoa(int(k[0])), Token: "tok" + strconv.Itoa(int(k[1])),
		EncodingAESKey: base64.StdEncoding.EncodeToString(k)[:43], AgentID: "1000009", Secret: "s3cret",
	}
}

// fakeBot plays a bot in demo mode: it opens callbacks with the same
// crypto WeCom's peers use, answers through a test-supplied function, and
// mounts the project's fake WeCom API, through which it pushes messages
// the way the bot's WeCom client does.
type fakeBot struct {
	t      *testing.T
	crypto *wecom.Crypto
	// replyCrypto seals replies; nil means crypto.
	replyCrypto *wecom.Crypto
	creds       Credentials
	srv         *httptest.Server
	fake        *fakeapi.Server
	// answer decides the HTTP status and passive reply for a message.
	answer func(m wecom.Message) (status int, reply string)
	noFake atomic.Bool // serve no fake API, as a production bot does

	mu       sync.Mutex
	received []wecom.Message
}

func newFakeBot(t *testing.T, creds Credentials) *fakeBot {
	t.Helper()
	cr, err := wecom.NewCrypto(creds.Token, creds.EncodingAESKey, creds.CorpID)
	if err != nil {
		t.Fatal(err)
	}
	b := &fakeBot{t: t, crypto: cr, creds: creds, fake: fakeapi.New()}
	b.fake.SetCredentials(creds.CorpID, creds.Secret)
	b.answer = func(m wecom.Message) (int, string) { return http.StatusOK, "收到：" + m.Content }
	mux := http.NewServeMux()
	mux.HandleFunc("POST /wecom/callback", b.callback)
	fake := http.StripPrefix(FakeAPIPath, b.fake)
	mux.HandleFunc(FakeAPIPath+"/", func(w http.ResponseWriter, r *http.Request) {
		if b.noFake.Load() {
			http.NotFound(w, r)
			return
		}
		fake.ServeHTTP(w, r)
	})
	b.srv = httptest.NewServer(mux)
	t.Cleanup(b.srv.Close)
	return b
}

// api calls the fake WeCom API as the bot does and fails the test on any
// errcode.
func (b *fakeBot) api(method, path string, q url.Values, contentType string, body io.Reader) map[string]any {
	b.t.Helper()
	api := b.srv.URL + FakeAPIPath
	if path != "/cgi-bin/gettoken" {
		tok := b.api("GET", "/cgi-bin/gettoken", url.Values{"corpid": {b.creds.CorpID}, "corpsecret": {b.creds.Secret}}, "", nil)
		q.Set("access_token", tok["access_token"].(string))
	}
	req, _ := http.NewRequest(method, api+path+"?"+q.Encode(), body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatalf("fake API %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out["errcode"] != float64(0) {
		b.t.Fatalf("fake API %s = %v, %v", path, out, err)
	}
	return out
}

// push sends an app message (message/send) to wang.
func (b *fakeBot) push(msg map[string]any) {
	b.t.Helper()
	if msg["touser"] == nil {
		msg["touser"] = "wang"
	}
	msg["agentid"] = 1000009
	body, _ := json.Marshal(msg)
	b.api("POST", "/cgi-bin/message/send", url.Values{}, "application/json", bytes.NewReader(body))
}

// pushFile uploads a file and sends it to wang, as the bot sends a table.
func (b *fakeBot) pushFile(name string, data []byte) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("media", name)
	fw.Write(data)
	mw.Close()
	up := b.api("POST", "/cgi-bin/media/upload", url.Values{"type": {"file"}}, mw.FormDataContentType(), &buf)
	b.push(map[string]any{"msgtype": "file", "file": map[string]any{"media_id": up["media_id"]}})
}

func (b *fakeBot) callback(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	m, err := b.crypto.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
	if err != nil {
		b.t.Errorf("callback does not open: %v", err)
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.received = append(b.received, m)
	b.mu.Unlock()
	status, reply := b.answer(m)
	if status != http.StatusOK {
		http.Error(w, "temporarily unavailable", status)
		return
	}
	if reply == "" {
		return
	}
	rc := b.crypto
	if b.replyCrypto != nil {
		rc = b.replyCrypto
	}
	out, err := rc.SealReply(wecom.TextReplyXML(m.FromUserName, b.creds.CorpID, time.Now().Unix(), reply), q.Get("timestamp"), q.Get("nonce"))
	if err != nil {
		b.t.Errorf("seal reply: %v", err)
	}
	w.Write(out)
}

func (b *fakeBot) messages() []wecom.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]wecom.Message(nil), b.received...)
}

// waitFor waits until the output holds want. The deadline only keeps a
// broken session from hanging the test; it measures nothing.
func waitFor(t *testing.T, out *testkit.Buffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never showed %q; output:\n%s", want, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func setEnvCreds(t *testing.T, c Credentials) {
	t.Setenv("WECOM_CORP_ID", c.CorpID)
	t.Setenv("WECOM_TOKEN", c.Token)
	t.Setenv("WECOM_ENCODING_AES_KEY", c.EncodingAESKey)
	t.Setenv("WECOM_AGENT_ID", c.AgentID)
	t.Setenv("WECOM_SECRET", c.Secret)
}

// TestMainConversation drives chat.Main through a pipe, as a user at a
// terminal would: what is typed reaches the bot exactly, the reply is
// printed, and a message the bot pushes later is printed too.
func TestMainConversation(t *testing.T) {
	creds := testCreds(t)
	setEnvCreds(t, creds)
	b := newFakeBot(t, creds)
	b.push(map[string]any{"msgtype": "text", "text": map[string]any{"content": "会话开始前的旧推送"}})
	b.answer = func(m wecom.Message) (int, string) {
		if m.Content == "进度" {
			b.push(map[string]any{"msgtype": "markdown", "markdown": map[string]any{"content": "## 进度\n甘泉一村 覆盖 3/10 户"}})
			return http.StatusOK, ""
		}
		return http.StatusOK, "已登记 " + m.Content
	}
	typed := []string{
		`登记 甲一 低保 3人 地址:<甘泉路&"1号"]]> 身份证:11010519491231002X 电话:13812345678`,
		"进度",
	}
	inR, inW := io.Pipe()
	out := &testkit.Buffer{}
	errc := make(chan error, 1)
	go func() { errc <- Main([]string{"--as", "wang", "--url", b.srv.URL, "--wait", "0s"}, inR, out) }()

	waitFor(t, out, "wang")
	io.WriteString(inW, typed[0]+"\n")
	waitFor(t, out, "机器人：已登记 登记 甲一")
	io.WriteString(inW, "  "+typed[1]+"  \n")
	waitFor(t, out, "甘泉一村 覆盖 3/10 户")
	inW.Close()
	if err := <-errc; err != nil {
		t.Fatalf("Main = %v", err)
	}

	got := b.messages()
	if len(got) != len(typed) {
		t.Fatalf("bot received %d messages, want %d", len(got), len(typed))
	}
	now := time.Now().Unix()
	for i, m := range got {
		if m.Content != typed[i] {
			t.Errorf("message %d content = %q, want exactly %q", i, m.Content, typed[i])
		}
		if m.MsgType != "text" || m.FromUserName != "wang" || m.ToUserName != creds.CorpID || m.AgentID != creds.AgentID {
			t.Errorf("message %d = %+v, want a text from wang to %s, agent %s", i, m, creds.CorpID, creds.AgentID)
		}
		if d := now - m.CreateTime; d < 0 || d > 60 {
			t.Errorf("message %d CreateTime %d is not now (%d)", i, m.CreateTime, now)
		}
		if id, err := strconv.ParseUint(m.MsgID, 10, 64); err != nil || len(m.MsgID) != 19 || id == 0 {
			t.Errorf("message %d MsgId %q is not a 19-digit 64-bit number", i, m.MsgID)
		}
	}
	if got[0].MsgID == got[1].MsgID {
		t.Errorf("two messages share MsgId %s", got[0].MsgID)
	}
	s := out.String()
	for _, want := range []string{"wang", b.srv.URL, "【推送·markdown】", "## 进度", "再见"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	// The echo of typed input is masked; the bot's reply here is an echo
	// the test bot made, so only the input line is checked.
	if !strings.Contains(s, "wang> 登记 甲一 低保 3人 地址:<甘泉路&\"1号\"]]> 身份证:110105********002X 电话:138****5678\n") {
		t.Errorf("typed line not echoed masked:\n%s", s)
	}
	if strings.Contains(s, "旧推送") {
		t.Errorf("a push from before the session was shown:\n%s", s)
	}
}

// runSession runs a session on the given input lines against b and
// returns its output.
func runSession(t *testing.T, b *fakeBot, opt Options, lines ...string) string {
	t.Helper()
	out := &testkit.Buffer{}
	opt.URL, opt.UserID, opt.Credentials = b.srv.URL, "wang", b.creds
	opt.In, opt.Out = strings.NewReader(strings.Join(lines, "\n")+"\n"), out
	if opt.PollInterval == 0 {
		opt.PollInterval = 20 * time.Millisecond
	}
	if err := Run(context.Background(), opt); err != nil {
		t.Fatalf("Run = %v", err)
	}
	return out.String()
}

// TestUnavailableAndResend: a 503 is explained, and /resend delivers the
// same message (same MsgId) again, as WeCom's retry would.
func TestUnavailableAndResend(t *testing.T) {
	b := newFakeBot(t, testCreds(t))
	calls := 0
	b.answer = func(m wecom.Message) (int, string) {
		calls++
		if calls == 1 {
			return http.StatusServiceUnavailable, ""
		}
		return http.StatusOK, "已记录 " + m.Content
	}
	out := runSession(t, b, Options{}, "走访 12 发放900元", "/resend", "/resend")
	got := b.messages()
	if len(got) != 2 {
		t.Fatalf("bot received %d messages, want 2 (the message and one resend)", len(got))
	}
	if got[0].MsgID != got[1].MsgID || got[0].Content != got[1].Content || got[0].CreateTime != got[1].CreateTime {
		t.Errorf("resend differs from the original: %+v vs %+v", got[0], got[1])
	}
	for _, want := range []string{"503", "什么也没记录", "/resend", "机器人：已记录 走访 12 发放900元", "没有需要重发的消息"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestStatusTexts: every non-200 answer says what happened in Chinese.
func TestStatusTexts(t *testing.T) {
	for _, c := range []struct {
		status int
		want   string
	}{
		{401, "WECOM_TOKEN"}, {403, "WECOM_CORP_ID"}, {404, "--url"}, {413, "太长"}, {429, "太快"}, {500, "HTTP 500"},
	} {
		b := newFakeBot(t, testCreds(t))
		b.answer = func(wecom.Message) (int, string) { return c.status, "" }
		out := runSession(t, b, Options{}, "帮助")
		if !strings.Contains(out, c.want) {
			t.Errorf("HTTP %d: output lacks %q:\n%s", c.status, c.want, out)
		}
		if strings.Contains(out, "机器人：") {
			t.Errorf("HTTP %d printed a reply:\n%s", c.status, out)
		}
	}
}

// TestWrongCredentials: a reply sealed with another key is reported, not
// printed.
func TestWrongCredentials(t *testing.T) {
	b := newFakeBot(t, testCreds(t))
	other := testCreds(t)
	var err error
	if b.replyCrypto, err = wecom.NewCrypto(other.Token, other.EncodingAESKey, other.CorpID); err != nil {
		t.Fatal(err)
	}
	out := runSession(t, b, Options{}, "帮助")
	if !strings.Contains(out, "解不开") || strings.Contains(out, "机器人：") {
		t.Errorf("output:\n%s", out)
	}
	c, err := NewClient(b.srv.URL, b.creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := b.replyCrypto.SealReply(wecom.TextReplyXML("wang", other.CorpID, 1, "回复"), "1", "2")
	if _, err := c.OpenReply(sealed); !errors.Is(err, ErrReply) {
		t.Errorf("OpenReply(other key) = %v, want ErrReply", err)
	}
	if s, err := c.OpenReply(nil); err != nil || s != "" {
		t.Errorf("OpenReply(empty) = %q, %v; want an empty reply", s, err)
	}
}

// TestSendFile: /file uploads the bytes to the fake API and sends a file
// message naming the media id and the file name.
func TestSendFile(t *testing.T) {
	b := newFakeBot(t, testCreds(t))
	dir := t.TempDir()
	path := filepath.Join(dir, "甘泉一村名单.csv")
	data := []byte("户主,人数,类别\n甲一,3,低保\n")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	b.answer = func(m wecom.Message) (int, string) { return http.StatusOK, "导入完成：" + m.FileName }
	out := runSession(t, b, Options{}, "/file "+path, "/file "+filepath.Join(dir, "没有这个文件.xlsx"), "/file")
	got := b.messages()
	if len(got) != 1 {
		t.Fatalf("bot received %d messages, want 1:\n%s", len(got), out)
	}
	m := got[0]
	if m.MsgType != "file" || m.FileName != "甘泉一村名单.csv" || m.MediaID == "" || m.FromUserName != "wang" || m.MsgID == "" {
		t.Fatalf("file message = %+v", m)
	}
	name, uploaded, ok := b.fake.Media(m.MediaID)
	if !ok || !bytes.Equal(uploaded, data) || name != "甘泉一村名单.csv" {
		t.Errorf("uploaded %q as %q, want %q as 甘泉一村名单.csv", uploaded, name, data)
	}
	for _, want := range []string{"机器人：导入完成：甘泉一村名单.csv", "读不了文件", "请给出文件路径"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestPushedFileSaved: a pushed file is written under the file directory
// and its path printed.
func TestPushedFileSaved(t *testing.T) {
	b := newFakeBot(t, testCreds(t))
	table := []byte("PK\x03\x04 statistics")
	b.answer = func(m wecom.Message) (int, string) {
		b.pushFile("../统计表.xlsx", table)
		b.push(map[string]any{"msgtype": "textcard", "textcard": map[string]any{"title": "截止提醒", "description": "2月6日前完成走访", "url": "http://127.0.0.1/todo"}})
		b.push(map[string]any{"msgtype": "text", "touser": "@all", "text": map[string]any{"content": "全街道：本周五前报送名单"}})
		return http.StatusOK, "统计表稍后发送"
	}
	dir := t.TempDir()
	out := runSession(t, b, Options{FileDir: dir, Linger: 300 * time.Millisecond}, "导出")
	saved := filepath.Join(dir, "统计表.xlsx")
	got, err := os.ReadFile(saved)
	if err != nil || !bytes.Equal(got, table) {
		t.Fatalf("saved file = %q, %v; want %q at %s\n%s", got, err, table, saved, out)
	}
	for _, want := range []string{"【推送·文件】统计表.xlsx 已保存到 " + saved, "【推送·卡片】", "截止提醒\n  2月6日前完成走访", "【全员推送】全街道：本周五前报送名单"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestNotDemo: a bot without the fake API is reported once, and chatting
// still works.
func TestNotDemo(t *testing.T) {
	b := newFakeBot(t, testCreds(t))
	b.noFake.Store(true)
	out := runSession(t, b, Options{Linger: 200 * time.Millisecond}, "帮助", "/file /etc/hostname")
	if n := strings.Count(out, "不在演示模式：推送"); n != 1 {
		t.Errorf("not-demo notice shown %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "机器人：收到：帮助") || !strings.Contains(out, "在企业微信里直接把文件发给应用") {
		t.Errorf("output:\n%s", out)
	}
}

// TestClientCommands: /help lists the commands, a mistyped one is not
// sent, /quit ends the session before later lines.
func TestClientCommands(t *testing.T) {
	b := newFakeBot(t, testCreds(t))
	out := runSession(t, b, Options{}, "/help", "/hlep", "/quit", "待办")
	if n := len(b.messages()); n != 0 {
		t.Errorf("bot received %d messages, want none", n)
	}
	for _, want := range []string{"/file", "/resend", "/quit", "Ctrl-D", "没有 /hlep 这个命令"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	got, err := CredentialsFromEnv(env(nil))
	if err != nil || !got.Demo || got != DemoCredentials() {
		t.Fatalf("no env = %+v, %v; want the demo credentials", got, err)
	}
	if _, err := NewClient("http://127.0.0.1:1", got, nil); err != nil {
		t.Fatalf("demo credentials do not make a client: %v", err)
	}
	full := map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_TOKEN": "t", "WECOM_ENCODING_AES_KEY": "k", "WECOM_AGENT_ID": "7", "WECOM_SECRET": "s"}
	got, err = CredentialsFromEnv(env(full))
	want := Credentials{CorpID: "ww1", Token: "t", EncodingAESKey: "k", AgentID: "7", Secret: "s"}
	if err != nil || got != want {
		t.Fatalf("full env = %+v, %v; want %+v", got, err, want)
	}
	_, err = CredentialsFromEnv(env(map[string]string{"WECOM_CORP_ID": "ww1", "WECOM_TOKEN": ""}))
	if err == nil || !strings.Contains(err.Error(), "WECOM_TOKEN") || !strings.Contains(err.Error(), "WECOM_AGENT_ID") || strings.Contains(err.Error(), "缺少 WECOM_CORP_ID") {
		t.Fatalf("partial env error = %v; want it to name the three missing variables", err)
	}
}

func TestNewMsgID(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := NewMsgID()
		if _, err := strconv.ParseInt(id, 10, 64); err != nil || len(id) != 19 {
			t.Fatalf("NewMsgID = %q: not a 19-digit int64", id)
		}
		if seen[id] {
			t.Fatalf("NewMsgID repeated %s", id)
		}
		seen[id] = true
	}
}

func TestMainFlags(t *testing.T) {
	var out bytes.Buffer
	if err := Main(nil, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "--as") {
		t.Errorf("Main without --as = %v", err)
	}
	if err := Main([]string{"--as", "wang", "--url", "ftp://x"}, strings.NewReader(""), &out); err == nil || !strings.Contains(err.Error(), "http://") {
		t.Errorf("Main with a bad URL = %v", err)
	}
}
