package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
)

// addOnceScript is bot.CounterChange as one atomic step on the committee's
// slot: the op marker decides, so a re-delivered donation is never added
// twice, and the counters come back read in the same step. Op markers and
// audit lines are kept as Apply keeps them (see applyScript).
//
// KEYS: 1 counters, 2 audit stream, 3 counter version, 4 the op bucket
// written now, 5… older op buckets still within the op TTL.
// ARGV: 1 op id, 2 result, 3 ms until the current op bucket expires, 4
// audit max length, 5 audit time, 6 audit entry ("" = none), then field,
// delta pairs.
// Returns {"replay", stored result, counters} or {"ok", result, counters,
// counter version} (0 when there were no deltas).
var addOnceScript = redis.NewScript(addCountersLua + `
local op = ARGV[1]
for i = 4, #KEYS do
  local done = redis.call('HGET', KEYS[i], op)
  if done then
    return {'replay', done, redis.call('HGETALL', KEYS[1])}
  end
end
local version = addCounters(KEYS[1], KEYS[3], 7)
redis.call('HSET', KEYS[4], op, ARGV[2])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
if ARGV[6] ~= '' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'at', ARGV[5], 'e', ARGV[6])
end
return {'ok', ARGV[2], redis.call('HGETALL', KEYS[1]), version}
`)

// AddCountersOnce applies c (see bot.Store): one script on the committee's
// slot, pipelined with recording the committee for AllCounters.
func (s *Store) AddCountersOnce(ctx context.Context, c bot.CounterChange) (bot.Applied, error) {
	if c.OpID == "" || c.Committee == "" {
		return bot.Applied{}, fmt.Errorf("add counters once %s: change needs OpID and Committee", c.Kind)
	}
	now := s.now()
	keys := append([]string{s.k.counters(c.Committee), s.k.audit(c.Committee), s.k.counterVersion(c.Committee)},
		s.opBuckets(c.Committee, now)...)
	entry := ""
	if c.Audit != "" {
		entry = auditEntry(c.Kind, c.Actor, c.OpID, c.Audit)
	}
	args := []any{c.OpID, pack(c.Result), s.opBucketTTL(now).Milliseconds(), auditMaxLen, auditTime(c.At), entry}
	args = appendDeltas(args, c.Deltas)
	var rollup *redis.Cmd
	reply, err := s.evalPiped(ctx, addOnceScript, keys, args, func(p redis.Pipeliner) {
		p.SAdd(ctx, s.k.committees(), c.Committee)
		rollup = s.queueRollup(ctx, p, c.Committee)
	})
	if err != nil {
		return bot.Applied{}, fail(fmt.Sprintf("add counters once %s %s", c.Kind, c.OpID), err)
	}
	status, result, ctr, version, err := parseApplied(reply)
	if err != nil {
		return bot.Applied{}, fmt.Errorf("add counters once %s %s: %w", c.Kind, c.OpID, err)
	}
	s.finishRollup(ctx, rollup, c.Committee, version, ctr)
	return bot.Applied{Replayed: status == "replay", Result: result, Counters: ctr}, nil
}

// AddAudit appends e to its committee's audit stream, bounded like the
// entries Apply writes.
func (s *Store) AddAudit(ctx context.Context, e bot.AuditEntry) error {
	if e.Committee == "" {
		return fmt.Errorf("add audit %s: entry needs a Committee", e.Kind)
	}
	err := s.client.XAdd(ctx, &redis.XAddArgs{
		Stream: s.k.audit(e.Committee), MaxLen: auditMaxLen, Approx: true,
		Values: []any{"at", auditTime(e.At), "e", auditEntry(e.Kind, e.Actor, e.OpID, e.Detail)},
	}).Err()
	if err != nil {
		return fail("add audit to "+e.Committee, err)
	}
	return nil
}

