package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"songnuan/bot"
)

// A message's dedup value is one of these marks, followed by the reply
// (packed, see pack) for markReply and by the claim's owner for
// markPending: a reply may be empty (WeCom then gets an empty 200), so
// "answered with nothing" must differ from "being handled".
const (
	markPending = "p"
	markReply   = "r"
)

// Owners. A delivery that claims a message names itself with a token of
// its own (bot.NewOwner), so that it can tell its own claim from another
// delivery's: when Redis executed the claim but the answer was lost (the
// connection dropped, go-redis sent it again), the claim is still
// recognised as its own, and it can release it later, once Redis is back,
// without ever releasing a claim another delivery made meanwhile.

// ownClaim reports whether the old value a claim found is owner's own
// pending mark.
func ownClaim(old, owner string) bool { return owner != "" && old == markPending+owner }

// waitPoll bounds how often WaitReply polls: first quickly, as most replies
// take a few milliseconds, then at most this often.
const (
	waitPollFirst = 20 * time.Millisecond
	waitPollMax   = 200 * time.Millisecond
)

// ClaimMessage marks key as being handled (pending, for pendingTTL) unless
// it is known, with one SET NX GET. It returns bot.Claimed (handle it), bot.ClaimPending
// (another delivery is handling it now) or bot.ClaimDone with the stored reply.
// Needs Redis 7.0 or later (NX together with GET). The claim names no
// owner; the callback claims with ClaimMessageLimited, which does.
func (s *Store) ClaimMessage(ctx context.Context, key string, pendingTTL time.Duration) (bot.ClaimState, string, error) {
	if err := checkTTL("claim message", pendingTTL); err != nil {
		return 0, "", err
	}
	old, err := s.client.SetArgs(ctx, s.k.message(key), markPending,
		redis.SetArgs{Mode: "NX", Get: true, TTL: pendingTTL}).Result()
	if errors.Is(err, redis.Nil) {
		return bot.Claimed, "", nil
	}
	if err != nil {
		return 0, "", fail("claim message", err)
	}
	return parseMark(old)
}

// SaveReply stores the final reply of a claimed message, replacing the
// pending mark, for ttl.
func (s *Store) SaveReply(ctx context.Context, key, reply string, ttl time.Duration) error {
	if err := checkTTL("save reply", ttl); err != nil {
		return err
	}
	var set *redis.StatusCmd
	if err := s.batch.do(ctx, func(p redis.Pipeliner) {
		set = p.Set(ctx, s.k.message(key), markReply+replyValue(reply), ttl)
	}); err != nil {
		return fail("save reply", err)
	}
	if err := set.Err(); err != nil {
		return fail("save reply", err)
	}
	return nil
}

// SaveReplyOnce stores reply for a message whose answer needed no store
// access, in one round trip (SET NX GET, in a batch), and returns the reply to send: the
// stored one if another delivery answered first, else reply.
func (s *Store) SaveReplyOnce(ctx context.Context, key, reply string, ttl time.Duration) (string, error) {
	if err := checkTTL("save reply once", ttl); err != nil {
		return "", err
	}
	var set *redis.StatusCmd
	if err := s.batch.do(ctx, func(p redis.Pipeliner) {
		set = p.SetArgs(ctx, s.k.message(key), markReply+replyValue(reply), redis.SetArgs{Mode: "NX", Get: true, TTL: ttl})
	}); err != nil {
		return "", fail("save reply once", err)
	}
	old, err := set.Result()
	if errors.Is(err, redis.Nil) {
		return reply, nil
	}
	if err != nil {
		return "", fail("save reply once", err)
	}
	state, stored, err := parseMark(old)
	if err != nil {
		return "", err
	}
	if state == bot.ClaimDone {
		return stored, nil
	}
	// Another delivery is still working on it; this answer needed nothing
	// from the store, so it is as good as the one to come.
	return reply, nil
}

