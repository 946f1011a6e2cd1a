package web_test

import (
	"context"
	"strings"
	"testing"

	"songnuan/bot"
	"songnuan/domain"
)

// A head of household named like a script, put in the store as an old
// import or a hostile writer might (chat refuses < and > in a name), is
// shown as text on every page that shows it, and runs nowhere.
func TestHostileNamesAreEscapedOnEveryPage(t *testing.T) {
	b := newBench(t)
	const head = `<script>alert("x")</script>`
	code, err := b.bt.Store.NextCode(context.Background(), "甘泉一村")
	if err != nil {
		t.Fatal(err)
	}
	h := &domain.Household{Committee: "甘泉一村", Code: code, Head: head, Size: 1, Address: `"><img src=x onerror=alert(1)>`,
		Categories:  []domain.CategoryClaim{{Category: "低保"}},
		Entitlement: domain.Entitlement{Total: 700, Items: []domain.EntitlementItem{{Item: "4", Name: "<b>低保</b>", Category: "低保", Amount: 700, Fund: "<i>fund</i>"}}},
		Visits:      []domain.Visit{{Date: "2024-01-19", ByName: "<u>王</u>", Visitor: domain.VisitorCommittee, Paid: 100, Goods: "<svg onload=alert(1)>"}},
		Version:     1, CreatedBy: "wang", UpdatedBy: "wang"}
	if _, err := b.bt.Store.Apply(context.Background(), bot.Change{OpID: "xss:1", Kind: "register", Actor: "wang", At: b.bt.Now(),
		Committee: "甘泉一村", Code: code, After: h, Deltas: domain.CounterDeltas(nil, h), Todo: 0}); err != nil {
		t.Fatal(err)
	}
	one := "/app/c/" + esc("甘泉一村")
	pages := map[string][]string{
		"wang":  {one, one + "?q=" + esc("<script>"), one + "/h/" + code, "/app/todo", "/app/register"},
		"li":    {"/app/", "/app/street?cat=" + esc(`"><script>`), one, one + "/h/" + code, "/app/todo", "/app/office"},
		"admin": {"/app/office", "/app/register", "/app/todo?c=" + esc("<script>")},
	}
	for user, paths := range pages {
		c := b.login(t, user)
		for _, p := range paths {
			_, body := b.get(t, c, p)
			for _, raw := range []string{"<script", "<img", "<svg onload", "<b>低保", "<i>fund", "<u>王"} {
				if strings.Contains(body, raw) {
					t.Errorf("%s %s: %q appears unescaped", user, p, raw)
				}
			}
		}
	}
	// and it is there, as text, where a head is shown
	c := b.login(t, "wang")
	for _, p := range []string{one, one + "/h/" + code, "/app/todo"} {
		if _, body := b.get(t, c, p); !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("%s does not show the head as text", p)
		}
	}
}
