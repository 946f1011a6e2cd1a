package config

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"songnuan/domain"
	"songnuan/internal/yamlcheck"
)

// Problem is one thing wrong with a config: Key is the YAML key
// ("wecom.token", "staff[1].role"; "" for the file as a whole), Line the
// file line its value is on (0 when it is not from the file), Env the
// variable it came from ("" when it is not from the environment), Msg
// what is wrong and how to fix it, with an example.
type Problem = yamlcheck.Problem

// Error lists every problem found in a config, file lines first, then the
// rest (variables, missing settings) in the order they were found, so the
// list reads alongside the file. Source is the YAML file, "" when there
// was none. The bot refuses to start with one; test it with errors.As and
// compare Problems.
type Error = yamlcheck.Error

// newError orders problems as Error says.
func newError(file string, ps []Problem) *Error {
	return yamlcheck.NewError(file, ps, layout)
}

// layout writes "config FILE: N problems" and then one problem a line:
// "line 12: staff[1].role must be …" for a file value,
// "WECOM_AGENT_ID (wecom.agent_id) must be …" for a variable.
func layout(file string, ps []Problem) string {
	var b strings.Builder
	b.WriteString("config")
	if file != "" {
		b.WriteString(" " + file)
	}
	fmt.Fprintf(&b, ": %d problem", len(ps))
	if len(ps) != 1 {
		b.WriteString("s")
	}
	for _, p := range ps {
		name := cmp.Or(p.Key, "the file")
		switch {
		case p.Env != "":
			fmt.Fprintf(&b, "\n  %s (%s) %s", p.Env, name, p.Msg)
		case p.Line > 0:
			fmt.Fprintf(&b, "\n  line %d: %s %s", p.Line, name, p.Msg)
		default:
			fmt.Fprintf(&b, "\n  %s %s", name, p.Msg)
		}
	}
	return b.String()
}

// Validate checks the whole config and returns an *Error naming every
// problem, or nil. Each problem points at the file line or the variable
// its value came from when Load recorded one.
func (c Config) Validate() error {
	v := &validator{c: &c}
	v.listen()
	v.redis()
	v.wecom()
	v.files()
	v.staff()
	v.limits()
	v.dataKey()
	if !contains([]string{"debug", "info", "warn", "warning", "error"}, strings.ToLower(c.LogLevel)) {
		v.add("log_level", "must be debug, info, warn or error, e.g. log_level: info")
	}
	v.rescue()
	v.notify()
	if len(v.problems) == 0 {
		return nil
	}
	return newError("", v.problems)
}

type validator struct {
	c        *Config
	problems []Problem
}

// add records a problem at key, located where key's value (or, for a
// missing key, its nearest parent) came from.
func (v *validator) add(key, msg string) {
	p := Problem{Key: key, Msg: msg}
	for k := key; ; k = parentKey(k) {
		if s, ok := v.c.src[k]; ok {
			p.Line = s.line
			if k == key {
				p.Env = s.env
			}
			break
		}
		if k == "" {
			break
		}
	}
	v.problems = append(v.problems, p)
}

func (v *validator) listen() {
	host, port, err := net.SplitHostPort(v.c.HTTPAddr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n < 0 || n > 65535 || strings.ContainsAny(host, " /") {
		v.add("http_addr", `must be host:port, e.g. http_addr: ":8080" or "127.0.0.1:8080"`)
	}
}

func (v *validator) redis() {
	if _, err := ParseRedisURL(v.c.RedisURL); err != nil {
		v.add("redis_url", err.Error())
	}
	if p := v.c.KeyPrefix; p == "" || len(p) > 64 || strings.ContainsAny(p, "{}") || strings.ContainsFunc(p, isSpaceOrControl) {
		v.add("key_prefix", "must be 1–64 characters without spaces, { or }, e.g. key_prefix: songnuan_2026_")
	}
}

var (
	tokenRE  = regexp.MustCompile(`^[A-Za-z0-9]{3,32}$`)
	digitsRE = regexp.MustCompile(`^[0-9]{1,10}$`)
	// userIDRE is what WeCom allows in a userid.
	userIDRE = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)
	chatIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	robotRE  = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)
	aesRE    = regexp.MustCompile(`^[A-Za-z0-9+/]{43}$`)
)

