package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
	"songnuan/domain"
)

// undoDepth is how many changes a user can take back in one committee.
const undoDepth = 20

// auditMaxLen bounds a committee's audit stream (trimmed approximately,
// which Redis does cheaply by whole macro nodes).
const auditMaxLen = 100000

// applyScript is bot.Change as one atomic step on the committee's slot.
// Checks come before any write, because Redis does not roll a script back
// when it fails half way.
//
// A household's value is "<version>|<packed JSON>", so the script compares
// versions without decoding JSON. The heads index is a hash head → codes
// (comma-separated), small enough per entry for Redis's compact encoding.
// Op markers are fields of a few time-bucketed hashes (see opBuckets)
// rather than a key each.
//
// KEYS: 1 households, 2 heads, 3 todo, 4 counters, 5 undo stack, 6 audit
// stream, 7 the op bucket written now, 8… older op buckets still within
// the op TTL.
// ARGV: 1 code, 2 expected version ("" = the code must be free), 3 after
// value ("" = delete), 4 before's head ("" = none, else "=" .. head), 5
// after's head (likewise), 6 todo (1, -1, 0), 7 todo score, 8 op id, 9
// result, 10 ms until the current op bucket expires, 11 undo ("push",
// "pop" or ""), 12 undo record, 13 audit max length, 14 audit time, 15
// audit entry, then field, delta pairs for the counters.
// Returns {"replay", stored result, counters}, {"conflict"} or
// {"ok", result, counters}; counters as HGETALL gives them.
var applyScript = redis.NewScript(`
local code, op = ARGV[1], ARGV[8]
for i = 7, #KEYS do
  local done = redis.call('HGET', KEYS[i], op)
  if done then
    return {'replay', done, redis.call('HGETALL', KEYS[4])}
  end
end
local cur = redis.call('HGET', KEYS[1], code)
if cur then cur = string.match(cur, '^(%d+)|') end
if ARGV[2] == '' then
  if cur then return {'conflict'} end
elseif cur ~= ARGV[2] then
  return {'conflict'}
end
if ARGV[4] ~= ARGV[5] then
  if ARGV[4] ~= '' then
    local head = string.sub(ARGV[4], 2)
    local list = redis.call('HGET', KEYS[2], head)
    if list then
      local keep = {}
      for c in string.gmatch(list, '[^,]+') do
        if c ~= code then keep[#keep + 1] = c end
      end
      if #keep == 0 then
        redis.call('HDEL', KEYS[2], head)
      else
        redis.call('HSET', KEYS[2], head, table.concat(keep, ','))
      end
    end
  end
  if ARGV[5] ~= '' then
    local head = string.sub(ARGV[5], 2)
    local list = redis.call('HGET', KEYS[2], head)
    if list then list = list .. ',' .. code else list = code end
    redis.call('HSET', KEYS[2], head, list)
  end
end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], code)
  redis.call('ZREM', KEYS[3], code)
else
  redis.call('HSET', KEYS[1], code, ARGV[3])
  if ARGV[6] == '1' then
    redis.call('ZADD', KEYS[3], ARGV[7], code)
  elseif ARGV[6] == '-1' then
    redis.call('ZREM', KEYS[3], code)
  end
end
for i = 16, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[4], ARGV[i], ARGV[i + 1])
end
redis.call('HSET', KEYS[7], op, ARGV[9])
redis.call('PEXPIRE', KEYS[7], ARGV[10])
if ARGV[11] == 'push' then
  redis.call('LPUSH', KEYS[5], ARGV[12])
  redis.call('LTRIM', KEYS[5], 0, ` + strconv.Itoa(undoDepth-1) + `)
elseif ARGV[11] == 'pop' then
  redis.call('LPOP', KEYS[5])
end
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[13], '*', 'at', ARGV[14], 'e', ARGV[15])
return {'ok', ARGV[9], redis.call('HGETALL', KEYS[4])}
`)

