package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseRedisURL(t *testing.T) {
	tests := []struct {
		in   string
		want RedisTarget
	}{
		{"", RedisTarget{Kind: RedisEmbedded}},
		{"redis://127.0.0.1:6379/0", RedisTarget{Kind: RedisSingle, Addrs: []string{"127.0.0.1:6379"}}},
		{"redis://redis", RedisTarget{Kind: RedisSingle, Addrs: []string{"redis:6379"}}},
		{"rediss://u:p%40ss@cache.example:6380/3?dial_timeout=3s", RedisTarget{Kind: RedisSingle, TLS: true, Addrs: []string{"cache.example:6380"}, Username: "u", Password: "p@ss", DB: 3}},
		{"redis://[::1]:6379/", RedisTarget{Kind: RedisSingle, Addrs: []string{"[::1]:6379"}}},
		{"redis+cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3/", RedisTarget{Kind: RedisCluster, Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7001", "10.0.0.3:6379"}}},
		{"redis+cluster://u:pw@10.0.0.1:7000", RedisTarget{Kind: RedisCluster, Addrs: []string{"10.0.0.1:7000"}, Username: "u", Password: "pw"}},
		{"rediss+cluster://10.0.0.1:7000/0", RedisTarget{Kind: RedisCluster, TLS: true, Addrs: []string{"10.0.0.1:7000"}}},
		{"redis+sentinel://:pw@10.0.0.1,10.0.0.2:26380/mymaster/2", RedisTarget{Kind: RedisSentinel, Addrs: []string{"10.0.0.1:26379", "10.0.0.2:26380"}, Password: "pw", MasterName: "mymaster", DB: 2}},
		{"redis+sentinel://s1:26379/mymaster", RedisTarget{Kind: RedisSentinel, Addrs: []string{"s1:26379"}, MasterName: "mymaster"}},
	}
	for _, tt := range tests {
		got, err := ParseRedisURL(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRedisURL(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRedisURLErrors(t *testing.T) {
	tests := []struct{ in, says string }{
		{"127.0.0.1:6379", "must be a URL"},
		{"memcache://127.0.0.1:11211", `scheme "memcache"`},
		{"unix:///tmp/redis.sock", `scheme "unix"`},
		{"redis://", "names no host"},
		{"redis://127.0.0.1:6379/zero", "not a number"},
		{"redis://127.0.0.1:99999/0", "bad host:port"},
		{"redis://127.0.0.1:port/0", "not a valid URL"},
		{"redis+cluster://db1.lan:7000,,db2.lan:7000/", "empty host"},
		{"redis+cluster://db1.lan:7000/2", "only database 0"},
		{"redis+cluster://db1.lan:port/", "bad host:port"},
		{"redis+cluster://db1.lan:7000/?read_timeout=1s", "no ?options"},
		{"redis+sentinel://db1.lan:26379", "names no master"},
		{"redis+sentinel://db1.lan:26379/", "names no master"},
		{"redis+sentinel://db1.lan:26379/m/x", "not a number"},
		{"redis+sentinel://db1.lan:26379/m/0/extra", "too many path parts"},
		{"redis+sentinel://:p%zz@db1.lan/m", "badly escaped"},
	}
	for _, tt := range tests {
		_, err := ParseRedisURL(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("ParseRedisURL(%q) = %v, want an error saying %q", tt.in, err, tt.says)
			continue
		}
		if strings.Contains(err.Error(), "db1.lan") || strings.Contains(err.Error(), "%zz") {
			t.Errorf("ParseRedisURL(%q) error repeats the URL: %v", tt.in, err)
		}
		if !strings.Contains(err.Error(), "e.g. redis_url: ") {
			t.Errorf("ParseRedisURL(%q) error has no example: %v", tt.in, err)
		}
	}
}

func FuzzParseRedisURL(f *testing.F) {
	for _, s := range []string{"", "redis://a:1/0", "redis+cluster://a:1,b:2/", "redis+sentinel://:p@a,b:2/m/1", "rediss://u:p@[::1]:6379/2?x=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseRedisURL(s)
		if err != nil {
			return
		}
		if got.Kind != RedisEmbedded && len(got.Addrs) == 0 {
			t.Errorf("ParseRedisURL(%q) = %+v: no address", s, got)
		}
		if got.Kind == RedisSentinel && got.MasterName == "" {
			t.Errorf("ParseRedisURL(%q) = %+v: sentinel without a master", s, got)
		}
	})
}

func FuzzLoadFile(f *testing.F) {
	for _, s := range []string{"http_addr: \":8080\"\n", "wecom: {corp_id: ww1}\nstaff: [{userid: a}]\n", "- a\n", "a: &x [*x]\n", "staff:\n  - *y\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Default()
		l := newLoader()
		l.loadFile(&c, []byte(s))
		for _, p := range l.Problems() {
			if p.Msg == "" {
				t.Errorf("problem without a message for %q: %+v", s, p)
			}
		}
		_ = c.Validate()
	})
}
