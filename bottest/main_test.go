package bottest_test

import (
	"os"
	"testing"

	"songnuan/store/storetest"
)

// TestMain fails the run when a test's keys outlive its clean-up on
// REDIS_URL: a write queued to ride a later batch, say, that lands after
// the prefix was deleted.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		code = storetest.CheckLeftovers()
	}
	os.Exit(code)
}
