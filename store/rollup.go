package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/schedule"
)

// The street rollup. City-wide 进度 must not add up thousands of
// committees' counters per request, so the store keeps the street's sums,
// and its committees in the order 进度 lists them, as changes are applied.
//
// Every key of the rollup has the hash tag {r}. No key can share a slot
// with every committee's keys, so a change reaches the rollup in a second
// step, right after the committee's script: that script counts the change
// in the committee's counter version (P{c:C}:ctrv) and returns the
// counters it left, and the rollup script (rollupAddScript) replaces what
// it last added in for the committee with them, unless it has added in
// that version or a later one before. Each step is atomic, and the second
// is idempotent and order-free: concurrent changes to one committee may
// reach the rollup in any order, a repeat changes nothing, and a later
// change of the committee brings a missed one along. A second step that
// fails (Redis gone for that one call) is logged and retried before the
// store's next rollup read; a process that dies between the two steps
// leaves the committee behind until its next change or RebuildRollup,
// which the bot runs when it starts on a store whose rollup was never built.
//
// The rollup holds, besides the sums, each committee's last counters (to
// replace them) and, for the committees with any counter, the group of
// committee tasks they have done: a sorted set per group orders its
// committees as 进度 does among committees with the same tasks overdue,
// so the worst committees of the street are the first few of each group.

// rollupFields are the counters the groups and their order are read from,
// as schedule.CommitteeStatus reads them.
var rollupFields = fmt.Sprintf("local HH, VIS, SHORT, REP = %q, %q, %q, %q\n",
	domain.CtrHouseholds, domain.CtrVisited, domain.CtrShort, schedule.ReportedCounter(""))

// rollupLua is what the rollup scripts share: a committee's group (which
// measured committee tasks it has done: every household visited, nothing
// short-paid, the tasks it reported), its score in the group's sorted set
// (none registered first, then the share visited) and its member there
// (more unpaid first, then the name: members of equal score sort by
// bytes).
const rollupLua = `
local function group(t)
  local hh = t[HH] or 0
  local g = (hh ~= 0 and hh - (t[VIS] or 0) <= 0) and 'v' or '-'
  g = g .. ((hh ~= 0 and (t[SHORT] or 0) <= 0) and 'p' or '-')
  local rep = {}
  for f, n in pairs(t) do
    if n > 0 and string.find(f, REP, 1, true) == 1 then rep[#rep + 1] = string.sub(f, #REP + 1) end
  end
  table.sort(rep)
  return g .. ':' .. table.concat(rep, ',')
end
local function score(t)
  local hh, vis = t[HH] or 0, t[VIS] or 0
  if hh == 0 then return string.format('%.0f', vis - 1e12) end
  return string.format('%.17g', vis / hh)
end
local function member(t, c)
  local s = string.format('%.0f', 4e15 - (t[SHORT] or 0))
  return string.rep('0', 16 - #s) .. s .. c
end
`

// rollupMemberPad is how many bytes of a group's member come before the
// committee's name (see member in rollupLua).
const rollupMemberPad = 16

