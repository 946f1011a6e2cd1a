package bot

import (
	"context"
	"time"

	"songnuan/domain"
)

// ChangeKind names what a change did. It is written to the audit stream
// and the undo record; 撤销 tells an undone visit apart by it.
type ChangeKind string

// Change kinds. The first five change a household (Store.Apply); the
// others add to counters (Store.AddCountersOnce) or only to the audit.
const (
	ChangeRegister    ChangeKind = "register"
	ChangeUpdate      ChangeKind = "update"
	ChangeImport      ChangeKind = "import"
	ChangeVisit       ChangeKind = "visit"
	ChangeUndo        ChangeKind = "undo"
	ChangeDonation    ChangeKind = "donation"
	ChangeReport      ChangeKind = "report"
	ChangeUnreport    ChangeKind = "unreport"
	ChangeDonationFix ChangeKind = "donation_fix"
	ChangeRescue      ChangeKind = "rescue"
	ChangeBroadcast   ChangeKind = "broadcast"
	ChangeExport      ChangeKind = "export"
)

// TodoDelta is what a change does to the committee's not-yet-visited set.
type TodoDelta int

// Todo deltas.
const (
	TodoKeep   TodoDelta = 0  // leave the household in or out of the set
	TodoAdd    TodoDelta = 1  // a new household, not yet visited
	TodoRemove TodoDelta = -1 // its first visit, or the undo of a registration
)

// UndoAction is what a change does to the actor's undo stack.
type UndoAction string

// Undo actions.
const (
	UndoNone UndoAction = ""     // not undone one by one (an import row)
	UndoPush UndoAction = "push" // record Before so 撤销 can restore it
	UndoPop  UndoAction = "pop"  // an undo: drop the record it restored
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
	Kind      ChangeKind
	Actor     string // userid
	At        time.Time
	Committee string
	Code      string
	Before    *domain.Household
	After     *domain.Household
	Deltas    map[string]int64 // counter field → delta
	Todo      TodoDelta
	// Undo pushes an undo record (Before, and After's version) on the
	// actor's undo stack, or pops the top record.
	Undo UndoAction
	// Result is kept under OpID: a replay of the same OpID returns it
	// instead of applying the change again.
	Result string
	// Audit is the masked description of the change for the audit stream.
	Audit string
}

// Applied is what Store.Apply did.
type Applied struct {
	Replayed bool            // OpID was applied before; nothing changed
	Result   string          // the Result stored with OpID
	Counters domain.Counters // the committee's counters after the change, read in the same atomic step
}

// UndoRecord is the top of a user's undo stack.
type UndoRecord struct {
	OpID         string            `json:"op"`
	Kind         ChangeKind        `json:"kind"`
	Committee    string            `json:"c"`
	Code         string            `json:"code"`
	Before       *domain.Household `json:"before,omitempty"` // nil: the change created the household
	AfterVersion int64             `json:"av"`               // version the change produced
	At           time.Time         `json:"at"`
}

// PersonRef says where a person (by ID hash) is registered.
type PersonRef struct {
	Committee string
	Code      string
}

// HouseholdRef names a household without loading it.
type HouseholdRef struct {
	Code string
	Head string
}

// AuditEntry is one line of the audit stream.
type AuditEntry struct {
	ID        string
	Committee string
	Kind      ChangeKind
	Actor     string
	At        time.Time
	OpID      string
	Detail    string // masked before/after
}

// HouseholdStore reads and changes a committee's households. Every change
// goes through Apply, atomically with its counters, indexes, undo record and
// audit entry.
type HouseholdStore interface {
	// Replayed reports whether the change with opID was applied in
	// committee within the op TTL (by Apply or AddCounters), and the
	// Result stored with it. It changes nothing.
	Replayed(ctx context.Context, committee, opID string) (result string, ok bool, err error)
	// Household returns one household or ErrNotFound.
	Household(ctx context.Context, committee, code string) (domain.Household, error)
	// FindByHead returns the committee's households whose head is head.
	FindByHead(ctx context.Context, committee, head string) ([]domain.Household, error)
	// Heads lists every household of the committee by code and head,
	// ordered by code, without loading the households.
	Heads(ctx context.Context, committee string) ([]HouseholdRef, error)
	// NextCode reserves a new household code in the committee.
	NextCode(ctx context.Context, committee string) (string, error)
	// Apply applies a change atomically (see Change).
	Apply(ctx context.Context, c Change) (Applied, error)
	// LastUndo returns the top of the user's undo stack, or ErrNotFound.
	LastUndo(ctx context.Context, userID string) (UndoRecord, error)
	// Unvisited returns up to limit households not yet visited, oldest
	// first, and how many there are in all.
	Unvisited(ctx context.Context, committee string, limit int) ([]HouseholdRef, int, error)
	// Households returns every household of a committee (exports only).
	Households(ctx context.Context, committee string) ([]domain.Household, error)
}

// PersonIndex is the street-wide person index, by keyed hash of the ID number:
// it keeps one person from being registered in two households.
type PersonIndex interface {
	// ClaimPerson registers idHash for ref unless it is taken; it returns
	// the holder, which is ref itself when the claim succeeded or the
	// person was already registered there.
	ClaimPerson(ctx context.Context, idHash string, ref PersonRef) (PersonRef, error)
	// ReleasePerson removes idHash's claim if ref holds it.
	ReleasePerson(ctx context.Context, idHash string, ref PersonRef) error
}

