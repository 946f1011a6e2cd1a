package loadtest

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"songnuan/chat"
	"songnuan/redact"
)

// Result is what a run measured. Latencies are from sending a request to
// reading the whole answer.
type Result struct {
	URL    string
	N, C   int
	Warmup int
	Mix    bool

	Sent      int           // timed requests sent
	OK        int           // 200 with a reply that decrypted, or an empty 200
	Empty     int           // of OK: 200 with no body (reply pushed, or nothing to say)
	Non200    int           // answered with another status
	NoAnswer  int           // no HTTP answer at all (refused, timed out)
	BadReply  int           // 200 whose body did not decrypt
	Statuses  map[int]int   // every non-200 status and how often
	FirstErr  string        // the first transport error, for the report
	Elapsed   time.Duration // wall time of the timed phase
	PerSecond float64       // Sent / Elapsed
	ToolCPU   time.Duration // this tool's own CPU in the timed phase, taken from the bot on a shared machine (0: unknown)

	Latency Latency
	// Kinds breaks a mixed run down by message kind, in report order.
	Kinds []KindResult
	// Replies are the most frequent reply openings with their counts,
	// so a run that only measured "系统繁忙" or a rate-limit notice shows it.
	Replies []ReplyCount

	WarmupFailed int // warm-up requests that failed (not timed, still a failure)
	Setup        Setup
}

// Latency is a latency distribution: nearest-rank percentiles.
type Latency struct {
	P50, P90, P99, Max time.Duration
}

// KindResult is one message kind of a mixed run.
type KindResult struct {
	Kind    string
	Count   int
	Failed  int
	Latency Latency
}

// ReplyCount is how many replies began with Text (each number shown as #).
type ReplyCount struct {
	Text  string
	Count int
}

// Setup is the untimed registration phase of a mixed run.
type Setup struct {
	Households int           // registered
	ByHead     int           // of those, visited by head because no code was in the reply
	Elapsed    time.Duration // not part of the measure
}

// Failed is how many requests failed, warm-up included: non-200 answers,
// no answer, and replies that did not decrypt.
func (r Result) Failed() int { return r.Non200 + r.NoAnswer + r.BadReply + r.WarmupFailed }

// summarise fills the counts and percentiles from the timed shots.
func (r *Result) summarise(c *chat.Client, reqs []request, s shots) {
	if r.Elapsed > 0 {
		r.PerSecond = float64(r.Sent) / r.Elapsed.Seconds()
	}
	r.Statuses = map[int]int{}
	all := make([]time.Duration, 0, len(s))
	byKind := map[string][]time.Duration{}
	failedKind := map[string]int{}
	var order []string
	replies := map[string]int{}
	for i, x := range s {
		k := reqs[i].kind
		if _, ok := byKind[k]; !ok {
			order = append(order, k)
		}
		byKind[k] = append(byKind[k], x.latency)
		all = append(all, x.latency)
		switch {
		case x.err != nil && x.status == 0:
			r.NoAnswer++
			failedKind[k]++
			if r.FirstErr == "" {
				r.FirstErr = errText(x.err)
			}
			continue
		case x.status != http.StatusOK:
			r.Non200++
			r.Statuses[x.status]++
			failedKind[k]++
			continue
		}
		text, err := c.OpenReply(x.body)
		if err != nil || x.err != nil {
			r.BadReply++
			failedKind[k]++
			continue
		}
		r.OK++
		if text == "" {
			r.Empty++
			continue
		}
		replies[replyKey(text)]++
	}
	r.Latency = latency(all)
	if len(order) > 1 || r.Mix {
		rank := map[string]int{kindVisit: 0, kindTodo: 1, kindProgress: 2}
		sort.SliceStable(order, func(i, j int) bool { return rank[order[i]] < rank[order[j]] })
		for _, k := range order {
			r.Kinds = append(r.Kinds, KindResult{Kind: k, Count: len(byKind[k]), Failed: failedKind[k], Latency: latency(byKind[k])})
		}
	}
	for t, n := range replies {
		r.Replies = append(r.Replies, ReplyCount{Text: t, Count: n})
	}
	slices.SortFunc(r.Replies, func(a, b ReplyCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Text, b.Text)
	})
	if len(r.Replies) > 5 {
		r.Replies = r.Replies[:5]
	}
}

