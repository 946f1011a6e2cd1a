package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The outbox keeps messages to send (pushed and late replies) in a Redis
// stream read by a consumer group, so that a message not yet sent when its
// process dies is sent by another instance, or by the same one restarted.
//
// Why a stream and not a job queue such as hibiken/asynq: a stream with a
// consumer group is what such a queue builds on, without a second system
// to run and its own key layout to keep apart from ours. A message is put
// in once (a mark per message id, in the same script), read by one
// consumer at a time, and handed to another only when its consumer has
// been silent for the reclaim time (XAUTOCLAIM), which a live consumer
// prevents by touching the entries it holds. asynq's uniqueness is a TTL
// lock on the enqueue, the same as the mark here, and its retries would
// not know WeCom's per-member limits, which the sender checks against the
// limiter the broadcasts use.

// OutboxEntry is one message taken from the outbox.
type OutboxEntry struct {
	ID      string    // the stream entry's id, for OutboxTouch and OutboxDone
	Payload string    // as given to OutboxAdd
	Added   time.Time // when it was put in (from the entry's id)
}

// outboxGroup is the consumer group every instance reads the outbox in.
const outboxGroup = "senders"

// outboxSeenTTL is how long a message id is remembered against a second
// OutboxAdd: longer than WeCom's retries and a re-handled message's replay.
const outboxSeenTTL = 48 * time.Hour

// outboxAddScript puts ARGV[1] in the stream unless the message id's mark
// (KEYS[2]) is set, and sets it.
var outboxAddScript = redis.NewScript(`
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[1], '*', 'p', ARGV[1])
end
return false`)

// OutboxAdd puts payload in the outbox under id, once: a second call with
// the same id (a re-handled message) adds nothing and reports false.
func (s *Store) OutboxAdd(ctx context.Context, id, payload string) (bool, error) {
	_, err := outboxAddScript.Run(ctx, s.client, []string{s.k.outbox(), s.k.outboxSeen(id)}, payload,
		int64(outboxSeenTTL/time.Second)).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fail("add to outbox", err)
	}
	return true, nil
}

// OutboxNext takes the next message for consumer: first one another
// consumer has held untouched for reclaim (it died), else a new one,
// waiting up to block for it. ok is false when there was none. With
// reclaim 0 it looks for new ones only.
func (s *Store) OutboxNext(ctx context.Context, consumer string, block, reclaim time.Duration) (id, payload string, added time.Time, ok bool, err error) {
	e, ok, err := s.OutboxTake(ctx, consumer, block, reclaim)
	return e.ID, e.Payload, e.Added, ok, err
}

// OutboxTake is OutboxNext returning the entry as one value.
func (s *Store) OutboxTake(ctx context.Context, consumer string, block, reclaim time.Duration) (e OutboxEntry, ok bool, err error) {
	for try := 0; ; try++ {
		e, ok, err = s.outboxNext(ctx, consumer, block, reclaim)
		if err == nil || try > 0 || !strings.HasPrefix(err.Error(), "NOGROUP") {
			break
		}
		// The first read of a new outbox (or of one whose keys were
		// deleted): make the group, from the stream's start.
		if ctx.Err() != nil {
			break
		}
		if cerr := s.client.XGroupCreateMkStream(ctx, s.k.outbox(), outboxGroup, "0").Err(); cerr != nil &&
			!strings.HasPrefix(cerr.Error(), "BUSYGROUP") {
			return e, false, fail("create outbox group", cerr)
		}
	}
	if err != nil {
		return e, false, fail("read outbox", err)
	}
	return e, ok, nil
}

func (s *Store) outboxNext(ctx context.Context, consumer string, block, reclaim time.Duration) (OutboxEntry, bool, error) {
	var msgs []redis.XMessage
	if reclaim > 0 {
		var err error
		msgs, _, err = s.client.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream: s.k.outbox(), Group: outboxGroup, Consumer: consumer, MinIdle: reclaim, Start: "0", Count: 1,
		}).Result()
		if err != nil {
			return OutboxEntry{}, false, err
		}
	}
	for _, m := range msgs {
		if e, ok := outboxEntry(m); ok {
			return e, true, nil
		}
		// Deleted while held: nothing to send.
		_ = s.client.XAck(ctx, s.k.outbox(), outboxGroup, m.ID).Err()
	}
	streams, err := s.client.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: outboxGroup, Consumer: consumer, Streams: []string{s.k.outbox(), ">"}, Count: 1, Block: block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return OutboxEntry{}, false, nil
	}
	if err != nil {
		return OutboxEntry{}, false, err
	}
	for _, st := range streams {
		for _, m := range st.Messages {
			if e, ok := outboxEntry(m); ok {
				return e, true, nil
			}
		}
	}
	return OutboxEntry{}, false, nil
}

// outboxEntry reads a stream entry; ok is false for a deleted one.
func outboxEntry(m redis.XMessage) (OutboxEntry, bool) {
	p, ok := m.Values["p"].(string)
	if !ok {
		return OutboxEntry{}, false
	}
	e := OutboxEntry{ID: m.ID, Payload: p}
	if ms, _, ok := strings.Cut(m.ID, "-"); ok {
		if n, err := strconv.ParseInt(ms, 10, 64); err == nil {
			e.Added = time.UnixMilli(n)
		}
	}
	return e, true
}

// OutboxTouch tells the group that consumer is still working on entry id,
// so it is not reclaimed by another consumer.
func (s *Store) OutboxTouch(ctx context.Context, consumer, id string) error {
	err := s.client.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: s.k.outbox(), Group: outboxGroup, Consumer: consumer, MinIdle: 0, Messages: []string{id},
	}).Err()
	if err != nil {
		return fail("touch outbox entry", err)
	}
	return nil
}

// OutboxDone removes entry id from the outbox: it was sent, or given up.
func (s *Store) OutboxDone(ctx context.Context, id string) error {
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, s.k.outbox(), outboxGroup, id)
		p.XDel(ctx, s.k.outbox(), id)
		return nil
	})
	if err != nil {
		return fail("remove outbox entry", err)
	}
	return nil
}

// OutboxLen is how many messages wait in the outbox, held ones included.
func (s *Store) OutboxLen(ctx context.Context) (int64, error) {
	n, err := s.client.XLen(ctx, s.k.outbox()).Result()
	if err != nil {
		return 0, fail("outbox length", err)
	}
	return n, nil
}