// Apply applies c atomically (see bot.Change): one script on the
// committee's slot, pipelined in the same round trip with the user's
// last-undo pointer and, for a new household, the set of committees.
// Errors: bot.ErrConflict when Before does not match what is stored,
// bot.ErrUnavailable when Redis cannot be reached (nothing was recorded
// unless the reply alone was lost: a retry with the same OpID then replays).
func (s *Store) Apply(ctx context.Context, c bot.Change) (bot.Applied, error) {
	if err := checkChange(c); err != nil {
		return bot.Applied{}, err
	}
	keys := []string{
		s.k.households(c.Committee), s.k.heads(c.Committee), s.k.todo(c.Committee),
		s.k.counters(c.Committee), s.k.undo(c.Committee, c.Actor), s.k.audit(c.Committee),
	}
	now := s.now()
	keys = append(keys, s.opBuckets(c.Committee, now)...)
	args, err := s.applyArgs(c, now)
	if err != nil {
		return bot.Applied{}, err
	}

	var pointer *redis.StatusCmd
	reply, err := s.evalPiped(ctx, applyScript, keys, args, func(p redis.Pipeliner) {
		if c.Undo != bot.UndoNone {
			pointer = p.SetArgs(ctx, s.k.lastUndo(c.Actor), c.Committee, redis.SetArgs{Get: true})
		}
		if c.Before == nil {
			p.SAdd(ctx, s.k.committees(), c.Committee)
		}
	})
	if err != nil {
		return bot.Applied{}, fail(fmt.Sprintf("apply %s %s", c.Kind, c.OpID), err)
	}
	status, result, ctr, err := parseApplied(reply)
	if err != nil {
		return bot.Applied{}, fmt.Errorf("apply %s %s: %w", c.Kind, c.OpID, err)
	}
	if pointer != nil {
		s.settlePointer(ctx, c, pointer, status == "ok")
	}
	switch status {
	case "conflict":
		return bot.Applied{}, fmt.Errorf("apply %s to %s/%s: %w", c.Kind, c.Committee, c.Code, bot.ErrConflict)
	case "replay":
		return bot.Applied{Replayed: true, Result: result, Counters: ctr}, nil
	}
	return bot.Applied{Result: result, Counters: ctr}, nil
}

// Replayed reports whether opID was applied in committee within the op
// TTL, and the result stored with it (see bot.Store). It reads the same op
// buckets Apply and AddCounters write, in one round trip on the
// committee's slot.
func (s *Store) Replayed(ctx context.Context, committee, opID string) (string, bool, error) {
	buckets := s.opBuckets(committee, s.now())
	cmds := make([]*redis.StringCmd, len(buckets))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range buckets {
			cmds[i] = p.HGet(ctx, k, opID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", false, fail("look up op "+opID, err)
	}
	for _, c := range cmds {
		packed, err := c.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return "", false, fail("look up op "+opID, err)
		}
		result, err := unpack(packed)
		if err != nil {
			return "", false, fmt.Errorf("look up op %s: %w", opID, err)
		}
		return result, true, nil
	}
	return "", false, nil
}

// settlePointer deals with the last-undo pointer set in Apply's pipeline:
// when the change did not happen here (conflict or replay) the pointer goes
// back to where it was, so the user's next 撤销 finds their latest change.
func (s *Store) settlePointer(ctx context.Context, c bot.Change, pointer *redis.StatusCmd, applied bool) {
	old, err := pointer.Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		s.log.Warn("set last undo pointer", "committee", c.Committee, "op", c.OpID, "err", err)
		return
	}
	if applied || old == c.Committee {
		return
	}
	key := s.k.lastUndo(c.Actor)
	if errors.Is(err, redis.Nil) {
		err = s.client.Del(ctx, key).Err()
	} else {
		err = s.client.Set(ctx, key, old, 0).Err()
	}
	if err != nil {
		s.log.Warn("restore last undo pointer", "committee", c.Committee, "op", c.OpID, "err", err)
	}
}

