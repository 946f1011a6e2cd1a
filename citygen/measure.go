package citygen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
)

// Timing is the latency distribution of repeated calls (nearest rank).
type Timing struct {
	N                   int
	Mean, P50, P90, P99 time.Duration
	Max                 time.Duration
}

func timingOf(ds []time.Duration) Timing {
	t := Timing{N: len(ds)}
	if len(ds) == 0 {
		return t
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(ds))+0.999999) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	t.Mean = sum / time.Duration(len(ds))
	t.P50, t.P90, t.P99, t.Max = rank(0.50), rank(0.90), rank(0.99), ds[len(ds)-1]
	return t
}

// String reads "n=200 mean 12.3ms p50 12.1ms p90 13.0ms p99 15.2ms max 16.0ms".
func (t Timing) String() string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + "ms" }
	return fmt.Sprintf("n=%d mean %s p50 %s p90 %s p99 %s max %s", t.N, ms(t.Mean), ms(t.P50), ms(t.P90), ms(t.P99), ms(t.Max))
}

// TimeHandle calls b.Handle with text from user warmup times untimed, then
// n times one after another, and returns how long each call took and the
// last reply. Each call is a new message, as each 进度 a leader sends is.
func TimeHandle(ctx context.Context, b *bot.Bot, user, text string, n, warmup int) (Timing, bot.Reply, error) {
	base := strconv.FormatInt(time.Now().UnixNano(), 36)
	var last bot.Reply
	ds := make([]time.Duration, 0, n)
	for i := range warmup + n {
		in := bot.Incoming{MsgID: base + "-" + strconv.Itoa(i), From: user, MsgType: "text", Text: text, At: time.Now()}
		start := time.Now()
		rep, err := b.Handle(ctx, in)
		d := time.Since(start)
		if err != nil {
			return timingOf(ds), last, fmt.Errorf("handle %q: %w", text, err)
		}
		last = rep
		if i >= warmup {
			ds = append(ds, d)
		}
	}
	return timingOf(ds), last, nil
}

// MemoryInfo is part of INFO memory, in bytes.
type MemoryInfo struct {
	Used      int64 // used_memory: everything Redis has allocated
	Startup   int64 // used_memory_startup: an empty server's share of it
	Clients   int64 // mem_clients_normal: connections' buffers
	AOFBuffer int64 // mem_aof_buffer: appends not yet written
	RSS       int64 // used_memory_rss: what the OS has given the process
}

// Data is the memory the data set holds: used_memory less an empty
// server's, less the connections' buffers and the unwritten append-only
// log, which come and go with the load rather than with the households.
func (m MemoryInfo) Data() int64 { return m.Used - m.Startup - m.Clients - m.AOFBuffer }

// ReadMemory reads INFO memory.
func ReadMemory(ctx context.Context, c redis.UniversalClient) (MemoryInfo, error) {
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return MemoryInfo{}, err
	}
	return parseMemory(info)
}

// parseMemory reads the fields of MemoryInfo from INFO memory's text.
func parseMemory(info string) (MemoryInfo, error) {
	var (
		m   MemoryInfo
		err error
	)
	fields := map[string]*int64{
		"used_memory": &m.Used, "used_memory_startup": &m.Startup, "mem_clients_normal": &m.Clients,
		"mem_aof_buffer": &m.AOFBuffer, "used_memory_rss": &m.RSS,
	}
	for line := range strings.SplitSeq(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if p := fields[k]; ok && p != nil {
			if *p, err = strconv.ParseInt(v, 10, 64); err != nil {
				return m, fmt.Errorf("INFO memory %s: %w", k, err)
			}
		}
	}
	if m.Used == 0 {
		return m, fmt.Errorf("INFO memory has no used_memory")
	}
	return m, nil
}

// KindBytes is the memory of one kind of key.
type KindBytes struct {
	Kind  string // "hh", "audit", "op", "person", … (see keyKind)
	Keys  int
	Bytes int64 // sum of MEMORY USAGE
}

// MemoryByKind scans the keys under prefix and sums MEMORY USAGE (every
// element counted: SAMPLES 0) by kind of key, largest first. It reads one
// server; on a cluster it sees one node's keys only. A server that refuses
// SAMPLES is asked for its default estimate instead.
func MemoryByKind(ctx context.Context, c redis.UniversalClient, prefix string) ([]KindBytes, error) {
	by := map[string]*KindBytes{}
	samples := []int{0}
	var cursor uint64
	for {
		keys, next, err := c.Scan(ctx, cursor, prefix+"*", 2000).Result()
		if err != nil {
			return nil, err
		}
		sizes, err := memoryUsage(ctx, c, keys, samples)
		if err != nil && len(samples) > 0 && strings.Contains(err.Error(), "syntax") {
			samples = nil
			sizes, err = memoryUsage(ctx, c, keys, samples)
		}
		if err != nil {
			return nil, err
		}
		for i, k := range keys {
			if sizes[i] < 0 {
				continue // expired between SCAN and MEMORY USAGE
			}
			kind := keyKind(strings.TrimPrefix(k, prefix))
			kb := by[kind]
			if kb == nil {
				kb = &KindBytes{Kind: kind}
				by[kind] = kb
			}
			kb.Keys++
			kb.Bytes += sizes[i]
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	out := make([]KindBytes, 0, len(by))
	for _, kb := range by {
		out = append(out, *kb)
	}
	slices.SortFunc(out, func(a, b KindBytes) int {
		if a.Bytes != b.Bytes {
			return int(b.Bytes - a.Bytes)
		}
		return strings.Compare(a.Kind, b.Kind)
	})
	return out, nil
}

// memoryUsage is MEMORY USAGE of each key in one pipeline; -1 for a key
// that is gone.
func memoryUsage(ctx context.Context, c redis.UniversalClient, keys []string, samples []int) ([]int64, error) {
	cmds := make([]*redis.IntCmd, len(keys))
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.MemoryUsage(ctx, k, samples...)
		}
		return nil
	})
	out := make([]int64, len(keys))
	for i, cmd := range cmds {
		n, err := cmd.Result()
		switch {
		case errors.Is(err, redis.Nil):
			n = -1
		case err != nil:
			return nil, fmt.Errorf("memory usage: %w", err)
		}
		out[i] = n
	}
	return out, nil
}

// keyKind names a key (prefix removed) by its part after the hash tag, up
// to the next colon: "{c:天山一村}:hh" is "hh", "{c:天山一村}:op:imp:…" is
// "op", "person:ab12…" is "person". It reads names only, so a kind added
// to the store later is still counted under its own name.
func keyKind(k string) string {
	tag := ""
	if strings.HasPrefix(k, "{") {
		if i := strings.Index(k, "}:"); i > 0 {
			if !strings.HasPrefix(k, "{c:") {
				tag = strings.TrimPrefix(k[:i], "{") + ":"
			}
			k = k[i+2:]
		}
	}
	kind, _, _ := strings.Cut(k, ":")
	return tag + kind
}