// rollupAddScript puts a committee's counters into the rollup.
// KEYS: 1 snapshots, 2 sums, 3 groups, 4 members, 5 epoch, and on a
// single server 6 the committee's counters and 7 its counter version,
// read here instead of ARGV's.
// ARGV: 1 committee, 2 counter version, 3 the groups' key prefix, 4 "1"
// for the street's own counters (summed, in no group), then field, value
// pairs of the counters. Returns the version the rollup has for the
// committee after it: this one, or a later one it had already.
var rollupAddScript = redis.NewScript(rollupFields + rollupLua + `
local c, v, flat, from = ARGV[1], tonumber(ARGV[2]), ARGV, 5
if #KEYS == 7 then
  v, flat, from = tonumber(redis.call('GET', KEYS[7]) or '0'), redis.call('HGETALL', KEYS[6]), 1
end
local prev = redis.call('HGET', KEYS[1], c)
local old = {}
if prev then
  local sep = string.find(prev, '|', 1, true)
  local had = tonumber(string.sub(prev, 1, sep - 1))
  if had >= v then return had end
  old = cjson.decode(string.sub(prev, sep + 1))
end
local new, has = {}, false
for i = from, #flat, 2 do
  local n = tonumber(flat[i + 1])
  if n ~= 0 then
    new[flat[i]] = n
    has = true
  end
end
for f, n in pairs(new) do
  local d = n - (old[f] or 0)
  if d ~= 0 then redis.call('HINCRBY', KEYS[2], f, d) end
end
for f, n in pairs(old) do
  if new[f] == nil then redis.call('HINCRBY', KEYS[2], f, -n) end
end
if ARGV[4] ~= '1' then
  local had = next(old) ~= nil
  local gold, mold, gnew, mnew
  if had then gold, mold = group(old), member(old, c) end
  if has then gnew, mnew = group(new), member(new, c) end
  if had and (not has or gold ~= gnew or mold ~= mnew) then
    redis.call('ZREM', ARGV[3] .. gold, mold)
    if gold ~= gnew and redis.call('HINCRBY', KEYS[3], gold, -1) <= 0 then redis.call('HDEL', KEYS[3], gold) end
  end
  if has and (gold ~= gnew or mold ~= mnew or score(old) ~= score(new)) then
    redis.call('ZADD', ARGV[3] .. gnew, score(new), mnew)
    if gold ~= gnew then redis.call('HINCRBY', KEYS[3], gnew, 1) end
  end
  if had ~= has then
    if has then redis.call('SADD', KEYS[4], c) else redis.call('SREM', KEYS[4], c) end
    redis.call('INCR', KEYS[5])
  end
end
redis.call('HSET', KEYS[1], c, string.format('%d', v) .. '|' .. cjson.encode(new))
return v
`)

// rollupReadScript reads the rollup in one step.
// KEYS: 1 snapshots, 2 sums, 3 groups, 4 epoch.
// ARGV: 1 the groups' key prefix, 2 committees to list per group, 3 the
// street's own name.
// Returns {sums as HGETALL, the street's snapshot or "", epoch, {group,
// count, {committee, snapshot, …}}, …}.
var rollupReadScript = redis.NewScript(`
local out = {redis.call('HGETALL', KEYS[2]), redis.call('HGET', KEYS[1], ARGV[3]) or '',
  tonumber(redis.call('GET', KEYS[4]) or '0')}
local top = tonumber(ARGV[2])
local groups = redis.call('HGETALL', KEYS[3])
for i = 1, #groups, 2 do
  local list = {}
  if top > 0 then
    local names = {}
    for j, m in ipairs(redis.call('ZRANGE', ARGV[1] .. groups[i], 0, top - 1)) do
      names[j] = string.sub(m, ` + strconv.Itoa(rollupMemberPad+1) + `)
    end
    for from = 1, #names, 1000 do -- unpack has a limit
      local to = math.min(from + 999, #names)
      local snaps = redis.call('HMGET', KEYS[1], unpack(names, from, to))
      for j = from, to do
        list[#list + 1] = names[j]
        list[#list + 1] = snaps[j - from + 1] or ''
      end
    end
  end
  out[#out + 1] = {groups[i], tonumber(groups[i + 1]), list}
end
return out
`)

// rosterScript returns the epoch and the committees of ARGV that are not
// members. KEYS: 1 members, 2 epoch.
var rosterScript = redis.NewScript(`
local out = {tonumber(redis.call('GET', KEYS[2]) or '0')}
for _, c in ipairs(ARGV) do
  if redis.call('SISMEMBER', KEYS[1], c) == 0 then out[#out + 1] = c end
end
return out
`)

// versionedScript reads a committee's counter version and counters in one
// step. KEYS: 1 counter version, 2 counters. Returns {version, counters}.
var versionedScript = redis.NewScript(`
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('HGETALL', KEYS[2])}
`)

// rollupState is what the store keeps in memory about the rollup: the
// committees whose second step failed, and the roster's missing
// committees as of a members epoch.
type rollupState struct {
	mu      sync.Mutex
	dirty   map[string]bool
	epoch   int64
	roster  []string
	missing []string
}

func (s *Store) rollupKeys() []string {
	return []string{s.k.rollupSnaps(), s.k.rollupSums(), s.k.rollupGroups(), s.k.rollupMembers(), s.k.rollupEpoch()}
}

