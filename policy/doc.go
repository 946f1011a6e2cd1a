// Package policy is a district's subsidy standards: the file format
// (default.yaml is the built-in 长宁区 2023 table), the checker that names
// every problem of a file with its line, Entitle — the pure rule that says
// what a household is due — and the table `songnuan policy show` prints.
//
// To change one subsidy rule, read default.yaml (the numbers), then
// entitle.go (how claims, bands and exclusions count); the checker is
// parse.go. It imports only domain and the standard library.
//
// Golden files are under testdata; regenerate them with
// `go test ./policy -update`.
package policy
