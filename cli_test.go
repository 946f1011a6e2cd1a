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

func TestFullExportIsAudited(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		t.Skip("the export command needs the Redis at REDIS_URL")
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
		storetest.DeletePrefix(ctx, st.Client(), prefix)
		st.Close()
	})
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
