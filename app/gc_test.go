package app

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	oldLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(oldLimit) })

	t.Setenv("GOGC", "")
	if got := TuneGC(); got != GCPercent {
		t.Errorf("GOGC unset: TuneGC() = %d, want %d", got, GCPercent)
	}
	if got := debug.SetGCPercent(GCPercent); got != GCPercent {
		t.Errorf("GOGC unset: the runtime has %d, want %d", got, GCPercent)
	}

	t.Setenv("GOMEMLIMIT", "")
	LimitMemory()
	if got := debug.SetMemoryLimit(-1); got != MemoryLimit {
		t.Errorf("GOMEMLIMIT unset: the limit is %d, want %d", got, MemoryLimit)
	}

	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150) // what the runtime read from GOGC at start
	if got := TuneGC(); got != 150 {
		t.Errorf("GOGC=150: TuneGC() = %d, want 150 left alone", got)
	}
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("GOGC=150: the runtime has %d, want 150", got)
	}
}
