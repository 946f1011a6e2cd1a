package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"songnuan/domain"
)

// Counters returns one committee's counters (zero fields left out).
func (s *Store) Counters(ctx context.Context, committee string) (domain.Counters, error) {
	m, err := s.client.HGetAll(ctx, s.k.counters(committee)).Result()
	if err != nil {
		return nil, fail("read counters of "+committee, err)
	}
	return countersFromMap(committee, m)
}

// AllCounters returns the counters of every committee that has any: the set
// of committees, then one pipelined HGETALL per committee. Its cost grows
// with committees, never with households.
func (s *Store) AllCounters(ctx context.Context) (map[string]domain.Counters, error) {
	committees, err := s.client.SMembers(ctx, s.k.committees()).Result()
	if err != nil {
		return nil, fail("read committees", err)
	}
	out := make(map[string]domain.Counters, len(committees))
	if len(committees) == 0 {
		return out, nil
	}
	cmds := make([]*redis.MapStringStringCmd, len(committees))
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range committees {
			cmds[i] = p.HGetAll(ctx, s.k.counters(c))
		}
		return nil
	})
	if err != nil {
		return nil, fail("read counters of every committee", err)
	}
	for i, c := range committees {
		ctr, err := countersFromMap(c, cmds[i].Val())
		if err != nil {
			return nil, err
		}
		if len(ctr) > 0 {
			out[c] = ctr
		}
	}
	return out, nil
}

// addCountersScript adds field, delta pairs (ARGV) to the counters hash
// (KEYS[1]) as one step, so a donation's fields land together or not at all.
var addCountersScript = redis.NewScript(`
for i = 1, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
return 0
`)

// AddCounters adds deltas to a committee's counters (donations, alerts) and
// records the committee for AllCounters, in one round trip.
func (s *Store) AddCounters(ctx context.Context, committee string, deltas map[string]int64) error {
	args := make([]any, 0, 2*len(deltas))
	for f, d := range deltas {
		if d != 0 {
			args = append(args, f, d)
		}
	}
	_, err := s.evalPiped(ctx, addCountersScript, []string{s.k.counters(committee)}, args, func(p redis.Pipeliner) {
		p.SAdd(ctx, s.k.committees(), committee)
	})
	if err != nil {
		return fail("add counters of "+committee, err)
	}
	return nil
}

// countersFromMap parses HGETALL of a counters hash.
func countersFromMap(committee string, m map[string]string) (domain.Counters, error) {
	c := make(domain.Counters, len(m))
	for f, v := range m {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("counter %s of %s: %w", f, committee, err)
		}
		if n != 0 {
			c[f] = n
		}
	}
	return c, nil
}

// parseCounters parses HGETALL of a counters hash as a script returns it.
func parseCounters(flat []any) (domain.Counters, error) {
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("counters reply of %d values", len(flat))
	}
	m := make(map[string]string, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		f, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		m[f] = v
	}
	return countersFromMap("", m)
}