// PutPending keeps value for userID under kind for ttl.
func (s *Store) PutPending(ctx context.Context, userID, kind, value string, ttl time.Duration) error {
	if err := checkTTL("put pending "+kind, ttl); err != nil {
		return err
	}
	if err := s.client.Set(ctx, s.k.pending(kind, userID), value, ttl).Err(); err != nil {
		return fail("put pending "+kind+" of "+userID, err)
	}
	return nil
}

// TakePending removes and returns what PutPending kept, with one GETDEL so
// that of two concurrent 确认 only one sends. Needs Redis 6.2 or later.
func (s *Store) TakePending(ctx context.Context, userID, kind string) (string, error) {
	v, err := s.client.GetDel(ctx, s.k.pending(kind, userID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("pending %s of %s: %w", kind, userID, bot.ErrNotFound)
	}
	if err != nil {
		return "", fail("take pending "+kind+" of "+userID, err)
	}
	return v, nil
}

// RememberAsked keeps value as userID's last question for ttl without
// waiting for Redis: the SET rides in the next batch, which for a callback
// is the reply's own dedup write right after the answer (see
// batcher.later), so remembering costs no round trip of its own.
func (s *Store) RememberAsked(_ context.Context, userID, value string, ttl time.Duration) error {
	if err := checkTTL("remember question", ttl); err != nil {
		return err
	}
	k := s.k.asked(userID)
	if err := s.batch.later(func(p redis.Pipeliner) { p.Set(context.Background(), k, value, ttl) }); err != nil {
		return fail("remember question of "+userID, err)
	}
	return nil
}

// LastAsked returns what RememberAsked kept, or an error wrapping
// bot.ErrNotFound. It reads in a batch, behind any remembered question
// still waiting to be written.
func (s *Store) LastAsked(ctx context.Context, userID string) (string, error) {
	var get *redis.StringCmd
	if err := s.batch.do(ctx, func(p redis.Pipeliner) { get = p.Get(ctx, s.k.asked(userID)) }); err != nil {
		return "", fail("read last question of "+userID, err)
	}
	v, err := get.Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("last question of %s: %w", userID, bot.ErrNotFound)
	}
	if err != nil {
		return "", fail("read last question of "+userID, err)
	}
	return v, nil
}

// openRescueScript records a report under the next number unless the op
// marker names one already.
//
// KEYS: 1 reports, 2 open set, 3 sequence, 4 op marker, 5 alerted.
// ARGV: 1 report JSON, 2 op TTL in ms.
// Returns {"replay", number, JSON, alerted} or {"ok", number, JSON, ""};
// alerted is "" until MarkRescueAlerted.
var openRescueScript = redis.NewScript(`
local id = redis.call('GET', KEYS[4])
if id then
  return {'replay', id, redis.call('HGET', KEYS[1], id) or '', redis.call('HGET', KEYS[5], id) or ''}
end
id = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[1], id, ARGV[1])
redis.call('ZADD', KEYS[2], tonumber(id), id)
redis.call('SET', KEYS[4], id, 'PX', ARGV[2])
return {'ok', id, ARGV[1], ''}
`)

// OpenRescue records r unless opID recorded a report before.
func (s *Store) OpenRescue(ctx context.Context, opID string, r bot.RescueReport) (bot.RescueReport, bool, error) {
	if opID == "" {
		return bot.RescueReport{}, false, errors.New("open rescue report: needs an op id")
	}
	js, err := json.Marshal(r)
	if err != nil {
		return bot.RescueReport{}, false, fmt.Errorf("open rescue report: encode: %w", err)
	}
	keys := []string{s.k.rescueReports(), s.k.rescueOpen(), s.k.rescueSeq(), s.k.rescueOp(opID), s.k.rescueAlerted()}
	reply, err := openRescueScript.Run(ctx, s.client, keys, string(js), s.opTTL.Milliseconds()).StringSlice()
	if err != nil {
		return bot.RescueReport{}, false, fail("open rescue report", err)
	}
	if len(reply) != 4 {
		return bot.RescueReport{}, false, fmt.Errorf("open rescue report: reply of %d values", len(reply))
	}
	out, err := decodeRescue(reply[1], reply[2], "")
	if err != nil {
		return bot.RescueReport{}, false, err
	}
	if reply[3] != "" {
		if out.Alerted, err = time.Parse(time.RFC3339Nano, reply[3]); err != nil {
			return bot.RescueReport{}, false, fmt.Errorf("rescue report %s: alerted at %q: %w", out.ID, reply[3], err)
		}
	}
	return out, reply[0] == "ok", nil
}

