package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
	"github.com/silenceper/wechat/v2/util"
	"github.com/silenceper/wechat/v2/work"
	"github.com/silenceper/wechat/v2/work/config"

	"songnuan/domain"
)

// DefaultAPIBase is WeCom's server API.
const DefaultAPIBase = "https://qyapi.weixin.qq.com"

// Limits WeCom sets on what it accepts.
const (
	MaxMarkdownBytes      = 2048     // app and group-chat markdown
	MaxRobotMarkdownBytes = 4096     // group-robot markdown
	MaxMediaBytes         = 20 << 20 // a temporary file
	maxTitleBytes         = 128      // textcard title
	maxCardBytes          = 512      // textcard description
	maxJSONBytes          = 1 << 20
)

// WeCom errcodes that mean the access token is no longer good.
const (
	codeInvalidToken = 40014
	codeTokenExpired = 42001
)

// ErrMediaTooLarge is returned by FetchMedia for a file over MaxMediaBytes
// and by UploadFile for data over it. It is also a *domain.UserError with the
// reply that tells the user to split the file: a file too large is not a
// system failure, and WeCom's re-deliveries would only meet it again.
var ErrMediaTooLarge error = tooLarge{}

type tooLarge struct{}

func (tooLarge) Error() string { return "wecom: file larger than 20 MiB" }

// As makes a too-large file a domain.UserError for the bot's reply.
func (tooLarge) As(target any) bool {
	if ue, ok := target.(**domain.UserError); ok {
		*ue = &domain.UserError{Message: domain.MsgFileTooLarge}
		return true
	}
	return false
}

// APIError is WeCom answering errcode != 0 (with HTTP 200). Test with
// errors.As; Code is WeCom's errcode.
type APIError struct {
	API  string // e.g. "message/send"
	Code int
	Msg  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.API, e.Code, scrub(e.Msg))
}

// ClientConfig configures a Client.
type ClientConfig struct {
	CorpID  string
	Secret  string // the app's Secret (corpsecret)
	AgentID string // the app's AgentId, a number; needed for app messages
	// APIBase is where every call goes, default DefaultAPIBase. It may
	// carry a path prefix (a fake mounted inside the bot).
	APIBase string
	// Timeout bounds each HTTP call, default 10 s.
	Timeout time.Duration
	// Cache keeps the access token (silenceper's interface), shared by
	// every instance of the bot; default an in-process memory cache.
	Cache cache.Cache
	// Logger gets retries and partial failures; default slog.Default().
	Logger *slog.Logger
}

// Client calls WeCom's server API: it implements domain.Sender and
// bot.MediaFetcher. Access tokens come from silenceper's work handle and
// live in the Cache; a token WeCom rejects (40014, 42001) is dropped and
// the call retried once. It is safe for concurrent use.
//
// silenceper fetches tokens through its package-global
// util.DefaultHTTPClient at a hard-coded host. The first NewClient
// replaces that global with a client whose transport sends each request
// to the APIBase of the Client that made it (carried in the request's
// context); requests made outside a Client go to the APIBase of the most
// recent NewClient. Nothing else in the program may rely on that global.
type Client struct {
	corpID   string
	agentID  int
	hasAgent bool
	base     *url.URL
	timeout  time.Duration
	http     *http.Client
	token    credential.AccessTokenContextHandle
	tokenKey string
	cache    cache.Cache
	log      *slog.Logger
}

var _ domain.Sender = (*Client)(nil)

