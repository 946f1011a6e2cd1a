package store

import (
	"hash/fnv"
	"strconv"
)

// Every Redis key of the program is built here, so the layout can be read in
// one place and a prefix change cannot miss a key. docs/keys.md lists each
// key's Redis type, encoding, TTL and writers.
//
// A committee's keys share the hash tag {c:<committee>}: on Redis Cluster
// they live in one slot, which is what lets Apply change a household, its
// indexes, the counters, the op marker, the undo stack and the audit stream
// in one Lua script. Global keys are only ever used one at a time (or in
// pipelines, which the cluster client splits by node). A prefix must not
// contain '{' or '}', or it would become the hash tag of every key.

// keys builds the keys under one prefix.
type keys struct{ prefix string }

// committee returns the common beginning of a committee's keys.
func (k keys) committee(c string) string { return k.prefix + "{c:" + c + "}:" }

// households is the hash code → "<version>|<packed household JSON>".
func (k keys) households(c string) string { return k.committee(c) + "hh" }

// heads is the hash head → the codes of the households with that head,
// comma-separated, so FindByHead never scans. Its entries are short enough
// for Redis's compact hash encoding up to a few hundred households.
func (k keys) heads(c string) string { return k.committee(c) + "heads" }

// todo is the sorted set of codes not yet visited, scored by numeric code so
// the oldest registrations come first.
func (k keys) todo(c string) string { return k.committee(c) + "todo" }

// counters is the hash of the committee's running totals (domain.Counters).
func (k keys) counters(c string) string { return k.committee(c) + "ctr" }

// counterVersion counts the changes to the committee's counters; the
// rollup keeps, for each committee, the version it last added in.
func (k keys) counterVersion(c string) string { return k.committee(c) + "ctrv" }

// seq is the committee's household-code sequence.
func (k keys) seq(c string) string { return k.committee(c) + "seq" }

// opBucket is the hash op id → result of the changes applied in one
// stretch of time (see Store.opBuckets).
func (k keys) opBucket(c string, n int64) string {
	return k.committee(c) + "ops:" + strconv.FormatInt(n, 10)
}

// undo is a user's undo stack in one committee (newest first).
func (k keys) undo(c, userID string) string { return k.committee(c) + "undo:" + userID }

// audit is the committee's audit stream.
func (k keys) audit(c string) string { return k.committee(c) + "audit" }

// committees is the set of committees that have households or counters.
func (k keys) committees() string { return k.prefix + "committees" }

// The street rollup (see rollup.go) shares the hash tag {r}: one slot
// holds the street's totals, so a change reaches them in one script (a
// second step after the committee's own, since no key can share a slot
// with every committee).
func (k keys) rollup() string { return k.prefix + "{r}:" }

// rollupSnaps is the hash committee → "<counter version>|<counters as
// JSON>": what the rollup last added in for each committee.
func (k keys) rollupSnaps() string { return k.rollup() + "snap" }

// rollupSums is the hash counter field → sum over every committee, the
// street's own included.
func (k keys) rollupSums() string { return k.rollup() + "sum" }

// rollupGroups is the hash group → how many committees are in it (see
// rollupWorst).
func (k keys) rollupGroups() string { return k.rollup() + "groups" }

// rollupWorst is the sorted set of a group's committees, worst first: a
// group is the committees with the same committee tasks done.
func (k keys) rollupWorst(group string) string { return k.rollup() + "worst:" + group }

// rollupMembers is the set of committees in some group: every committee
// with a counter that is not zero, the street's own excepted.
func (k keys) rollupMembers() string { return k.rollup() + "members" }

// rollupEpoch counts the changes to rollupMembers (and rebuilds), so a
// reader can keep what it derived from the members until it moves.
func (k keys) rollupEpoch() string { return k.rollup() + "epoch" }