// rollupArgs lays out rollupAddScript's ARGV.
func (s *Store) rollupArgs(committee string, version int64, ctr domain.Counters) []any {
	street := "0"
	if committee == bot.StreetCommittee {
		street = "1"
	}
	args := make([]any, 0, 4+2*len(ctr))
	args = append(args, committee, version, s.k.rollupWorst(""), street)
	return appendDeltas(args, ctr)
}

// queueRollup queues, on a single server (or Sentinel's master), the
// rollup's step in the pipeline of a committee's script, right after it:
// it reads the committee's counters itself, so the change reaches the
// rollup in the same round trip. On a cluster it queues nothing: the keys
// are in two slots, and finishRollup takes the second step.
func (s *Store) queueRollup(ctx context.Context, p redis.Pipeliner, committee string) *redis.Cmd {
	if s.cluster {
		return nil
	}
	keys := append(s.rollupKeys(), s.k.counters(committee), s.k.counterVersion(committee))
	return rollupAddScript.EvalSha(ctx, p, keys, s.rollupArgs(committee, 0, nil)...)
}

// finishRollup makes sure a change of version (0: the counters did not
// change) is in the rollup: done when the queued step ran after it, else
// the second step (see above).
func (s *Store) finishRollup(ctx context.Context, queued *redis.Cmd, committee string, version int64, ctr domain.Counters) {
	if version <= 0 {
		return
	}
	if queued != nil {
		// The queued step ran before the change when the change's
		// script had to be sent again (NOSCRIPT): then it is taken now.
		if had, err := queued.Int64(); err == nil && had >= version {
			return
		}
	}
	s.addToRollup(ctx, committee, version, ctr)
}

// addToRollup is a change's second step (see above): version 0 means the
// counters did not change.
func (s *Store) addToRollup(ctx context.Context, committee string, version int64, ctr domain.Counters) {
	if version <= 0 {
		return
	}
	err := rollupAddScript.Run(ctx, s.client, s.rollupKeys(), s.rollupArgs(committee, version, ctr)...).Err()
	if err != nil {
		s.log.Warn("add to street rollup, retried before the next read", "committee", committee, "err", err)
		s.rollup.mu.Lock()
		if s.rollup.dirty == nil {
			s.rollup.dirty = map[string]bool{}
		}
		s.rollup.dirty[committee] = true
		s.rollup.mu.Unlock()
	}
}

// versioned reads committees' counter versions and counters, pipelined
// (the client sends each cluster node its share).
func (s *Store) versioned(ctx context.Context, committees []string) ([]int64, []domain.Counters, error) {
	cmds := make([]*redis.Cmd, len(committees))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range committees {
			cmds[i] = versionedScript.Eval(ctx, p, []string{s.k.counterVersion(c), s.k.counters(c)})
		}
		return nil
	})
	if err != nil {
		return nil, nil, fail("read counters of every committee", err)
	}
	versions := make([]int64, len(committees))
	ctrs := make([]domain.Counters, len(committees))
	for i, cmd := range cmds {
		if versions[i], ctrs[i], err = parseVersioned(cmd.Val()); err != nil {
			return nil, nil, fmt.Errorf("read counters of %s: %w", committees[i], err)
		}
	}
	return versions, ctrs, nil
}

// flushRollup runs again the second steps that failed.
func (s *Store) flushRollup(ctx context.Context) {
	s.rollup.mu.Lock()
	dirty := slices.Sorted(maps.Keys(s.rollup.dirty))
	s.rollup.mu.Unlock()
	if len(dirty) == 0 {
		return
	}
	versions, ctrs, err := s.versioned(ctx, dirty)
	if err != nil {
		s.log.Warn("read counters for the street rollup", "err", err)
		return
	}
	for i, c := range dirty {
		if err := rollupAddScript.Run(ctx, s.client, s.rollupKeys(), s.rollupArgs(c, versions[i], ctrs[i])...).Err(); err != nil {
			s.log.Warn("add to street rollup", "committee", c, "err", err)
			continue
		}
		s.rollup.mu.Lock()
		delete(s.rollup.dirty, c)
		s.rollup.mu.Unlock()
	}
}

