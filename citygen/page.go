package citygen

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"songnuan/bot"
	"songnuan/web"
)

// codeIsUser is the OAuth2 code exchange of a page timing: the code is the
// userid, so the timing signs in as whom it names without WeCom.
type codeIsUser struct{}

func (codeIsUser) UserIDFromCode(_ context.Context, code string) (string, error) { return code, nil }

// pageMain is `songnuan gen page`: the workbench's server time for a page,
// as the user sees it signed in, without the network: each request is
// served by the workbench's own handlers in this process, and the clock
// runs from the request to the last byte of the page.
func pageMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("songnuan gen page", stdout)
	dir := fs.String("dir", "city", "songnuan gen 的输出目录（取 city.yaml）")
	as := fs.String("as", "ld001", "登录的用户ID")
	path := fs.String("path", "/app/street", "页面路径，例如 /app/street 或 /app/c/居委名")
	n := fs.Int("n", 50, "计时请求次数")
	warmup := fs.Int("warmup", 5, "计时前不计时的请求次数")
	a, err := openAs(ctx, fs, args, dir, as, n)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	t, size, err := TimePage(ctx, a.Bot, *as, *path, *n, *warmup)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s（%s）：%s；页面 %d 字节\n", *path, *as, t, size)
	return nil
}

// TimePage signs in to the workbench over b as user and serves path
// warmup times untimed, then n times one after another, each by the
// workbench's handlers in this process. It returns how long each took,
// from the request to the page's last byte, and the page's size.
func TimePage(ctx context.Context, b *bot.Bot, user, path string, n, warmup int) (Timing, int, error) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	srv, err := web.New(web.Config{Source: web.BotSource{Bot: b}, Identity: codeIsUser{}, CorpID: "city",
		AgentID: "1", OAuthBase: "http://oauth.invalid", SessionKey: key,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return Timing{}, 0, err
	}
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	srv.Mount(engine)
	ts := httptest.NewServer(engine)
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := signIn(client, ts.URL, user); err != nil {
		return Timing{}, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+path, nil)
	if err != nil {
		return Timing{}, 0, err
	}
	for _, c := range jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	ds := make([]time.Duration, 0, n)
	size := 0
	for i := range warmup + n {
		rec := httptest.NewRecorder()
		start := time.Now()
		engine.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != http.StatusOK {
			return timingOf(ds), 0, fmt.Errorf("GET %s：HTTP %d", path, rec.Code)
		}
		size = rec.Body.Len()
		if i >= warmup {
			ds = append(ds, d)
		}
	}
	return timingOf(ds), size, nil
}

// signIn takes the workbench's OAuth2 steps as user, leaving the session
// cookie in client's jar.
func signIn(client *http.Client, base, user string) error {
	resp, err := client.Get(base + "/app/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	to, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || to.Query().Get("state") == "" {
		return fmt.Errorf("工作台没有转去登录（HTTP %d）", resp.StatusCode)
	}
	resp, err = client.Get(base + "/app/auth?code=" + url.QueryEscape(user) + "&state=" + url.QueryEscape(to.Query().Get("state")))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("登录没有成功（HTTP %d）", resp.StatusCode)
	}
	return nil
}