// NewClient returns a client; it names every configuration problem at once.
func NewClient(cfg ClientConfig) (*Client, error) {
	var problems []error
	if cfg.CorpID == "" {
		problems = append(problems, errors.New("WECOM_CORP_ID is empty: copy the 企业ID from 我的企业"))
	}
	if cfg.Secret == "" {
		problems = append(problems, errors.New("WECOM_SECRET is empty: copy the app's Secret"))
	}
	agentID, err := strconv.Atoi(cfg.AgentID)
	if cfg.AgentID != "" && (err != nil || agentID <= 0) {
		problems = append(problems, fmt.Errorf("WECOM_AGENT_ID must be the app's AgentId, a number such as 1000002"))
	}
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	base, err := url.Parse(strings.TrimSuffix(cfg.APIBase, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" || base.RawQuery != "" {
		problems = append(problems, fmt.Errorf("WECOM_API_BASE must be an http(s) URL such as %s", DefaultAPIBase))
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Cache == nil {
		cfg.Cache = cache.NewMemory()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	installTransport(base)
	w := work.NewWork(&config.Config{CorpID: cfg.CorpID, CorpSecret: cfg.Secret, AgentID: cfg.AgentID, Cache: cfg.Cache})
	tok, ok := w.GetContext().AccessTokenHandle.(credential.AccessTokenContextHandle)
	if !ok {
		return nil, errors.New("wecom: silenceper's token handle takes no context")
	}
	// The key silenceper's WorkAccessToken keeps the token under, needed
	// to drop a token WeCom has rejected.
	key := fmt.Sprintf("%s_access_token_%s", credential.CacheKeyWorkPrefix, cfg.CorpID)
	if cfg.AgentID != "" {
		key += "_" + cfg.AgentID
	}
	return &Client{
		corpID: cfg.CorpID, agentID: agentID, hasAgent: cfg.AgentID != "",
		base: base, timeout: cfg.Timeout,
		http:  &http.Client{Timeout: cfg.Timeout, Transport: sharedTransport},
		token: tok, tokenKey: key, cache: cfg.Cache,
		log: cfg.Logger.With("component", "wecom"),
	}, nil
}

// sharedTransport keeps connections to WeCom alive across clients.
var sharedTransport = http.DefaultTransport.(*http.Transport).Clone()

var (
	installOnce sync.Once
	latestBase  atomic.Pointer[url.URL]
)

// baseKey carries a Client's APIBase to the global transport.
type baseKey struct{}

// installTransport points silenceper's global HTTP client at the API base.
func installTransport(base *url.URL) {
	latestBase.Store(base)
	installOnce.Do(func() {
		util.DefaultHTTPClient = &http.Client{
			// A backstop for calls made without a deadline.
			Timeout:   30 * time.Second,
			Transport: rebaseTransport{next: sharedTransport},
		}
	})
}

// rebaseTransport sends requests for WeCom's host to an API base.
type rebaseTransport struct{ next http.RoundTripper }

func (t rebaseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base, _ := req.Context().Value(baseKey{}).(*url.URL)
	if base == nil {
		base = latestBase.Load()
	}
	if base == nil || req.URL.Host != "qyapi.weixin.qq.com" {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = base.Scheme, base.Host, base.Host
	r.URL.Path = base.Path + req.URL.Path
	r.URL.RawPath = ""
	return t.next.RoundTrip(r)
}

// secretParam matches query values that must never reach a log line.
var secretParam = regexp.MustCompile(`(access_token|corpsecret|key)=[^&\s"',;)]*`)

// scrub replaces secret query values; the result contains no
// "access_token=" at all, so a log search for it finds nothing.
func scrub(s string) string { return secretParam.ReplaceAllString(s, "${1}_redacted") }

// scrubbedError hides the token and secret in an error from the HTTP
// stack or silenceper, keeping the cause (a timeout, a refused
// connection) for errors.Is when its own text is clean.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.cause }

func scrubErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return err
	}
	var cause error
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	if cause != nil && scrub(cause.Error()) != cause.Error() {
		cause = nil
	}
	return &scrubbedError{msg: scrub(err.Error()), cause: cause}
}

// silenceperTokenErr turns silenceper's untyped gettoken failure back
// into an APIError.
var silenceperTokenErr = regexp.MustCompile(`errcode=(-?\d+) , errormsg=(.*)$`)

// accessToken returns the cached token or fetches one.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, baseKey{}, c.base), c.timeout)
	defer cancel()
	tok, err := c.token.GetAccessTokenContext(ctx)
	if err != nil {
		if m := silenceperTokenErr.FindStringSubmatch(err.Error()); m != nil {
			code, _ := strconv.Atoi(m[1])
			return "", &APIError{API: "gettoken", Code: code, Msg: scrub(m[2])}
		}
		return "", fmt.Errorf("wecom gettoken: %w", scrubErr(err))
	}
	if tok == "" {
		return "", errors.New("wecom gettoken: empty access_token")
	}
	return tok, nil
}

// dropToken removes a rejected token unless another call already
// replaced it.
func (c *Client) dropToken(used string) {
	if v, ok := c.cache.Get(c.tokenKey).(string); ok && v == used {
		_ = c.cache.Delete(c.tokenKey)
	}
}

// withToken runs call with a token, and once more with a new token when
// WeCom says the first one is invalid or expired.
func (c *Client) withToken(ctx context.Context, call func(token string) error) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		err = call(tok)
		var ae *APIError
		if attempt == 0 && errors.As(err, &ae) && (ae.Code == codeInvalidToken || ae.Code == codeTokenExpired) {
			c.log.Info("access token rejected; fetching a new one", "api", ae.API, "errcode", ae.Code)
			c.dropToken(tok)
			continue
		}
		return err
	}
}