// Rollup reads the street rollup (see bot.CounterStore): one script on the
// rollup's slot, and a second one for the roster when the set of
// committees with counters has changed since the last read.
func (s *Store) Rollup(ctx context.Context, roster []string, top int) (bot.Rollup, error) {
	s.flushRollup(ctx)
	keys := []string{s.k.rollupSnaps(), s.k.rollupSums(), s.k.rollupGroups(), s.k.rollupEpoch()}
	reply, err := rollupReadScript.Run(ctx, s.client, keys, s.k.rollupWorst(""), top, bot.StreetCommittee).Result()
	if err != nil {
		return bot.Rollup{}, fail("read street rollup", err)
	}
	r, epoch, err := parseRollup(reply)
	if err != nil {
		return bot.Rollup{}, fmt.Errorf("read street rollup: %w", err)
	}
	if r.Missing, err = s.rosterMissing(ctx, roster, epoch); err != nil {
		return bot.Rollup{}, err
	}
	return r, nil
}

// rosterMissing returns the committees of roster that are not members, as
// of epoch or later, sorted; it reads them again only when the members
// have changed (or the roster has). The slice is shared: do not change it.
func (s *Store) rosterMissing(ctx context.Context, roster []string, epoch int64) ([]string, error) {
	if len(roster) == 0 {
		return nil, nil
	}
	st := &s.rollup
	st.mu.Lock()
	if st.epoch == epoch && slices.Equal(st.roster, roster) {
		missing := st.missing
		st.mu.Unlock()
		return missing, nil
	}
	st.mu.Unlock()
	args := make([]any, len(roster))
	for i, c := range roster {
		args[i] = c
	}
	reply, err := rosterScript.Run(ctx, s.client, []string{s.k.rollupMembers(), s.k.rollupEpoch()}, args...).Slice()
	if err != nil {
		return nil, fail("read the committees in the street rollup", err)
	}
	now, _ := reply[0].(int64)
	missing := make([]string, 0, len(reply)-1)
	for _, v := range reply[1:] {
		c, _ := v.(string)
		missing = append(missing, c)
	}
	slices.Sort(missing)
	st.mu.Lock()
	if now >= st.epoch {
		st.epoch, st.roster, st.missing = now, slices.Clone(roster), missing
	}
	st.mu.Unlock()
	return missing, nil
}

// parseRollup reads rollupReadScript's reply.
func parseRollup(reply any) (bot.Rollup, int64, error) {
	r, ok := reply.([]any)
	if !ok || len(r) < 3 {
		return bot.Rollup{}, 0, fmt.Errorf("unexpected script reply %T", reply)
	}
	var out bot.Rollup
	var err error
	flat, _ := r[0].([]any)
	if out.Sum, err = parseCounters(flat); err != nil {
		return bot.Rollup{}, 0, err
	}
	street, _ := r[1].(string)
	if out.Street, err = parseSnapshot(street); err != nil {
		return bot.Rollup{}, 0, err
	}
	epoch, _ := r[2].(int64)
	for _, g := range r[3:] {
		gr, _ := g.([]any)
		if len(gr) != 3 {
			return bot.Rollup{}, 0, fmt.Errorf("unexpected group of %d values", len(gr))
		}
		n, _ := gr[1].(int64)
		list, _ := gr[2].([]any)
		group := bot.RollupGroup{Count: int(n), Worst: make([]bot.CommitteeCounters, 0, len(list)/2)}
		for i := 0; i+1 < len(list); i += 2 {
			name, _ := list[i].(string)
			snap, _ := list[i+1].(string)
			ctr, err := parseSnapshot(snap)
			if err != nil {
				return bot.Rollup{}, 0, fmt.Errorf("rollup of %s: %w", name, err)
			}
			group.Worst = append(group.Worst, bot.CommitteeCounters{Name: name, Counters: ctr})
		}
		out.Groups = append(out.Groups, group)
	}
	// In an order of their own, not the hash's.
	slices.SortFunc(out.Groups, func(x, y bot.RollupGroup) int {
		if len(x.Worst) == 0 || len(y.Worst) == 0 {
			return len(y.Worst) - len(x.Worst)
		}
		return strings.Compare(x.Worst[0].Name, y.Worst[0].Name)
	})
	return out, epoch, nil
}

