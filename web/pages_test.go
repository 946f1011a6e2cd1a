package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"songnuan/bot"
	"songnuan/domain"
)

// Every POST without the session's CSRF token, or with another session's,
// is refused and changes nothing.
func TestPostWithoutCSRFTokenIsRefused(t *testing.T) {
	b := newBench(t)
	b.bt.Say(t, "wang", "登记 甲一 低保 3人")
	c := b.login(t, "wang")
	other := b.login(t, "zhao")
	otherCSRF, _ := b.form(t, other, "/app/c/"+esc("甘泉一村")+"/h/1")
	_, op := b.form(t, c, "/app/c/"+esc("甘泉一村")+"/h/1")
	visit := url.Values{"committee": {"甘泉一村"}, "code": {"1"}, "paid": {"900"}, "_op": {op}}
	for name, token := range map[string]string{"none": "", "wrong": "x" + otherCSRF[1:], "another session's": otherCSRF} {
		v := url.Values{}
		for k, vs := range visit {
			v[k] = vs
		}
		if token != "" {
			v.Set("_csrf", token)
		}
		for _, path := range []string{"/app/visit", "/app/undo", "/app/register", "/app/office/broadcast", "/app/office/export"} {
			resp, body := b.post(t, c, path, v)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "页面已过期") {
				t.Errorf("%s with %s token = %d, want 403 页面已过期", path, name, resp.StatusCode)
			}
		}
	}
	if got := b.bt.Counters(t, "甘泉一村")[domain.CtrPaid]; got != 0 {
		t.Fatalf("paid = %d after refused posts, want 0", got)
	}
	// without a session at all the POST is refused too, not redirected
	resp, _ := b.post(t, browser(t), "/app/undo", url.Values{"_csrf": {"x"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without a session = %d, want 403", resp.StatusCode)
	}
}

// A visit through the form is the chat's 走访: the amount owed is filled
// in, a double tap (the same one-time token) counts once, and chat sees
// it at once.
func TestVisitFormCountsOnceAndChatSeesIt(t *testing.T) {
	b := newBench(t)
	b.bt.Say(t, "wang", "登记 甲一 低保 3人")
	c := b.login(t, "wang")
	page := "/app/c/" + esc("甘泉一村") + "/h/1"
	_, body := b.get(t, c, page)
	if !strings.Contains(body, `name="paid" type="number" inputmode="numeric" min="0" max="100000" value="900"`) {
		t.Fatalf("visit form does not start with the 900元 owed:\n%s", body)
	}
	csrf, op := b.form(t, c, page)
	form := url.Values{"_csrf": {csrf}, "_op": {op}, "committee": {"甘泉一村"}, "code": {"1"}, "paid": {"900"},
		"goods": {"大米一袋，食用油"}, "date": {"2024-01-19"}, "visitor": {"居委"}}
	for i := range 2 {
		resp, _ := b.post(t, c, "/app/visit", form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("post %d = %d, want 303", i+1, resp.StatusCode)
		}
		if i == 0 {
			_, after := b.follow(t, c, resp)
			if !strings.Contains(after, `class="flash ok"`) || !strings.Contains(after, "已足额") || !strings.Contains(after, "大米一袋·食用油") {
				t.Errorf("page after the visit lacks the bot's answer or the visit:\n%s", after)
			}
		}
	}
	ctr := b.bt.Counters(t, "甘泉一村")
	if ctr[domain.CtrPaid] != 900 || ctr[domain.CtrVisited] != 1 {
		t.Errorf("after a double tap paid=%d visited=%d, want 900 and 1", ctr[domain.CtrPaid], ctr[domain.CtrVisited])
	}
	if got := b.bt.Say(t, "wang", "查询 甲一"); !strings.Contains(got, "1月19日") || strings.Count(got, "发放900元") != 1 {
		t.Errorf("chat does not see the page's visit exactly once:\n%s", got)
	}
	// the change is audited like a chat change
	es, err := b.bt.Store.Audit(context.Background(), "甘泉一村", 10)
	if err != nil {
		t.Fatal(err)
	}
	visits := 0
	for _, e := range es {
		if e.Kind == "visit" && e.Actor == "wang" {
			visits++
		}
	}
	if visits != 1 {
		t.Errorf("audit has %d visit entries by wang, want 1: %+v", visits, es)
	}
}

// The registration form gives the chat's own answer to a mistake, and
// keeps what was typed.
func TestRegisterFormHasChatsValidation(t *testing.T) {
	b := newBench(t)
	c := b.login(t, "wang")
	csrf, op := b.form(t, c, "/app/register")
	// size below the persons the categories count: the chat refuses it too
	want := b.bt.Say(t, "zhao", "登记 甲二 特困供养3人 2人")
	resp, body := b.post(t, c, "/app/register", url.Values{"_csrf": {csrf}, "_op": {op}, "head": {"甲二"}, "size": {"2"},
		"cat": {"特困供养"}, "n_特困供养": {"3"}, "address": {"甘泉路1号"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad registration = %d, want 422", resp.StatusCode)
	}
	if !strings.Contains(body, `class="flash no"`) || !strings.Contains(body, want) {
		t.Errorf("page does not show the chat's answer %q:\n%s", want, body)
	}
	if !strings.Contains(body, `value="甘泉路1号"`) {
		t.Error("the form lost what was typed")
	}
	// a good one lands on the committee with the itemised answer
	csrf, op = b.form(t, c, "/app/register")
	resp, _ = b.post(t, c, "/app/register", url.Values{"_csrf": {csrf}, "_op": {op}, "head": {"甲三"}, "size": {"3"},
		"cat": {"低保", "特困供养"}, "n_特困供养": {"1"}, "phone": {"13812345678"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("good registration = %d, want 303", resp.StatusCode)
	}
	_, after := b.follow(t, c, resp)
	if !strings.Contains(after, "合计 2260元") || !strings.Contains(after, "甲三") {
		t.Errorf("committee page after registering lacks the itemised answer:\n%s", after)
	}
	if strings.Contains(after, "13812345678") {
		t.Error("a full phone number is on the page")
	}
	// a category whose amount is stated takes it from the form as chat does
	want = b.bt.Say(t, "zhao", "登记 甲五 妇联1人800元 2人")
	csrf, op = b.form(t, c, "/app/register")
	resp, _ = b.post(t, c, "/app/register", url.Values{"_csrf": {csrf}, "_op": {op}, "head": {"甲四"}, "size": {"2"},
		"cat": {"妇联"}, "n_妇联": {"1"}, "amt_妇联": {"800"}})
	_, after = b.follow(t, c, resp)
	total := want[strings.LastIndex(want, "合计"):]
	if !strings.Contains(after, total) || !strings.Contains(total, "800元") {
		t.Errorf("stated amount: chat ends %q, the page does not show it:\n%s", total, after)
	}
}

func TestUndoFormUndoesOnce(t *testing.T) {
	b := newBench(t)
	b.bt.Say(t, "wang", "登记 甲一 低保 3人")
	b.bt.Say(t, "wang", "登记 甲二 低保 1人")
	c := b.login(t, "wang")
	page := "/app/c/" + esc("甘泉一村")
	csrf, _ := b.form(t, c, page)
	_, body := b.get(t, c, page)
	ops := reOp.FindAllStringSubmatch(body, -1)
	op := ops[len(ops)-1][1] // the undo form is the page's last
	for range 2 {
		resp, _ := b.post(t, c, "/app/undo", url.Values{"_csrf": {csrf}, "_op": {op}, "back": {page}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page {
			t.Fatalf("undo = %d to %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if got := b.bt.Counters(t, "甘泉一村")[domain.CtrHouseholds]; got != 1 {
		t.Errorf("households after a double-tapped undo = %d, want 1 (one undone)", got)
	}
}

// Workers see their own committee only; leaders read everything and
// change nothing; admins do everything.
func TestPermissionsPerRole(t *testing.T) {
	b := newBench(t)
	b.bt.Say(t, "wang", "登记 甲一 低保 3人")
	b.bt.Say(t, "chen", "登记 乙一 低保 2人")
	one, two := "/app/c/"+esc("甘泉一村"), "/app/c/"+esc("甘泉二村")

	wang := b.login(t, "wang")
	for path, want := range map[string]int{"/app/": 302, "/app/street": 302, one: 200, one + "/h/1": 200, "/app/todo": 200,
		"/app/register": 200, two: 403, two + "/h/1": 403, "/app/office": 403} {
		if got, body := b.get(t, wang, path); got != want {
			t.Errorf("worker GET %s = %d, want %d\n%s", path, got, want, body)
		}
	}
	if _, body := b.get(t, wang, two); strings.Contains(body, "乙一") {
		t.Error("a worker saw another committee's household")
	}
	if _, body := b.get(t, wang, one+"/h/1"); !strings.Contains(body, `action="/app/visit"`) {
		t.Error("a worker's own household has no visit form")
	}

	li := b.login(t, "li")
	for path, want := range map[string]int{"/app/": 200, "/app/street": 200, one: 200, two + "/h/1": 200, "/app/todo": 200,
		"/app/office": 200, "/app/register": 403} {
		if got, _ := b.get(t, li, path); got != want {
			t.Errorf("leader GET %s = %d, want %d", path, got, want)
		}
	}
	_, body := b.get(t, li, two+"/h/1")
	if strings.Contains(body, `action="/app/visit"`) {
		t.Error("a leader is offered a visit form")
	}
	csrf, _ := b.form(t, li, "/app/office")
	resp, _ := b.post(t, li, "/app/visit", url.Values{"_csrf": {csrf}, "_op": {strings.Repeat("ab", 16)}, "committee": {"甘泉二村"}, "code": {"1"}, "paid": {"800"}})
	_, after := b.follow(t, li, resp)
	if !strings.Contains(after, "领导账号只能查看") || b.bt.Counters(t, "甘泉二村")[domain.CtrPaid] != 0 {
		t.Errorf("a leader's forged visit was not refused as in chat:\n%s", after)
	}

	admin := b.login(t, "admin")
	_, body = b.get(t, admin, two+"/h/1")
	csrf, op := reCSRF.FindStringSubmatch(body)[1], reOp.FindStringSubmatch(body)[1]
	resp, _ = b.post(t, admin, "/app/visit", url.Values{"_csrf": {csrf}, "_op": {op}, "committee": {"甘泉二村"}, "code": {"1"}, "paid": {"800"}})
	if resp.StatusCode != http.StatusSeeOther || b.bt.Counters(t, "甘泉二村")[domain.CtrPaid] != 800 {
		t.Errorf("admin visit = %d, paid %d; want 303 and 800", resp.StatusCode, b.bt.Counters(t, "甘泉二村")[domain.CtrPaid])
	}
	if got, body := b.get(t, admin, "/app/office"); got != 200 || !strings.Contains(body, `action="/app/office/import"`) {
		t.Errorf("admin office = %d without the import form", got)
	}
}

// A full export is the chat's 导出 完整: admins only, and audited.
func TestExportDownloadsAndAuditsFull(t *testing.T) {
	b := newBench(t)
	b.bt.Say(t, "wang", "登记 甲一 低保 3人 身份证:11010519491231002X")
	admin := b.login(t, "admin")
	csrf, op := b.form(t, admin, "/app/office")
	resp, err := admin.PostForm(b.url+"/app/office/export", url.Values{"_csrf": {csrf}, "_op": {op}, "full": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), url.PathEscape("完整")) {
		t.Fatalf("full export = %d %q, want a 完整 attachment", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	es, err := b.bt.Store.Audit(context.Background(), bot.StreetCommittee, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) == 0 || es[0].Kind != "export" || es[0].Actor != "admin" {
		t.Errorf("no audit entry for the full export: %+v", es)
	}
	// a leader asking for the full table gets the chat's refusal
	li := b.login(t, "li")
	csrf, op = b.form(t, li, "/app/office")
	resp2, _ := b.post(t, li, "/app/office/export", url.Values{"_csrf": {csrf}, "_op": {op}, "full": {"1"}})
	if _, body := b.follow(t, li, resp2); !strings.Contains(body, "只有社区服务办管理员") {
		t.Errorf("a leader's full export was not refused:\n%s", body)
	}
}

// The broadcast composer previews, then sends only on 确认.
func TestBroadcastPreviewThenConfirm(t *testing.T) {
	b := newBench(t)
	admin := b.login(t, "admin")
	csrf, _ := b.form(t, admin, "/app/office")
	_, body := b.get(t, admin, "/app/office")
	op := reOp.FindAllStringSubmatch(body, -1)[0][1]
	_, preview := b.post(t, admin, "/app/office/broadcast", url.Values{"_csrf": {csrf}, "_op": {op}, "text": {"明天上午9点开会"}, "to": {"社工"}})
	if !strings.Contains(preview, "明天上午9点开会") || !strings.Contains(preview, `value="send"`) {
		t.Fatalf("no preview with a confirm button:\n%s", preview)
	}
	if n := len(b.bt.Sender.Sent()); n != 0 {
		t.Fatalf("%d messages sent before 确认", n)
	}
	op = reOp.FindStringSubmatch(preview)[1]
	resp, _ := b.post(t, admin, "/app/office/confirm", url.Values{"_csrf": {csrf}, "_op": {op}, "action": {"send"}})
	if _, after := b.follow(t, admin, resp); !strings.Contains(after, `class="flash ok"`) {
		t.Errorf("no confirmation after sending:\n%s", after)
	}
	if len(b.bt.Sender.Sent()) == 0 {
		t.Error("确认 sent nothing")
	}
}

// The import page lists each refused row and offers them as a file.
func TestImportShowsEachBadRow(t *testing.T) {
	b := newBench(t)
	admin := b.login(t, "admin")
	csrf, _ := b.form(t, admin, "/app/office")
	csv := "户主,人数,类别,居委\n丙一,3,低保,甘泉一村\n丙二,0,低保,甘泉一村\n丙三,2,不存在的类别,甘泉一村\n"
	body, ctype := multipartBody(t, map[string]string{"_csrf": csrf}, "file", "名单.csv", []byte(csv))
	resp, err := admin.Post(b.url+"/app/office/import", ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(resp)
	if resp.StatusCode != 200 || !strings.Contains(page, "第3行") || !strings.Contains(page, "第4行") || !strings.Contains(page, "下载问题清单") {
		t.Fatalf("import page = %d without each bad row and the problem file:\n%s", resp.StatusCode, page)
	}
	if got := b.bt.Counters(t, "甘泉一村")[domain.CtrHouseholds]; got != 1 {
		t.Errorf("households after import = %d, want 1", got)
	}
	m := reCSV.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no problem file in the page")
	}
	r2, _ := b.post(t, admin, "/app/office/problems", url.Values{"_csrf": {csrf}, "csv": {htmlUnescape(m[1])}})
	if !strings.Contains(r2.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("problem file is not a download: %v", r2.Header)
	}
}

// At a city's scale the street page draws and lists the worst committees
// only, and says how many there are.
func TestStreetPageBoundsItsChartAndTable(t *testing.T) {
	b := newBench(t)
	for i := range 140 {
		if err := b.bt.Store.AddCounters(context.Background(), fmt.Sprintf("居委%03d", i), map[string]int64{domain.CtrHouseholds: 10, domain.CtrVisited: int64(i % 10)}); err != nil {
			t.Fatal(err)
		}
	}
	_, body := b.get(t, b.login(t, "li"), "/app/street")
	chart := body[strings.Index(body, `<svg class="chart"`):]
	chart = chart[:strings.Index(chart, "</svg>")]
	if n := strings.Count(chart, "<a href="); n != 30 {
		t.Errorf("chart has %d bars, want the worst 30", n)
	}
	if !strings.Contains(body, "只画出最落后的30个居委，共142个") || !strings.Contains(body, "列出最落后的100个居委，共142个") {
		t.Error("the page does not say it shows only the worst committees")
	}
	if !strings.Contains(chart, "居委000") || strings.Contains(chart, "居委009") {
		t.Error("the chart does not show the worst committees first")
	}
}
