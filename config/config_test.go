package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"songnuan/domain"
)

// validKey is a data key that is neither the demo nor the example key.
var validKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// where is what a test expects of a problem: which key, and the line or
// variable it is attributed to.
type where struct {
	Key  string
	Line int
	Env  string
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "songnuan.yaml")
	if err := os.WriteFile(path, []byte(strings.TrimPrefix(body, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// load loads body (none when "") with env and returns where its problems are.
func load(t *testing.T, body string, env map[string]string) (Config, []where, *Error) {
	t.Helper()
	path := ""
	if body != "" {
		path = writeConfig(t, body)
	}
	c, err := Load(path, envOf(env))
	if err == nil {
		return c, nil, nil
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Load error is %T, want *Error: %v", err, err)
	}
	if e.Source != path {
		t.Errorf("Error.Source = %q, want %q", e.Source, path)
	}
	var got []where
	for _, p := range e.Problems {
		if p.Msg == "" {
			t.Errorf("problem %+v has no message", p)
		}
		got = append(got, where{p.Key, p.Line, p.Env})
	}
	return c, got, e
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []where
		msgs []string // substrings the messages must hold, in problem order
	}{{
		name: "unknown keys, with a suggestion",
		yaml: `
http_adr: ":8080"
wecom:
  corpid: ww1
  agent_id: 1000002
`,
		want: []where{{"http_adr", 1, ""}, {"wecom.corpid", 3, ""}},
		msgs: []string{"did you mean http_addr?", "did you mean corp_id?"},
	}, {
		name: "a key set twice",
		yaml: `
log_level: info
log_level: debug
`,
		want: []where{{"log_level", 2, ""}},
		msgs: []string{"first at line 1"},
	}, {
		name: "values that do not parse",
		yaml: `
rate_limit_per_minute: lots
max_body_bytes: big
dedup_ttl: 1 day
now: yesterday
http_addr: [a, b]
`,
		want: []where{{"rate_limit_per_minute", 1, ""}, {"max_body_bytes", 2, ""}, {"dedup_ttl", 3, ""}, {"now", 4, ""}, {"http_addr", 5, ""}},
		msgs: []string{"e.g. 60", "e.g. 65536", "e.g. 24h", "e.g. 2026-01-20T09:00:00+08:00", `e.g. http_addr: :8080`},
	}, {
		name: "sections and lists of the wrong shape",
		yaml: `
wecom: corp
rescue: [a]
staff: wang
admins_notify: admin
`,
		want: []where{{"wecom", 1, ""}, {"rescue", 2, ""}, {"staff", 3, ""}, {"admins_notify", 4, ""}},
		msgs: []string{"must be a mapping", "must be a mapping", "must be a list", "must be a list of userids"},
	}, {
		name: "a list item of the wrong shape",
		yaml: `
rescue:
  users:
    - zhao
    - {a: b}
`,
		want: []where{{"rescue.users[1]", 4, ""}},
	}, {
		name: "YAML syntax error",
		yaml: `
http_addr: ":8080"
wecom:
  token: "unclosed
`,
		want: []where{{"", 3, ""}},
		msgs: []string{"is not valid YAML"},
	}, {
		name: "the file is a list",
		yaml: `
- a
- b
`,
		want: []where{{"", 1, ""}},
	}, {
		name: "two documents",
		yaml: `
http_addr: ":8080"
---
log_level: info
`,
		want: []where{{"", 2, ""}},
		msgs: []string{"second YAML document"},
	}, {
		name: "merge keys",
		yaml: `
wecom:
  <<: {agent_id: 1}
`,
		want: []where{{"wecom.<<", 2, ""}},
	}, {
		name: "staff entries",
		yaml: `
staff:
  - {userid: wang, name: 王芳, role: worker}
  - {userid: WANG, name: 王芳二, role: worker, committee: 甘泉一村}
  - {name: 无名, role: admin}
  - {userid: li, name: 李强, role: boss}
  - {userid: zhao, name: 赵敏, role: leader, team: 街道}
  - userid: "bad id"
    name: ""
    role: leader
  - {userid: sun, name: 孙, role: worker, committee: 甘泉三村, role: admin}
`,
		want: []where{
			{"staff[0].committee", 2, ""},
			{"staff[1].userid", 3, ""},
			{"staff[2].userid", 4, ""},
			{"staff[3].role", 5, ""},
			{"staff[4].team", 6, ""},
			{"staff[5].userid", 7, ""},
			{"staff[5].name", 8, ""},
			{"staff[6].role", 10, ""},
		},
		msgs: []string{"committee: 甘泉一村", "also staff[0] at line 2", "userid: wang", "worker, leader or admin",
			"known keys are userid, name, role, committee", "not a WeCom userid", "name: 王芳", "first at line 10"},
	}, {
		name: "staff with no admin",
		yaml: `
staff:
  - {userid: zhao, name: 赵敏, role: leader}
`,
		want: []where{{"staff", 1, ""}},
		msgs: []string{"has no admin"},
	}, {
		name: "some credentials in the file",
		yaml: `
wecom:
  corp_id: ww0123456789abcdef
  token: QDG6eK
`,
		want: []where{{"wecom.encoding_aes_key", 1, ""}, {"wecom.secret", 1, ""}, {"wecom.agent_id", 1, ""}, {"staff", 0, ""}, {"data_key", 0, ""}},
		msgs: []string{"while corp_id, token are set", "WECOM_SECRET", "agent_id: 1000002", "list at least one admin", "openssl rand -base64 32"},
	}, {
		name: "one credential in the environment",
		env:  map[string]string{"WECOM_SECRET": "s3cret"},
		want: []where{{"wecom.corp_id", 0, ""}, {"wecom.token", 0, ""}, {"wecom.encoding_aes_key", 0, ""}, {"wecom.agent_id", 0, ""}, {"staff", 0, ""}, {"data_key", 0, ""}},
		msgs: []string{"while secret is set", "while secret is set", "while secret is set"},
	}, {
		name: "bad variables are named",
		env: map[string]string{
			"WECOM_AGENT_ID":    "abc",
			"SONGNUAN_NOW":      "tomorrow",
			"REDIS_URL":         "memcache://127.0.0.1:11211",
			"SONGNUAN_DATA_KEY": "c2hvcnQ=",
			"LOG_LEVEL":         "loud",
			"HTTP_ADDR":         "",
		},
		want: []where{{"now", 0, "SONGNUAN_NOW"}, {"redis_url", 0, "REDIS_URL"}, {"wecom.agent_id", 0, "WECOM_AGENT_ID"}, {"data_key", 0, "SONGNUAN_DATA_KEY"}, {"log_level", 0, "LOG_LEVEL"}},
		msgs: []string{"RFC 3339", `scheme "memcache"`, "agent_id: 1000002", "decodes to 5 bytes", "log_level: info"},
	}, {
		name: "a bad file value stays a problem when a variable overrides it",
		yaml: `
now: garbage
`,
		env:  map[string]string{"SONGNUAN_NOW": "2026-01-20T09:00:00+08:00"},
		want: []where{{"now", 1, ""}},
	}, {
		name: "admins_notify must name staff",
		yaml: `
staff:
  - {userid: admin, name: 管理员, role: admin}
admins_notify: [Admin, ghost]
`,
		want: []where{{"admins_notify[1]", 3, ""}},
		msgs: []string{"ghost is not in staff"},
	}, {
		name: "every problem at once",
		yaml: `
http_addr: "8080"
redis_url: mysql://db/0
wecom:
  corp_id: ww0123456789abcdef
  token: "no spaces allowed"
  encoding_aes_key: tooshort
  agent_id: app1
  secret: s3cret
policy: /nonexistent/songnuan/policy.yaml
staff:
  - {userid: wang, name: 王芳, role: worker}
rate_limit_per_minute: 0
dedup_ttl: 10s
data_key: c2hvcnQ=
log_level: loud
rescue:
  robot_key: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc
  chat_id: "group 1"
admins_notify: [nobody]
unknown_thing: 1
max_body_bytes: 100
`,
		want: []where{
			{"http_addr", 1, ""},
			{"redis_url", 2, ""},
			{"wecom.token", 5, ""},
			{"wecom.encoding_aes_key", 6, ""},
			{"wecom.agent_id", 7, ""},
			{"policy", 9, ""},
			{"staff", 10, ""},
			{"staff[0].committee", 11, ""},
			{"rate_limit_per_minute", 12, ""},
			{"dedup_ttl", 13, ""},
			{"data_key", 14, ""},
			{"log_level", 15, ""},
			{"rescue.robot_key", 17, ""},
			{"rescue.chat_id", 18, ""},
			{"admins_notify[0]", 19, ""},
			{"unknown_thing", 20, ""},
			{"max_body_bytes", 21, ""},
		},
	}, {
		name: "a file that cannot be read",
		yaml: "", // replaced below by a missing path
		want: []where{{"", 0, ""}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []where
			var e *Error
			if tt.name == "a file that cannot be read" {
				_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"), nil)
				if !errors.As(err, &e) {
					t.Fatalf("Load = %v, want *Error", err)
				}
				for _, p := range e.Problems {
					got = append(got, where{p.Key, p.Line, p.Env})
				}
			} else {
				_, got, e = load(t, tt.yaml, tt.env)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("problems:\n got %v\nwant %v\n%v", got, tt.want, e)
			}
			for i, sub := range tt.msgs {
				if !strings.Contains(e.Problems[i].Msg, sub) {
					t.Errorf("problem %d %q does not say %q", i, e.Problems[i].Msg, sub)
				}
			}
		})
	}
}

func TestLoadGood(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{{
		name: "nothing at all is demo mode with defaults",
		check: func(t *testing.T, c Config) {
			want := Default()
			want.src = c.src
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %+v, want defaults %+v", c, want)
			}
			if !c.Demo() {
				t.Error("Demo() = false, want true")
			}
		},
	}, {
		name: "an empty file",
		yaml: "# nothing yet\n",
		check: func(t *testing.T, c Config) {
			if c.HTTPAddr != ":8080" {
				t.Errorf("HTTPAddr = %q", c.HTTPAddr)
			}
		},
	}, {
		name: "sizes, durations, numeric scalars and empty values",
		yaml: `
http_addr:
max_body_bytes: 1MiB
dedup_ttl: 90m
rate_limit_per_minute: 120
wecom:
  token: 123456
  corp_id: ww0123456789abcdef
  encoding_aes_key: jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
  secret: s3cret
  agent_id: 0001000002
  api_base: http://127.0.0.1:9999/
now: 2026-01-20T09:00:00+08:00
data_key: ` + validKey + `
staff:
  - &boss {userid: admin, name: 管理员, role: admin}
rescue: {users: &rescuers [admin]}
admins_notify: *rescuers
`,
		check: func(t *testing.T, c Config) {
			if c.HTTPAddr != ":8080" || c.MaxBodyBytes != 1<<20 || c.DedupTTL != 90*time.Minute || c.RateLimitPerMinute != 120 {
				t.Errorf("got %q %d %v %d", c.HTTPAddr, c.MaxBodyBytes, c.DedupTTL, c.RateLimitPerMinute)
			}
			if c.WeCom.Token != "123456" || c.WeCom.AgentID != "0001000002" || c.WeCom.APIBase != "http://127.0.0.1:9999" {
				t.Errorf("WeCom = %+v", c.WeCom)
			}
			if want := time.Date(2026, 1, 20, 1, 0, 0, 0, time.UTC); !c.Now.Equal(want) {
				t.Errorf("Now = %v, want %v", c.Now, want)
			}
			if _, off := c.Now.Zone(); off != 8*3600 {
				t.Errorf("Now lost its +08:00 offset: %v", c.Now)
			}
			if !reflect.DeepEqual(c.AdminsNotify, []string{"admin"}) || !reflect.DeepEqual(c.Rescue.Users, []string{"admin"}) {
				t.Errorf("aliases: %v %v", c.AdminsNotify, c.Rescue.Users)
			}
			if c.Demo() {
				t.Error("Demo() = true with credentials set")
			}
		},
	}, {
		name: "size spellings",
		yaml: "max_body_bytes: 131072\n",
		check: func(t *testing.T, c Config) {
			if c.MaxBodyBytes != 128<<10 {
				t.Errorf("MaxBodyBytes = %d", c.MaxBodyBytes)
			}
		},
	}, {
		name: "redis forms",
		env:  map[string]string{"REDIS_URL": "redis+sentinel://:pw@10.0.0.1,10.0.0.2:26380/mymaster/2"},
		check: func(t *testing.T, c Config) {
			if c.RedisURL != "redis+sentinel://:pw@10.0.0.1,10.0.0.2:26380/mymaster/2" {
				t.Errorf("RedisURL = %q", c.RedisURL)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, got, e := load(t, tt.yaml, tt.env)
			if got != nil {
				t.Fatalf("unexpected problems: %v", e)
			}
			tt.check(t, c)
		})
	}
}

func TestExampleFile(t *testing.T) {
	c, err := Load("example.yaml", nil)
	if err != nil {
		t.Fatalf("example.yaml: %v", err)
	}
	if c.Demo() {
		t.Error("example.yaml runs in demo mode; it should show real credentials")
	}
	d := c.Directory()
	if len(d) != 4 || d["wang"].Committee != "甘泉一村" || d["zhao"].Role != domain.RoleLeader || d["admin"].Role != domain.RoleAdmin {
		t.Errorf("staff = %+v", c.Staff)
	}
	if c.RedisURL != "redis://127.0.0.1:6379/0" || c.WeCom.AgentID != "1000002" || c.MaxBodyBytes != 64<<10 {
		t.Errorf("config = %+v", c)
	}
	if got := c.Warnings(); len(got) != 1 || !strings.Contains(got[0], "example.yaml") {
		t.Errorf("Warnings() = %q, want only the public example key", got)
	}
	// Every setting appears in the example, so it documents all of them.
	body, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		if !strings.Contains(string(body), "\n"+strings.Repeat("  ", strings.Count(s.Key, "."))+lastKey(s.Key)+":") {
			t.Errorf("example.yaml does not show %s", s.Key)
		}
		if s.Env != "" && !strings.Contains(string(body), "["+s.Env+"]") {
			t.Errorf("example.yaml does not name %s", s.Env)
		}
	}
}

func TestEnvOverridesFile(t *testing.T) {
	body := `
http_addr: ":8081"
redis_url: redis://10.0.0.1:6379/1
log_level: debug
wecom:
  corp_id: ww0123456789abcdef
  token: FileToken
  encoding_aes_key: jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
  agent_id: 1000002
  secret: s3cret
data_key: ` + validKey + `
staff:
  - {userid: admin, name: 管理员, role: admin}
`
	c, got, e := load(t, body, map[string]string{
		"HTTP_ADDR":   ":9000",
		"REDIS_URL":   "redis+cluster://10.0.0.1:6379,10.0.0.2:6379/",
		"LOG_LEVEL":   "", // set but empty: ignored
		"WECOM_TOKEN": " EnvToken1\n",
	})
	if got != nil {
		t.Fatalf("unexpected problems: %v", e)
	}
	if c.HTTPAddr != ":9000" || c.RedisURL != "redis+cluster://10.0.0.1:6379,10.0.0.2:6379/" || c.LogLevel != "debug" || c.WeCom.Token != "EnvToken1" {
		t.Errorf("got addr %q redis %q level %q token %q", c.HTTPAddr, c.RedisURL, c.LogLevel, c.WeCom.Token)
	}

	// A bad variable is blamed, not the file line it overrode.
	_, got, _ = load(t, body, map[string]string{"WECOM_TOKEN": "bad token"})
	if want := []where{{"wecom.token", 0, "WECOM_TOKEN"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
}

func TestDemo(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Demo() {
		t.Fatal("Demo() = false with no credentials")
	}
	c.ApplyDemo("0.0.0.0:9090")
	w := c.WeCom
	if w.CorpID != DemoCorpID || w.Token != DemoToken || w.EncodingAESKey != DemoAESKey || w.AgentID != DemoAgentID || w.Secret != DemoSecret {
		t.Errorf("WeCom = %+v", w)
	}
	if w.APIBase != "http://127.0.0.1:9090/_fake/wecom" {
		t.Errorf("APIBase = %q", w.APIBase)
	}
	if !reflect.DeepEqual(c.Staff, DemoStaff()) {
		t.Errorf("Staff = %+v", c.Staff)
	}
	if !c.Demo() {
		t.Error("Demo() = false after ApplyDemo")
	}
	if c.DataKey != DemoDataKey || len(c.SealKey()) != 32 {
		t.Errorf("DataKey = %q", c.DataKey)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("demo config does not validate: %v", err)
	}
	if got := c.NotifyAdmins(); !reflect.DeepEqual(got, []string{"admin"}) {
		t.Errorf("NotifyAdmins() = %v", got)
	}
	warn := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{"DEMO MODE", "DATA KEY IS PUBLIC", "in memory"} {
		if !strings.Contains(warn, want) {
			t.Errorf("Warnings() lacks %q:\n%s", want, warn)
		}
	}

	// The demo staff cover both committees, a leader and an admin.
	roles := map[domain.Role]int{}
	committees := map[string]bool{}
	for _, s := range DemoStaff() {
		roles[s.Role]++
		committees[s.Committee] = true
	}
	if roles[domain.RoleWorker] != 2 || roles[domain.RoleLeader] != 1 || roles[domain.RoleAdmin] != 1 || !committees["甘泉一村"] || !committees["甘泉二村"] {
		t.Errorf("DemoStaff() = %+v", DemoStaff())
	}

	// The demo AES key is one WeCom would accept.
	if k, err := base64.StdEncoding.DecodeString(DemoAESKey + "="); err != nil || len(k) != 32 || len(DemoAESKey) != 43 {
		t.Errorf("DemoAESKey decodes to %d bytes, %v", len(k), err)
	}
}

func TestApplyDemoKeepsWhatIsSet(t *testing.T) {
	c, _, e := load(t, `
data_key: `+validKey+`
wecom:
  agent_id: 42
  api_base: https://qyapi.weixin.qq.com
staff:
  - {userid: boss, name: 老板, role: admin}
`, nil)
	if e != nil {
		t.Fatal(e)
	}
	c.ApplyDemo(":0")
	if c.DataKey != validKey || len(c.Staff) != 1 {
		t.Errorf("ApplyDemo replaced configured values: key %q staff %+v", c.DataKey, c.Staff)
	}
	// Demo traffic never goes to the real API, whatever the file says.
	if c.WeCom.APIBase != "http://127.0.0.1:8080/_fake/wecom" || c.WeCom.AgentID != DemoAgentID {
		t.Errorf("WeCom = %+v", c.WeCom)
	}
	if w := c.Warnings(); strings.Contains(strings.Join(w, ""), "DATA KEY") {
		t.Errorf("Warnings() = %q with a private key", w)
	}
}

func TestApplyDemoWithRealCredentials(t *testing.T) {
	c := Default()
	c.WeCom = WeCom{CorpID: "ww1", Token: "tok", EncodingAESKey: DemoAESKey, Secret: "s", AgentID: "7", APIBase: "https://qyapi.weixin.qq.com"}
	before := c
	c.ApplyDemo(":8080")
	if !reflect.DeepEqual(c, before) {
		t.Errorf("ApplyDemo changed a config with credentials: %+v", c)
	}
	if c.Demo() {
		t.Error("Demo() = true with credentials")
	}
}

func TestDemoKeyRefusedWithRealCredentials(t *testing.T) {
	_, got, _ := load(t, `
wecom:
  corp_id: ww0123456789abcdef
  token: QDG6eK
  encoding_aes_key: jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C
  agent_id: 1000002
  secret: s3cret
staff:
  - {userid: admin, name: 管理员, role: admin}
`, map[string]string{"SONGNUAN_DATA_KEY": DemoDataKey})
	if want := []where{{"data_key", 0, "SONGNUAN_DATA_KEY"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
}

func TestDemoAPIBase(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":        "http://127.0.0.1:8080/_fake/wecom",
		"0.0.0.0:9000": "http://127.0.0.1:9000/_fake/wecom",
		"[::]:7000":    "http://127.0.0.1:7000/_fake/wecom",
		"127.0.0.1:0":  "http://127.0.0.1:8080/_fake/wecom",
		"6060":         "http://127.0.0.1:6060/_fake/wecom",
		"nonsense":     "http://127.0.0.1:8080/_fake/wecom",
	} {
		if got := DemoAPIBase(addr); got != want {
			t.Errorf("DemoAPIBase(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestClock(t *testing.T) {
	start := time.Date(2026, 1, 20, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	real := time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC)
	clock := clockFrom(start, func() time.Time { return real })
	if got := clock(); !got.Equal(start) {
		t.Errorf("first reading %v, want %v", got, start)
	}
	real = real.Add(90 * time.Minute)
	if got, want := clock(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Errorf("after 90m: %v, want %v", got, want)
	}

	unset := clockFrom(time.Time{}, func() time.Time { return real })
	if got := unset(); !got.Equal(real) {
		t.Errorf("unset clock = %v, want the real %v", got, real)
	}

	// Through Load, with the real clock.
	c, _, e := load(t, "", map[string]string{"SONGNUAN_NOW": "2026-01-20T09:00:00+08:00"})
	if e != nil {
		t.Fatal(e)
	}
	now := c.Clock()()
	if now.Before(start) || now.After(start.Add(time.Minute)) {
		t.Errorf("Clock() = %v, want just after %v", now, start)
	}
	before := time.Now()
	got := Default().Clock()()
	if got.Before(before) || got.After(time.Now()) {
		t.Errorf("default Clock() = %v, not the real time", got)
	}
}

func TestNotifyAdmins(t *testing.T) {
	c := Default()
	c.Staff = []domain.Staff{{UserID: "a1", Role: domain.RoleAdmin}, {UserID: "w", Role: domain.RoleWorker}, {UserID: "a2", Role: domain.RoleAdmin}}
	if got := c.NotifyAdmins(); !reflect.DeepEqual(got, []string{"a1", "a2"}) {
		t.Errorf("default NotifyAdmins() = %v", got)
	}
	c.AdminsNotify = []string{"w"}
	if got := c.NotifyAdmins(); !reflect.DeepEqual(got, []string{"w"}) {
		t.Errorf("NotifyAdmins() = %v", got)
	}

	// An explicit empty list means nobody, not the default.
	c, _, e := load(t, `
staff:
  - {userid: admin, name: 管理员, role: admin}
admins_notify: []
`, nil)
	if e != nil {
		t.Fatal(e)
	}
	if got := c.NotifyAdmins(); len(got) != 0 {
		t.Errorf("NotifyAdmins() = %v, want none", got)
	}
	if !strings.Contains(strings.Join(c.Warnings(), ""), "admins_notify is empty") {
		t.Errorf("Warnings() = %q", c.Warnings())
	}
}

func TestSealKey(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789abcdef")
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		c := Config{DataKey: enc.EncodeToString(raw)}
		if got := c.SealKey(); !bytes.Equal(got, raw) {
			t.Errorf("SealKey(%q) = %q", c.DataKey, got)
		}
	}
	for _, bad := range []string{"", "c2hvcnQ=", "not base64 at all!!", base64.StdEncoding.EncodeToString(make([]byte, 33))} {
		if got := (Config{DataKey: bad}).SealKey(); got != nil {
			t.Errorf("SealKey(%q) = %q, want nil", bad, got)
		}
	}
}

func TestSlogLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got := (Config{LogLevel: in}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

// Secrets never appear in problems or in the logged config.
func TestSecretsStayOut(t *testing.T) {
	body := `
redis_url: redis://:REDISPW@10.0.0.1:notaport/0
wecom:
  corp_id: ww0123456789abcdef
  token: "TOKENSECRET with spaces"
  encoding_aes_key: AESSECRET
  agent_id: 1000002
  secret: "APPSECRET with spaces"
data_key: DATASECRET!!
rescue:
  robot_key: "ROBOTSECRET!"
`
	_, _, e := load(t, body, nil)
	if e == nil {
		t.Fatal("no problems")
	}
	for _, s := range []string{"REDISPW", "TOKENSECRET", "AESSECRET", "APPSECRET", "DATASECRET", "ROBOTSECRET"} {
		if strings.Contains(e.Error(), s) {
			t.Errorf("problem list shows %s:\n%v", s, e)
		}
	}

	c := Default()
	c.RedisURL = "redis://user:REDISPW@10.0.0.1:6379/0"
	c.WeCom = WeCom{CorpID: "ww1", Token: "TOKENSECRET", EncodingAESKey: "AESSECRET", Secret: "APPSECRET", AgentID: "1"}
	c.DataKey = "DATASECRET"
	c.Rescue.RobotKey = "ROBOTSECRET"
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("start", "config", c)
	for _, s := range []string{"REDISPW", "TOKENSECRET", "AESSECRET", "APPSECRET", "DATASECRET", "ROBOTSECRET"} {
		if strings.Contains(buf.String(), s) {
			t.Errorf("logged config shows %s: %s", s, buf.String())
		}
	}
	if !strings.Contains(buf.String(), `"corp_id":"ww1"`) || !strings.Contains(buf.String(), "redis://user:xxxxx@10.0.0.1:6379/0") {
		t.Errorf("logged config lacks the non-secret settings: %s", buf.String())
	}
}

func TestErrorText(t *testing.T) {
	e := newError("/etc/songnuan.yaml", []Problem{
		{Key: "wecom.secret", Msg: "is missing"},
		{Key: "wecom.agent_id", Env: "WECOM_AGENT_ID", Msg: "must be digits"},
		{Key: "http_adr", Line: 3, Msg: "is not a setting"},
		{Line: 9, Msg: "is not valid YAML"},
	})
	want := `config /etc/songnuan.yaml: 4 problems
  line 3: http_adr is not a setting
  line 9: the file is not valid YAML
  wecom.secret is missing
  WECOM_AGENT_ID (wecom.agent_id) must be digits`
	if got := e.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
}

func TestPolicyAndScheduleFiles(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("items: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, got, e := load(t, "", map[string]string{"SONGNUAN_POLICY": policy, "SONGNUAN_SCHEDULE": dir})
	if want := []where{{"schedule", 0, "SONGNUAN_SCHEDULE"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("problems = %v, want %v\n%v", got, want, e)
	}
	if c.Policy != policy {
		t.Errorf("Policy = %q", c.Policy)
	}
}
