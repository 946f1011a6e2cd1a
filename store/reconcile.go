package store

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
)

// PersonDrift is what ReconcilePersons found and put right.
type PersonDrift struct {
	Added   int // households holding an ID number the index lacked
	Removed int // index entries naming a household that does not hold the number
	// Clashes are households holding a number the index gives another
	// household that holds it too: the same person registered twice, which
	// only a person can settle. They are left as they are.
	Clashes []bot.PersonRef
}

// ReconcilePersons makes the person index agree with the households. The
// index lives outside the committees' slots, so a registration or an undo
// writes it in a step of its own, and a step that failed (Redis gone for
// that one call) leaves it drifted: an entry naming a household that no
// longer holds the number, or a household whose number has no entry. The
// first wrongly refuses that person's registration elsewhere; the second
// lets a second registration of the person through. Each fix goes through
// the same scripts as the bot (ClaimPerson, ReleasePerson), so a change
// made meanwhile is never undone: a claim is only added where the entry is
// missing, and an entry only deleted while it still names the household it
// was found to name.
func (s *Store) ReconcilePersons(ctx context.Context) (PersonDrift, error) {
	var d PersonDrift
	committees, err := s.client.SMembers(ctx, s.k.committees()).Result()
	if err != nil {
		return d, fail("read committees", err)
	}
	holds := map[string]bool{} // "<idHash>\x00<committee>\x00<code>" of every household with an ID
	for _, c := range committees {
		hs, err := s.Households(ctx, c)
		if err != nil {
			return d, err
		}
		for _, h := range hs {
			if h.IDHash == "" {
				continue
			}
			ref := bot.PersonRef{Committee: h.Committee, Code: h.Code}
			holds[h.IDHash+"\x00"+personValue(ref)] = true
			cur, err := s.client.HGet(ctx, s.k.persons(h.IDHash), personField(h.IDHash)).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return d, fail("read person index", err)
			}
			if cur == personValue(ref) {
				continue
			}
			holder, err := s.ClaimPerson(ctx, h.IDHash, ref)
			if err != nil {
				return d, err
			}
			if holder == ref {
				d.Added++
				continue
			}
			if other, err := s.Household(ctx, holder.Committee, holder.Code); err == nil && other.IDHash == h.IDHash {
				d.Clashes = append(d.Clashes, ref)
			}
		}
	}
	// Entries whose household does not hold the number. Households added
	// since the scan above made their claim first, so a fresh entry naming
	// one is checked against the household as it is now.
	for b := range personBuckets {
		key := s.k.prefix + "pi:" + strconv.Itoa(b) // as keys.persons builds it
		entries, err := s.client.HGetAll(ctx, key).Result()
		if err != nil {
			return d, fail("read person index", err)
		}
		for field, value := range entries {
			idHash := hex.EncodeToString([]byte(field))
			if len(field) != 16 { // not the bytes of a bot hash: kept as given
				idHash = field
			}
			if holds[idHash+"\x00"+value] {
				continue
			}
			committee, code, _ := strings.Cut(value, "\x00")
			ref := bot.PersonRef{Committee: committee, Code: code}
			h, err := s.Household(ctx, committee, code)
			if err == nil && h.IDHash == idHash {
				continue // registered since the scan
			}
			if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return d, err
			}
			if err := s.ReleasePerson(ctx, idHash, ref); err != nil {
				return d, err
			}
			d.Removed++
		}
	}
	return d, nil
}
