package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
)

// TestInferredVisitThroughTheCallback walks the confirmation through the
// real callback (signed, encrypted, deduplicated): a dictated visit is
// restated, its 是 arrives three times at once with one MsgId, and the
// visit is recorded once, every delivery answered alike.
func TestInferredVisitThroughTheCallback(t *testing.T) {
	a := startApp(t)
	c := newClient(t, a)
	c.say(t, "wang", "登记 周建华 低保 3人")
	got := c.say(t, "wang", "嗯，老周师傅家今天去过了，九百块钱给他了。")
	if !strings.Contains(got, "走访 周建华 发放900元") || !strings.HasSuffix(got, "回复“是”确认，回复其他内容取消") {
		t.Fatalf("restatement = %q", got)
	}
	var wg sync.WaitGroup
	replies := make([]string, 3)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = c.sayID(t, "wang", "6400000000000000001", "是")
		}()
	}
	wg.Wait()
	for _, r := range replies {
		if r != replies[0] || !strings.Contains(r, "已记录") {
			t.Fatalf("deliveries of one 是 answered %q, want one 已记录 answer", replies)
		}
	}
	ctr, err := a.Store.Counters(context.Background(), "甘泉一村")
	if err != nil || ctr["visited"] != 1 || ctr["paid"] != 900 {
		t.Fatalf("counters = %v %v, want one visit and 900 paid", ctr, err)
	}
}