// apiStatus is the errcode/errmsg pair of every WeCom answer.
type apiStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (s *apiStatus) status() *apiStatus { return s }

type statusCarrier interface{ status() *apiStatus }

// do makes one HTTP call to api (a path under /cgi-bin/) and decodes the
// JSON answer into out, turning errcode != 0 into an *APIError.
func (c *Client) do(ctx context.Context, method, api string, q url.Values, contentType string, body []byte, out statusCarrier) error {
	resp, err := c.request(ctx, method, api, q, contentType, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBytes))
	if err != nil {
		return fmt.Errorf("wecom %s: read answer: %w", api, scrubErr(err))
	}
	return decodeStatus(api, data, out)
}

func decodeStatus(api string, data []byte, out statusCarrier) error {
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("wecom %s: answer is not JSON: %w", api, err)
	}
	if s := out.status(); s.ErrCode != 0 {
		return &APIError{API: api, Code: s.ErrCode, Msg: s.ErrMsg}
	}
	return nil
}

// request sends one request with the client's timeout; a non-200 answer
// is an error. The caller closes the body.
func (c *Client) request(ctx context.Context, method, api string, q url.Values, contentType string, body []byte) (*http.Response, error) {
	u := *c.base
	u.Path += "/cgi-bin/" + api
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, fmt.Errorf("wecom %s: %w", api, scrubErr(err))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("wecom %s: %w", api, scrubErr(err))
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("wecom %s: HTTP %d", api, resp.StatusCode)
	}
	return resp, nil
}

// postJSON posts v to an API that takes an access token.
func (c *Client) postJSON(ctx context.Context, api string, v any, out statusCarrier) error {
	body, err := marshal(v)
	if err != nil {
		return fmt.Errorf("wecom %s: %w", api, err)
	}
	return c.withToken(ctx, func(tok string) error {
		return c.do(ctx, http.MethodPost, api, url.Values{"access_token": {tok}}, "application/json; charset=utf-8", body, out)
	})
}

// marshal keeps <, > and & as they are: they are common in Chinese text
// and markdown, and WeCom shows what it gets.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// outMessage is the body of message/send, appchat/send and webhook/send;
// silenceper has no markdown, textcard or file types.
type outMessage struct {
	ToUser                 string    `json:"touser,omitempty"`
	ToParty                string    `json:"toparty,omitempty"`
	ToTag                  string    `json:"totag,omitempty"`
	ChatID                 string    `json:"chatid,omitempty"`
	AgentID                int       `json:"agentid,omitempty"`
	MsgType                string    `json:"msgtype"`
	Text                   *textBody `json:"text,omitempty"`
	Markdown               *textBody `json:"markdown,omitempty"`
	TextCard               *textCard `json:"textcard,omitempty"`
	File                   *mediaRef `json:"file,omitempty"`
	EnableDuplicateCheck   int       `json:"enable_duplicate_check,omitempty"`
	DuplicateCheckInterval int       `json:"duplicate_check_interval,omitempty"`
}

type textBody struct {
	Content string `json:"content"`
}

type textCard struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	BtnTxt      string `json:"btntxt,omitempty"`
}

type mediaRef struct {
	MediaID string `json:"media_id"`
}

type sendAnswer struct {
	apiStatus
	InvalidUser  string `json:"invaliduser"`
	InvalidParty string `json:"invalidparty"`
	InvalidTag   string `json:"invalidtag"`
}

// target is where a domain.Message goes.
type target int

const (
	toApp target = iota
	toChat
	toRobot
)

