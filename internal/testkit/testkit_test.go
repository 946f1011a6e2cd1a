package testkit

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestBufferTakesConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Errorf("buffer holds %d bytes, want 800", got)
	}
}

func TestDiffNamesTheFirstDifferentLine(t *testing.T) {
	for _, tt := range []struct{ want, got, diff string }{
		{"a\nb", "a\nb", ""},
		{"a\nb", "a\nc", "line 2:\nwant: b\ngot:  c"},
		{"a", "a\nmore", "line 2:\nwant: \ngot:  more"},
	} {
		if got := Diff(tt.want, tt.got); got != tt.diff {
			t.Errorf("Diff(%q, %q) = %q, want %q", tt.want, tt.got, got, tt.diff)
		}
	}
}

func TestGoldenUpdateThenCompare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	Golden(t, path, "first\n", true)
	if data, err := os.ReadFile(path); err != nil || string(data) != "first\n" {
		t.Fatalf("update wrote %q, %v", data, err)
	}
	Golden(t, path, "first\n", false) // same text: passes
}
