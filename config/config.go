// Package config holds everything 送暖 needs to know before it serves: where
// to listen, which Redis to use, the WeCom app's credentials, the campaign
// clock, the staff directory and the limits that protect the bot.
//
// A Config is built in three layers, each overriding the one before:
// Default(), then a YAML file, then environment variables. Load does all
// three and validates the result; Validate reports every problem at once,
// each with its YAML key and the file line or environment variable it came
// from, so an operator fixes a bad deployment in one pass instead of one
// restart per mistake.
//
// An environment variable that is set but empty counts as unset: a blank
// line in a .env file must not wipe a credential the YAML file provides.
//
// With no WeCom credentials at all the bot runs in demo mode (see Demo and
// ApplyDemo): it talks to a fake WeCom API mounted on its own HTTP server
// and seals personal numbers with a public key, which is fine for a trial
// and never for real households.
package config

import (
	"encoding/base64"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"songnuan/domain"
)

// Config is the bot's settings. Settings() documents every field; build a
// Config with Default or Load rather than a literal so defaults apply.
type Config struct {
	HTTPAddr string // listen address, host:port
	// RedisURL is redis://, rediss://, redis+cluster:// or
	// redis+sentinel:// (see ParseRedisURL); empty means the embedded
	// in-process store.
	RedisURL string
	// KeyPrefix starts every Redis key the bot writes, so several
	// campaigns or environments can share one Redis.
	KeyPrefix string
	WeCom     WeCom
	// PublicURL is where WeCom users reach the workbench pages
	// (https://host, no path); empty means the request's scheme and host.
	PublicURL string
	// Now, when not zero, is where the campaign clock starts (see Clock).
	Now      time.Time
	Policy   string // path of a policy YAML; empty means the built-in policy
	Schedule string // path of a schedule YAML; empty means the built-in schedule
	Staff    []domain.Staff

	RateLimitPerMinute int           // messages one user may send per minute
	MaxBodyBytes       int64         // largest callback body accepted
	DedupTTL           time.Duration // how long a MsgId is remembered
	// DataKey is base64 of the 32-byte key that seals ID and phone numbers
	// at rest. Use SealKey for the bytes.
	DataKey  string
	LogLevel string // debug, info, warn or error

	Rescue Rescue
	// AdminsNotify lists the userids told about failed broadcasts; nil
	// means every admin in Staff (see NotifyAdmins).
	AdminsNotify []string

	// src records where each key's value came from, so problems found
	// after loading still point at a file line or a variable.
	src map[string]source
	// demo is set by ApplyDemo: Demo stays true once the demo credentials
	// have filled the empty ones.
	demo bool
}

// WeCom is the self-built app (自建应用) the bot answers as.
type WeCom struct {
	CorpID         string
	Token          string // callback token, signs every callback
	EncodingAESKey string // 43 characters, encrypts every callback
	AgentID        string // digits
	Secret         string // app secret, for access tokens
	APIBase        string // WeCom API root; tests and demo mode point it at a fake
	// OAuthBase is where the pages' OAuth2 sign-in starts
	// (open.weixin.qq.com); demo mode points it at the fake.
	OAuthBase string
}

// Rescue says where 流浪 (rough sleeper) alerts go: app messages to users,
// an app group chat, a group robot, or any mix of them.
type Rescue struct {
	Users    []string
	ChatID   string
	RobotKey string
}

// Empty reports whether rescue alerts have nowhere to go.
func (r Rescue) Empty() bool {
	return len(r.Users) == 0 && r.ChatID == "" && r.RobotKey == ""
}

// source is where a key's value came from: a file line or a variable.
type source struct {
	line int
	env  string
}

// Default returns the settings the bot uses when nothing overrides them.
func Default() Config {
	return Config{
		HTTPAddr:           ":8080",
		KeyPrefix:          "sn:",
		WeCom:              WeCom{APIBase: "https://qyapi.weixin.qq.com", OAuthBase: "https://open.weixin.qq.com"},
		RateLimitPerMinute: 60,
		MaxBodyBytes:       64 << 10,
		DedupTTL:           24 * time.Hour,
		LogLevel:           "info",
	}
}

// Demo reports whether the bot runs without real WeCom credentials: true
// when corp_id, token, encoding_aes_key and secret are all empty, and
// still true after ApplyDemo has filled them.
func (c Config) Demo() bool {
	w := c.WeCom
	return c.demo || w.CorpID == "" && w.Token == "" && w.EncodingAESKey == "" && w.Secret == ""
}