// markRescueAlertedScript keeps the first time a report's alert reached
// someone.
//
// KEYS: 1 reports, 2 alerted. ARGV: 1 number, 2 time.
// Returns 0 when there is no such report, else 1.
var markRescueAlertedScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
return 1
`)

// MarkRescueAlerted records that report id's alert reached someone at at.
func (s *Store) MarkRescueAlerted(ctx context.Context, id string, at time.Time) error {
	keys := []string{s.k.rescueReports(), s.k.rescueAlerted()}
	n, err := markRescueAlertedScript.Run(ctx, s.client, keys, id, at.Format(time.RFC3339Nano)).Int()
	if err != nil {
		return fail("mark rescue report "+id+" alerted", err)
	}
	if n == 0 {
		return fmt.Errorf("rescue report %s: %w", id, bot.ErrNotFound)
	}
	return nil
}

// rescueTargetField is where rescueAlerted keeps when report id's alert
// reached target; report numbers are digits, so it never clashes with a
// report's own mark.
func rescueTargetField(id, target string) string { return id + "#" + target }

// MarkRescueTarget records that report id's alert reached target, once.
func (s *Store) MarkRescueTarget(ctx context.Context, id, target string, at time.Time) error {
	if err := s.client.HSetNX(ctx, s.k.rescueAlerted(), rescueTargetField(id, target), at.Format(time.RFC3339Nano)).Err(); err != nil {
		return fail("mark rescue report "+id+" reached "+target, err)
	}
	return nil
}

// RescueTargetsReached returns which of targets report id's alert reached.
func (s *Store) RescueTargetsReached(ctx context.Context, id string, targets []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(targets) == 0 {
		return out, nil
	}
	fields := make([]string, len(targets))
	for i, t := range targets {
		fields[i] = rescueTargetField(id, t)
	}
	vals, err := s.client.HMGet(ctx, s.k.rescueAlerted(), fields...).Result()
	if err != nil {
		return nil, fail("read targets of rescue report "+id, err)
	}
	for i, v := range vals {
		out[targets[i]] = v != nil
	}
	return out, nil
}

// closeRescueScript closes an open report once.
//
// KEYS: 1 reports, 2 closed, 3 open set. ARGV: 1 number, 2 closing JSON.
// Returns {"missing"}, {"closed", report, closing} when it was closed
// before, or {"ok", report, closing}.
var closeRescueScript = redis.NewScript(`
local r = redis.call('HGET', KEYS[1], ARGV[1])
if not r then return {'missing'} end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then
  return {'closed', r, redis.call('HGET', KEYS[2], ARGV[1])}