// Send delivers m (domain.Sender). Exactly one kind of target must be set:
// users/parties/tags (message/send), ChatID (appchat/send) or RobotKey
// (webhook/send). Kind defaults to file when m.File is set without Text,
// else text.
// Text and markdown are cut to WeCom's limits; a textcard without a URL
// goes as text, and to a robot (which has no textcards) as markdown. A
// File is uploaded first and sent as a file message, after the text if
// Kind is not file. With Idempotency set, WeCom's duplicate check drops a
// repeat of the same content within 30 minutes.
func (c *Client) Send(ctx context.Context, m domain.Message) error {
	t, err := targetOf(m)
	if err != nil {
		return err
	}
	if t == toApp && !c.hasAgent {
		return errors.New("wecom: app messages need WECOM_AGENT_ID")
	}
	kind := m.Kind
	if kind == "" {
		kind = domain.KindText
		if m.File != nil && m.Text == "" {
			kind = domain.KindFile
		}
	}
	if kind != domain.KindFile {
		out, err := c.body(t, kind, m)
		if err != nil {
			return err
		}
		if err := c.deliver(ctx, t, m, out); err != nil {
			return err
		}
		if m.File == nil {
			return nil
		}
	}
	if m.File == nil {
		return errors.New("wecom: a file message needs a File")
	}
	var id string
	if t == toRobot {
		id, err = c.uploadRobot(ctx, m.RobotKey, m.File.Name, m.File.Data)
	} else {
		id, err = c.UploadFile(ctx, m.File.Name, m.File.Data)
	}
	if err != nil {
		return err
	}
	return c.deliver(ctx, t, m, outMessage{MsgType: "file", File: &mediaRef{MediaID: id}})
}

func targetOf(m domain.Message) (target, error) {
	n, t := 0, toApp
	if len(m.ToUsers)+len(m.ToParties)+len(m.ToTags) > 0 {
		n++
	}
	if m.ChatID != "" {
		n, t = n+1, toChat
	}
	if m.RobotKey != "" {
		n, t = n+1, toRobot
	}
	if n != 1 {
		return 0, fmt.Errorf("wecom: a message needs exactly one kind of target (users/parties/tags, ChatID or RobotKey), got %d", n)
	}
	return t, nil
}

// body builds the text, markdown or textcard part of a message.
func (c *Client) body(t target, kind domain.MessageKind, m domain.Message) (outMessage, error) {
	text := Sanitize(m.Text)
	switch kind {
	case domain.KindText:
		if text == "" {
			return outMessage{}, errors.New("wecom: empty text message")
		}
		return outMessage{MsgType: "text", Text: &textBody{Content: CutUTF8(text, MaxTextBytes)}}, nil
	case domain.KindMarkdown:
		if text == "" {
			return outMessage{}, errors.New("wecom: empty markdown message")
		}
		limit := MaxMarkdownBytes
		if t == toRobot {
			limit = MaxRobotMarkdownBytes
		}
		return outMessage{MsgType: "markdown", Markdown: &textBody{Content: CutUTF8(text, limit)}}, nil
	case domain.KindTextCard:
		title := Sanitize(m.Title)
		if title == "" {
			return outMessage{}, errors.New("wecom: a textcard needs a Title")
		}
		switch {
		case t == toRobot:
			md := "**" + title + "**\n" + text
			if m.URL != "" {
				md += "\n[查看详情](" + m.URL + ")"
			}
			return outMessage{MsgType: "markdown", Markdown: &textBody{Content: CutUTF8(md, MaxRobotMarkdownBytes)}}, nil
		case m.URL == "":
			return outMessage{MsgType: "text", Text: &textBody{Content: CutUTF8(title+"\n"+text, MaxTextBytes)}}, nil
		}
		return outMessage{MsgType: "textcard", TextCard: &textCard{
			Title: CutUTF8(title, maxTitleBytes), Description: CutUTF8(text, maxCardBytes), URL: m.URL, BtnTxt: "详情",
		}}, nil
	}
	return outMessage{}, fmt.Errorf("wecom: unknown message kind %q", kind)
}

