//go:build race

package store_test

// raceDetector is set in a build with the race detector, which makes
// deflate some fifty times slower: the memory measurement, which has no
// concurrency to check, then takes minutes instead of seconds.
const raceDetector = true
