package store

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client settings the program needs whatever the URL says: a store that
// does not answer within a second or two is down as far as a chat user is
// concerned (WeCom retries after 5 s), and the pool must serve 32+
// concurrent callbacks without queueing.
const (
	dialTimeout  = 2 * time.Second
	ioTimeout    = 1500 * time.Millisecond
	minPoolSize  = 64
	minIdleConns = 4
	maxRetries   = 2
	dialAttempts = 2 // per connection; go-redis tries 5 times, 100 ms apart
)

// newClient builds the client for a URL (see Options.URL). Settings given in
// the URL's query win over the defaults above.
func newClient(raw string) (redis.UniversalClient, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("redis url %q: want redis://host:port/db", redact(raw))
	}
	var err error
	switch scheme {
	case "redis", "rediss":
		var o *redis.Options
		if o, err = redis.ParseURL(raw); err == nil {
			tuneClient(o)
			return redis.NewClient(o), nil
		}
	case "redis+cluster", "rediss+cluster":
		var o *redis.ClusterOptions
		if o, err = parseCluster(strings.TrimSuffix(scheme, "+cluster"), rest); err == nil {
			return redis.NewClusterClient(o), nil
		}
	case "redis+sentinel", "rediss+sentinel":
		var o *redis.FailoverOptions
		if o, err = parseSentinel(strings.TrimSuffix(scheme, "+sentinel"), rest); err == nil {
			return redis.NewFailoverClient(o), nil
		}
	default:
		err = fmt.Errorf("unknown scheme %q, want redis, rediss, redis+cluster or redis+sentinel", scheme)
	}
	return nil, fmt.Errorf("redis url %q: %w", redact(raw), err)
}

// parseCluster reads the part after "redis+cluster://": h:p,h:p[/?opts].
func parseCluster(scheme, rest string) (*redis.ClusterOptions, error) {
	u, hosts, err := splitHosts(scheme, rest, "6379")
	if err != nil {
		return nil, err
	}
	q := u.Query()
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	u.RawQuery = q.Encode()
	o, err := redis.ParseClusterURL(u.String())
	if err != nil {
		return nil, err
	}
	tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolSize, &o.MinIdleConns, &o.MaxRetries, &o.DialerRetries)
	return o, nil
}

// parseSentinel reads the part after "redis+sentinel://":
// [:pw@]h:p,h:p/master[/db][?opts]. The password is the master's (sentinels
// are often unauthenticated); sentinel_password=… in the query sets the
// sentinels' own.
func parseSentinel(scheme, rest string) (*redis.FailoverOptions, error) {
	u, hosts, err := splitHosts(scheme, rest, "26379")
	if err != nil {
		return nil, err
	}
	parts := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	if len(parts) < 1 || len(parts) > 2 {
		return nil, fmt.Errorf("want redis+sentinel://h:p,h:p/mymaster/0")
	}
	q := u.Query()
	q.Set("master_name", parts[0])
	u.Path = "/"
	if len(parts) == 2 {
		u.Path += parts[1]
	}
	for _, h := range hosts[1:] {
		q.Add("addr", h)
	}
	sentinelPassword := q.Get("sentinel_password")
	q.Del("sentinel_password")
	user := u.User
	u.User = nil
	u.RawQuery = q.Encode()
	o, err := redis.ParseFailoverURL(u.String())
	if err != nil {
		return nil, err
	}
	if user != nil {
		o.Username = user.Username()
		o.Password, _ = user.Password()
	}
	o.SentinelPassword = sentinelPassword
	tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolSize, &o.MinIdleConns, &o.MaxRetries, &o.DialerRetries)
	return o, nil
}

// splitHosts parses scheme://[userinfo@]h:p,h:p[/path][?query] into a URL
// on the first host and the list of every host, which net/url cannot parse.
// A host without a port gets defPort, as config.ParseRedisURL documents.
func splitHosts(scheme, rest, defPort string) (*url.URL, []string, error) {
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo := ""
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, authority = authority[:i+1], authority[i+1:]
	}
	var hosts []string
	for h := range strings.SplitSeq(authority, ",") {
		if h = strings.TrimSpace(h); h != "" {
			if _, _, err := net.SplitHostPort(h); err != nil {
				h = net.JoinHostPort(strings.Trim(h, "[]"), defPort)
			}
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return nil, nil, fmt.Errorf("no host, want h:p,h:p")
	}
	u, err := url.Parse(scheme + "://" + userinfo + hosts[0] + tail)
	if err != nil {
		return nil, nil, err
	}
	return u, hosts, nil
}

// tune applies the program's client settings where the URL left them unset.
func tune(dial, read, write *time.Duration, pool, idle, retries, dialRetries *int) {
	if *dial == 0 {
		*dial = dialTimeout
	}
	if *read == 0 {
		*read = ioTimeout
	}
	if *write == 0 {
		*write = ioTimeout
	}
	*pool = max(*pool, minPoolSize)
	if *idle == 0 {
		*idle = minIdleConns
	}
	if *retries == 0 {
		*retries = maxRetries
	}
	if *dialRetries <= 0 {
		*dialRetries = dialAttempts
	}
}

// tuneClient applies tune to single-server options.
func tuneClient(o *redis.Options) {
	tune(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolSize, &o.MinIdleConns, &o.MaxRetries, &o.DialerRetries)
}

// redact hides a URL's password, for error messages and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			if j := strings.Index(raw, "://"); j >= 0 && j < i {
				return raw[:j+3] + "xxxxx" + raw[i:]
			}
		}
		return raw
	}
	return u.Redacted()
}
