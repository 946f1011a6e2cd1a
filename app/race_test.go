//go:build race

package app_test

// raceEnabled builds the processes under test with the race detector when
// the tests themselves run with it.
const raceEnabled = true