func (v *validator) wecom() {
	w := v.c.WeCom
	creds := []struct{ key, env, value, how string }{
		{"wecom.corp_id", "WECOM_CORP_ID", w.CorpID, "the 企业ID on 我的企业, e.g. corp_id: ww0123456789abcdef"},
		{"wecom.token", "WECOM_TOKEN", w.Token, "the Token on the app's 接收消息 page, e.g. token: QDG6eK"},
		{"wecom.encoding_aes_key", "WECOM_ENCODING_AES_KEY", w.EncodingAESKey, "the EncodingAESKey on the app's 接收消息 page (43 characters)"},
		{"wecom.secret", "WECOM_SECRET", w.Secret, "the app's Secret from the admin console"},
	}
	var set []string
	for _, cr := range creds {
		if cr.value != "" {
			set = append(set, lastKey(cr.key))
		}
	}
	if len(set) > 0 && len(set) < len(creds) {
		for _, cr := range creds {
			if cr.value == "" {
				v.add(cr.key, fmt.Sprintf("is missing while %s %s set: set it (or %s) to %s, or remove all four WeCom credentials to run in demo mode",
					strings.Join(set, ", "), isAre(len(set)), cr.env, cr.how))
			}
		}
	}
	if w.CorpID != "" && (strings.ContainsFunc(w.CorpID, isSpaceOrControl) || len(w.CorpID) > 64) {
		v.add("wecom.corp_id", "is not a CorpID, e.g. corp_id: ww0123456789abcdef")
	}
	if w.Token != "" && !tokenRE.MatchString(w.Token) {
		v.add("wecom.token", "must be 3–32 letters or digits as on the app's 接收消息 page, e.g. token: QDG6eK")
	}
	if w.EncodingAESKey != "" && !aesRE.MatchString(w.EncodingAESKey) {
		v.add("wecom.encoding_aes_key", fmt.Sprintf("must be the 43-character EncodingAESKey (this one has %d characters), e.g. encoding_aes_key: jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", len(w.EncodingAESKey)))
	}
	if w.Secret != "" && strings.ContainsFunc(w.Secret, isSpaceOrControl) {
		v.add("wecom.secret", "contains spaces; copy the app's Secret exactly")
	}
	switch {
	case w.AgentID == "" && !v.c.Demo():
		v.add("wecom.agent_id", "is missing: set the app's AgentId, e.g. agent_id: 1000002")
	case w.AgentID != "" && !digitsRE.MatchString(w.AgentID):
		v.add("wecom.agent_id", "must be the app's AgentId in digits, e.g. agent_id: 1000002")
	}
	u, err := url.Parse(w.APIBase)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		v.add("wecom.api_base", "must be an http(s) URL, e.g. api_base: https://qyapi.weixin.qq.com")
	}
	if !httpURL(w.OAuthBase, false) {
		v.add("wecom.oauth_base", "must be an http(s) URL, e.g. oauth_base: https://open.weixin.qq.com")
	}
	if v.c.PublicURL != "" && !httpURL(v.c.PublicURL, true) {
		v.add("public_url", "must be an http(s) address with no path, query or #, e.g. public_url: https://songnuan.example.gov.cn")
	}
}

// httpURL reports whether s is an absolute http(s) URL without query or
// fragment, and, when bare, without a path either.
func httpURL(s string, bare bool) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" &&
		u.Fragment == "" && !(bare && u.Path != "")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

func (v *validator) files() {
	for _, f := range []struct{ key, path, what string }{
		{"policy", v.c.Policy, "policy"},
		{"schedule", v.c.Schedule, "schedule"},
	} {
		if f.path == "" {
			continue
		}
		st, err := os.Stat(f.path)
		switch {
		case err != nil:
			v.add(f.key, fmt.Sprintf("cannot be read (%v): give the path of a %s YAML, e.g. %s: /etc/songnuan/%s.yaml, or leave it empty for the built-in one",
				unwrapPath(err), f.what, f.key, f.key))
		case !st.Mode().IsRegular():
			v.add(f.key, fmt.Sprintf("is not a file: give the path of a %s YAML, e.g. %s: /etc/songnuan/%s.yaml", f.what, f.key, f.key))
		}
	}
}

func (v *validator) staff() {
	c := v.c
	first := map[string]int{}
	admins := 0
	for i, s := range c.Staff {
		key := fmt.Sprintf("staff[%d]", i)
		switch {
		case s.UserID == "":
			v.add(key+".userid", "is missing: give the person's WeCom userid, e.g. userid: wang")
		case !userIDRE.MatchString(s.UserID):
			v.add(key+".userid", "is not a WeCom userid (letters, digits, _ - . @; at most 64), e.g. userid: wang")
		default:
			id := strings.ToLower(s.UserID)
			if j, dup := first[id]; dup {
				msg := fmt.Sprintf("%s is listed twice (also staff[%d]", s.UserID, j)
				if l := c.src[fmt.Sprintf("staff[%d]", j)].line; l > 0 {
					msg += fmt.Sprintf(" at line %d", l)
				}
				v.add(key+".userid", msg+"; WeCom userids ignore case): keep one")
			} else {
				first[id] = i
			}
		}
		if strings.TrimSpace(s.Name) == "" {
			v.add(key+".name", "is missing: give the name replies show, e.g. name: 王芳")
		}
		switch s.Role {
		case domain.RoleWorker:
			if strings.TrimSpace(s.Committee) == "" {
				v.add(key+".committee", "is missing: a worker belongs to one 居委会, e.g. committee: 甘泉一村")
			}
		case domain.RoleLeader:
		case domain.RoleAdmin:
			admins++
		case "":
			v.add(key+".role", "is missing: give worker, leader or admin, e.g. role: worker")
		default:
			v.add(key+".role", "must be worker, leader or admin, e.g. role: worker")
		}
	}
	switch {
	case len(c.Staff) == 0 && !c.Demo():
		v.add("staff", "is empty: list at least one admin, e.g. staff: [{userid: admin, name: 管理员, role: admin}]")
	case len(c.Staff) > 0 && admins == 0:
		v.add("staff", "has no admin: nobody could import lists or hear of failed broadcasts; add one, e.g. - {userid: admin, name: 管理员, role: admin}")
	}
}

