package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"songnuan/bot"
	"songnuan/store"
	"songnuan/store/storetest"
)

// commandStore opens the store the commands use, on the Redis at
// REDIS_URL (the tests of what needs it skip without), under a key prefix
// of its own that is deleted after the test.
func commandStore(t *testing.T, what string) *store.Store {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		t.Skip(what + " needs the Redis at REDIS_URL")
	}
	prefix := storetest.Prefix()
	t.Setenv("SONGNUAN_KEY_PREFIX", prefix)
	t.Setenv("SONGNUAN_CONFIG", "")
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.Flush(ctx)
		storetest.DeletePrefix(ctx, st.Client(), prefix)
		st.Close()
	})
	return st
}

func TestFullExportIsAudited(t *testing.T) {
	st := commandStore(t, "the export command")
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "统计表.xlsx")
	for _, full := range []bool{false, true} {
		args := []string{"export", "--out", out}
		if full {
			args = append(args, "--full")
		}
		var stdout, stderr bytes.Buffer
		if code := run(ctx, args, nil, &stdout, &stderr); code != 0 {
			t.Fatalf("%v exited %d: %s", args, code, stderr.String())
		}
		entries, err := st.Audit(ctx, bot.StreetCommittee, 10)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 0, true: 1}[full]; len(entries) != want {
			t.Fatalf("after %v the audit log has %d entries, want %d", args, len(entries), want)
		}
		if full && (entries[0].Kind != "export" || !strings.Contains(entries[0].Detail, "--full")) {
			t.Fatalf("audit entry = %+v", entries[0])
		}
	}
}

// TestRollupCommand spoils the street rollup, then expects `songnuan
// rollup check` to fail naming the difference, `rollup rebuild` to put it
// right, and check to pass after.
func TestRollupCommand(t *testing.T) {
	st := commandStore(t, "the rollup command")
	ctx := context.Background()
	prefix := st.Prefix()
	if err := st.AddCounters(ctx, "甘泉一村", map[string]int64{"donation": 500}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RebuildRollup(ctx); err != nil { // built: the commands do not build it again on opening
		t.Fatal(err)
	}
	if err := st.Client().HIncrBy(ctx, prefix+"{r}:sum", "donation", 1).Err(); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		cmd  string
		code int
		says string
	}{
		{"check", 1, "donation is 501 in the rollup, 500 in the counters"},
		{"rebuild", 0, "已重建全街道汇总：1个居委"},
		{"check", 0, "全街道汇总与各居委计数一致"},
		{"days", 0, "已按各户走访补记每日计数：0个居委"}, // no household, nothing to add
		{"check", 0, "全街道汇总与各居委计数一致"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(ctx, []string{"rollup", step.cmd}, nil, &stdout, &stderr)
		if code != step.code || !strings.Contains(stdout.String(), step.says) {
			t.Fatalf("rollup %s exited %d, want %d; output %q, want it to say %q (stderr %q)",
				step.cmd, code, step.code, stdout.String(), step.says, stderr.String())
		}
	}
}
