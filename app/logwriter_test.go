package app_test

import (
	"fmt"
	"testing"
	"time"

	"songnuan/app"
	"songnuan/internal/testkit"
)

// A running bot's log holds lines back until the next flush: whoever
// reads it whole (the privacy test) must stop the bot first, since Close
// is what delivers the rest.
func TestLogWriterHoldsLinesUntilFlushOrClose(t *testing.T) {
	var out testkit.Buffer
	lw := app.NewLogWriter(&out, time.Hour)
	fmt.Fprintln(lw, `{"msg":"message"}`)
	if got := out.String(); got != "" {
		t.Fatalf("written through before any flush: %q", got)
	}
	lw.Flush()
	fmt.Fprintln(lw, `{"msg":"stopping"}`)
	if got, want := out.String(), "{\"msg\":\"message\"}\n"; got != want {
		t.Fatalf("after Flush: %q, want %q", got, want)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "{\"msg\":\"message\"}\n{\"msg\":\"stopping\"}\n"; got != want {
		t.Errorf("after Close: %q, want %q", got, want)
	}
}