// parseSnapshot reads "<version>|<counters as JSON>" ("" for none).
func parseSnapshot(v string) (domain.Counters, error) {
	ctr := domain.Counters{}
	_, js, _ := strings.Cut(v, "|")
	if js == "" || js == "{}" || js == "[]" { // Lua's JSON cannot tell an empty object from an empty array
		return ctr, nil
	}
	if err := json.Unmarshal([]byte(js), &ctr); err != nil {
		return nil, fmt.Errorf("counters snapshot: %w", err)
	}
	maps.DeleteFunc(ctr, func(_ string, n int64) bool { return n == 0 })
	return ctr, nil
}

// RebuildRollup makes the street rollup again from every committee's
// counters: after an upgrade from a version without it, or to repair it
// (see CheckRollup). Changes applied meanwhile are kept: the rollup is
// emptied first, then each committee's counters are read and added in
// with their version, and a change's own second step wins when its
// version is later. It returns how many committees it added in.
func (s *Store) RebuildRollup(ctx context.Context) (int, error) {
	groups, err := s.client.HKeys(ctx, s.k.rollupGroups()).Result()
	if err != nil {
		return 0, fail("read rollup groups", err)
	}
	del := []string{s.k.rollupSnaps(), s.k.rollupSums(), s.k.rollupGroups(), s.k.rollupMembers()}
	for _, g := range groups {
		del = append(del, s.k.rollupWorst(g))
	}
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range del {
			p.Del(ctx, k)
		}
		p.Incr(ctx, s.k.rollupEpoch())
		return nil
	})
	if err != nil {
		return 0, fail("empty the street rollup", err)
	}
	committees, err := s.client.SMembers(ctx, s.k.committees()).Result()
	if err != nil {
		return 0, fail("read committees", err)
	}
	slices.Sort(committees)
	versions, ctrs, err := s.versioned(ctx, committees)
	if err != nil {
		return 0, err
	}
	// Pipelined, a few hundred committees at a time. A committee whose
	// counters never changed since the upgrade has version 0, below any
	// change's.
	if err := rollupAddScript.Load(ctx, s.client).Err(); err != nil {
		return 0, fail("load the rollup script", err)
	}
	n := 0
	for from := 0; from < len(committees); from += rebuildBatch {
		batch := committees[from:min(from+rebuildBatch, len(committees))]
		cmds := make([]*redis.Cmd, len(batch))
		_, _ = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, c := range batch {
				cmds[i] = rollupAddScript.EvalSha(ctx, p, s.rollupKeys(), s.rollupArgs(c, versions[from+i], ctrs[from+i])...)
			}
			return nil
		})
		for i, cmd := range cmds {
			err := cmd.Err()
			if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") { // the script cache was flushed meanwhile
				err = rollupAddScript.Run(ctx, s.client, s.rollupKeys(), s.rollupArgs(batch[i], versions[from+i], ctrs[from+i])...).Err()
			}
			if err != nil {
				return n, fail("add "+batch[i]+" to the street rollup", err)
			}
			n++
		}
	}
	if err := s.client.Set(ctx, s.k.rollupBuilt(), "1", 0).Err(); err != nil {
		return n, fail("mark the street rollup built", err)
	}
	s.rollup.mu.Lock()
	s.rollup.dirty = nil
	s.rollup.mu.Unlock()
	return n, nil
}

// rebuildBatch is how many committees RebuildRollup adds in per round trip.
const rebuildBatch = 256

// EnsureRollup rebuilds the street rollup unless it was built before: the
// first start of a version with the rollup on existing data. An empty
// store is left empty (a measurement may want it so); its first changes
// build the rollup as they go, and a later start marks it built.
func (s *Store) EnsureRollup(ctx context.Context) error {
	var built, committees *redis.IntCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		built = p.Exists(ctx, s.k.rollupBuilt())
		committees = p.SCard(ctx, s.k.committees())
		return nil
	})
	if err != nil {
		return fail("look for the street rollup", err)
	}
	if built.Val() > 0 || committees.Val() == 0 {
		return nil
	}
	added, err := s.RebuildRollup(ctx)
	if err != nil {
		return err
	}
	s.log.Info("built the street rollup", "committees", added)
	return nil
}

