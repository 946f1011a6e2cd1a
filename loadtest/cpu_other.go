//go:build !unix

package loadtest

import "time"

// selfCPU is not read on this system.
func selfCPU() time.Duration { return 0 }
