package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Setting documents one setting: the README's settings table is generated
// from Settings.
type Setting struct {
	Key     string // YAML key, dotted for nested keys: "wecom.corp_id"
	Env     string // environment variable, "" when the setting has none
	Default string // the default, as it would be written in the file
	Meaning string
	Example string // a valid value, as it would be written in the file
}

// Settings returns every setting in the order of the example file.
func Settings() []Setting {
	d := Default()
	out := make([]Setting, len(fields))
	for i, f := range fields {
		def := f.def
		if def == "" {
			def = f.get(&d)
		}
		out[i] = Setting{Key: f.key, Env: f.env, Default: def, Meaning: f.meaning, Example: f.example}
	}
	return out
}

// SettingsTable renders Settings as the Markdown table the README shows,
// so the README can be regenerated rather than kept in step by hand.
func SettingsTable() string {
	var b strings.Builder
	b.WriteString("| YAML key | environment | default | meaning |\n| --- | --- | --- | --- |\n")
	cell := func(s string) string {
		if s == "" {
			return ""
		}
		return "`" + strings.ReplaceAll(s, "|", "\\|") + "`"
	}
	for _, s := range Settings() {
		def := s.Default
		if !strings.HasPrefix(def, "(") {
			def = cell(def)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(s.Key), cell(s.Env), def, strings.ReplaceAll(s.Meaning, "|", "\\|"))
	}
	return b.String()
}

// field is one setting and how to read and write it. Scalar settings have
// set, which both the file and the environment go through; list settings
// have list and are set from the file only.
type field struct {
	key, env, meaning, example string
	def                        string // overrides get(Default()) in Settings when the zero value needs words
	set                        func(c *Config, v string) error
	list                       func(l *loader, c *Config, key string, n *yaml.Node)
	get                        func(c *Config) string
}

