// Package store keeps 送暖's households, counters, undo stacks, audit log and
// message deduplication in Redis, implementing bot.Store on go-redis v9.
//
// Each change to a household is one Lua script on the committee's hash slot,
// so a change, its counters, its indexes and its audit line are stored
// together or not at all; status views read counters and never scan
// households. With no URL configured the store runs an embedded Redis in the
// process, so development and tests use the very same code path.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"songnuan/bot"
)

// Options configure Open.
type Options struct {
	// URL is redis://…, rediss://…, redis+cluster://h:p,h:p[/?opts] or
	// redis+sentinel://[:pw@]h:p,h:p/master[/db]. Empty starts an embedded
	// Redis whose data is lost when the process exits.
	URL string
	// Prefix starts every key, e.g. "songnuan:". It must not contain '{' or
	// '}' (see keys.go).
	Prefix string
	// OpTTL is how long an applied change's OpID is remembered, so a
	// delivery retried within it is answered without applying twice.
	// Default 48h.
	OpTTL time.Duration
	// Logger receives the store's few log lines. Default slog.Default().
	Logger *slog.Logger
	// Now is the real clock, which op markers expire by (never the
	// campaign clock). Default time.Now.
	Now func() time.Time
}

// DefaultOpTTL is the OpTTL used when Options leave it zero: longer than any
// WeCom retry and than a re-sent import file is likely to come back.
const DefaultOpTTL = 48 * time.Hour

// Store is the Redis implementation of bot.Store, plus message dedup.
type Store struct {
	client redis.UniversalClient
	k      keys
	opTTL  time.Duration
	now    func() time.Time
	log    *slog.Logger
	embed  *embedded // non-nil when Open started an embedded Redis
	batch  *batcher  // the callback's dedup writes, sent together (batch.go)
	rollup rollupState
	// cluster is set when keys spread over a Redis Cluster's slots, so a
	// script cannot reach the rollup's keys and a committee's together.
	cluster bool
}

var _ bot.Store = (*Store)(nil)

// Open connects to the Redis that opts.URL names (or starts an embedded one)
// and checks that it answers. An unreachable server gives an error wrapping
// bot.ErrUnavailable.
func Open(ctx context.Context, opts Options) (*Store, error) {
	routeGoRedisLog()
	if strings.ContainsAny(opts.Prefix, "{}") {
		return nil, fmt.Errorf("redis key prefix %q: must not contain { or }, which would become every key's hash tag", opts.Prefix)
	}
	var (
		client redis.UniversalClient
		embed  *embedded
		err    error
	)
	if opts.URL == "" {
		if embed, err = startEmbedded(); err != nil {
			return nil, err
		}
		o := &redis.Options{Addr: embed.mr.Addr()}
		tuneClient(o)
		client = redis.NewClient(o)
	} else if client, err = newClient(opts.URL); err != nil {
		return nil, err
	}
	s := New(client, opts)
	s.embed = embed
	if embed != nil {
		s.log.Warn("no redis url configured: using an embedded redis, all data is lost on exit", "addr", embed.mr.Addr())
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// New wraps a client the caller built. It does not check the connection
// (see Ping); Close closes the client.
func New(client redis.UniversalClient, opts Options) *Store {
	if opts.OpTTL <= 0 {
		opts.OpTTL = DefaultOpTTL
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{
		client:  client,
		k:       keys{prefix: opts.Prefix},
		opTTL:   opts.OpTTL,
		now:     opts.Now,
		log:     opts.Logger.With("component", "store"),
		batch:   newBatcher(client),
		cluster: isCluster(client),
	}
}

// Close waits for the dedup writes in flight, then closes the connection
// pool and stops an embedded Redis.
func (s *Store) Close() error {
	s.batch.close()
	err := s.client.Close()
	if s.embed != nil {
		s.embed.close()
	}
	return err
}

// embedded is an in-process Redis (miniredis) whose TTLs follow the clock.
type embedded struct {
	mr   *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// embeddedTick is how often the embedded Redis counts its TTLs down. Its
// ClockTTL mode would do it on every command, but by sorting every key
// each time, which makes a growing store slower with every change.
const embeddedTick = 100 * time.Millisecond

// startEmbedded starts an embedded Redis on a free local port.
func startEmbedded() (*embedded, error) {
	e := &embedded{mr: miniredis.NewMiniRedis(), stop: make(chan struct{}), done: make(chan struct{})}
	if err := e.mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	go func() {
		defer close(e.done)
		t := time.NewTicker(embeddedTick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-e.stop:
				return
			case now := <-t.C:
				e.mr.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	return e, nil
}

// close stops the clock and the server.
func (e *embedded) close() {
	e.once.Do(func() {
		close(e.stop)
		<-e.done
		e.mr.Close()
	})
}

// Ping checks that Redis answers; its error wraps bot.ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fail("ping redis", err)
	}
	return nil
}

// Client returns the store's connection pool, so rate limits and the WeCom
// token cache share it instead of opening a second one.
func (s *Store) Client() redis.UniversalClient { return s.client }

// Prefix returns the prefix of the store's keys.
func (s *Store) Prefix() string { return s.k.prefix }

// fail wraps a Redis error for the caller. Errors that mean Redis could not
// be reached or could not serve the command (network, timeouts, pool,
// failover, loading) wrap bot.ErrUnavailable too, so the bot answers
// 系统繁忙 instead of 已记录.
func fail(op string, err error) error {
	if unavailable(err) {
		return fmt.Errorf("%s: %w: %w", op, bot.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unavailable reports whether err says the server could not be reached or
// could not serve now, as opposed to refusing the command itself.
func unavailable(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // network, timeout, closed client, pool, cancelled context
	}
	return redis.IsLoadingError(err) || redis.IsReadOnlyError(err) || redis.IsClusterDownError(err) ||
		redis.IsTryAgainError(err) || redis.IsMasterDownError(err) || redis.IsMaxClientsError(err) ||
		redis.IsOOMError(err) || redis.IsNoReplicasError(err) || redis.HasErrorPrefix(err, "BUSY")
}

// opSpans is how many stretches of time the op TTL is cut into. An op
// marker goes into the hash of the stretch it was applied in, which
// expires OpTTL after the stretch ends: a marker lives between OpTTL and
// OpTTL·(1+1/opSpans), and a lookup reads opSpans+1 hashes. A hash of
// markers costs far less per marker than a key with a TTL each.
const opSpans = 4

// opSpan is the length of one stretch.
func (s *Store) opSpan() time.Duration { return max(s.opTTL/opSpans, time.Millisecond) }

// opBuckets returns the committee's op-marker hashes a change at now reads:
// the one it writes first, then the older ones not yet expired.
func (s *Store) opBuckets(committee string, now time.Time) []string {
	n := now.UnixMilli() / s.opSpan().Milliseconds()
	out := make([]string, 0, opSpans+1)
	for i := range int64(opSpans + 1) {
		out = append(out, s.k.opBucket(committee, n-i))
	}
	return out
}

// opBucketTTL is how long the hash written at now must live: until OpTTL
// after its stretch ends.
func (s *Store) opBucketTTL(now time.Time) time.Duration {
	span := s.opSpan().Milliseconds()
	end := (now.UnixMilli()/span + 1) * span
	return time.Duration(end-now.UnixMilli())*time.Millisecond + s.opTTL
}
