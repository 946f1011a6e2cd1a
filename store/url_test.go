package store

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestParseCluster(t *testing.T) {
	o, err := parseCluster("redis", "u:secret@10.0.0.1:7000,10.0.0.2:7001, 10.0.0.3:7002/?read_timeout=3s")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.Addrs, []string{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:7002"}; !slices.Equal(got, want) {
		t.Errorf("Addrs = %q, want %q", got, want)
	}
	if o.Username != "u" || o.Password != "secret" {
		t.Errorf("credentials = %q/%q, want u/secret", o.Username, o.Password)
	}
	if o.ReadTimeout != 3*time.Second {
		t.Errorf("ReadTimeout = %v, want the URL's 3s", o.ReadTimeout)
	}
	if o.DialTimeout != dialTimeout || o.WriteTimeout != ioTimeout || o.PoolSize < 32 {
		t.Errorf("dial %v write %v pool %d: defaults not applied", o.DialTimeout, o.WriteTimeout, o.PoolSize)
	}
}

func TestParseSentinel(t *testing.T) {
	o, err := parseSentinel("redis", ":pw@10.0.0.1:26379,10.0.0.2:26379/mymaster/2?sentinel_password=spw")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.SentinelAddrs, []string{"10.0.0.1:26379", "10.0.0.2:26379"}; !slices.Equal(got, want) {
		t.Errorf("SentinelAddrs = %q, want %q", got, want)
	}
	if o.MasterName != "mymaster" || o.DB != 2 {
		t.Errorf("master %q db %d, want mymaster 2", o.MasterName, o.DB)
	}
	if o.Password != "pw" || o.SentinelPassword != "spw" {
		t.Errorf("passwords %q/%q, want pw (master) and spw (sentinel)", o.Password, o.SentinelPassword)
	}
	if o.ReadTimeout != ioTimeout || o.PoolSize < 32 {
		t.Errorf("read %v pool %d: defaults not applied", o.ReadTimeout, o.PoolSize)
	}

	o, err = parseSentinel("redis", "10.0.0.1:26379/mymaster")
	if err != nil {
		t.Fatal(err)
	}
	if o.MasterName != "mymaster" || o.DB != 0 || o.Password != "" {
		t.Errorf("master %q db %d password %q, want mymaster 0 none", o.MasterName, o.DB, o.Password)
	}
}

// TestDefaultPorts: hosts without a port get Redis's and Sentinel's
// default ports, as config.ParseRedisURL promises.
func TestDefaultPorts(t *testing.T) {
	c, err := parseCluster("redis", "10.0.0.1,10.0.0.2:7001,[fd00::3]")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Addrs, []string{"10.0.0.1:6379", "10.0.0.2:7001", "[fd00::3]:6379"}; !slices.Equal(got, want) {
		t.Errorf("cluster Addrs = %q, want %q", got, want)
	}
	f, err := parseSentinel("redis", "10.0.0.1,10.0.0.2/mymaster")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.SentinelAddrs, []string{"10.0.0.1:26379", "10.0.0.2:26379"}; !slices.Equal(got, want) {
		t.Errorf("SentinelAddrs = %q, want %q", got, want)
	}
}

func TestNewClientURLs(t *testing.T) {
	for _, tc := range []struct {
		url     string
		cluster bool
	}{
		{"redis://127.0.0.1:1/0", false},
		{"rediss://:pw@127.0.0.1:1/3", false},
		{"redis+cluster://127.0.0.1:1,127.0.0.1:2", true},
		{"redis+sentinel://127.0.0.1:1,127.0.0.1:2/mymaster/0", false},
	} {
		c, err := newClient(tc.url)
		if err != nil {
			t.Errorf("newClient(%q): %v", tc.url, err)
			continue
		}
		if _, ok := c.(*redis.ClusterClient); ok != tc.cluster {
			t.Errorf("newClient(%q) = %T, cluster client %v", tc.url, c, tc.cluster)
		}
		c.Close()
	}
}

func TestNewClientRefusesBadURLs(t *testing.T) {
	for _, raw := range []string{
		"127.0.0.1:6379",
		"http://127.0.0.1:6379",
		"redis+sentinel://127.0.0.1:1",
		"redis+sentinel://127.0.0.1:1/a/b/c",
		"redis+cluster://",
		"redis://:topsecret@127.0.0.1:6379/notanumber",
	} {
		c, err := newClient(raw)
		if err == nil {
			c.Close()
			t.Errorf("newClient(%q) accepted it", raw)
			continue
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("newClient(%q) error shows the password: %v", raw, err)
		}
	}
}