// CounterStore reads and adds to the committees' running totals.
type CounterStore interface {
	// Counters returns one committee's counters.
	Counters(ctx context.Context, committee string) (domain.Counters, error)
	// AllCounters returns the counters of every committee that has any,
	// in one pipelined read.
	AllCounters(ctx context.Context) (map[string]domain.Counters, error)
	// AddCounters adds deltas to a committee's counters (donations, alerts).
	AddCounters(ctx context.Context, committee string, deltas map[string]int64) error
	// AddCountersOnce applies a CounterChange atomically: unless c.OpID
	// was applied before, it adds c.Deltas to c.Committee's counters, keeps
	// c.Result under c.OpID and appends c.Audit to the committee's audit
	// stream. A replay changes nothing and returns Replayed with the stored
	// Result. Either way Counters are read in the same step.
	AddCountersOnce(ctx context.Context, c CounterChange) (Applied, error)
	// Rollup reads the street's rollup, which the store keeps up to date
	// as each change to a committee's counters is applied: never a walk
	// over the committees. top bounds how many committees of each group
	// it lists (0: none, for the sums alone); roster is the committees
	// the bot knows of, and Missing those of them without counters.
	Rollup(ctx context.Context, roster []string, top int) (Rollup, error)
}

// Rollup is the street at a glance, as CounterStore.Rollup reads it.
type Rollup struct {
	// Sum is every committee's counters added up, the street's own
	// (StreetCommittee) included.
	Sum domain.Counters
	// Street is the street's own counters.
	Street domain.Counters
	// Groups hold every committee with a counter that is not zero, the
	// street's own excepted. The committees of a group have the same
	// committee tasks done (visits: every household visited; payments:
	// nothing short-paid; each task reported), so at any moment the same
	// tasks overdue.
	Groups []RollupGroup
	// Missing are the committees of the roster that are in no group,
	// sorted by name.
	Missing []string
}

// RollupGroup is one group of committees with the same tasks done.
type RollupGroup struct {
	Count int // committees in the group
	// Worst are its first committees, at most top, ordered as 进度 orders
	// committees with the same tasks overdue: none registered first, then
	// by the share visited, more unpaid first, then by name.
	Worst []CommitteeCounters
}

// CommitteeCounters is one committee's counters.
type CommitteeCounters struct {
	Name     string
	Counters domain.Counters
}

// AuditLog is each committee's audit stream.
type AuditLog interface {
	// Audit returns the newest audit entries of a committee, newest first.
	Audit(ctx context.Context, committee string, limit int) ([]AuditEntry, error)
	// AddAudit appends a standalone entry (an export with full numbers, a
	// broadcast) to e.Committee's audit stream; e.ID is ignored.
	AddAudit(ctx context.Context, e AuditEntry) error
}

// PendingStore keeps what a user must confirm (a broadcast awaiting 确认).
type PendingStore interface {
	// PutPending keeps value for userID under kind (a broadcast awaiting
	// 确认) for ttl, replacing any earlier one.
	PutPending(ctx context.Context, userID, kind, value string, ttl time.Duration) error
	// TakePending removes and returns what PutPending kept, or ErrNotFound
	// when there is none or its ttl passed. Of two concurrent takes only
	// one gets the value.
	TakePending(ctx context.Context, userID, kind string) (string, error)
}

// AskedStore remembers each sender's last question (进度, 查询, 待办), so
// that a follow-up (二村呢？) is read as that question again.
type AskedStore interface {
	// RememberAsked keeps value as userID's last question for ttl,
	// replacing any earlier one. It need not wait for the write, which may
	// ride with the store's next round trip, but a LastAsked after it
	// sees it. An error means it will not be kept.
	RememberAsked(ctx context.Context, userID, value string, ttl time.Duration) error
	// LastAsked returns what RememberAsked kept, or ErrNotFound when
	// there is none or its ttl passed.
	LastAsked(ctx context.Context, userID string) (string, error)
}

// RescueStore keeps the 流浪 (rough sleeper) reports.
type RescueStore interface {
	// OpenRescue records r under the next report number and returns it
	// with created true, unless opID recorded a report before: then that
	// report is returned with created false and nothing changes, with
	// Alerted set if MarkRescueAlerted was called for it.
	OpenRescue(ctx context.Context, opID string, r RescueReport) (report RescueReport, created bool, err error)
	// MarkRescueAlerted records that report id's alert reached someone at
	// at, so that a re-delivery of the report does not alert again; the
	// first time is kept. ErrNotFound when there is no such report.
	MarkRescueAlerted(ctx context.Context, id string, at time.Time) error
	// MarkRescueTarget records that report id's alert reached target (a
	// name the bot gives each kind of target), so a retry skips it.
	MarkRescueTarget(ctx context.Context, id, target string, at time.Time) error
	// RescueTargetsReached returns which of targets report id's alert
	// reached (MarkRescueTarget).
	RescueTargetsReached(ctx context.Context, id string, targets []string) (map[string]bool, error)
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

// Store is everything the bot keeps, in the small interfaces above: a
// helper or a test fake needs only the part it uses. Every method takes
// ctx first. Errors: ErrNotFound for a missing household, ErrConflict when
// Apply's Before does not match, ErrUnavailable when the store cannot be
// reached (nothing was recorded).
type Store interface {
	HouseholdStore
	PersonIndex
	CounterStore
	AuditLog
	PendingStore
	AskedStore
	RescueStore
}

// CounterChange is an exactly-once addition to a committee's counters
// that belongs to no household: a donation, a task reported done.
type CounterChange struct {
	OpID      string     // idempotency key, e.g. "m:<MsgId>"
	Kind      ChangeKind // ChangeDonation, ChangeReport, ChangeRescue
	Actor     string     // userid
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