// fields is every setting. Load consults only the variables named here,
// so Settings cannot miss one.
var fields = []field{
	{key: "http_addr", env: "HTTP_ADDR", example: ":8080",
		meaning: "address the HTTP server listens on (WeCom callback, health, metrics)",
		set:     func(c *Config, v string) error { c.HTTPAddr = v; return nil },
		get:     func(c *Config) string { return c.HTTPAddr }},
	{key: "redis_url", env: "REDIS_URL", def: "(embedded store)", example: "redis://127.0.0.1:6379/0",
		meaning: "redis://[user:pass@]host:port/db, rediss://… for TLS, redis+cluster://host:port,host:port/ for a cluster, " +
			"redis+sentinel://[:pass@]host:port,host:port/master/db for sentinels; empty runs an embedded in-process store (data is lost on exit)",
		set: func(c *Config, v string) error { c.RedisURL = v; return nil },
		get: func(c *Config) string { return c.RedisURL }},
	{key: "key_prefix", env: "SONGNUAN_KEY_PREFIX", example: "songnuan_2026_",
		meaning: "start of every Redis key the bot writes, so several campaigns or environments can share one Redis; no { or } (Redis Cluster hash tags)",
		set:     func(c *Config, v string) error { c.KeyPrefix = v; return nil },
		get:     func(c *Config) string { return c.KeyPrefix }},
	{key: "wecom.corp_id", def: "(empty: demo mode)", env: "WECOM_CORP_ID", example: "ww0123456789abcdef",
		meaning: "企业ID (CorpID) of the WeCom organisation",
		set:     func(c *Config, v string) error { c.WeCom.CorpID = v; return nil },
		get:     func(c *Config) string { return c.WeCom.CorpID }},
	{key: "wecom.token", def: "(empty: demo mode)", env: "WECOM_TOKEN", example: "QDG6eK",
		meaning: "callback Token of the app (3–32 letters or digits)",
		set:     func(c *Config, v string) error { c.WeCom.Token = v; return nil },
		get:     func(c *Config) string { return c.WeCom.Token }},
	{key: "wecom.encoding_aes_key", def: "(empty: demo mode)", env: "WECOM_ENCODING_AES_KEY", example: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
		meaning: "callback EncodingAESKey of the app (43 characters)",
		set:     func(c *Config, v string) error { c.WeCom.EncodingAESKey = v; return nil },
		get:     func(c *Config) string { return c.WeCom.EncodingAESKey }},
	{key: "wecom.agent_id", env: "WECOM_AGENT_ID", def: "(required; demo mode uses 1000002)", example: "1000002",
		meaning: "AgentId of the app",
		set:     func(c *Config, v string) error { c.WeCom.AgentID = v; return nil },
		get:     func(c *Config) string { return c.WeCom.AgentID }},
	{key: "wecom.secret", def: "(empty: demo mode)", env: "WECOM_SECRET", example: "app-secret-from-the-admin-console",
		meaning: "Secret of the app, for access tokens",
		set:     func(c *Config, v string) error { c.WeCom.Secret = v; return nil },
		get:     func(c *Config) string { return c.WeCom.Secret }},
	{key: "wecom.api_base", env: "WECOM_API_BASE", example: "https://qyapi.weixin.qq.com",
		meaning: "root of the WeCom API; demo mode points it at the bot's own fake",
		set:     func(c *Config, v string) error { c.WeCom.APIBase = strings.TrimRight(v, "/"); return nil },
		get:     func(c *Config) string { return c.WeCom.APIBase }},
	{key: "wecom.oauth_base", env: "WECOM_OAUTH_BASE", example: "https://open.weixin.qq.com",
		meaning: "where the workbench pages' silent OAuth2 sign-in (snsapi_base) starts; demo mode points it at the bot's own fake, which offers the demo users",
		set:     func(c *Config, v string) error { c.WeCom.OAuthBase = strings.TrimRight(v, "/"); return nil },
		get:     func(c *Config) string { return c.WeCom.OAuthBase }},
	{key: "public_url", env: "SONGNUAN_PUBLIC_URL", def: "(the request's scheme and host)", example: "https://songnuan.example.gov.cn",
		meaning: "address WeCom users reach the workbench (/app/) at; its domain is the app's 可信域名. Sign-in redirects and the links in 进度 and 待办 answers are built from it; unset, redirects use the request's scheme and host and chat answers carry no link (demo mode links to the local address)",
		set:     func(c *Config, v string) error { c.PublicURL = strings.TrimRight(v, "/"); return nil },
		get:     func(c *Config) string { return c.PublicURL }},
	{key: "now", env: "SONGNUAN_NOW", def: "(real clock)", example: "2026-01-20T09:00:00+08:00",
		meaning: "RFC 3339 time the campaign clock starts at; it then runs on with the real clock",
		set: func(c *Config, v string) error {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return fmt.Errorf("is not an RFC 3339 time, e.g. 2026-01-20T09:00:00+08:00")
			}
			c.Now = t
			return nil
		},
		get: func(c *Config) string { return formatTime(c.Now) }},
	{key: "policy", env: "SONGNUAN_POLICY", def: "(built-in)", example: "/etc/songnuan/policy.yaml",
		meaning: "path of a subsidy policy YAML; empty uses the built-in 长宁区 standards",
		set:     func(c *Config, v string) error { c.Policy = v; return nil },
		get:     func(c *Config) string { return c.Policy }},
	{key: "schedule", env: "SONGNUAN_SCHEDULE", def: "(built-in)", example: "/etc/songnuan/schedule.yaml",
		meaning: "path of a campaign schedule YAML; empty uses the built-in timeline",
		set:     func(c *Config, v string) error { c.Schedule = v; return nil },
		get:     func(c *Config) string { return c.Schedule }},
	{key: "staff", def: "(none; demo mode adds four)", example: "[{userid: wang, name: 王芳, role: worker, committee: 甘泉一村}]",
		meaning: "list of {userid, name, role, committee}; role is worker, leader or admin; a worker needs a committee",
		list:    decodeStaff,
		get:     func(c *Config) string { return fmt.Sprint(len(c.Staff), " staff") }},
	{key: "rate_limit_per_minute", example: "60",
		meaning: "messages one user may send per minute before the bot asks them to slow down",
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("is not a whole number, e.g. 60")
			}
			c.RateLimitPerMinute = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(c.RateLimitPerMinute) }},
	{key: "max_body_bytes", example: "64KiB",
		meaning: "largest callback body accepted, in bytes or with KiB/MiB",
		set: func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			c.MaxBodyBytes = n
			return nil
		},
		get: func(c *Config) string { return formatSize(c.MaxBodyBytes) }},
	{key: "dedup_ttl", example: "24h",
		meaning: "how long a message id is remembered so a WeCom retry is not counted twice",
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("is not a duration, e.g. 24h or 90m")
			}
			c.DedupTTL = d
			return nil
		},
		get: func(c *Config) string { return formatDuration(c.DedupTTL) }},
	{key: "data_key", env: "SONGNUAN_DATA_KEY", def: "(required; demo mode uses a public key)", example: exampleDataKey,
		meaning: "base64 of 32 random bytes (`openssl rand -base64 32`) sealing ID and phone numbers at rest; keep it safe, data sealed with a lost key is lost",
		set:     func(c *Config, v string) error { c.DataKey = v; return nil },
		get:     func(c *Config) string { return c.DataKey }},
	{key: "log_level", env: "LOG_LEVEL", example: "info",
		meaning: "debug, info, warn or error",
		set:     func(c *Config, v string) error { c.LogLevel = v; return nil },
		get:     func(c *Config) string { return c.LogLevel }},
	{key: "rescue.users", example: "[zhao, admin]",
		meaning: "userids sent 流浪 (rough sleeper) alerts as app messages",
		list:    func(l *loader, c *Config, key string, n *yaml.Node) { c.Rescue.Users = l.userids(key, n) },
		get:     func(c *Config) string { return strings.Join(c.Rescue.Users, ", ") }},
	{key: "rescue.chat_id", example: "wrkSFfCgAAxxxx",
		meaning: "app group chat (appchat) sent 流浪 alerts",
		set:     func(c *Config, v string) error { c.Rescue.ChatID = v; return nil },
		get:     func(c *Config) string { return c.Rescue.ChatID }},
	{key: "rescue.robot_key", example: "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
		meaning: "key of a group robot (群机器人) sent 流浪 alerts: the key=… part of its webhook URL",
		set:     func(c *Config, v string) error { c.Rescue.RobotKey = v; return nil },
		get:     func(c *Config) string { return c.Rescue.RobotKey }},
	{key: "admins_notify", def: "(every admin in staff)", example: "[admin]",
		meaning: "userids told when a broadcast fails",
		list:    func(l *loader, c *Config, key string, n *yaml.Node) { c.AdminsNotify = l.userids(key, n) },
		get:     func(c *Config) string { return strings.Join(c.AdminsNotify, ", ") }},
}

// fieldByKey finds a setting by its dotted key.
func fieldByKey(key string) (field, bool) {
	for _, f := range fields {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// parseSize reads a byte count: 65536, 64KiB, 1MiB (KB and MB are read as
// KiB and MiB: nobody sizes a request body in powers of ten on purpose).
func parseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"K", 1 << 10}, {"M", 1 << 20}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > (1<<62)/mult {
		return 0, fmt.Errorf("is not a size, e.g. 65536 or 64KiB")
	}
	return n * mult, nil
}

func formatSize(n int64) string {
	switch {
	case n != 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n != 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// formatDuration drops the "0m0s" tail time.Duration.String leaves on
// whole hours, so the documented default reads as it would be written.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
