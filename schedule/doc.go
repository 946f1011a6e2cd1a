// Package schedule is a campaign's timeline: phases, tasks with their
// deadlines and the announcements sent on the way. It parses and checks
// the schedule file (default.yaml is the built-in 甘泉路街道 2024 plan),
// computes when each announcement falls due (Occurrences, Due), which
// tasks are open or overdue from a committee's counters, and renders the
// overview, the table and each announcement's text.
//
// The chat bot reads it for 日程 and 待办; broadcast reads it to send the
// announcements. It imports only domain and the standard library.
//
// Golden files are under testdata; regenerate them with
// `go test ./schedule -update`.
package schedule