// deliver addresses out to m's target and posts it.
func (c *Client) deliver(ctx context.Context, t target, m domain.Message, out outMessage) error {
	if m.Idempotency != "" && t != toRobot {
		out.EnableDuplicateCheck, out.DuplicateCheckInterval = 1, 1800
	}
	switch t {
	case toRobot:
		body, err := marshal(out)
		if err != nil {
			return fmt.Errorf("wecom webhook/send: %w", err)
		}
		var a apiStatus
		return c.do(ctx, http.MethodPost, "webhook/send", url.Values{"key": {m.RobotKey}}, "application/json; charset=utf-8", body, &a)
	case toChat:
		out.ChatID = m.ChatID
		var a apiStatus
		return c.postJSON(ctx, "appchat/send", out, &a)
	}
	out.ToUser, out.ToParty, out.ToTag = strings.Join(m.ToUsers, "|"), strings.Join(m.ToParties, "|"), strings.Join(m.ToTags, "|")
	out.AgentID = c.agentID
	var a sendAnswer
	if err := c.postJSON(ctx, "message/send", out, &a); err != nil {
		return err
	}
	if a.InvalidUser != "" || a.InvalidParty != "" || a.InvalidTag != "" {
		// Delivered to the others; the directory needs fixing, not the send.
		c.log.Warn("message not delivered to some recipients",
			"invalid_users", a.InvalidUser, "invalid_parties", a.InvalidParty, "invalid_tags", a.InvalidTag)
	}
	return nil
}

type uploadAnswer struct {
	apiStatus
	MediaID string `json:"media_id"`
}

// UploadFile uploads a temporary file (media/upload, type=file, kept
// three days by WeCom) and returns its media id.
func (c *Client) UploadFile(ctx context.Context, name string, data []byte) (string, error) {
	body, ct, err := multipartFile(name, data)
	if err != nil {
		return "", err
	}
	var a uploadAnswer
	err = c.withToken(ctx, func(tok string) error {
		return c.do(ctx, http.MethodPost, "media/upload", url.Values{"access_token": {tok}, "type": {"file"}}, ct, body, &a)
	})
	if err != nil {
		return "", err
	}
	if a.MediaID == "" {
		return "", errors.New("wecom media/upload: no media_id in the answer")
	}
	return a.MediaID, nil
}

// uploadRobot uploads a file for a group robot, which has its own upload.
func (c *Client) uploadRobot(ctx context.Context, key, name string, data []byte) (string, error) {
	body, ct, err := multipartFile(name, data)
	if err != nil {
		return "", err
	}
	var a uploadAnswer
	if err := c.do(ctx, http.MethodPost, "webhook/upload_media", url.Values{"key": {key}, "type": {"file"}}, ct, body, &a); err != nil {
		return "", err
	}
	if a.MediaID == "" {
		return "", errors.New("wecom webhook/upload_media: no media_id in the answer")
	}
	return a.MediaID, nil
}

func multipartFile(name string, data []byte) (body []byte, contentType string, err error) {
	if len(data) > MaxMediaBytes {
		return nil, "", ErrMediaTooLarge
	}
	if name == "" {
		name = "file"
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	part, err := w.CreateFormFile("media", name)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return nil, "", fmt.Errorf("wecom media/upload: build form: %w", err)
	}
	return b.Bytes(), w.FormDataContentType(), nil
}

// FetchMedia downloads a file a user sent (media/get), refusing files
// over MaxMediaBytes with ErrMediaTooLarge (bot.MediaFetcher).
func (c *Client) FetchMedia(ctx context.Context, mediaID string) ([]byte, error) {
	if mediaID == "" {
		return nil, errors.New("wecom media/get: empty media id")
	}
	var data []byte
	err := c.withToken(ctx, func(tok string) error {
		resp, err := c.request(ctx, http.MethodGet, "media/get", url.Values{"access_token": {tok}, "media_id": {mediaID}}, "", nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.ContentLength > MaxMediaBytes {
			return ErrMediaTooLarge
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, MaxMediaBytes+1))
		if err != nil {
			return fmt.Errorf("wecom media/get: %w", scrubErr(err))
		}
		if len(b) > MaxMediaBytes {
			return ErrMediaTooLarge
		}
		// A failure comes back as JSON without a file name.
		if resp.Header.Get("Content-Disposition") == "" && strings.Contains(resp.Header.Get("Content-Type"), "json") {
			var s apiStatus
			if err := decodeStatus("media/get", b, &s); err != nil {
				return err
			}
		}
		data = b
		return nil
	})
	return data, err
}
