package web_test

import (
	"fmt"
	"net/http"
	"testing"
)

// benchPage measures one page's server time with the households the
// helper registers, as a signed-in user; go test -bench reports ns/op.
func benchPage(b *testing.B, user, path string) {
	wb := newBench(b)
	t := b
	for i := range 60 {
		wb.bt.Say(t, "wang", fmt.Sprintf("登记 户%d 低保 %d人", i, i%4+1))
		wb.bt.Say(t, "chen", fmt.Sprintf("登记 乙户%d 低保 %d人", i, i%4+1))
		if i%2 == 0 {
			wb.bt.Say(t, "wang", fmt.Sprintf("走访 户%d 发放700元 日期:1月%d日", i, i%18+1))
		}
	}
	c := wb.login(t, user)
	b.ResetTimer()
	for b.Loop() {
		resp, err := c.Get(wb.url + path)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %v %v", path, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
}

func BenchmarkStreetPage(b *testing.B)    { benchPage(b, "li", "/app/") }
func BenchmarkCommitteePage(b *testing.B) { benchPage(b, "wang", "/app/c/"+esc("甘泉一村")) }
func BenchmarkHouseholdPage(b *testing.B) { benchPage(b, "wang", "/app/c/"+esc("甘泉一村")+"/h/1") }
