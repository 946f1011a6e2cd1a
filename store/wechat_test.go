package store_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"

	"songnuan/store"
	"songnuan/store/storetest"
)

func TestWeChatCache(t *testing.T) {
	s := storetest.Open(t)
	c := store.NewWeChatCache(s.Client(), s.Prefix())
	if v := c.Get("token"); v != nil {
		t.Errorf("Get of a missing key = %#v, want nil", v)
	}
	if c.IsExist("token") {
		t.Error("IsExist of a missing key")
	}
	if err := c.Set("token", "abc123", time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Get("token").(string); !ok || v != "abc123" {
		t.Errorf("Get = %#v, want the string abc123", c.Get("token"))
	}
	if !c.IsExist("token") {
		t.Error("IsExist after Set")
	}
	ttl, err := s.Client().TTL(context.Background(), s.Prefix()+"wx:token").Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Errorf("TTL = %v, %v; want up to an hour under the store's prefix", ttl, err)
	}
	if err := c.Delete("token"); err != nil {
		t.Fatal(err)
	}
	if c.Get("token") != nil || c.IsExist("token") {
		t.Error("key still there after Delete")
	}
	// A timeout of zero or less caches nothing (the SDK's memory cache
	// treats it as expired at once).
	c.Set("t2", "x", time.Hour)
	if err := c.Set("t2", "y", 0); err != nil {
		t.Fatal(err)
	}
	if v := c.Get("t2"); v != nil {
		t.Errorf("after Set with timeout 0 Get = %#v, want nil", v)
	}
	if _, ok := c.(cache.ContextCache); !ok {
		t.Error("the cache does not take contexts")
	}
}

// TestWeChatCacheServesSDKToken checks the SDK reads a cached token through
// the cache (a wrong type would panic in its val.(string)). Any request the
// SDK tried instead would fail the test, not leave the machine.
func TestWeChatCacheServesSDKToken(t *testing.T) {
	old := util.DefaultHTTPClient
	util.DefaultHTTPClient = &http.Client{Transport: refuse{t}}
	t.Cleanup(func() { util.DefaultHTTPClient = old })
	s := storetest.Open(t)
	c := store.NewWeChatCache(s.Client(), s.Prefix())
	ak := credential.NewWorkAccessTokenWithAgentID("wx5823bf96d3bd56c7", "secret", "1000002", credential.CacheKeyWorkPrefix, c)
	key := credential.CacheKeyWorkPrefix + "_access_token_wx5823bf96d3bd56c7_1000002"
	if err := c.Set(key, "cached-token", time.Hour); err != nil {
		t.Fatal(err)
	}
	got, err := ak.GetAccessToken()
	if err != nil || got != "cached-token" {
		t.Errorf("GetAccessToken = %q, %v; want the cached token", got, err)
	}
}

// refuse is a transport that fails the test on any request.
type refuse struct{ t *testing.T }

func (r refuse) RoundTrip(req *http.Request) (*http.Response, error) {
	r.t.Errorf("the SDK sent a request to %s instead of using the cached token", req.URL.Host)
	return nil, errors.New("no network in tests")
}
