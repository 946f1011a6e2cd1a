package handlers_test

import (
	"testing"
	"time"

	"songnuan/wecom"
)

// A menu click reaches the bot with its EventKey; two clicks in the same
// second on different items are two events, one click delivered twice is
// one.
func TestMenuClickReachesTheBotWithItsKey(t *testing.T) {
	fb := &fakeBot{}
	h := newHarness(t, fb, time.Now)
	click := func(key string, at int64) {
		xml := wecom.TextMessageXML(wecom.Message{ToUserName: vecCorpID, FromUserName: "wang", CreateTime: at,
			MsgType: "event", Event: "click", EventKey: key, AgentID: "1"})
		q, body, _ := h.crypto.SealRequest(xml, "1")
		h.raw(t, q, body)
	}
	now := time.Now().Unix()
	click("todo", now)
	click("todo", now) // WeCom retrying
	click("progress", now)
	if n := fb.calls.Load(); n != 2 {
		t.Fatalf("clicks handled %d times, want 2", n)
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if got := []string{fb.received[0].EventKey, fb.received[1].EventKey}; got[0] != "todo" || got[1] != "progress" {
		t.Errorf("the bot got EventKeys %q, want todo then progress", got)
	}
}
