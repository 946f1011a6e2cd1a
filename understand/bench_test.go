package understand

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkRead reads the whole corpus once per iteration and reports the
// median time of one message (median-ns/msg): each message's mean over the
// iterations, the median over the corpus.
func BenchmarkRead(b *testing.B) {
	w := loadWorld(b)
	it := New(w.committees, w.cats)
	cases := loadCorpus(b)
	spent := make([]time.Duration, len(cases))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i, c := range cases {
			t0 := time.Now()
			w.read(it, c)
			spent[i] += time.Since(t0)
		}
	}
	slices.Sort(spent)
	b.ReportMetric(float64(len(cases)), "msgs/op")
	b.ReportMetric(float64(spent[len(spent)/2].Nanoseconds())/float64(b.N), "median-ns/msg")
}

// BenchmarkReadOne is one typical dictated visit report.
func BenchmarkReadOne(b *testing.B) {
	w := loadWorld(b)
	it := New(w.committees, w.cats)
	in := Input{Text: "嗯，那个，李国强家今天上午去了，就是，一千块给他了。", Role: Worker, Committee: w.committee, Heads: w.heads, Today: w.today}
	b.ReportAllocs()
	for b.Loop() {
		it.Read(in)
	}
}