// Clock returns the campaign clock. Without Now it is time.Now. With Now it
// starts at Now when Clock is called and then advances with the real
// (monotonic) clock: a demo set on the eve of a deadline should see the
// deadline pass, which a frozen clock would never show. Tests that need a
// frozen time inject their own domain.Clock.
func (c Config) Clock() domain.Clock {
	return clockFrom(c.Now, time.Now)
}

// clockFrom is Clock with the real clock injected, for tests.
func clockFrom(start time.Time, real func() time.Time) domain.Clock {
	if start.IsZero() {
		return domain.Clock(real)
	}
	base := real()
	return func() time.Time { return start.Add(real().Sub(base)) }
}

// Directory returns the staff by userid.
func (c Config) Directory() domain.Directory {
	d := make(domain.Directory, len(c.Staff))
	for _, s := range c.Staff {
		d[s.UserID] = s
	}
	return d
}

// NotifyAdmins returns who is told about failed broadcasts: AdminsNotify
// when set, else every admin in Staff.
func (c Config) NotifyAdmins() []string {
	if c.AdminsNotify != nil {
		return append([]string(nil), c.AdminsNotify...)
	}
	var ids []string
	for _, s := range c.Staff {
		if s.Role == domain.RoleAdmin {
			ids = append(ids, s.UserID)
		}
	}
	return ids
}

// SealKey returns the 32-byte key that seals personal numbers, or nil when
// DataKey is empty or not a valid key (Validate reports which).
func (c Config) SealKey() []byte {
	k, err := decodeKey(c.DataKey)
	if err != nil {
		return nil
	}
	return k
}

// decodeKey accepts the usual base64 spellings of a 32-byte key, since
// `openssl rand -base64 32` and URL-safe generators both turn up.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		var k []byte
		if k, err = enc.DecodeString(s); err == nil {
			if len(k) != 32 {
				return nil, errKeyLength(len(k))
			}
			return k, nil
		}
	}
	return nil, err
}

// SlogLevel returns LogLevel as a slog level (info when unrecognised;
// Validate rejects those).
func (c Config) SlogLevel() slog.Level {
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogValue lets the config be logged at start-up without its secrets: the
// token, AES key, app secret, data key, robot key and Redis password are
// shown only as set or unset.
func (c Config) LogValue() slog.Value {
	redisURL := c.RedisURL
	if t, err := ParseRedisURL(c.RedisURL); err == nil && t.Password != "" {
		redisURL = redactPassword(c.RedisURL)
	}
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr),
		slog.String("redis_url", redisURL),
		slog.String("key_prefix", c.KeyPrefix),
		slog.Bool("demo", c.Demo()),
		slog.String("corp_id", c.WeCom.CorpID),
		slog.String("agent_id", c.WeCom.AgentID),
		slog.String("api_base", c.WeCom.APIBase),
		slog.String("oauth_base", c.WeCom.OAuthBase),
		slog.String("public_url", c.PublicURL),
		slog.String("token", redacted(c.WeCom.Token)),
		slog.String("encoding_aes_key", redacted(c.WeCom.EncodingAESKey)),
		slog.String("secret", redacted(c.WeCom.Secret)),
		slog.String("data_key", redacted(c.DataKey)),
		slog.String("now", formatTime(c.Now)),
		slog.String("policy", c.Policy),
		slog.String("schedule", c.Schedule),
		slog.Int("staff", len(c.Staff)),
		slog.Int("rate_limit_per_minute", c.RateLimitPerMinute),
		slog.Int64("max_body_bytes", c.MaxBodyBytes),
		slog.Duration("dedup_ttl", c.DedupTTL),
		slog.String("log_level", c.LogLevel),
		slog.Int("rescue_users", len(c.Rescue.Users)),
		slog.String("rescue_chat_id", c.Rescue.ChatID),
		slog.String("rescue_robot_key", redacted(c.Rescue.RobotKey)),
		slog.Any("admins_notify", c.NotifyAdmins()),
	)
}

func redacted(s string) string {
	if s == "" {
		return ""
	}
	return "(set)"
}

// redactPassword replaces the password between "://user:" and "@".
func redactPassword(u string) string {
	i := strings.Index(u, "://")
	at := strings.LastIndex(u, "@")
	if i < 0 || at < i {
		return u
	}
	user := u[i+3 : at]
	if j := strings.Index(user, ":"); j >= 0 {
		user = user[:j] + ":xxxxx"
	}
	return u[:i+3] + user + u[at:]
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// listenPort returns the port of a listen address such as ":8080",
// "0.0.0.0:9000" or "[::]:80", or "" when there is none.
func listenPort(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return p
	}
	if _, err := strconv.Atoi(addr); err == nil {
		return addr
	}
	return ""
}