func (v *validator) limits() {
	c := v.c
	if c.RateLimitPerMinute < 1 {
		v.add("rate_limit_per_minute", "must be at least 1, e.g. rate_limit_per_minute: 60")
	}
	if c.MaxBodyBytes < 1<<10 || c.MaxBodyBytes > 64<<20 {
		v.add("max_body_bytes", "must be between 1KiB and 64MiB (a WeCom callback is a few KiB), e.g. max_body_bytes: 64KiB")
	}
	if c.DedupTTL < time.Minute {
		v.add("dedup_ttl", "must be at least 1m, or WeCom's retries would count twice, e.g. dedup_ttl: 24h")
	}
}

func (v *validator) dataKey() {
	c := v.c
	switch {
	case c.DataKey == "":
		if !c.Demo() {
			v.add("data_key", "is missing: with real WeCom credentials ID and phone numbers must be sealed with your own key; "+
				"generate one with `openssl rand -base64 32` and set SONGNUAN_DATA_KEY")
		}
	case c.SealKey() == nil:
		_, err := decodeKey(c.DataKey)
		v.add("data_key", fmt.Sprintf("must be base64 of 32 random bytes (%v); generate one with `openssl rand -base64 32`", err))
	case c.DataKey == DemoDataKey && !c.Demo():
		v.add("data_key", "is the public demo key, which must not seal real households; generate your own with `openssl rand -base64 32`")
	}
}

func (v *validator) rescue() {
	r := v.c.Rescue
	for i, u := range r.Users {
		if !userIDRE.MatchString(u) {
			v.add(fmt.Sprintf("rescue.users[%d]", i), "is not a WeCom userid, e.g. users: [zhao]")
		}
	}
	if r.ChatID != "" && !chatIDRE.MatchString(r.ChatID) {
		v.add("rescue.chat_id", "is not an appchat chatid (letters and digits), e.g. chat_id: wrkSFfCgAAxxxx")
	}
	switch {
	case r.RobotKey == "":
	case strings.HasPrefix(r.RobotKey, "http"):
		v.add("rescue.robot_key", "is a whole webhook URL: give only the part after key=, e.g. robot_key: 693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")
	case !robotRE.MatchString(r.RobotKey):
		v.add("rescue.robot_key", "is not a group robot key, e.g. robot_key: 693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa")
	}
}

func (v *validator) notify() {
	c := v.c
	staff := map[string]bool{}
	for _, s := range c.Staff {
		staff[strings.ToLower(s.UserID)] = true
	}
	for i, u := range c.AdminsNotify {
		key := fmt.Sprintf("admins_notify[%d]", i)
		switch {
		case !userIDRE.MatchString(u):
			v.add(key, "is not a WeCom userid, e.g. admins_notify: [admin]")
		case len(c.Staff) > 0 && !staff[strings.ToLower(u)]:
			v.add(key, fmt.Sprintf("%s is not in staff: add them to staff or fix the spelling, e.g. admins_notify: [admin]", u))
		}
	}
}

// Warnings lists what is allowed but should not go unnoticed, for main to
// log at start-up: demo mode, a public data key, an in-memory store,
// rescue alerts with no recipient.
func (c Config) Warnings() []string {
	var w []string
	if c.Demo() {
		w = append(w, "DEMO MODE: no WeCom credentials are set; the bot talks only to its built-in fake WeCom")
	}
	switch c.DataKey {
	case DemoDataKey:
		w = append(w, "DATA KEY IS PUBLIC: ID and phone numbers are sealed with the demo key anyone can read in the source; "+
			"set SONGNUAN_DATA_KEY (openssl rand -base64 32) before entering real households")
	case exampleDataKey:
		w = append(w, "DATA KEY IS PUBLIC: data_key is the one from example.yaml; generate your own with openssl rand -base64 32")
	}
	if c.RedisURL == "" {
		w = append(w, "redis_url is empty: households are kept in memory and lost when the bot stops")
	}
	if c.Rescue.Empty() {
		w = append(w, "rescue has no users, chat_id or robot_key: 流浪 alerts reach nobody but the reporter")
	}
	if len(c.Staff) > 0 && len(c.NotifyAdmins()) == 0 {
		w = append(w, "admins_notify is empty: nobody hears of failed broadcasts")
	}
	return w
}

// errKeyLength says a data key decoded to the wrong number of bytes.
func errKeyLength(n int) error {
	return errors.New("it decodes to " + strconv.Itoa(n) + " bytes, not 32")
}