// checkChange refuses changes the script could only store wrongly.
func checkChange(c bot.Change) error {
	switch {
	case c.OpID == "" || c.Committee == "" || c.Code == "":
		return fmt.Errorf("apply %s: change needs OpID, Committee and Code", c.Kind)
	case strings.Contains(c.Code, ","):
		// The heads index lists codes separated by commas.
		return fmt.Errorf("apply %s %s: code %q contains a comma", c.Kind, c.OpID, c.Code)
	case c.Before == nil && c.After == nil:
		return fmt.Errorf("apply %s %s: change has neither Before nor After", c.Kind, c.OpID)
	case c.Undo != bot.UndoNone && c.Undo != bot.UndoPush && c.Undo != bot.UndoPop:
		return fmt.Errorf("apply %s %s: Undo is %q, want UndoNone, UndoPush or UndoPop", c.Kind, c.OpID, c.Undo)
	case c.Undo != bot.UndoNone && c.Actor == "":
		return fmt.Errorf("apply %s %s: undo stack needs an Actor", c.Kind, c.OpID)
	case c.Todo != bot.TodoKeep && c.Todo != bot.TodoAdd && c.Todo != bot.TodoRemove:
		return fmt.Errorf("apply %s %s: Todo is %d, want TodoKeep, TodoAdd or TodoRemove", c.Kind, c.OpID, c.Todo)
	case c.Before != nil && c.After != nil && c.After.Version <= c.Before.Version:
		// An unbumped version would let a concurrent change with the same
		// Before pass the comparison too.
		return fmt.Errorf("apply %s %s: After.Version %d must exceed Before.Version %d",
			c.Kind, c.OpID, c.After.Version, c.Before.Version)
	}
	for _, h := range []*domain.Household{c.Before, c.After} {
		if h != nil && (h.Code != "" && h.Code != c.Code || h.Committee != "" && h.Committee != c.Committee) {
			return fmt.Errorf("apply %s %s: household %s/%s does not match change %s/%s",
				c.Kind, c.OpID, h.Committee, h.Code, c.Committee, c.Code)
		}
	}
	return nil
}

// applyArgv is ARGV of applyScript, by name; argv lays it out in the
// order the script reads (see applyScript).
type applyArgv struct {
	code         string // 1
	expected     string // 2: Before's version, "" when the code must be free
	afterValue   string // 3: "<version>|<packed household>", "" deletes
	beforeHead   string // 4: "=" + head, "" for none
	afterHead    string // 5: likewise
	todo         bot.TodoDelta
	todoScore    float64 // 7
	opID         string
	result       string // 9: packed
	opBucketMS   int64  // 10: ms until the current op bucket expires
	undo         bot.UndoAction
	undoRecord   string // 12: packed UndoRecord JSON, for UndoPush
	auditMaxLen  int
	auditTime    string // 14
	auditEntry   string // 15
	counterDelta map[string]int64
}

func (a applyArgv) argv() []any {
	args := []any{
		a.code, a.expected, a.afterValue, a.beforeHead, a.afterHead, int(a.todo), a.todoScore,
		a.opID, a.result, a.opBucketMS, string(a.undo), a.undoRecord, a.auditMaxLen,
		a.auditTime, a.auditEntry,
	}
	return appendDeltas(args, a.counterDelta)
}

// applyArgs lays out ARGV for applyScript.
func (s *Store) applyArgs(c bot.Change, now time.Time) ([]any, error) {
	a := applyArgv{
		code: c.Code, todo: c.Todo, todoScore: codeScore(c.Code), opID: c.OpID, result: pack(c.Result),
		opBucketMS: s.opBucketTTL(now).Milliseconds(), undo: c.Undo, auditMaxLen: auditMaxLen,
		auditTime: auditTime(c.At), auditEntry: auditEntry(c.Kind, c.Actor, c.OpID, c.Audit), counterDelta: c.Deltas,
	}
	var afterVersion int64
	if c.Before != nil {
		a.expected = strconv.FormatInt(c.Before.Version, 10)
		a.beforeHead = "=" + c.Before.Head
	}
	if c.After != nil {
		frame, err := packHousehold(*c.After)
		if err != nil {
			return nil, fmt.Errorf("apply %s %s: encode household: %w", c.Kind, c.OpID, err)
		}
		afterVersion = c.After.Version
		a.afterValue = strconv.FormatInt(afterVersion, 10) + "|" + frame
		a.afterHead = "=" + c.After.Head
	}
	if c.Undo == bot.UndoPush {
		b, err := json.Marshal(bot.UndoRecord{
			OpID: c.OpID, Kind: c.Kind, Committee: c.Committee, Code: c.Code,
			Before: c.Before, AfterVersion: afterVersion, At: c.At,
		})
		if err != nil {
			return nil, fmt.Errorf("apply %s %s: encode undo record: %w", c.Kind, c.OpID, err)
		}
		a.undoRecord = pack(string(b))
	}
	return a.argv(), nil
}

