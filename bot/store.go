package bot

import (
	"context"
	"time"
)

// Change is one atomic change to one household, applied by Store.Apply.
//
// Before is the household as the bot read it (nil for a new one): the store
// refuses the change with ErrConflict when the stored version differs (or,
// for a new one, when the code is taken). After is the new state (nil removes
// the household, as an undo of a registration does). Deltas are added to the
// committee's counters in the same atomic step, so status never scans
// households.
type Change struct {
	OpID      string // idempotency key, e.g. "m:<MsgId>" or "imp:<file hash>:<row>"
	Kind      string // register, update, visit, undo, import
	Actor     string // userid
	At        time.Time
	Committee string
	Code      string
	Before    *Household
	After     *Household
	Deltas    map[string]int64 // counter field → delta
	// Todo is +1 to add the household to the committee's not-yet-visited
	// set, -1 to remove it, 0 to leave it.
	Todo int
	// Undoable pushes an undo record (Before, and After's version) on the
	// actor's undo stack; Undo pops the top record instead.
	Undoable bool
	Undo     bool
	// Result is kept under OpID: a replay of the same OpID returns it
	// instead of applying the change again.
	Result string
	// Audit is the masked description of the change for the audit stream.
	Audit string
}

// Applied is what Store.Apply did.
type Applied struct {
	Replayed bool     // OpID was applied before; nothing changed
	Result   string   // the Result stored with OpID
	Counters Counters // the committee's counters after the change, read in the same atomic step
}

// UndoRecord is the top of a user's undo stack.
type UndoRecord struct {
	OpID         string     `json:"op"`
	Kind         string     `json:"kind"`
	Committee    string     `json:"c"`
	Code         string     `json:"code"`
	Before       *Household `json:"before,omitempty"` // nil: the change created the household
	AfterVersion int64      `json:"av"`               // version the change produced
	At           time.Time  `json:"at"`
}

// PersonRef says where a person (by ID hash) is registered.
type PersonRef struct {
	Committee string
	Code      string
}

// Counters are a committee's running totals, by field name. Fields are
// built by CounterFields; a missing field is zero.
type Counters map[string]int64

// HouseholdRef names a household without loading it.
type HouseholdRef struct {
	Code string
	Head string
}

// AuditEntry is one line of the audit stream.
type AuditEntry struct {
	ID        string
	Committee string
	Kind      string
	Actor     string
	At        time.Time
	OpID      string
	Detail    string // masked before/after
}

