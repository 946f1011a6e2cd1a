//go:build !race

package store_test

// raceDetector is set in a build with the race detector (see race_test.go).
const raceDetector = false
