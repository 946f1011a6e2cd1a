// Package campaigntest gives tests a policy and a schedule of their own:
// frozen copies of the built-in ones, taken when the tests were written.
// Tests about replies, permissions, idempotency or undo run on these, so
// a district changing one amount or one date in policy/default.yaml or
// schedule/default.yaml fails only the tests about that amount or date
// (the policy and schedule packages' own tests and a few goldens).
//
// Never edit the copies to follow the built-in files.
package campaigntest

import (
	_ "embed"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"songnuan/policy"
	"songnuan/schedule"
)

var (
	//go:embed policy.yaml
	policyYAML []byte
	//go:embed schedule.yaml
	scheduleYAML []byte
)

var parsedPolicy = sync.OnceValue(func() *policy.Policy {
	p, err := policy.Parse(policyYAML, "campaigntest/policy.yaml")
	if err != nil {
		panic("campaigntest: " + err.Error())
	}
	return p
})

// Policy is the tests' policy, parsed once and shared; do not modify it.
func Policy() *policy.Policy { return parsedPolicy() }

// PolicyYAML is the tests' policy file, for tests that edit and re-parse it.
func PolicyYAML() []byte { return slices.Clone(policyYAML) }

// Schedule is the tests' schedule, parsed afresh for every caller.
func Schedule() *schedule.Schedule {
	s, err := schedule.Parse(scheduleYAML, "campaigntest/schedule.yaml")
	if err != nil {
		panic("campaigntest: " + err.Error())
	}
	return s
}

// ScheduleYAML is the tests' schedule file.
func ScheduleYAML() []byte { return slices.Clone(scheduleYAML) }

// PolicyPath and SchedulePath are the files on disk, for tests that start
// the program with SONGNUAN_POLICY or SONGNUAN_SCHEDULE.
func PolicyPath() string   { return filepath.Join(dir(), "policy.yaml") }
func SchedulePath() string { return filepath.Join(dir(), "schedule.yaml") }

func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}
