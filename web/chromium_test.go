package web_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"songnuan/app"
	"songnuan/bot"
	"songnuan/config"
	"songnuan/domain"
	"songnuan/internal/campaigntest"
	"songnuan/store"
	"songnuan/store/storetest"
)

var screenshots = flag.Bool("screenshots", false, "write the end-to-end test's screenshots to docs/screenshots")

// chromiumPath finds Debian's Chromium, or another Chrome on the PATH.
func chromiumPath() string {
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// demoApp runs the program as `go run .` does (demo mode, its fake WeCom
// and its sign-in page) on a random port, with a few households.
func demoApp(t *testing.T) *app.App {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.RedisURL = os.Getenv("REDIS_URL")
	// the tests' frozen policy and schedule, so a district's change to the
	// built-in ones does not fail a test about pages
	cfg.Policy, cfg.Schedule, cfg.Now = campaigntest.PolicyPath(), campaigntest.SchedulePath(), app.DemoNow
	prefix := storetest.Prefix()
	a, err := app.New(context.Background(), cfg, app.Options{Listener: ln, KeyPrefix: prefix, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if cfg.RedisURL == "" {
			return
		}
		st, err := store.Open(context.Background(), store.Options{URL: cfg.RedisURL, Prefix: prefix, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Errorf("clean up %s: %v", prefix, err)
			return
		}
		defer st.Close()
		if err := storetest.DeletePrefix(context.Background(), st.Client(), prefix); err != nil {
			t.Errorf("clean up %s: %v", prefix, err)
		}
	})
	n := 0
	say := func(user, text string) string {
		n++
		r, err := a.Bot.Handle(context.Background(), bot.Incoming{MsgID: fmt.Sprint(8100000000000000000 + n), From: user, MsgType: "text", Text: text, At: time.Now()})
		if err != nil {
			t.Fatalf("%s %s: %v", user, text, err)
		}
		return r.Text + r.Markdown
	}
	for _, s := range []string{
		"登记 张秀英 低保 3人 身份证:11010519491231002X 电话:13812345678 地址:甘泉路100弄3号101室",
		"登记 李建国 特困供养1人 1人", "登记 王桂兰 低保 2人", "登记 陈志明 重残无业1人 低保 2人",
		"登记 赵玉珍 低保 1人", "登记 周海 低保 4人",
		"走访 李建国 发放1460元 日期:1月10日", "走访 王桂兰 发放800元 物品:大米一袋 日期:1月12日",
		"走访 赵玉珍 发放500元 日期:1月12日", "走访 周海 发放1000元 日期:1月14日",
	} {
		say("wang", s)
	}
	for _, s := range []string{"登记 刘明 低保 2人", "登记 孙丽 特困供养1人 2人", "登记 吴强 低保 3人", "走访 刘明 发放800元 日期:1月11日"} {
		say("li", s)
	}
	return a
}

// The workbench in a real headless Chromium at phone size: sign in
// through the fake WeCom's page, record a visit through the form, and the
// dashboard's numbers are 进度's, all with the page's script turned off. Each page is photographed at 390×844.
func TestWorkbenchInChromium(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("no Chromium found (/usr/bin/chromium, chromium, google-chrome): install Debian's chromium package to run the browser test")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	a := demoApp(t)
	base := "http://" + a.Addr()
	shots := t.TempDir()
	if *screenshots {
		shots = filepath.Join("..", "docs", "screenshots")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.Flag("hide-scrollbars", true), chromedp.Flag("lang", "zh-CN"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	// The page's own script is off, as a locked-down in-app browser may
	// have it: every step below is links and forms.
	if _, err := chromedp.Call(bctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("turn script off: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("%s: %v (at %s)\n%s", what, err, loc, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(name string) {
		t.Helper()
		do("sign in as "+name, chromedp.Navigate(base+"/app/logout"), chromedp.Navigate(base+"/app/"),
			chromedp.WaitVisible(chromedp.Search(`//a[b[text()="`+name+`"]]`)))
		do("pick "+name, chromedp.Click(chromedp.Search(`//a[b[text()="`+name+`"]]`)), chromedp.WaitVisible(chromedp.CSS("header.top h1")))
	}

	// 1. sign in as a worker through the fake WeCom's page
	do("open the workbench", chromedp.Navigate(base+"/app/"), chromedp.WaitVisible(chromedp.Search(`//a[b[text()="王芳"]]`)))
	shot("0-sign-in")
	do("pick 王芳", chromedp.Click(chromedp.Search(`//a[b[text()="王芳"]]`)), chromedp.WaitVisible(chromedp.CSS("#visited")))
	if got := text("header.top h1"); got != "甘泉一村" {
		t.Fatalf("a worker lands on %q, want her committee 甘泉一村", got)
	}
	shot("1-worker-committee")

	// 2. record a visit through the form, amount owed filled in
	do("open 张秀英", chromedp.Click(chromedp.Search(`//a[.//div[@class="name"][contains(., "张秀英")]]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/app/visit"]`)))
	owed, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name="paid"]`)))
	if err != nil || owed != "900" {
		t.Fatalf("visit form starts with %q (%v), want the 900元 owed", owed, err)
	}
	shot("2-household")
	do("record the visit", chromedp.SetValue(chromedp.CSS(`input[name="goods"]`), "大米一袋 食用油一桶"),
		chromedp.Click(chromedp.CSS(`form[action="/app/visit"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if f := text(".flash"); !strings.Contains(f, "已足额") {
		t.Errorf("answer after the visit: %q, want 已足额", f)
	}
	shot("3-visit-recorded")
	ctr, err := a.Store.Counters(context.Background(), "甘泉一村")
	if err != nil {
		t.Fatal(err)
	}
	if ctr[domain.CtrVisited] != 5 || ctr[domain.CtrPaid] != 4660 {
		t.Errorf("after the form's visit 甘泉一村 has visited=%d paid=%d, want 5 and 4660", ctr[domain.CtrVisited], ctr[domain.CtrPaid])
	}
	do("todo", chromedp.Navigate(base+"/app/todo"), chromedp.WaitVisible(chromedp.CSS(".task")))
	shot("4-worker-todo")
	do("register form", chromedp.Navigate(base+"/app/register"), chromedp.WaitVisible(chromedp.CSS(`input[name="head"]`)))
	do("tick a category", chromedp.Click(chromedp.CSS(`input[value="特困供养"]`)), chromedp.SetValue(chromedp.CSS(`input[name="head"]`), "钱淑珍"),
		chromedp.SetValue(chromedp.CSS(`input[name="size"]`), "2"), chromedp.SetValue(chromedp.CSS(`input[name="n_特困供养"]`), "1"))
	shot("5-register")

	// 3. the leader's dashboard has 进度's numbers
	signIn("赵敏")
	do("street", chromedp.WaitVisible(chromedp.CSS("#visited")))
	progress, err := a.Bot.Handle(context.Background(), bot.Incoming{MsgID: "e2e-progress", From: "zhao", MsgType: "text", Text: "进度", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`已走访 (\d+)/(\d+)户（\d+%），已发 (\d+)/(\d+)元，未发 (\d+)元`).FindStringSubmatch(progress.Text + progress.Markdown)
	if m == nil {
		t.Fatalf("进度 has no totals line:\n%s", progress.Text)
	}
	digits := func(s string) string { return regexp.MustCompile(`[^\d/]`).ReplaceAllString(s, "") }
	if got, want := digits(text("#visited")), m[1]+"/"+m[2]; got != want {
		t.Errorf("dashboard visited %s, 进度 %s", got, want)
	}
	if got, want := digits(text("#paid")), m[3]+"/"+m[4]; got != want {
		t.Errorf("dashboard paid %s, 进度 %s", got, want)
	}
	if got, want := digits(text("#short")), m[5]; got != want {
		t.Errorf("dashboard short %s, 进度 %s", got, want)
	}
	shot("6-leader-street")
	do("scroll to the charts", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, document.querySelector(".cols").offsetTop - 60)`))
	shot("7-leader-charts")
	do("a committee from the chart", chromedp.Navigate(base+"/app/c/"+esc("甘泉二村")), chromedp.WaitVisible(chromedp.CSS("#visited")))
	cp, err := a.Bot.Handle(context.Background(), bot.Incoming{MsgID: "e2e-progress-2", From: "zhao", MsgType: "text", Text: "进度 甘泉二村", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if want := regexp.MustCompile(`已走访 (\d+/\d+)户`).FindStringSubmatch(cp.Text); want == nil || digits(text("#visited")) != want[1] {
		t.Errorf("committee page visited %s, 进度 甘泉二村 says %v", text("#visited"), want)
	}
	shot("8-leader-committee")
	do("desktop", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/app/"), chromedp.WaitVisible(chromedp.CSS("#visited")))
	shot("12-desktop-street")
	do("phone again", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))

	// 4. the office
	signIn("管理员")
	do("office", chromedp.Navigate(base+"/app/office"), chromedp.WaitVisible(chromedp.CSS(`form[action="/app/office/import"]`)))
	shot("9-office")
	do("broadcast preview", chromedp.SetValue(chromedp.CSS(`textarea[name="text"]`), "明天上午9点在街道三楼开会，请各居委社工参加。"),
		chromedp.Click(chromedp.CSS(`form[action="/app/office/broadcast"] button`)), chromedp.WaitVisible(chromedp.CSS(`button[value="send"]`)))
	shot("10-broadcast-preview")

	// 5. someone not on the staff list
	do("stranger", chromedp.Navigate(base+"/app/logout"), chromedp.Navigate(base+"/app/"),
		chromedp.Click(chromedp.Search(`//a[b[text()="未登记的成员"]]`)), chromedp.WaitVisible(chromedp.CSS(".problem")))
	if got := text(".problem"); !strings.Contains(got, "请联系") || !strings.Contains(got, "xiaoliu") {
		t.Errorf("an unlisted member is not told whom to ask: %q", got)
	}
	shot("11-stranger")
}
