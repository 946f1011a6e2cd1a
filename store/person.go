package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
)

// ClaimPerson registers idHash for ref unless another household holds it,
// with one SET NX GET: it returns the holder, which is ref when the claim
// succeeded or the person was already registered there.
func (s *Store) ClaimPerson(ctx context.Context, idHash string, ref bot.PersonRef) (bot.PersonRef, error) {
	old, err := s.client.SetArgs(ctx, s.k.person(idHash), personValue(ref), redis.SetArgs{Mode: "NX", Get: true}).Result()
	if errors.Is(err, redis.Nil) {
		return ref, nil
	}
	if err != nil {
		return bot.PersonRef{}, fail("claim person for "+ref.Committee, err)
	}
	committee, code, ok := strings.Cut(old, "\x00")
	if !ok {
		return bot.PersonRef{}, fmt.Errorf("claim person for %s: malformed holder", ref.Committee)
	}
	return bot.PersonRef{Committee: committee, Code: code}, nil
}

// releasePersonScript deletes a person's claim only if ref holds it, so an
// undo never frees a person another household has claimed since.
var releasePersonScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// ReleasePerson removes idHash's claim if ref holds it.
func (s *Store) ReleasePerson(ctx context.Context, idHash string, ref bot.PersonRef) error {
	if err := releasePersonScript.Run(ctx, s.client, []string{s.k.person(idHash)}, personValue(ref)).Err(); err != nil {
		return fail("release person for "+ref.Committee, err)
	}
	return nil
}

// personValue is how a claim names its holder.
func personValue(ref bot.PersonRef) string { return ref.Committee + "\x00" + ref.Code }
