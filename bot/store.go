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
}
