package bot

import (
	"context"
	"testing"
)

// BenchmarkStoreFreeReply is the callback's cheapest path: NeedsStore
// and the answer to a message that needs no store (帮助, as the callback
// benchmark sends), and a free-form message NeedsStore must send on.
func BenchmarkStoreFreeReply(b *testing.B) {
	bt := newTestBot(b, noStore{b})
	for _, text := range []string{"帮助", "标准 低保 3人"} {
		in := Incoming{MsgID: "1", From: "wang", MsgType: "text", Text: text}
		b.Run(text, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if bt.NeedsStore(in) {
					b.Fatal("NeedsStore = true")
				}
				if _, err := bt.Handle(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	in := Incoming{MsgID: "1", From: "wang", MsgType: "text", Text: "周建华家昨天去过了，九百元已经给他了"}
	b.Run("free text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !bt.NeedsStore(in) {
				b.Fatal("NeedsStore = false")
			}
		}
	})
}