// WaitReply polls key until the message is answered (done is true) or ctx
// ends. done is false with a nil error when ctx ended first or the pending
// mark lapsed without a reply (the delivery handling it gave up).
func (s *Store) WaitReply(ctx context.Context, key string) (reply string, done bool, err error) {
	k := s.k.message(key)
	wait := waitPollFirst
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		v, err := s.client.Get(ctx, k).Result()
		switch {
		case ctx.Err() != nil:
			return "", false, nil
		case errors.Is(err, redis.Nil):
			return "", false, nil
		case err != nil:
			return "", false, fail("wait for reply", err)
		}
		state, reply, err := parseMark(v)
		if err != nil {
			return "", false, err
		}
		if state == bot.ClaimDone {
			return reply, true, nil
		}
		select {
		case <-ctx.Done():
			return "", false, nil
		case <-t.C:
		}
		wait = min(2*wait, waitPollMax)
		t.Reset(wait)
	}
}

// parseMark reads a message's dedup value.
func parseMark(v string) (bot.ClaimState, string, error) {
	if strings.HasPrefix(v, markPending) {
		return bot.ClaimPending, "", nil
	}
	if packed, ok := strings.CutPrefix(v, markReply); ok {
		reply, err := unpack(packed)
		if err != nil {
			return 0, "", fmt.Errorf("message dedup value: %w", err)
		}
		return bot.ClaimDone, reply, nil
	}
	return 0, "", fmt.Errorf("message dedup value %.8q is neither pending nor a reply", v)
}

// releaseScript deletes a message's mark only while it is still pending:
// a reply saved meanwhile by another delivery must stay.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// renewScript extends a message's pending mark only while it is still the
// owner's: a reply, or another delivery's claim, is left alone.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// RenewClaim extends owner's pending claim on key to ttl from now, and
// reports whether it still held it. A delivery renews its claim while it
// works, so that the claim can be short: when the process dies, its claim
// lapses within ttl and a re-delivery of WeCom's handles the message.
func (s *Store) RenewClaim(ctx context.Context, key, owner string, ttl time.Duration) (bool, error) {
	if err := checkTTL("renew claim", ttl); err != nil {
		return false, err
	}
	n, err := renewScript.Run(ctx, s.client, []string{s.k.message(key)}, markPending+owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fail("renew claim", err)
	}
	return n == 1, nil
}

// ReleaseClaim forgets a pending claim whose handling failed, so WeCom's
// re-delivery is handled afresh instead of waiting for a reply that will
// never come. owner is the one the claim was made with ("" for
// ClaimMessage's): a claim of another owner, or a reply, stays.
func (s *Store) ReleaseClaim(ctx context.Context, key, owner string) error {
	if err := releaseScript.Run(ctx, s.client, []string{s.k.message(key)}, markPending+owner).Err(); err != nil {
		return fail("release claim", err)
	}
	return nil
}

// checkTTL refuses a TTL that would keep a message's key forever.
func checkTTL(op string, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%s: ttl %v, want a positive duration", op, ttl)
	}
	return nil
}

// userWindow is the per-user rate limit's window. It is fixed, starting
// at the user's first message in it: a set of message keys with a TTL
// rides in the claim's round trip, where a sliding window would need a
// script on the user's own key.
const userWindow = time.Minute

// ClaimMessageLimited is ClaimMessage for owner (see bot.NewOwner) that also
// counts the message against user's limit of perMinute messages, in the
// same round trip (SET NX GET, SADD, EXPIRE NX and SCARD pipelined). A
// claim found already made by owner is bot.Claimed: Redis executed an earlier
// try whose answer was lost. over is true when the message was claimed
// but the user has sent more than perMinute in the window: the caller
// refuses it and releases the claim with ReleaseClaim.
// A re-delivery (bot.ClaimPending or bot.ClaimDone) is never over, so a message that was
// answered gets its answer again. Every distinct message counts, refused
// ones too, so a user who keeps sending stays refused until the window
// ends; re-deliveries of one message count once.
// With perMinute <= 0 or no user nothing is counted.
func (s *Store) ClaimMessageLimited(ctx context.Context, key, owner string, pendingTTL time.Duration, user string, perMinute int) (state bot.ClaimState, reply string, over bool, err error) {
	if err := checkTTL("claim message", pendingTTL); err != nil {
		return 0, "", false, err
	}
	var set *redis.StatusCmd
	count, err, sendErr := s.counted(ctx, user, perMinute, key, func(p redis.Pipeliner) {
		set = p.SetArgs(ctx, s.k.message(key), markPending+owner, redis.SetArgs{Mode: "NX", Get: true, TTL: pendingTTL})
	})
	if sendErr != nil {
		return 0, "", false, fail("claim message", sendErr)
	}
	old, serr := set.Result()
	switch {
	case errors.Is(serr, redis.Nil) || serr == nil && ownClaim(old, owner):
		if err != nil {
			// bot.Claimed, but not counted: refusing for want of a count
			// would refuse everyone while a node is down; let it through.
			s.log.Warn("count user message", "err", err)
		}
		return bot.Claimed, "", perMinute > 0 && count > int64(perMinute), nil
	case serr != nil:
		return 0, "", false, fail("claim message", serr)
	}
	state, reply, err = parseMark(old)
	return state, reply, false, err
}

