//go:build unix

package loadtest

import (
	"syscall"
	"time"
)

// selfCPU is the CPU time (user and system) this process has used so far;
// zero where it cannot be read.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