// Store keeps households, counters and the audit log. Every method takes
// ctx first. Errors: ErrNotFound for a missing household, ErrConflict when
// Apply's Before does not match, ErrUnavailable when the store cannot be
// reached (nothing was recorded).
type Store interface {
	// Household returns one household or ErrNotFound.
	Household(ctx context.Context, committee, code string) (Household, error)
	// FindByHead returns the committee's households whose head is head.
	FindByHead(ctx context.Context, committee, head string) ([]Household, error)
	// Heads lists every household of the committee by code and head,
	// ordered by code, without loading the households.
	Heads(ctx context.Context, committee string) ([]HouseholdRef, error)
	// NextCode reserves a new household code in the committee.
	NextCode(ctx context.Context, committee string) (string, error)
	// Apply applies a change atomically (see Change).
	Apply(ctx context.Context, c Change) (Applied, error)
	// LastUndo returns the top of the user's undo stack, or ErrNotFound.
	LastUndo(ctx context.Context, userID string) (UndoRecord, error)

	// ClaimPerson registers idHash for ref unless it is taken; it returns
	// the holder, which is ref itself when the claim succeeded or the
	// person was already registered there.
	ClaimPerson(ctx context.Context, idHash string, ref PersonRef) (PersonRef, error)
	// ReleasePerson removes idHash's claim if ref holds it.
	ReleasePerson(ctx context.Context, idHash string, ref PersonRef) error

	// Counters returns one committee's counters.
	Counters(ctx context.Context, committee string) (Counters, error)
	// AllCounters returns the counters of every committee that has any,
	// in one pipelined read.
	AllCounters(ctx context.Context) (map[string]Counters, error)
	// AddCounters adds deltas to a committee's counters (donations, alerts).
	AddCounters(ctx context.Context, committee string, deltas map[string]int64) error
	// Unvisited returns up to limit households not yet visited, oldest
	// first, and how many there are in all.
	Unvisited(ctx context.Context, committee string, limit int) ([]HouseholdRef, int, error)
	// Households returns every household of a committee (exports only).
	Households(ctx context.Context, committee string) ([]Household, error)
	// Audit returns the newest audit entries of a committee, newest first.
	Audit(ctx context.Context, committee string, limit int) ([]AuditEntry, error)

	// AddCountersOnce applies a CounterChange atomically: unless c.OpID
	// was applied before, it adds c.Deltas to c.Committee's counters, keeps
	// c.Result under c.OpID and appends c.Audit to the committee's audit
	// stream. A replay changes nothing and returns Replayed with the stored
	// Result. Either way Counters are read in the same step.
	AddCountersOnce(ctx context.Context, c CounterChange) (Applied, error)
	// AddAudit appends a standalone entry (an export with full numbers, a
	// broadcast) to e.Committee's audit stream; e.ID is ignored.
	AddAudit(ctx context.Context, e AuditEntry) error

	// PutPending keeps value for userID under kind (a broadcast awaiting
	// 确认) for ttl, replacing any earlier one.
	PutPending(ctx context.Context, userID, kind, value string, ttl time.Duration) error
	// TakePending removes and returns what PutPending kept, or ErrNotFound
	// when there is none or its ttl passed. Of two concurrent takes only
	// one gets the value.
	TakePending(ctx context.Context, userID, kind string) (string, error)

	// OpenRescue records r under the next report number and returns it
	// with created true, unless opID recorded a report before: then that
	// report is returned with created false and nothing changes, with
	// Alerted set if MarkRescueAlerted was called for it.
	OpenRescue(ctx context.Context, opID string, r RescueReport) (report RescueReport, created bool, err error)
	// MarkRescueAlerted records that report id's alert reached someone at
	// at, so that a re-delivery of the report does not alert again; the
	// first time is kept. ErrNotFound when there is no such report.
	MarkRescueAlerted(ctx context.Context, id string, at time.Time) error
	// CloseRescue closes report id, by userID at at, and returns it with
	// closed true; a report closed before is returned as it stands with
	// closed false. ErrNotFound when there is no such report.
	CloseRescue(ctx context.Context, id, userID string, at time.Time) (report RescueReport, closed bool, err error)
	// OpenRescues returns up to limit open reports, oldest first, and how
	// many are open.
	OpenRescues(ctx context.Context, limit int) ([]RescueReport, int, error)
	// UnalertedRescues returns, of the newest open reports, those
	// MarkRescueAlerted was not called for, oldest first: the reports
	// whose alert may have reached nobody.
	UnalertedRescues(ctx context.Context, newest int) ([]RescueReport, error)
}

// CounterChange is an exactly-once addition to a committee's counters
// that belongs to no household: a donation, a task reported done.
type CounterChange struct {
	OpID      string // idempotency key, e.g. "m:<MsgId>"
	Kind      string // donation, report
	Actor     string // userid
	At        time.Time
	Committee string
	Deltas    map[string]int64
	Result    string // kept under OpID: a replay returns it
	Audit     string // masked description for the audit stream; "" writes none
}

// RescueReport is one 流浪 report: a rough sleeper seen in the cold, the
// alert sent about them, and whether the case is closed.
type RescueReport struct {
	ID        string    `json:"-"` // report number, "1", "2", …
	Place     string    `json:"place"`
	Situation string    `json:"sit"` // redacted: never a full ID or phone number
	By        string    `json:"by"`  // userid of the reporter
	ByName    string    `json:"byn"`
	Committee string    `json:"c,omitempty"` // the reporter's committee, if any
	At        time.Time `json:"at"`
	MsgID     string    `json:"msg,omitempty"`
	ClosedBy  string    `json:"-"`
	ClosedAt  time.Time `json:"-"` // zero while open
	// Alerted is when the alert first reached someone (MarkRescueAlerted).
	// Only OpenRescue reads it; zero there means nobody may have heard.
	// UnalertedRescues returns only reports without it.
	Alerted time.Time `json:"-"`
}
