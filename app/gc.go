package app

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target the server runs with unless
// GOGC is set. The bot's live heap is a few megabytes, and each callback
// allocates some tens of kilobytes (request, decrypted XML, reply,
// ciphertext), so at Go's default of 100 it collected every hundred-odd
// messages and spent an eighth of its CPU on it under load. At 400 it
// collects a quarter as often, for some megabytes more of memory.
const GCPercent = 400

// MemoryLimit is the soft limit on the Go heap the server runs with
// unless GOMEMLIMIT is set. GCPercent lets the heap grow to five times
// what is live, which is nothing while messages come and go but hundreds
// of megabytes while a 50,000-row list is imported: near the limit the
// collector runs as often as needed instead.
const MemoryLimit = 96 << 20

// A heap that must hold more (a city-wide 导出 builds its workbook in
// memory) still gets it: the collector then runs more often, at most half
// the CPU, and GOMEMLIMIT raises the limit.
//
// LimitMemory sets MemoryLimit unless GOMEMLIMIT is set. The server calls
// it; the city loader, whose heap holds a city, does not.
func LimitMemory() {
	if v, ok := os.LookupEnv("GOMEMLIMIT"); !ok || v == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}

// TuneGC sets GCPercent unless the GOGC environment variable chose
// otherwise. It returns the setting in force.
func TuneGC() int {
	if v, ok := os.LookupEnv("GOGC"); ok && v != "" {
		old := debug.SetGCPercent(100)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(GCPercent)
	return GCPercent
}
