// Package testkit holds what the tests of several packages share: a
// buffer that many goroutines may write while a test reads it (a log
// sink, a terminal's output), and the golden-file check behind every
// `go test -update`.
//
// It imports only the standard library, so any package's tests may use it.
package testkit

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer safe for concurrent use: goroutines write to
// it while the test reads it with String. The race detector accepts it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Golden compares got with the file at path. With update it writes got to
// the file instead, which is how a package's -update flag regenerates its
// golden files after an intended change.
func Golden(tb testing.TB, path, got string, update bool) {
	tb.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		tb.Errorf("%s differs (go test -update rewrites it):\n%s", path, Diff(string(want), got))
	}
}

// Diff shows the first line where got differs from want.
func Diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, wl, gl)
		}
	}
	return ""
}