// rollupBuilt is set once RebuildRollup has added in every committee, so
// a store upgraded from a version without the rollup is rebuilt once.
func (k keys) rollupBuilt() string { return k.rollup() + "built" }

// personBuckets is how many hashes the person index is spread over: few
// enough that each holds hundreds of people, so a street's worth stays in
// Redis's compact hash encoding (up to 512 entries per hash).
const personBuckets = 64

// persons is the hash of the person index that idHash belongs in: ID-number
// hash → where the person is registered.
func (k keys) persons(idHash string) string {
	h := fnv.New32a()
	h.Write([]byte(idHash))
	return k.prefix + "pi:" + strconv.Itoa(int(h.Sum32()%personBuckets))
}

// lastUndo points at the committee of a user's latest undoable change.
func (k keys) lastUndo(userID string) string { return k.prefix + "lastundo:" + userID }

// message holds the dedup state of one incoming WeCom message or event.
func (k keys) message(key string) string { return k.prefix + "msg:" + key }

// userRate counts one user's messages in the current rate-limit window.
func (k keys) userRate(userID string) string { return k.prefix + "ur:" + userID }

// wechat is a key of the WeCom SDK's cache (access tokens).
func (k keys) wechat(key string) string { return k.prefix + "wx:" + key }

// The broadcast runner's keys are used one at a time (one command or a
// one-key script each), so they need no common hash tag.

// lease is a named lease of the broadcast runner (the owner's id, with a TTL).
func (k keys) lease(name string) string { return k.prefix + "bc:lease:" + name }

// ledger is the hash of broadcast ledger ids → info, written with HSETNX.
func (k keys) ledger() string { return k.prefix + "bc:ledger" }

// lastRun is the campaign time up to which every due broadcast is finished.
func (k keys) lastRun() string { return k.prefix + "bc:lastrun" }

// sendRate is the sorted set of send times (ms) of one broadcast rate-limit
// key, e.g. "robot:<hash>" or "member:<userid>".
func (k keys) sendRate(key string) string { return k.prefix + "bc:rate:" + key }

// pending holds what a user must confirm (a broadcast awaiting 确认).
func (k keys) pending(kind, userID string) string { return k.prefix + "pending:" + kind + ":" + userID }

// asked holds a user's last question (进度, 查询, 待办), so a follow-up
// (二村呢？) is read as that question again.
func (k keys) asked(userID string) string { return k.prefix + "asked:" + userID }

// rescue returns the common beginning of the rough-sleeper report keys,
// which share one hash tag so a report, its number and its op marker are
// written in one script.
func (k keys) rescue() string { return k.prefix + "{rescue}:" }

// rescueReports is the hash number → report JSON.
func (k keys) rescueReports() string { return k.rescue() + "reports" }

// rescueClosed is the hash number → closing JSON; a report without an
// entry is open.
func (k keys) rescueClosed() string { return k.rescue() + "closed" }

// rescueAlerted is the hash number → time (RFC 3339) the report's alert
// first reached someone; a report without an entry may not have been heard.
func (k keys) rescueAlerted() string { return k.rescue() + "alerted" }

// rescueOpen is the sorted set of open report numbers, scored by number.
func (k keys) rescueOpen() string { return k.rescue() + "open" }

// rescueSeq numbers the reports.
func (k keys) rescueSeq() string { return k.rescue() + "seq" }

// rescueOp marks the message a report was made from, so a re-delivery
// finds the report instead of opening (and alerting) a second one.
func (k keys) rescueOp(opID string) string { return k.rescue() + "op:" + opID }

// The outbox's keys share the hash tag {outbox}, so a message's
// once-only mark and its stream entry are written in one script.

// outbox is the stream of messages waiting to be sent (see outbox.go).
func (k keys) outbox() string { return k.prefix + "{outbox}:stream" }

// outboxSeen marks a message id already put in the outbox.
func (k keys) outboxSeen(id string) string { return k.prefix + "{outbox}:seen:" + id }