// replyKey groups replies that differ only in names and numbers: the
// first line up to its first "：", "（", "，" or "。" (where the name or
// the details start), each run of digits as one #, at most 16 runes.
func replyKey(s string) string {
	line, _, _ := strings.Cut(redact.Text(s), "\n")
	if i := strings.IndexAny(line, "：:（(，,。"); i > 0 {
		line = line[:i]
	}
	var b strings.Builder
	n, digits := 0, false
	for _, r := range line {
		if n == 16 {
			b.WriteString("…")
			break
		}
		if r >= '0' && r <= '9' {
			if digits {
				continue
			}
			r, digits = '#', true
		} else {
			digits = false
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// latency returns nearest-rank percentiles of d (which it sorts).
func latency(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	rank := func(q float64) time.Duration {
		i := int(float64(len(d))*q+0.999999999) - 1
		return d[max(0, min(i, len(d)-1))]
	}
	return Latency{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: d[len(d)-1]}
}

// errText is a transport error without the URL, which would repeat the
// bot's address and the request's signature.
func errText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// ms prints a duration in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// Write prints the report: a few Chinese lines for people, then one
// key=value line for scripts (see Line).
func (r Result) Write(w io.Writer) {
	mode := "单一消息"
	if r.Mix {
		mode = "混合流量"
	}
	fmt.Fprintf(w, "送暖压测 %s（%s）：计时 %d 条，并发 %d，预热 %d 条\n", r.URL, mode, r.Sent, r.C, r.Warmup)
	if r.Mix {
		fmt.Fprintf(w, "准备：登记 %d 户，用时 %.1fs（不计时）", r.Setup.Households, r.Setup.Elapsed.Seconds())
		if r.Setup.ByHead > 0 {
			fmt.Fprintf(w, "；%d 户的回复里没有编号，按户主走访", r.Setup.ByHead)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "吞吐 %.0f 条/秒，用时 %.2fs；延迟 p50 %s  p90 %s  p99 %s  最大 %s\n",
		r.PerSecond, r.Elapsed.Seconds(), ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.Max))
	fmt.Fprintf(w, "成功 %d（其中空回复 %d）；非200 %d；无应答 %d；回复解不开 %d；预热失败 %d\n",
		r.OK, r.Empty, r.Non200, r.NoAnswer, r.BadReply, r.WarmupFailed)
	if r.ToolCPU > 0 && r.Sent > 0 {
		fmt.Fprintf(w, "压测工具自身用 CPU 每条 %.0fµs（与机器人同机时，这部分 CPU 机器人用不上）\n", r.toolCPUPerMessage())
	}
	if len(r.Statuses) > 0 {
		var parts []string
		for _, s := range slices.Sorted(maps.Keys(r.Statuses)) {
			parts = append(parts, fmt.Sprintf("HTTP %d ×%d", s, r.Statuses[s]))
		}
		fmt.Fprintf(w, "非200明细：%s\n", strings.Join(parts, "，"))
	}
	if r.FirstErr != "" {
		fmt.Fprintf(w, "第一个无应答的原因：%s\n", r.FirstErr)
	}
	for _, k := range r.Kinds {
		fmt.Fprintf(w, "  %s %6d 条  失败 %d  p50 %s  p90 %s  p99 %s  最大 %s\n",
			k.Kind, k.Count, k.Failed, ms(k.Latency.P50), ms(k.Latency.P90), ms(k.Latency.P99), ms(k.Latency.Max))
	}
	if len(r.Replies) > 0 {
		fmt.Fprintln(w, "最常见的回复：")
		for _, rc := range r.Replies {
			fmt.Fprintf(w, "  %6d  %s\n", rc.Count, rc.Text)
		}
	}
	fmt.Fprintln(w, r.Line())
}

// Line is the report as one key=value line, stable for scripts:
//
//	bench n=20000 c=32 mix=false elapsed=1.953s rate=10240.6 p50=2.91ms p90=4.80ms p99=9.70ms max=31.20ms ok=20000 empty=0 non200=0 no_answer=0 bad_reply=0 warmup_failed=0 tool_cpu_us=35
//
// tool_cpu_us is the tool's own CPU per timed message, in microseconds.
func (r Result) Line() string {
	return fmt.Sprintf("bench n=%d c=%d mix=%t elapsed=%.3fs rate=%.1f p50=%s p90=%s p99=%s max=%s ok=%d empty=%d non200=%d no_answer=%d bad_reply=%d warmup_failed=%d tool_cpu_us=%.0f",
		r.Sent, r.C, r.Mix, r.Elapsed.Seconds(), r.PerSecond, ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.Max),
		r.OK, r.Empty, r.Non200, r.NoAnswer, r.BadReply, r.WarmupFailed, r.toolCPUPerMessage())
}

// toolCPUPerMessage is ToolCPU per timed message, in microseconds.
func (r Result) toolCPUPerMessage() float64 {
	if r.Sent == 0 {
		return 0
	}
	return float64(r.ToolCPU.Microseconds()) / float64(r.Sent)
}
