package store

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"songnuan/domain"
)

// AddMissingDays makes each committee's per-day counter fields
// (domain.DayVisits, domain.DayPaid) what its households' visits say, for
// a store whose visits were recorded before those fields existed; then
// the street rollup is rebuilt. Each committee is read and set while
// watching its counter version, so a change applied meanwhile makes it
// read again rather than count a visit twice. It returns how many
// committees it changed; run again, it changes none.
func (s *Store) AddMissingDays(ctx context.Context) (int, error) {
	committees, err := s.client.SMembers(ctx, s.k.committees()).Result()
	if err != nil {
		return 0, fail("read committees", err)
	}
	slices.Sort(committees)
	changed := 0
	for _, c := range committees {
		did, err := s.addMissingDays(ctx, c)
		if err != nil {
			return changed, err
		}
		if did {
			changed++
		}
	}
	if changed > 0 {
		if _, err := s.RebuildRollup(ctx); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// addMissingDays is AddMissingDays for one committee; true when it changed
// its counters.
func (s *Store) addMissingDays(ctx context.Context, committee string) (bool, error) {
	for range 20 {
		did := false
		err := s.client.Watch(ctx, func(tx *redis.Tx) error {
			hs, err := s.Households(ctx, committee)
			if err != nil {
				return err
			}
			have, err := tx.HGetAll(ctx, s.k.counters(committee)).Result()
			if err != nil {
				return fail("read counters of "+committee, err)
			}
			ctr, err := countersFromMap(committee, have)
			if err != nil {
				return err
			}
			diff := domain.Counters{}
			for i := range hs {
				for k, v := range domain.CounterFields(&hs[i]) {
					if isDayField(k) {
						diff[k] += v
					}
				}
			}
			for k, v := range ctr {
				if isDayField(k) {
					diff[k] -= v
				}
			}
			diff = domain.Sub(diff, nil)
			if len(diff) == 0 {
				return nil
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for k, v := range diff {
					p.HIncrBy(ctx, s.k.counters(committee), k, v)
				}
				p.Incr(ctx, s.k.counterVersion(committee))
				return nil
			})
			did = err == nil
			return err
		}, s.k.counterVersion(committee))
		if errors.Is(err, redis.TxFailedErr) {
			continue // a change landed meanwhile: read again
		}
		if err != nil {
			return false, fail("add the days of "+committee, err)
		}
		return did, nil
	}
	return false, errors.New("add the days of " + committee + ": it kept changing; run again on a quiet store")
}

// isDayField reports whether a counter field is a per-day one.
func isDayField(k string) bool {
	return strings.HasPrefix(k, domain.DayVisitsPrefix) || strings.HasPrefix(k, domain.DayPaidPrefix)
}
