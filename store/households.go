package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
	"songnuan/domain"
)

// Household returns one household, or an error wrapping bot.ErrNotFound.
func (s *Store) Household(ctx context.Context, committee, code string) (domain.Household, error) {
	v, err := s.client.HGet(ctx, s.k.households(committee), code).Result()
	if errors.Is(err, redis.Nil) {
		return domain.Household{}, fmt.Errorf("household %s/%s: %w", committee, code, bot.ErrNotFound)
	}
	if err != nil {
		return domain.Household{}, fail(fmt.Sprintf("read household %s/%s", committee, code), err)
	}
	h, err := decodeHousehold(v)
	if err != nil {
		return domain.Household{}, fmt.Errorf("decode household %s/%s: %w", committee, code, err)
	}
	return h, nil
}

// findByHeadScript reads the codes the heads index lists for a head, and
// the households they name, in one round trip. KEYS: heads, households.
// ARGV: head. Returns the households' stored values.
var findByHeadScript = redis.NewScript(`
local out = {}
local list = redis.call('HGET', KEYS[1], ARGV[1])
if list then
  for code in string.gmatch(list, '[^,]+') do
    local h = redis.call('HGET', KEYS[2], code)
    if h then out[#out + 1] = h end
  end
end
return out
`)

// FindByHead returns the committee's households whose head is head, by
// code. It reads the heads index, never scans the households.
func (s *Store) FindByHead(ctx context.Context, committee, head string) ([]domain.Household, error) {
	keys := []string{s.k.heads(committee), s.k.households(committee)}
	reply, err := findByHeadScript.Run(ctx, s.client, keys, head).Slice()
	if err != nil {
		return nil, fail("find households by head in "+committee, err)
	}
	out := make([]domain.Household, 0, len(reply))
	for _, v := range reply {
		stored, _ := v.(string)
		h, err := decodeHousehold(stored)
		if err != nil {
			return nil, fmt.Errorf("decode household in %s: %w", committee, err)
		}
		out = append(out, h)
	}
	sortByCode(out)
	return out, nil
}

// Heads lists every household of a committee by code and head, ordered by
// code, from the heads index alone: one HGETALL, no household decoded. The
// bot reads free-form messages against it (周阿姨 → 周建华).
func (s *Store) Heads(ctx context.Context, committee string) ([]bot.HouseholdRef, error) {
	m, err := s.client.HGetAll(ctx, s.k.heads(committee)).Result()
	if err != nil {
		return nil, fail("read heads of "+committee, err)
	}
	out := make([]bot.HouseholdRef, 0, len(m))
	for head, codes := range m {
		for _, code := range strings.Split(codes, ",") {
			if code != "" {
				out = append(out, bot.HouseholdRef{Code: code, Head: head})
			}
		}
	}
	slices.SortFunc(out, func(a, b bot.HouseholdRef) int { return codeOrder(a.Code, b.Code) })
	return out, nil
}

// NextCode reserves the committee's next household code ("1", "2", …) and
// records the committee in the set AllCounters reads, in one round trip.
func (s *Store) NextCode(ctx context.Context, committee string) (string, error) {
	var n *redis.IntCmd
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		n = p.Incr(ctx, s.k.seq(committee))
		p.SAdd(ctx, s.k.committees(), committee)
		return nil
	})
	if err != nil {
		return "", fail("next household code in "+committee, err)
	}
	return strconv.FormatInt(n.Val(), 10), nil
}

// LastUndo returns the top of the user's undo stack in the committee of
// their latest undoable change, or an error wrapping bot.ErrNotFound.
func (s *Store) LastUndo(ctx context.Context, userID string) (bot.UndoRecord, error) {
	committee, err := s.client.Get(ctx, s.k.lastUndo(userID)).Result()
	if errors.Is(err, redis.Nil) {
		return bot.UndoRecord{}, fmt.Errorf("undo of %s: %w", userID, bot.ErrNotFound)
	}
	if err != nil {
		return bot.UndoRecord{}, fail("read undo pointer of "+userID, err)
	}
	v, err := s.client.LIndex(ctx, s.k.undo(committee, userID), 0).Result()
	if errors.Is(err, redis.Nil) {
		return bot.UndoRecord{}, fmt.Errorf("undo of %s in %s: %w", userID, committee, bot.ErrNotFound)
	}
	if err != nil {
		return bot.UndoRecord{}, fail("read undo stack of "+userID, err)
	}
	js, err := unpack(v)
	if err != nil {
		return bot.UndoRecord{}, fmt.Errorf("decode undo record of %s: %w", userID, err)
	}
	var r bot.UndoRecord
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		return bot.UndoRecord{}, fmt.Errorf("decode undo record of %s: %w", userID, err)
	}
	return r, nil
}

