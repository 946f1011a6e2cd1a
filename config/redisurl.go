package config

import (
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// RedisKind is how the bot reaches its store.
type RedisKind string

// The store kinds redis_url can name.
const (
	RedisEmbedded RedisKind = "embedded" // redis_url empty: in-process, nothing persists
	RedisSingle   RedisKind = "single"   // redis:// or rediss://
	RedisCluster  RedisKind = "cluster"  // redis+cluster:// or rediss+cluster://
	RedisSentinel RedisKind = "sentinel" // redis+sentinel:// or rediss+sentinel://
)

// RedisTarget is a parsed redis_url. For RedisSingle, hand the URL itself
// to go-redis's ParseURL so its ?options (dial_timeout=…) apply; for a
// cluster, Addrs are the seed nodes (ClusterOptions.Addrs); for sentinel,
// Addrs are the sentinels (FailoverOptions.SentinelAddrs), MasterName the
// monitored master and Password the master's password.
type RedisTarget struct {
	Kind       RedisKind
	TLS        bool
	Addrs      []string // host:port, default ports filled in
	Username   string
	Password   string
	DB         int
	MasterName string
}

// ParseRedisURL reads a redis_url. Besides go-redis's own redis:// and
// rediss:// it accepts two forms that name several hosts at once:
//
//	redis+cluster://[user:pass@]host:port,host:port/
//	redis+sentinel://[:pass@]host:port,host:port/master_name[/db]
//
// (rediss+cluster and rediss+sentinel add TLS). A cluster has database 0
// only. A missing port means 6379, or 26379 for a sentinel. The empty URL
// is the embedded store. Errors say what to fix, with an example.
func ParseRedisURL(s string) (RedisTarget, error) {
	if s == "" {
		return RedisTarget{Kind: RedisEmbedded}, nil
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return RedisTarget{}, errors.New("must be a URL, e.g. redis_url: redis://127.0.0.1:6379/0 (leave it empty for the embedded store)")
	}
	switch scheme {
	case "redis", "rediss":
		return parseSingle(s)
	case "redis+cluster", "rediss+cluster":
		return parseMulti(RedisCluster, scheme, rest)
	case "redis+sentinel", "rediss+sentinel":
		return parseMulti(RedisSentinel, scheme, rest)
	}
	return RedisTarget{}, errors.New("has scheme " + strconv.Quote(scheme) +
		"; use redis://, rediss://, redis+cluster:// or redis+sentinel://, e.g. redis_url: redis://127.0.0.1:6379/0")
}

func parseSingle(s string) (RedisTarget, error) {
	const example = "e.g. redis_url: redis://:password@127.0.0.1:6379/0"
	u, err := url.Parse(s)
	if err != nil {
		return RedisTarget{}, errors.New("is not a valid URL, " + example)
	}
	t := RedisTarget{Kind: RedisSingle, TLS: u.Scheme == "rediss"}
	if u.Hostname() == "" {
		return RedisTarget{}, errors.New("names no host, " + example)
	}
	addr, err := hostPort(u.Host, "6379")
	if err != nil {
		return RedisTarget{}, errors.New(err.Error() + ", " + example)
	}
	t.Addrs = []string{addr}
	if u.User != nil {
		t.Username = u.User.Username()
		t.Password, _ = u.User.Password()
	}
	if t.DB, err = dbNumber(strings.Trim(u.Path, "/")); err != nil {
		return RedisTarget{}, errors.New(err.Error() + ", " + example)
	}
	return t, nil
}

func parseMulti(kind RedisKind, scheme, rest string) (RedisTarget, error) {
	example := "e.g. redis_url: redis+cluster://10.0.0.1:6379,10.0.0.2:6379/"
	defPort := "6379"
	if kind == RedisSentinel {
		example = "e.g. redis_url: redis+sentinel://:password@10.0.0.1:26379,10.0.0.2:26379/mymaster/0"
		defPort = "26379"
	}
	t := RedisTarget{Kind: kind, TLS: strings.HasPrefix(scheme, "rediss")}
	if strings.ContainsAny(rest, "?#") {
		return RedisTarget{}, errors.New("takes no ?options in the " + string(kind) + " form, " + example)
	}
	hosts, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(hosts, "@"); at >= 0 {
		user, pass, hasPass := strings.Cut(hosts[:at], ":")
		var err1, err2 error
		t.Username, err1 = url.PathUnescape(user)
		if hasPass {
			t.Password, err2 = url.PathUnescape(pass)
		}
		if err1 != nil || err2 != nil {
			return RedisTarget{}, errors.New("has a badly escaped user or password (write % as %25), " + example)
		}
		hosts = hosts[at+1:]
	}
	for h := range strings.SplitSeq(hosts, ",") {
		addr, err := hostPort(h, defPort)
		if err != nil {
			return RedisTarget{}, errors.New(err.Error() + ", " + example)
		}
		t.Addrs = append(t.Addrs, addr)
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var err error
	switch kind {
	case RedisCluster:
		if path != "" && strings.Trim(path, "/") != "" && strings.Trim(path, "/") != "0" {
			return RedisTarget{}, errors.New("names a database, but a cluster has only database 0, " + example)
		}
	case RedisSentinel:
		if parts[0] == "" {
			return RedisTarget{}, errors.New("names no master after the hosts, " + example)
		}
		t.MasterName = parts[0]
		switch len(parts) {
		case 1:
		case 2:
			if t.DB, err = dbNumber(parts[1]); err != nil {
				return RedisTarget{}, errors.New(err.Error() + ", " + example)
			}
		default:
			return RedisTarget{}, errors.New("has too many path parts (want /master_name/db), " + example)
		}
	}
	return t, nil
}

// errBadHost does not repeat the host: a password with an unescaped / or @
// would end up in it.
var errBadHost = errors.New("has a bad host:port (the port must be a number from 1 to 65535; escape / and @ in a password as %2F and %40)")

// hostPort checks one host[:port] and fills in the default port.
func hostPort(h, defPort string) (string, error) {
	if h == "" {
		return "", errors.New("has an empty host")
	}
	host, port := h, defPort
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		var err error
		if host, port, err = net.SplitHostPort(h); err != nil {
			return "", errBadHost
		}
	}
	n, err := strconv.Atoi(port)
	if host == "" || err != nil || n < 1 || n > 65535 || strings.ContainsAny(host, " /@") {
		return "", errBadHost
	}
	return net.JoinHostPort(host, port), nil
}

func dbNumber(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New("has database " + strconv.Quote(s) + ", which is not a number")
	}
	return n, nil
}
