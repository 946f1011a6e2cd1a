package wecom

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"

	"songnuan/domain"
	"songnuan/internal/testkit"
	"songnuan/wecom/fakeapi"
)

const testSecret = "app-secret-do-not-log"

// setup returns a client pointed at a fresh fake under a path prefix, in
// the go-github style. At cleanup it checks that no secret was logged.
func setup(t *testing.T) (*Client, *fakeapi.Server) {
	t.Helper()
	fake := fakeapi.New()
	fake.SetCredentials("ww-test", testSecret)
	mux := http.NewServeMux()
	mux.Handle("/fakewecom/", http.StripPrefix("/fakewecom", fake))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the API base: %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, logs := newTestClient(t, srv.URL+"/fakewecom", time.Second)
	t.Cleanup(func() { checkNoSecrets(t, "log", logs.String()) })
	return c, fake
}

func newTestClient(t *testing.T, base string, timeout time.Duration) (*Client, *testkit.Buffer) {
	t.Helper()
	logs := &testkit.Buffer{}
	c, err := NewClient(ClientConfig{
		CorpID: "ww-test", Secret: testSecret, AgentID: "1000002", APIBase: base, Timeout: timeout,
		Cache: cache.NewMemory(), Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

func checkNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, bad := range []string{"access_token=", "corpsecret=", testSecret} {
		if strings.Contains(s, bad) {
			t.Errorf("%s contains %q: %s", what, bad, s)
		}
	}
}

func TestSendTokenFetchedOnce(t *testing.T) {
	c, fake := setup(t)
	ctx := context.Background()
	for _, text := range []string{"第一条", "第二条", "第三条"} {
		if err := c.Send(ctx, domain.Message{ToUsers: []string{"zhangsan"}, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.Calls("/cgi-bin/gettoken"); n != 1 {
		t.Errorf("gettoken called %d times, want 1", n)
	}
	var got []string
	for _, r := range fake.Sent() {
		got = append(got, r.Text)
	}
	if want := "第一条 第二条 第三条"; strings.Join(got, " ") != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}

func TestSendKinds(t *testing.T) {
	long := strings.Repeat("帮", 2000) // 6000 bytes
	file := &domain.File{Name: "统计表.xlsx", Data: []byte("PK\x03\x04 a spreadsheet")}
	tests := []struct {
		name string
		m    domain.Message
		want []fakeapi.Record // fields compared: Path, Kind, targets, Text, Title, URL, FileName, File
	}{
		{"text to users, parties and tags",
			domain.Message{ToUsers: []string{"a", "b"}, ToParties: []string{"2"}, ToTags: []string{"7"}, Text: "你好"},
			[]fakeapi.Record{{Path: "/cgi-bin/message/send", Kind: "text", ToUsers: []string{"a", "b"}, ToParties: []string{"2"}, ToTags: []string{"7"}, AgentID: "1000002", Text: "你好"}}},
		{"long text cut at a rune",
			domain.Message{ToUsers: []string{"a"}, Text: long},
			[]fakeapi.Record{{Path: "/cgi-bin/message/send", Kind: "text", ToUsers: []string{"a"}, AgentID: "1000002", Text: strings.Repeat("帮", 682)}}},
		{"markdown cut at 2048",
			domain.Message{ToUsers: []string{"a"}, Kind: domain.KindMarkdown, Text: long},
			[]fakeapi.Record{{Path: "/cgi-bin/message/send", Kind: "markdown", ToUsers: []string{"a"}, AgentID: "1000002", Text: strings.Repeat("帮", 682)}}},
		{"textcard",
			domain.Message{ToUsers: []string{"a"}, Kind: domain.KindTextCard, Title: "走访提醒", Text: "还有 3 户未走访", URL: "https://example.invalid/x"},
			[]fakeapi.Record{{Path: "/cgi-bin/message/send", Kind: "textcard", ToUsers: []string{"a"}, AgentID: "1000002", Title: "走访提醒", Text: "还有 3 户未走访", URL: "https://example.invalid/x"}}},
		{"textcard without URL goes as text",
			domain.Message{ToUsers: []string{"a"}, Kind: domain.KindTextCard, Title: "走访提醒", Text: "还有 3 户未走访"},
			[]fakeapi.Record{{Path: "/cgi-bin/message/send", Kind: "text", ToUsers: []string{"a"}, AgentID: "1000002", Text: "走访提醒\n还有 3 户未走访"}}},
		{"file to a user",
			domain.Message{ToUsers: []string{"a"}, File: file},
			[]fakeapi.Record{{Path: "/cgi-bin/message/send", Kind: "file", ToUsers: []string{"a"}, AgentID: "1000002", FileName: file.Name, File: file.Data}}},
		{"text and file",
			domain.Message{ToUsers: []string{"a"}, Text: "见附件", File: file},
			[]fakeapi.Record{
				{Path: "/cgi-bin/message/send", Kind: "text", ToUsers: []string{"a"}, AgentID: "1000002", Text: "见附件"},
				{Path: "/cgi-bin/message/send", Kind: "file", ToUsers: []string{"a"}, AgentID: "1000002", FileName: file.Name, File: file.Data},
			}},
		{"group chat markdown",
			domain.Message{ChatID: "chat1", Kind: domain.KindMarkdown, Text: "**进度**"},
			[]fakeapi.Record{{Path: "/cgi-bin/appchat/send", Kind: "markdown", ChatID: "chat1", Text: "**进度**"}}},
		{"group chat file",
			domain.Message{ChatID: "chat1", File: file},
			[]fakeapi.Record{{Path: "/cgi-bin/appchat/send", Kind: "file", ChatID: "chat1", FileName: file.Name, File: file.Data}}},
		{"robot markdown cut at 4096",
			domain.Message{RobotKey: "k1", Kind: domain.KindMarkdown, Text: long},
			[]fakeapi.Record{{Path: "/cgi-bin/webhook/send", Kind: "markdown", RobotKey: "k1", Text: strings.Repeat("帮", 1365)}}},
		{"robot textcard as markdown",
			domain.Message{RobotKey: "k1", Kind: domain.KindTextCard, Title: "日程", Text: "1月20日 走访", URL: "https://example.invalid/s"},
			[]fakeapi.Record{{Path: "/cgi-bin/webhook/send", Kind: "markdown", RobotKey: "k1", Text: "**日程**\n1月20日 走访\n[查看详情](https://example.invalid/s)"}}},
		{"robot file",
			domain.Message{RobotKey: "k1", File: file},
			[]fakeapi.Record{{Path: "/cgi-bin/webhook/send", Kind: "file", RobotKey: "k1", FileName: file.Name, File: file.Data}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := setup(t)
			if err := c.Send(context.Background(), tt.m); err != nil {
				t.Fatal(err)
			}
			got := fake.Sent()
			if len(got) != len(tt.want) {
				t.Fatalf("sent %d messages, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				g.Seq, g.Time, g.MediaID, g.FileSize = 0, time.Time{}, "", 0
				if !sameRecord(g, w) {
					t.Errorf("message %d =\n %+v\nwant\n %+v", i, g, w)
				}
			}
		})
	}
}

func sameRecord(a, b fakeapi.Record) bool {
	eq := func(x, y []string) bool { return strings.Join(x, "|") == strings.Join(y, "|") }
	return a.Path == b.Path && a.Kind == b.Kind && eq(a.ToUsers, b.ToUsers) && eq(a.ToParties, b.ToParties) &&
		eq(a.ToTags, b.ToTags) && a.ChatID == b.ChatID && a.RobotKey == b.RobotKey && a.AgentID == b.AgentID &&
		a.Text == b.Text && a.Title == b.Title && a.URL == b.URL && a.FileName == b.FileName && bytes.Equal(a.File, b.File)
}

func TestSendRejectsBadMessages(t *testing.T) {
	c, fake := setup(t)
	for name, m := range map[string]domain.Message{
		"no target":          {Text: "x"},
		"two targets":        {ToUsers: []string{"a"}, ChatID: "c", Text: "x"},
		"empty text":         {ToUsers: []string{"a"}},
		"file without File":  {ToUsers: []string{"a"}, Kind: domain.KindFile},
		"textcard, no title": {ToUsers: []string{"a"}, Kind: domain.KindTextCard, Text: "x", URL: "https://example.invalid"},
		"unknown kind":       {ToUsers: []string{"a"}, Kind: "news", Text: "x"},
	} {
		if err := c.Send(context.Background(), m); err == nil {
			t.Errorf("%s: Send accepted %+v", name, m)
		}
	}
	if n := len(fake.Sent()); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}

func TestSendIdempotencyAsksForDuplicateCheck(t *testing.T) {
	c, fake := setup(t)
	ctx := context.Background()
	_ = c.Send(ctx, domain.Message{ToUsers: []string{"a"}, Text: "x", Idempotency: "remind:2025-01-20:a"})
	_ = c.Send(ctx, domain.Message{ToUsers: []string{"a"}, Text: "y"})
	got := fake.Sent()
	if len(got) != 2 || !got[0].DuplicateCheck || got[1].DuplicateCheck {
		t.Errorf("duplicate check flags: %+v", got)
	}
}

func TestTokenRefreshedWhenExpired(t *testing.T) {
	c, fake := setup(t)
	ctx := context.Background()
	m := domain.Message{ToUsers: []string{"a"}, Text: "x"}
	if err := c.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	fake.ExpireTokens() // the next call answers 42001
	if err := c.Send(ctx, m); err != nil {
		t.Fatalf("Send after expiry: %v", err)
	}
	if n := fake.Calls("/cgi-bin/gettoken"); n != 2 {
		t.Errorf("gettoken called %d times, want 2", n)
	}
	if n := fake.Calls("/cgi-bin/message/send"); n != 3 {
		t.Errorf("message/send called %d times, want 3 (one retry)", n)
	}
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("%d messages delivered, want 2", n)
	}
}

func TestTokenErrorsRetriedOnce(t *testing.T) {
	for _, code := range []int{fakeapi.CodeInvalidToken, fakeapi.CodeTokenExpired} {
		c, fake := setup(t)
		fake.FailNext("/cgi-bin/message/send", code, 1)
		if err := c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"}); err != nil {
			t.Errorf("errcode %d once: %v", code, err)
		}
		// Twice in a row is not a stale token: give up after one retry.
		fake.FailNext("/cgi-bin/message/send", code, 2)
		err := c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"})
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != code {
			t.Errorf("errcode %d twice: %v, want *APIError %d", code, err, code)
		}
		if n := fake.Calls("/cgi-bin/gettoken"); n != 3 {
			t.Errorf("errcode %d: gettoken called %d times, want 3", code, n)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		code int
		call func(*Client) error
	}{
		{"message/send", "/cgi-bin/message/send", 60020, func(c *Client) error {
			return c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"})
		}},
		{"appchat/send", "/cgi-bin/appchat/send", 86003, func(c *Client) error {
			return c.Send(context.Background(), domain.Message{ChatID: "c", Text: "x"})
		}},
		{"robot rate limit", "/cgi-bin/webhook/send", fakeapi.CodeRobotRateLimited, func(c *Client) error {
			return c.Send(context.Background(), domain.Message{RobotKey: "k", Text: "x"})
		}},
		{"media/upload", "/cgi-bin/media/upload", 40005, func(c *Client) error {
			_, err := c.UploadFile(context.Background(), "a.txt", []byte("hello"))
			return err
		}},
		{"media/get", "/cgi-bin/media/get", fakeapi.CodeInvalidMediaID, func(c *Client) error {
			_, err := c.FetchMedia(context.Background(), "nope")
			return err
		}},
		{"gettoken", "/cgi-bin/gettoken", fakeapi.CodeInvalidCredential, func(c *Client) error {
			return c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, fake := setup(t)
			if tt.path != "/cgi-bin/media/get" {
				fake.FailNext(tt.path, tt.code, 1)
			}
			err := tt.call(c)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Code != tt.code {
				t.Fatalf("error = %v, want *APIError with code %d", err, tt.code)
			}
			checkNoSecrets(t, "error", err.Error())
			if n := len(fake.Sent()); n != 0 {
				t.Errorf("%d messages recorded after a failure", n)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	fake := fakeapi.New()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, _ := newTestClient(t, srv.URL, 50*time.Millisecond)
	fake.SetDelay(2 * time.Second)
	t.Cleanup(func() { fake.SetDelay(0) })

	// The token fetch times out (through silenceper's global client)...
	err := c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("gettoken: error %v, want a deadline error", err)
	}
	checkNoSecrets(t, "error", err.Error())

	// ...and so does an API call once a token is cached.
	fake.SetDelay(0)
	if err := c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	fake.SetDelay(2 * time.Second)
	err = c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("message/send: error %v, want a deadline error", err)
	}
	checkNoSecrets(t, "error", err.Error())
}

func TestTransportErrorsAreScrubbed(t *testing.T) {
	fake := fakeapi.New()
	srv := httptest.NewServer(fake)
	c, _ := newTestClient(t, srv.URL, time.Second)
	if err := c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	srv.Close() // connection refused, with the token in the URL
	for name, call := range map[string]func() error{
		"send":   func() error { return c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"}) },
		"upload": func() error { _, err := c.UploadFile(context.Background(), "a.txt", []byte("hello")); return err },
		"fetch":  func() error { _, err := c.FetchMedia(context.Background(), "m1"); return err },
	} {
		err := call()
		if err == nil {
			t.Fatalf("%s: no error from a closed server", name)
		}
		checkNoSecrets(t, name+" error", err.Error())
	}

	// A gettoken failure carries corpsecret in silenceper's message.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusBadGateway)
	}))
	t.Cleanup(bad.Close)
	c2, _ := newTestClient(t, bad.URL, time.Second)
	err := c2.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"})
	if err == nil {
		t.Fatal("no error from a failing gettoken")
	}
	checkNoSecrets(t, "gettoken error", err.Error())
}

// Two clients on two bases at once: silenceper's global client must send
// each token fetch to its own client's base.
func TestAPIBasePerClient(t *testing.T) {
	c1, f1 := setup(t)
	c2, f2 := setup(t)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			c := c1
			if i%2 == 1 {
				c = c2
			}
			if err := c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, f := range []*fakeapi.Server{f1, f2} {
		if n, g := len(f.Sent()), f.Calls("/cgi-bin/gettoken"); n != 10 || g != 1 {
			t.Errorf("fake %d: %d messages, %d token fetches; want 10 and 1", i+1, n, g)
		}
	}
}

func TestEveryEndpointUsesAPIBase(t *testing.T) {
	c, fake := setup(t) // setup fails the test on any request outside the base
	ctx := context.Background()
	fake.PutMedia("m1", "名单.xlsx", []byte("PK\x03\x04 rows"))
	file := &domain.File{Name: "a.txt", Data: []byte("hello")}
	for _, m := range []domain.Message{
		{ToUsers: []string{"a"}, File: file},
		{ChatID: "c", Text: "x"},
		{RobotKey: "k", File: file},
	} {
		if err := c.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.FetchMedia(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/cgi-bin/gettoken", "/cgi-bin/message/send", "/cgi-bin/appchat/send", "/cgi-bin/webhook/send",
		"/cgi-bin/media/upload", "/cgi-bin/webhook/upload_media", "/cgi-bin/media/get"} {
		if fake.Calls(p) == 0 {
			t.Errorf("%s never reached the fake", p)
		}
	}
}

func TestUploadAndFetchMedia(t *testing.T) {
	c, fake := setup(t)
	ctx := context.Background()
	data := []byte("户主,人数\n张三,3\n")
	id, err := c.UploadFile(ctx, "名单.csv", data)
	if err != nil {
		t.Fatal(err)
	}
	name, stored, ok := fake.Media(id)
	if !ok || name != "名单.csv" || !bytes.Equal(stored, data) {
		t.Errorf("fake holds %q %q %v", name, stored, ok)
	}
	got, err := c.FetchMedia(ctx, id)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("FetchMedia = %q, %v", got, err)
	}
	if _, err := c.UploadFile(ctx, "big.bin", make([]byte, MaxMediaBytes+1)); !errors.Is(err, ErrMediaTooLarge) {
		t.Errorf("upload over the cap: %v, want ErrMediaTooLarge", err)
	}
}

func TestFetchMediaSizeCap(t *testing.T) {
	fake := fakeapi.New()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, _ := newTestClient(t, srv.URL, 30*time.Second) // 20 MiB on a busy machine
	big := make([]byte, MaxMediaBytes+1)
	fake.PutMedia("big", "big.xlsx", big)
	if _, err := c.FetchMedia(context.Background(), "big"); !errors.Is(err, ErrMediaTooLarge) {
		t.Errorf("FetchMedia over the cap: %v, want ErrMediaTooLarge", err)
	}
	fake.PutMedia("ok", "ok.xlsx", big[:MaxMediaBytes])
	if got, err := c.FetchMedia(context.Background(), "ok"); err != nil || len(got) != MaxMediaBytes {
		t.Errorf("FetchMedia at the cap: %d bytes, %v", len(got), err)
	}
}

func TestNewClientErrors(t *testing.T) {
	_, err := NewClient(ClientConfig{AgentID: "abc", APIBase: "ftp://x"})
	if err == nil {
		t.Fatal("NewClient accepted an empty config")
	}
	for _, name := range []string{"WECOM_CORP_ID", "WECOM_SECRET", "WECOM_AGENT_ID", "WECOM_API_BASE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	c, err := NewClient(ClientConfig{CorpID: "ww", Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), domain.Message{ToUsers: []string{"a"}, Text: "x"}); err == nil || !strings.Contains(err.Error(), "WECOM_AGENT_ID") {
		t.Errorf("app message without an agent id: %v", err)
	}
}