// unvisitedScript counts the not-yet-visited set and reads its first
// entries with their households, in one round trip. KEYS: todo, households.
// ARGV: limit. Returns {count, code, household JSON or "", …}.
var unvisitedScript = redis.NewScript(`
local out = {redis.call('ZCARD', KEYS[1])}
local limit = tonumber(ARGV[1])
if limit <= 0 or out[1] == 0 then return out end
for _, code in ipairs(redis.call('ZRANGE', KEYS[1], 0, limit - 1)) do
  out[#out + 1] = code
  out[#out + 1] = redis.call('HGET', KEYS[2], code) or ''
end
return out
`)

// Unvisited returns up to limit households of the committee not yet
// visited, oldest first, and how many there are in all.
func (s *Store) Unvisited(ctx context.Context, committee string, limit int) ([]bot.HouseholdRef, int, error) {
	keys := []string{s.k.todo(committee), s.k.households(committee)}
	reply, err := unvisitedScript.Run(ctx, s.client, keys, limit).Slice()
	if err != nil {
		return nil, 0, fail("read unvisited households of "+committee, err)
	}
	if len(reply) == 0 || len(reply)%2 != 1 {
		return nil, 0, fmt.Errorf("read unvisited households of %s: unexpected reply of %d values", committee, len(reply))
	}
	total, _ := reply[0].(int64)
	refs := make([]bot.HouseholdRef, 0, len(reply)/2)
	for i := 1; i < len(reply); i += 2 {
		code, _ := reply[i].(string)
		stored, _ := reply[i+1].(string)
		var h domain.Household
		if stored != "" {
			if h, err = decodeHousehold(stored); err != nil {
				return nil, 0, fmt.Errorf("decode household %s/%s: %w", committee, code, err)
			}
		}
		refs = append(refs, bot.HouseholdRef{Code: code, Head: h.Head})
	}
	return refs, int(total), nil
}

// Households returns every household of a committee by code, for exports.
func (s *Store) Households(ctx context.Context, committee string) ([]domain.Household, error) {
	all, err := s.client.HGetAll(ctx, s.k.households(committee)).Result()
	if err != nil {
		return nil, fail("read households of "+committee, err)
	}
	out := make([]domain.Household, 0, len(all))
	for code, stored := range all {
		h, err := decodeHousehold(stored)
		if err != nil {
			return nil, fmt.Errorf("decode household %s/%s: %w", committee, code, err)
		}
		out = append(out, h)
	}
	sortByCode(out)
	return out, nil
}

// Audit returns the committee's newest audit entries, newest first.
func (s *Store) Audit(ctx context.Context, committee string, limit int) ([]bot.AuditEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	msgs, err := s.client.XRevRangeN(ctx, s.k.audit(committee), "+", "-", int64(limit)).Result()
	if err != nil {
		return nil, fail("read audit of "+committee, err)
	}
	out := make([]bot.AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		str := func(f string) string { v, _ := m.Values[f].(string); return v }
		e := bot.AuditEntry{ID: m.ID, Committee: committee, At: parseAuditTime(str("at"))}
		text, err := unpack(str("e"))
		if err != nil {
			return nil, fmt.Errorf("decode audit entry %s of %s: %w", m.ID, committee, err)
		}
		parts := strings.SplitN(text, auditSep, 4)
		if len(parts) != 4 {
			return nil, fmt.Errorf("decode audit entry %s of %s: %d parts, want 4", m.ID, committee, len(parts))
		}
		e.Kind, e.Actor, e.OpID, e.Detail = bot.ChangeKind(parts[0]), parts[1], parts[2], parts[3]
		out = append(out, e)
	}
	return out, nil
}

// sortByCode orders households as they were registered.
func sortByCode(hs []domain.Household) {
	slices.SortFunc(hs, func(a, b domain.Household) int { return codeOrder(a.Code, b.Code) })
}

// codeOrder orders household codes by number, then as text.
func codeOrder(a, b string) int {
	return cmp.Or(cmp.Compare(codeScore(a), codeScore(b)), cmp.Compare(a, b))
}
