// Package storetest opens stores for tests: on the Redis that REDIS_URL
// names, or else on an embedded one, always under a random key prefix that
// is deleted when the test ends. It never flushes a database, because the
// real Redis is shared.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"songnuan/domain"
	"songnuan/store"
)

// Open returns a store for tb under a fresh random prefix. With REDIS_URL
// set it uses that Redis, else an embedded one. Cleanup deletes every key
// under the prefix and closes the store.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := store.Open(ctx, store.Options{
		URL:    os.Getenv("REDIS_URL"),
		Prefix: Prefix(),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		// writes queued to ride a later batch (a remembered question) go
		// out first, or they would land after the keys are deleted
		_ = s.Flush(context.Background())
		if err := DeletePrefix(context.Background(), s.Client(), s.Prefix()); err != nil {
			tb.Errorf("clean up test keys: %v", err)
		}
		s.Close()
	})
	return s
}

// issued holds every prefix Prefix has returned in this process, for
// Leftovers.
var issued struct {
	sync.Mutex
	prefixes map[string]bool
}

// Prefix returns a fresh random key prefix.
func Prefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	p := "test:" + hex.EncodeToString(b) + ":"
	issued.Lock()
	defer issued.Unlock()
	if issued.prefixes == nil {
		issued.prefixes = map[string]bool{}
	}
	issued.prefixes[p] = true
	return p
}

// Leftovers returns, sorted, the keys under any prefix Prefix returned in
// this process: keys a test wrote after its clean-up deleted its prefix,
// or never cleaned up. A package whose tests leave goroutines writing (a
// running App) calls it from TestMain once every test has ended.
func Leftovers(ctx context.Context, client redis.UniversalClient) ([]string, error) {
	issued.Lock()
	mine := maps.Clone(issued.prefixes)
	issued.Unlock()
	var (
		mu  sync.Mutex
		out []string
	)
	err := eachNode(ctx, client, func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, "test:*", 1000).Iterator()
		for iter.Next(ctx) {
			k := iter.Val()
			id, _, _ := strings.Cut(strings.TrimPrefix(k, "test:"), ":")
			if mine["test:"+id+":"] {
				mu.Lock()
				out = append(out, k)
				mu.Unlock()
			}
		}
		return iter.Err()
	})
	slices.Sort(out)
	return out, err
}

// eachNode calls fn with the client itself, or with each master of a
// cluster (a SCAN reaches one node's keys only).
func eachNode(ctx context.Context, client redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := client.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	}
	return fmt.Errorf("scan keys: unsupported client %T", client)
}

// DeletePrefix deletes every key under prefix, scanning each master of a
// cluster. On a cluster each key is unlinked on its own (pipelined): a
// master refuses a command whose keys lie in different slots, even its own.
func DeletePrefix(ctx context.Context, client redis.UniversalClient, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("refusing to delete every key: empty prefix")
	}
	del := func(ctx context.Context, c *redis.Client, oneByOne bool) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		var batch []string
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			defer func() { batch = batch[:0] }()
			if !oneByOne {
				return c.Unlink(ctx, batch...).Err()
			}
			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for _, k := range batch {
					p.Unlink(ctx, k)
				}
				return nil
			})
			return err
		}
		for iter.Next(ctx) {
			batch = append(batch, iter.Val())
			if len(batch) == 500 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := iter.Err(); err != nil {
			return err
		}
		return flush()
	}
	_, cluster := client.(*redis.ClusterClient)
	return eachNode(ctx, client, func(ctx context.Context, c *redis.Client) error { return del(ctx, c, cluster) })
}

// Household returns a realistic household of committee: a 低保 family of
// three with one 特困 member, sealed and masked personal numbers, an
// itemised entitlement and no visits yet. Version is 1.
func Household(committee, code, head string) domain.Household {
	at := time.Date(2024, 1, 8, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	return domain.Household{
		Committee: committee,
		Code:      code,
		Head:      head,
		Size:      3,
		Categories: []domain.CategoryClaim{
			{Category: "低保"},
			{Category: "特困供养", Persons: 1},
		},
		IDHash:      "kH3v9QeT1m0bN8xZr2LwYc5dPa7sJf4u",
		IDSealed:    "v1:2hJ8Qm3kX0pL7wR9tY5uB1nC4vD6eF8gH0jK2lM4nP6qR8sT0uV2wX4yZ6aB8cD0eF==",
		IDMasked:    "310107********1234",
		PhoneSealed: "v1:9aB7cD5eF3gH1jK9lM7nP5qR3sT1uV9wX7yZ5==",
		PhoneMasked: "138****5678",
		Address:     "甘泉路街道 甘泉一村 12号 302室",
		Entitlement: domain.Entitlement{
			Policy:        "长宁区元旦春节帮困",
			PolicyVersion: "2023",
			Items: []domain.EntitlementItem{
				{Item: "2", Name: "特困供养人员", Category: "特困供养", Persons: 1, Amount: 1000, Fund: "市、区财政", Dept: "民政局"},
				{Item: "6", Name: "冬令御寒补助", Category: "特困供养", Persons: 1, Amount: 460, Fund: "市、区财政", Dept: "民政局"},
				{Item: "4", Name: "低保家庭", Category: "低保", Persons: 2, Amount: 800, Fund: "市、区财政", Dept: "民政局"},
			},
			Total: 2260,
		},
		Version:   1,
		CreatedAt: at,
		CreatedBy: "zhangsan",
		UpdatedAt: at,
		UpdatedBy: "zhangsan",
	}
}

// CheckLeftovers, for a package's TestMain once every test has ended,
// returns 1 when keys remain on REDIS_URL under a prefix the tests used:
// something wrote after its test's clean-up, as a bot still running when
// its keys were deleted would. It deletes them, since the Redis is
// shared. It returns 0 when none remain, or without REDIS_URL.
func CheckLeftovers() int {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, store.Options{URL: url, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintf(os.Stderr, "look for keys left behind: %v\n", err)
		return 1
	}
	defer st.Close()
	keys, err := Leftovers(ctx, st.Client())
	if err != nil {
		fmt.Fprintf(os.Stderr, "look for keys left behind: %v\n", err)
		return 1
	}
	if len(keys) == 0 {
		return 0
	}
	fmt.Fprintf(os.Stderr, "FAIL: the tests left %d keys behind, written after their clean-up or never cleaned up (now deleted):\n  %s\n", len(keys), strings.Join(keys, "\n  "))
	for _, k := range keys {
		if err := st.Client().Unlink(ctx, k).Err(); err != nil {
			fmt.Fprintf(os.Stderr, "delete %s: %v\n", k, err)
		}
	}
	return 1
}