// CheckRollup compares the street rollup with every committee's counters,
// read now: the sums, the street's own counters, each committee's counters
// in the rollup, its group and its place there. It returns the
// differences, in words; none when the rollup is right. Changes applied
// while it runs can show up as differences: check a quiet store.
func (s *Store) CheckRollup(ctx context.Context) ([]string, error) {
	committees, err := s.client.SMembers(ctx, s.k.committees()).Result()
	if err != nil {
		return nil, fail("read committees", err)
	}
	slices.Sort(committees)
	_, ctrs, err := s.versioned(ctx, committees)
	if err != nil {
		return nil, err
	}
	r, err := s.Rollup(ctx, committees, len(committees)+1)
	if err != nil {
		return nil, err
	}
	var diffs []string
	differ := func(what string, want, got domain.Counters) {
		for _, k := range slices.Sorted(maps.Keys(domain.Sub(want, got))) {
			diffs = append(diffs, fmt.Sprintf("%s: %s is %d in the rollup, %d in the counters", what, k, got[k], want[k]))
		}
	}
	sum, street := domain.Counters{}, domain.Counters{}
	want := map[string]domain.Counters{}
	for i, c := range committees {
		sum.Add(ctrs[i])
		switch {
		case c == bot.StreetCommittee:
			street = ctrs[i]
		case len(ctrs[i]) > 0:
			want[c] = ctrs[i]
		}
	}
	differ("sum", sum, r.Sum)
	differ("the street's own", street, r.Street)
	got := map[string]bool{}
	groups := map[string]bool{}
	for _, g := range r.Groups {
		if g.Count != len(g.Worst) {
			diffs = append(diffs, fmt.Sprintf("a group counts %d committees and lists %d", g.Count, len(g.Worst)))
		}
		if len(g.Worst) == 0 {
			continue
		}
		key := rollupGroup(g.Worst[0].Counters)
		if groups[key] {
			diffs = append(diffs, fmt.Sprintf("two groups %q", key))
		}
		groups[key] = true
		for i, c := range g.Worst {
			got[c.Name] = true
			differ(c.Name, want[c.Name], c.Counters)
			if k := rollupGroup(c.Counters); k != key {
				diffs = append(diffs, fmt.Sprintf("%s is in group %q, not %q", c.Name, key, k))
			}
			if i > 0 && rollupOrder(g.Worst[i-1], c) > 0 {
				diffs = append(diffs, fmt.Sprintf("%s is listed before %s", g.Worst[i-1].Name, c.Name))
			}
		}
	}
	for _, c := range slices.Sorted(maps.Keys(want)) {
		if !got[c] {
			diffs = append(diffs, c+" has counters but is in no group")
		}
	}
	for _, c := range r.Missing {
		if len(want[c]) > 0 {
			diffs = append(diffs, c+" has counters but the rollup misses it")
		}
	}
	return diffs, nil
}

// rollupGroup is group in rollupLua, for CheckRollup.
func rollupGroup(t domain.Counters) string {
	hh := t[domain.CtrHouseholds]
	g := "-"
	if hh != 0 && hh-t[domain.CtrVisited] <= 0 {
		g = "v"
	}
	if hh != 0 && t[domain.CtrShort] <= 0 {
		g += "p"
	} else {
		g += "-"
	}
	var rep []string
	for f, n := range t {
		if id, ok := strings.CutPrefix(f, schedule.ReportedCounter("")); ok && n > 0 {
			rep = append(rep, id)
		}
	}
	slices.Sort(rep)
	return g + ":" + strings.Join(rep, ",")
}

// rollupOrder is the order of a group's sorted set, for CheckRollup: none
// registered first, then the lower share visited, more unpaid, the name.
func rollupOrder(x, y bot.CommitteeCounters) int {
	xh, yh := x.Counters[domain.CtrHouseholds], y.Counters[domain.CtrHouseholds]
	xv, yv := x.Counters[domain.CtrVisited], y.Counters[domain.CtrVisited]
	if (xh == 0) != (yh == 0) {
		if xh == 0 {
			return -1
		}
		return 1
	}
	if c := cmpInt(xv*max(yh, 1), yv*max(xh, 1)); c != 0 {
		return c
	}
	if c := cmpInt(y.Counters[domain.CtrShort], x.Counters[domain.CtrShort]); c != 0 {
		return c
	}
	return strings.Compare(x.Name, y.Name)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// isCluster reports whether client spreads keys over a Redis Cluster.
func isCluster(client redis.UniversalClient) bool {
	_, ok := client.(*redis.ClusterClient)
	return ok
}