// appendDeltas adds the non-zero counter deltas to a script's arguments
// as field, delta pairs, in field order so the same change always makes
// the same call.
func appendDeltas(args []any, deltas map[string]int64) []any {
	fields := make([]string, 0, len(deltas))
	for f, d := range deltas {
		if d != 0 {
			fields = append(fields, f)
		}
	}
	sort.Strings(fields)
	for _, f := range fields {
		args = append(args, f, deltas[f])
	}
	return args
}

// evalPiped runs script by EVALSHA in one pipeline with the commands more
// adds, and again by EVAL alone when Redis has not cached the script (after
// a restart or failover); the other commands have run either way. It
// returns the script's reply; errors of the other commands are left in
// their Cmds.
func (s *Store) evalPiped(ctx context.Context, script *redis.Script, keys []string, args []any, more func(redis.Pipeliner)) (any, error) {
	pipe := s.client.Pipeline()
	run := script.EvalSha(ctx, pipe, keys, args...)
	more(pipe)
	_, _ = pipe.Exec(ctx) // each command's error is read from its Cmd
	reply, err := run.Result()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		reply, err = script.Eval(ctx, s.client, keys, args...).Result()
	}
	return reply, err
}

// parseApplied reads applyScript's reply.
func parseApplied(reply any) (status, result string, ctr domain.Counters, err error) {
	r, ok := reply.([]any)
	if !ok || len(r) == 0 {
		return "", "", nil, fmt.Errorf("unexpected script reply %T", reply)
	}
	status, _ = r[0].(string)
	switch status {
	case "conflict":
		return status, "", nil, nil
	case "ok", "replay":
		if len(r) != 3 {
			return "", "", nil, fmt.Errorf("unexpected script reply of %d values", len(r))
		}
		packed, _ := r[1].(string)
		if result, err = unpack(packed); err != nil {
			return "", "", nil, fmt.Errorf("result: %w", err)
		}
		flat, _ := r[2].([]any)
		ctr, err = parseCounters(flat)
		return status, result, ctr, err
	}
	return "", "", nil, fmt.Errorf("unexpected script status %q", status)
}

// decodeHousehold reads a stored household: "<version>|<household frame>"
// (see packHousehold); the version is for the script to compare.
func decodeHousehold(v string) (domain.Household, error) {
	if version, frame, ok := strings.Cut(v, "|"); ok && version != "" && strings.Trim(version, "0123456789") == "" {
		v = frame
	}
	return unpackHousehold(v)
}

// auditTime is a change's campaign time as the audit stream keeps it:
// Unix nanoseconds, which Redis stores as an integer in half the bytes of
// RFC 3339.
func auditTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// parseAuditTime reads what auditTime wrote.
func parseAuditTime(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// auditSep separates the parts of a packed audit entry. Kinds, userids
// and op ids never contain it; a detail that does keeps it, being last.
const auditSep = "\x1f"

// auditEntry is an audit line's kind, actor, op id and detail as the
// stream keeps them: one packed value, in which the actor and message id
// that the detail repeats cost almost nothing.
func auditEntry(kind bot.ChangeKind, actor, opID, detail string) string {
	return pack(string(kind) + auditSep + actor + auditSep + opID + auditSep + detail)
}

// codeScore orders the not-yet-visited set: codes come from a sequence, so
// the smallest is the oldest registration. A code that is not a number
// sorts first (by text among its kind).
func codeScore(code string) float64 {
	n, err := strconv.ParseUint(code, 10, 64)
	if err != nil {
		return 0
	}
	return float64(n)
}
