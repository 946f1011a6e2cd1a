package handlers_test

import (
	"strings"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/handlers"
)

// TestPushedReplyArrivesInOrder: a long reply goes out in parts and its
// attachment after them, in that order, through the outbox.
func TestPushedReplyArrivesInOrder(t *testing.T) {
	h := newHarness(t, &fakeBot{}, time.Now)
	long := strings.Repeat("第一部分的一行字\n", 150) + strings.Repeat("第二部分的一行字\n", 150)
	reply := bot.Reply{Text: long, File: &domain.File{Name: "导入问题.csv", Data: []byte("行号,问题\n")}}
	parts := len(handlers.Messages("wang", reply))
	if parts < 3 {
		t.Fatalf("the reply goes in %d messages; the test wants a text in parts and a file", parts)
	}
	for i := range 5 {
		h.cb.Pusher.Push("wang", reply, "m:order"+string(rune('0'+i)))
	}
	waitFor(t, func() bool { return len(h.sent.messages()) == 5*parts })
	last := map[string]int{}
	for i, m := range h.sent.messages() {
		reply, part, _ := strings.Cut(strings.TrimPrefix(m.Idempotency, "m:"), ":")
		want := int(part[0] - 'a')
		if last[reply] != want {
			t.Errorf("message %d is part %s of %s, after %d of its parts", i, part, reply, last[reply])
		}
		last[reply]++
	}
}
