package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Durability is what one Redis server promises about a write it has
// acknowledged, read from its configuration.
//
// The bot tells a worker 已记录 only after Redis has acknowledged the
// change; whether that record survives a crash is up to the server. With
// appendonly yes and appendfsync always, Redis writes and fsyncs its
// append-only file before it answers, so an acknowledged change survives
// a crash of Redis or of the whole machine. With everysec it survives a
// crash of Redis alone as a rule (the file was written, the kernel holds
// it), but a power cut or kernel crash loses up to about two seconds of
// acknowledged changes, and Redis may postpone even the write while a slow
// fsync is running. Without the append-only file a crash loses everything
// since the last snapshot.
type Durability struct {
	Addr        string // the server, host:port
	AppendOnly  string // "yes" or "no"
	AppendFsync string // "always", "everysec" or "no"
}

// Durable reports whether an acknowledged write survives a crash of the
// machine: appendonly yes and appendfsync always.
func (d Durability) Durable() bool {
	return strings.EqualFold(d.AppendOnly, "yes") && strings.EqualFold(d.AppendFsync, "always")
}

// Risk says in a few words what a crash of this server can lose, "" when
// it is durable.
func (d Durability) Risk() string {
	switch {
	case d.Durable():
		return ""
	case !strings.EqualFold(d.AppendOnly, "yes"):
		return "appendonly is " + d.AppendOnly + ": a crash loses every change since the last snapshot, including reports the bot answered 已记录"
	}
	return "appendfsync is " + d.AppendFsync + ": a power cut or kernel crash can lose the last seconds of reports the bot answered 已记录"
}

// Durability reads appendonly and appendfsync from every master the store
// writes to (one server, or each master of a cluster), in address order.
// It fails when the server refuses CONFIG GET, as managed services often
// do; the caller can then only ask the operator to check.
func (s *Store) Durability(ctx context.Context) ([]Durability, error) {
	var (
		mu  sync.Mutex
		out []Durability
	)
	read := func(ctx context.Context, c *redis.Client) error {
		m, err := c.ConfigGet(ctx, "append*").Result()
		if err != nil {
			return fail("read persistence settings", err)
		}
		if m["appendonly"] == "" || m["appendfsync"] == "" {
			return fmt.Errorf("read persistence settings of %s: CONFIG GET answered %d settings without appendonly and appendfsync", c.Options().Addr, len(m))
		}
		mu.Lock()
		defer mu.Unlock()
		out = append(out, Durability{Addr: c.Options().Addr, AppendOnly: m["appendonly"], AppendFsync: m["appendfsync"]})
		return nil
	}
	var err error
	switch c := s.client.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, read)
	case *redis.Client:
		err = read(ctx, c)
	default:
		err = fmt.Errorf("read persistence settings: unsupported client %T", s.client)
	}
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out, nil
}
