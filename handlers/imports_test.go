package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/wecom"
)

// TestImportsBeyondTheBoundWaitTheirTurn: with room for two imports at
// once, a third file waits until one ends, and its sender is told at
// once that it is queued; every file is imported in the end.
func TestImportsBeyondTheBoundWaitTheirTurn(t *testing.T) {
	release := make(chan struct{})
	var running, most atomic.Int64
	fb := &fakeBot{reply: func(in bot.Incoming) bot.Reply {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
		return bot.Reply{Text: "导入 " + in.FileName + "：完成"}
	}}
	h := newHarness(t, fb, time.Now)
	h.cb.Imports = make(chan struct{}, 2)
	h.cb.Budget = 100 * time.Millisecond
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			xml := wecom.TextMessageXML(wecom.Message{ToUserName: vecCorpID, FromUserName: fmt.Sprint("u", i),
				CreateTime: time.Now().Unix(), MsgType: "file", MediaID: fmt.Sprint("media-", i),
				FileName: fmt.Sprint("名单", i, ".csv"), MsgID: fmt.Sprint(7800000000000000000 + i), AgentID: "218"})
			q, body, err := h.crypto.SealRequest(xml, "218")
			if err != nil {
				t.Error(err)
				return
			}
			if code, _ := h.raw(t, q, body); code != http.StatusOK {
				t.Errorf("file %d: HTTP %d", i, code)
			}
		}()
	}
	wg.Wait() // each answered empty within the budget; the reports come later
	waitFor(t, func() bool { return countText(h.sent.messages(), "已排队") == 1 })
	waitFor(t, func() bool { return fb.calls.Load() == 2 })
	close(release)
	waitFor(t, func() bool { return countText(h.sent.messages(), "：完成") == 3 })
	if m := most.Load(); m != 2 {
		t.Errorf("%d imports ran at once, want at most 2 (and 2 reached)", m)
	}
	if n := countText(h.sent.messages(), "已排队"); n != 1 {
		t.Errorf("%d queued notices, want 1", n)
	}
}

func countText(ms []domain.Message, s string) int {
	n := 0
	for _, m := range ms {
		if strings.Contains(m.Text, s) {
			n++
		}
	}
	return n
}
