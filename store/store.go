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
}

// DefaultOpTTL is the OpTTL used when Options leave it zero: longer than any
// WeCom retry and than a re-sent import file is likely to come back.
const DefaultOpTTL = 48 * time.Hour

// Store is the Redis implementation of bot.Store, plus message dedup.
type Store struct {
	client redis.UniversalClient
	k      keys
	opTTL  time.Duration
	log    *slog.Logger
	embed  *miniredis.Miniredis // non-nil when Open started an embedded Redis
}

var _ bot.Store = (*Store)(nil)

// Open connects to the Redis that opts.URL names (or starts an embedded one)
// and checks that it answers. An unreachable server gives an error wrapping
// bot.ErrUnavailable.
func Open(ctx context.Context, opts Options) (*Store, error) {
	var (
		client redis.UniversalClient
		embed  *miniredis.Miniredis
	)
	if opts.URL == "" {
		embed = miniredis.NewMiniRedis()
		// miniredis only counts TTLs down on FastForward unless told to
		// follow the clock; op markers and message claims must expire.
		embed.ClockTTL(true)
		if err := embed.StartAddr("127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		o := &redis.Options{Addr: embed.Addr()}
		tuneClient(o)
		client = redis.NewClient(o)
	} else {
		var err error
		if client, err = newClient(opts.URL); err != nil {
			return nil, err
		}
	}
	s := New(client, opts)
	s.embed = embed
	if embed != nil {
		s.log.Warn("no redis url configured: using an embedded redis, all data is lost on exit", "addr", embed.Addr())
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
	return &Store{
		client: client,
		k:      keys{prefix: opts.Prefix},
		opTTL:  opts.OpTTL,
		log:    opts.Logger.With("component", "store"),
	}
}

// Close closes the connection pool and stops an embedded Redis.
func (s *Store) Close() error {
	err := s.client.Close()
	if s.embed != nil {
		s.embed.Close()
	}
	return err
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
