package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
)

// claimPersonScript registers a person in their index hash unless someone
// holds them, and returns the holder. KEYS: index hash. ARGV: ID-number
// hash, holder value.
var claimPersonScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then return cur end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]
`)

// ClaimPerson registers idHash for ref unless another household holds it,
// in one script: it returns the holder, which is ref when the claim
// succeeded or the person was already registered there.
func (s *Store) ClaimPerson(ctx context.Context, idHash string, ref bot.PersonRef) (bot.PersonRef, error) {
	holder, err := claimPersonScript.Run(ctx, s.client, []string{s.k.persons(idHash)}, personField(idHash), personValue(ref)).Text()
	if err != nil {
		return bot.PersonRef{}, fail("claim person for "+ref.Committee, err)
	}
	committee, code, ok := strings.Cut(holder, "\x00")
	if !ok {
		return bot.PersonRef{}, fmt.Errorf("claim person for %s: malformed holder", ref.Committee)
	}
	return bot.PersonRef{Committee: committee, Code: code}, nil
}

// releasePersonScript deletes a person's entry only if ref holds it, so an
// undo never frees a person another household has claimed since.
// KEYS: index hash. ARGV: ID-number hash, holder value.
var releasePersonScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
`)

// ReleasePerson removes idHash's claim if ref holds it.
func (s *Store) ReleasePerson(ctx context.Context, idHash string, ref bot.PersonRef) error {
	if err := releasePersonScript.Run(ctx, s.client, []string{s.k.persons(idHash)}, personField(idHash), personValue(ref)).Err(); err != nil {
		return fail("release person for "+ref.Committee, err)
	}
	return nil
}

// personField is a person's field in their index hash: the bytes of the
// ID-number hash when it is hex, as the bot's always is, at half the size.
func personField(idHash string) string {
	raw, err := hex.DecodeString(idHash)
	if err != nil || hex.EncodeToString(raw) != idHash {
		return idHash
	}
	return string(raw)
}

// personValue is how a claim names its holder.
func personValue(ref bot.PersonRef) string { return ref.Committee + "\x00" + ref.Code }
