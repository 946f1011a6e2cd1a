package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
)

// wechatTimeout bounds the SDK's cache calls, which take no context.
const wechatTimeout = 2 * time.Second

// weChatCache is the WeCom SDK's cache (access tokens) on the program's
// go-redis v9 pool; the SDK's own Redis cache needs go-redis v8.
type weChatCache struct {
	client redis.UniversalClient
	k      keys
}

// NewWeChatCache returns a silenceper/wechat cache.Cache (also a
// cache.ContextCache) on client, with keys under prefix. Get returns a
// string, or nil when the key is absent or Redis fails: the SDK then fetches
// a fresh token, which is the right fallback.
func NewWeChatCache(client redis.UniversalClient, prefix string) cache.Cache {
	return &weChatCache{client: client, k: keys{prefix: prefix}}
}

var _ cache.ContextCache = (*weChatCache)(nil)

// Get returns the value or nil.
func (c *weChatCache) Get(key string) any {
	ctx, cancel := context.WithTimeout(context.Background(), wechatTimeout)
	defer cancel()
	return c.GetContext(ctx, key)
}

// GetContext returns the value as a string, or nil.
func (c *weChatCache) GetContext(ctx context.Context, key string) any {
	v, err := c.client.Get(ctx, c.k.wechat(key)).Result()
	if err != nil {
		return nil
	}
	return v
}

// Set stores val for timeout.
func (c *weChatCache) Set(key string, val any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), wechatTimeout)
	defer cancel()
	return c.SetContext(ctx, key, val, timeout)
}

// SetContext stores val for timeout. A timeout of zero or less stores
// nothing (and drops an older value), as the SDK's memory cache treats it as
// already expired; a token kept forever would outlive its validity.
func (c *weChatCache) SetContext(ctx context.Context, key string, val any, timeout time.Duration) error {
	if timeout <= 0 {
		return c.DeleteContext(ctx, key)
	}
	return c.client.Set(ctx, c.k.wechat(key), val, timeout).Err()
}

// IsExist reports whether key holds a value.
func (c *weChatCache) IsExist(key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), wechatTimeout)
	defer cancel()
	return c.IsExistContext(ctx, key)
}

// IsExistContext reports whether key holds a value.
func (c *weChatCache) IsExistContext(ctx context.Context, key string) bool {
	n, err := c.client.Exists(ctx, c.k.wechat(key)).Result()
	return err == nil && n > 0
}

// Delete drops key.
func (c *weChatCache) Delete(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), wechatTimeout)
	defer cancel()
	return c.DeleteContext(ctx, key)
}

// DeleteContext drops key.
func (c *weChatCache) DeleteContext(ctx context.Context, key string) error {
	return c.client.Del(ctx, c.k.wechat(key)).Err()
}