// SaveReplyOnceLimited is SaveReplyOnce that also counts the message
// against user's limit, in the same round trip. When the reply was stored
// by this call and the user is over the limit, it takes the reply back
// (a second round trip, for refused messages only) and reports over: the
// caller answers with the refusal instead, and a later re-delivery is
// handled afresh. A re-delivery is never over. With perMinute <= 0 or no
// user nothing is counted.
func (s *Store) SaveReplyOnceLimited(ctx context.Context, key, reply string, ttl time.Duration, user string, perMinute int) (text string, over bool, err error) {
	if user == "" || perMinute <= 0 {
		text, err = s.SaveReplyOnce(ctx, key, reply, ttl)
		return text, false, err
	}
	if err := checkTTL("save reply once", ttl); err != nil {
		return "", false, err
	}
	mark := markReply + replyValue(reply)
	var set *redis.StatusCmd
	count, err, sendErr := s.counted(ctx, user, perMinute, key, func(p redis.Pipeliner) {
		set = p.SetArgs(ctx, s.k.message(key), mark, redis.SetArgs{Mode: "NX", Get: true, TTL: ttl})
	})
	if sendErr != nil {
		return "", false, fail("save reply once", sendErr)
	}
	old, serr := set.Result()
	switch {
	case errors.Is(serr, redis.Nil):
		if err != nil {
			s.log.Warn("count user message", "err", err)
			return reply, false, nil
		}
		if count <= int64(perMinute) {
			return reply, false, nil
		}
		if err := releaseScript.Run(ctx, s.client, []string{s.k.message(key)}, mark).Err(); err != nil {
			return "", false, fail("take back reply", err)
		}
		return "", true, nil
	case serr != nil:
		return "", false, fail("save reply once", serr)
	}
	state, stored, err := parseMark(old)
	if err != nil {
		return "", false, err
	}
	if state == bot.ClaimDone {
		return stored, false, nil
	}
	return reply, false, nil
}

// counted sends the commands first adds, and records message key of user
// in the same pipeline, in a batch with other callbacks' (see batch.go).
// It returns how many distinct messages the user sent in the window. The
// window is a set of message keys, not a counter, so WeCom's re-deliveries
// of one message count once however many instances receive them. With no
// user or no limit nothing is recorded and the count is 0.
// countErr is the count's error. sendErr says the batch was not sent, or
// its fate is unknown (ctx ended while it waited): the caller must then
// not read its commands, which the batch may still be filling. Otherwise
// it reads their results itself.
func (s *Store) counted(ctx context.Context, user string, perMinute int, key string, first func(redis.Pipeliner)) (n int64, countErr, sendErr error) {
	count := user != "" && perMinute > 0
	rk := s.k.userRate(user)
	var add, card *redis.IntCmd
	var exp *redis.BoolCmd
	if err := s.batch.do(ctx, func(p redis.Pipeliner) {
		first(p)
		if count {
			add = p.SAdd(ctx, rk, key)
			exp = p.ExpireNX(ctx, rk, userWindow)
			card = p.SCard(ctx, rk)
		}
	}); err != nil {
		return 0, nil, err
	}
	if !count {
		return 0, nil, nil
	}
	for _, c := range []redis.Cmder{add, exp, card} {
		if err := c.Err(); err != nil {
			return 0, fail("count messages of user", err), nil
		}
	}
	return card.Val(), nil, nil
}

// replyValue is how a reply is kept for re-deliveries: as it is. Packing
// it (see pack) would save about 250 bytes for the 24 hours it is kept but
// cost some 50 µs of CPU on every message, a third of a callback's, and
// the callback path is what must keep up with WeCom. unpack reads either.
func replyValue(reply string) string {
	if strings.HasPrefix(reply, packedV1) {
		return pack(reply) // never sent, but must not be taken for packed
	}
	return reply
}