end
redis.call('ZREM', KEYS[3], ARGV[1])
return {'ok', r, ARGV[2]}
`)

// closing is what the closed hash keeps for a report.
type closing struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// CloseRescue closes report id.
func (s *Store) CloseRescue(ctx context.Context, id, userID string, at time.Time) (bot.RescueReport, bool, error) {
	js, err := json.Marshal(closing{By: userID, At: at})
	if err != nil {
		return bot.RescueReport{}, false, fmt.Errorf("close rescue report %s: encode: %w", id, err)
	}
	keys := []string{s.k.rescueReports(), s.k.rescueClosed(), s.k.rescueOpen()}
	reply, err := closeRescueScript.Run(ctx, s.client, keys, id, string(js)).StringSlice()
	if err != nil {
		return bot.RescueReport{}, false, fail("close rescue report "+id, err)
	}
	if len(reply) == 1 && reply[0] == "missing" {
		return bot.RescueReport{}, false, fmt.Errorf("rescue report %s: %w", id, bot.ErrNotFound)
	}
	if len(reply) != 3 {
		return bot.RescueReport{}, false, fmt.Errorf("close rescue report %s: reply of %d values", id, len(reply))
	}
	r, err := decodeRescue(id, reply[1], reply[2])
	if err != nil {
		return bot.RescueReport{}, false, err
	}
	return r, reply[0] == "ok", nil
}

// openRescuesScript counts the open reports and reads the oldest.
// KEYS: 1 open set, 2 reports. ARGV: limit.
// Returns {count, number, JSON, …}.
var openRescuesScript = redis.NewScript(`
local out = {redis.call('ZCARD', KEYS[1])}
local limit = tonumber(ARGV[1])
if limit <= 0 or out[1] == 0 then return out end
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, limit - 1)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
end
return out
`)

// OpenRescues returns up to limit open reports, oldest first, and how many
// are open, in one round trip.
func (s *Store) OpenRescues(ctx context.Context, limit int) ([]bot.RescueReport, int, error) {
	reply, err := openRescuesScript.Run(ctx, s.client, []string{s.k.rescueOpen(), s.k.rescueReports()}, limit).Slice()
	if err != nil {
		return nil, 0, fail("read open rescue reports", err)
	}
	if len(reply) == 0 || len(reply)%2 != 1 {
		return nil, 0, fmt.Errorf("read open rescue reports: reply of %d values", len(reply))
	}
	n, _ := reply[0].(int64)
	out := make([]bot.RescueReport, 0, len(reply)/2)
	for i := 1; i < len(reply); i += 2 {
		id, _ := reply[i].(string)
		js, _ := reply[i+1].(string)
		r, err := decodeRescue(id, js, "")
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, int(n), nil
}

// unalertedRescuesScript reads, of the newest open reports, those whose
// alert is not marked as having reached anyone.
// KEYS: 1 open set, 2 reports, 3 alerted. ARGV: how many of the newest.
// Returns {number, JSON, …}, newest first.
var unalertedRescuesScript = redis.NewScript(`
local out = {}
local n = tonumber(ARGV[1])
if n <= 0 then return out end
for _, id in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, n - 1)) do
  if redis.call('HEXISTS', KEYS[3], id) == 0 then
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
  end
end
return out
`)

// UnalertedRescues returns, of the newest open reports, those not marked
// alerted, oldest first.
func (s *Store) UnalertedRescues(ctx context.Context, newest int) ([]bot.RescueReport, error) {
	keys := []string{s.k.rescueOpen(), s.k.rescueReports(), s.k.rescueAlerted()}
	reply, err := unalertedRescuesScript.Run(ctx, s.client, keys, newest).StringSlice()
	if err != nil {
		return nil, fail("read unalerted rescue reports", err)
	}
	if len(reply)%2 != 0 {
		return nil, fmt.Errorf("read unalerted rescue reports: reply of %d values", len(reply))
	}
	out := make([]bot.RescueReport, 0, len(reply)/2)
	for i := len(reply) - 2; i >= 0; i -= 2 {
		r, err := decodeRescue(reply[i], reply[i+1], "")
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// decodeRescue builds a report from its number, its JSON and, when it is
// closed, the closing JSON.
func decodeRescue(id, js, closed string) (bot.RescueReport, error) {
	var r bot.RescueReport
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		return bot.RescueReport{}, fmt.Errorf("decode rescue report %s: %w", id, err)
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return bot.RescueReport{}, fmt.Errorf("rescue report number %q: %w", id, err)
	}
	r.ID = id
	if closed != "" {
		var c closing
		if err := json.Unmarshal([]byte(closed), &c); err != nil {
			return bot.RescueReport{}, fmt.Errorf("decode closing of rescue report %s: %w", id, err)
		}
		r.ClosedBy, r.ClosedAt = c.By, c.At
	}
	return r, nil
}
