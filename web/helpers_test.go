package web_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"

	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"songnuan/bottest"
	"songnuan/web"
	"songnuan/wecom"
	"songnuan/wecom/fakeapi"
)

// bench is a workbench under test: the pages over a test bot, signed in
// through a fake WeCom.
type bench struct {
	bt   *bottest.Bot
	fake *fakeapi.Server
	url  string // the pages' server
}

func newBench(t testing.TB) *bench {
	t.Helper()
	gin.SetMode(gin.TestMode)
	bt := bottest.New(t)
	fake := fakeapi.New()
	fake.SetCredentials("wwtest", "secret")
	api := httptest.NewServer(fake)
	t.Cleanup(api.Close)
	client, err := wecom.NewClient(wecom.ClientConfig{CorpID: "wwtest", Secret: "secret", AgentID: "1000002", APIBase: api.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{
		Source: web.BotSource{Bot: bt.Bot, Now: bt.Now}, Identity: client,
		CorpID: "wwtest", AgentID: "1000002", OAuthBase: api.URL,
		SessionKey: []byte("web-test-session-key-32-bytes!!!"), Campaign: bt.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	engine := gin.New()
	srv.Mount(engine)
	pages := httptest.NewServer(engine)
	t.Cleanup(pages.Close)
	return &bench{bt: bt, fake: fake, url: pages.URL}
}

// browser is a client with its own cookies that does not follow
// redirects, so each step of the sign-in can be checked.
func browser(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// start opens /app/ without a session and returns the state WeCom was
// sent.
func (b *bench) start(t testing.TB, c *http.Client) string {
	t.Helper()
	resp, err := c.Get(b.url + "/app/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET /app/ without a session = %d, want 302 to WeCom", resp.StatusCode)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

// back is WeCom sending the browser back with code and state.
func (b *bench) back(t testing.TB, c *http.Client, code, state string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(b.url + "/app/auth?code=" + url.QueryEscape(code) + "&state=" + url.QueryEscape(state))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// login signs user in and returns their browser.
func (b *bench) login(t testing.TB, user string) *http.Client {
	t.Helper()
	c := browser(t)
	state := b.start(t, c)
	resp, body := b.back(t, c, b.fake.IssueCode(user), state)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("sign-in of %s = %d: %s", user, resp.StatusCode, body)
	}
	return c
}

// get fetches a page and returns its status and body.
func (b *bench) get(t testing.TB, c *http.Client, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(b.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var (
	reCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	reOp   = regexp.MustCompile(`name="_op" value="([^"]+)"`)
)

// form reads the CSRF and one-time tokens of the first form on a page.
func (b *bench) form(t testing.TB, c *http.Client, path string) (csrf, op string) {
	t.Helper()
	_, body := b.get(t, c, path)
	m, o := reCSRF.FindStringSubmatch(body), reOp.FindStringSubmatch(body)
	if m == nil || o == nil {
		t.Fatalf("%s has no form tokens:\n%s", path, body)
	}
	return m[1], o[1]
}

// post submits a form and returns the response with its body read.
func (b *bench) post(t testing.TB, c *http.Client, path string, v url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(b.url+path, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// follow fetches where a 303 points.
func (b *bench) follow(t testing.TB, c *http.Client, resp *http.Response) (int, string) {
	t.Helper()
	loc := resp.Header.Get("Location")
	if loc == "" {
		t.Fatalf("%s answered %d without a Location", resp.Request.URL.Path, resp.StatusCode)
	}
	return b.get(t, c, loc)
}

func cookieNamed(c *http.Client, u, name string) *http.Cookie {
	pu, _ := url.Parse(u + "/app/")
	for _, k := range c.Jar.Cookies(pu) {
		if k.Name == name {
			return k
		}
	}
	return nil
}

func esc(s string) string { return url.PathEscape(s) }

func ctx() context.Context { return context.Background() }

var reCSV = regexp.MustCompile(`name="csv" value="([^"]*)"`)

func htmlUnescape(s string) string { return html.UnescapeString(s) }

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// multipartBody is a form with one file, as a browser uploads it.
func multipartBody(t testing.TB, fields map[string]string, name, fileName string, data []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile(name, fileName)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = w.Close()
	return &buf, w.FormDataContentType()
}
