package store_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"songnuan/internal/testkit"
	"songnuan/store"
)

// go-redis's own complaints reach the program's JSON log, not stderr.
func TestGoRedisMessagesGoToTheLog(t *testing.T) {
	var buf testkit.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(old)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := store.Open(ctx, store.Options{URL: "redis://" + closedAddr(t) + "/0", Prefix: "test:", Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		t.Fatal("opened a store on a closed port")
	}
	if !strings.Contains(buf.String(), `"component":"go-redis"`) || !strings.Contains(buf.String(), `"level":"WARN"`) {
		t.Fatalf("go-redis's dial failure is not in the JSON log:\n%s", buf.String())
	}
}
