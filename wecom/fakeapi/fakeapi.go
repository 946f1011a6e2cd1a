// Package fakeapi is a small in-memory WeCom server API for tests and for
// the bot's demo mode: access tokens, app messages, app group chats, group
// robots and temporary media, the OAuth2 sign-in of the app's pages and the
// app menu, with WeCom-shaped JSON answers.
//
// It records every message sent so tests and the terminal chat can see
// what the bot pushed, can be told to fail or to be slow, and keeps only
// the newest records and media so a long demo stays small.
//
// The Server serves paths from the root (/cgi-bin/...). To mount it under
// a prefix inside another server, strip the prefix and point the client's
// APIBase at it:
//
//	mux.Handle("/fakewecom/", http.StripPrefix("/fakewecom", fake))
//	// APIBase: "http://127.0.0.1:8080/fakewecom"
package fakeapi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits that keep a long-running demo bounded.
const (
	MaxRecords   = 10_000   // newest messages kept
	MaxMedia     = 1_000    // newest media kept
	MaxFileBytes = 20 << 20 // WeCom's limit for one file
	// maxKeptBytes bounds the file bytes held by records and media
	// together; older records keep the file's name and size only.
	maxKeptBytes = 128 << 20
)

// WeCom error codes the fake answers with.
const (
	CodeInvalidCredential = 40001
	CodeInvalidCorpID     = 40013
	CodeInvalidToken      = 40014
	CodeMissingToken      = 41001
	CodeTokenExpired      = 42001
	CodeMissingParam      = 41000 // not WeCom's exact code for every field; enough for tests
	CodeInvalidMediaID    = 40007
	CodeInvalidRobotKey   = 93000
	CodeRobotRateLimited  = 45009
	CodeInvalidJSON       = 47001
	CodeInvalidCode       = 40029 // an OAuth code unknown, used or expired
)

var errMsgs = map[int]string{
	CodeInvalidCredential: "invalid credential",
	CodeInvalidCorpID:     "invalid corpid",
	CodeInvalidToken:      "invalid access_token",
	CodeMissingToken:      "access_token missing",
	CodeTokenExpired:      "access_token expired",
	CodeMissingParam:      "missing parameter",
	CodeInvalidMediaID:    "invalid media_id",
	CodeInvalidRobotKey:   "invalid webhook url",
	CodeRobotRateLimited:  "api freq out of limit",
	CodeInvalidJSON:       "data format error",
	CodeInvalidCode:       "invalid code",
}

// Record is one message the fake accepted.
type Record struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Path      string    `json:"path"` // /cgi-bin/message/send, /cgi-bin/appchat/send or /cgi-bin/webhook/send
	Kind      string    `json:"kind"` // msgtype: text, markdown, textcard, file, ...
	ToUsers   []string  `json:"to_users,omitempty"`
	ToParties []string  `json:"to_parties,omitempty"`
	ToTags    []string  `json:"to_tags,omitempty"`
	ChatID    string    `json:"chat_id,omitempty"`
	RobotKey  string    `json:"robot_key,omitempty"`
	AgentID   string    `json:"agent_id,omitempty"`
	Text      string    `json:"text,omitempty"` // text or markdown content, textcard description
	Title     string    `json:"title,omitempty"`
	URL       string    `json:"url,omitempty"`
	MediaID   string    `json:"media_id,omitempty"`
	FileName  string    `json:"file_name,omitempty"`
	FileSize  int       `json:"file_size,omitempty"`
	File      []byte    `json:"-"` // nil once evicted (see maxKeptBytes)
	// DuplicateCheck is set when the sender asked WeCom to drop repeats.
	DuplicateCheck bool `json:"duplicate_check,omitempty"`
}

type media struct {
	id, name string
	data     []byte
}

type failure struct {
	code int
	left int
}

// Server is the fake API. It is an http.Handler and safe for concurrent
// use. The zero value is not usable; call New.
type Server struct {
	mux *http.ServeMux
	now func() time.Time

	mu       sync.Mutex
	corpID   string // required corpid and corpsecret, if set
	secret   string
	tokens   map[string]bool // issued token → still valid
	records  []Record        // a ring of at most MaxRecords; head is the oldest once full
	head     int
	limit    int // MaxRecords; smaller in tests
	seq      int64
	media    map[string]media
	order    []string // media ids, oldest first
	kept     int      // file bytes held by records and media
	fails    map[string]*failure
	delay    time.Duration
	delays   map[string]time.Duration // per path, on top of delay
	calls    map[string]int
	tokenTTL int

	oauth oauthState // sign-in codes and the app menu (oauth.go)
}

// New returns an empty fake that issues tokens to any corpid and secret.
func New() *Server {
	s := &Server{
		mux:      http.NewServeMux(),
		now:      time.Now,
		tokens:   map[string]bool{},
		media:    map[string]media{},
		fails:    map[string]*failure{},
		delays:   map[string]time.Duration{},
		calls:    map[string]int{},
		tokenTTL: 7200,
		limit:    MaxRecords,
	}
	s.mux.HandleFunc("GET /cgi-bin/gettoken", s.getToken)
	s.mux.HandleFunc("POST /cgi-bin/message/send", s.authed(s.messageSend))
	s.mux.HandleFunc("POST /cgi-bin/appchat/send", s.authed(s.appchatSend))
	s.mux.HandleFunc("POST /cgi-bin/webhook/send", s.robot(s.webhookSend))
	s.mux.HandleFunc("POST /cgi-bin/media/upload", s.authed(s.upload))
	s.mux.HandleFunc("POST /cgi-bin/webhook/upload_media", s.robot(s.upload))
	s.mux.HandleFunc("GET /cgi-bin/media/get", s.authed(s.mediaGet))
	s.mux.HandleFunc("GET /_fake/sent", s.sentHandler)
	s.addOAuth()
	return s
}

// SetCredentials makes gettoken accept only this corpid and secret.
func (s *Server) SetCredentials(corpID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corpID, s.secret = corpID, secret
}

// FailNext makes the next n calls to path (e.g. "/cgi-bin/message/send")
// answer errcode with HTTP 200, as WeCom does.
func (s *Server) FailNext(path string, errcode, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[path] = &failure{code: errcode, left: n}
}

// SetDelay delays every answer by d (a slow WeCom); 0 turns it off.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// SetPathDelay delays the answers to path (e.g. "/cgi-bin/media/get") by d,
// on top of SetDelay's, so one call can be slow while others are not; 0
// turns it off.
func (s *Server) SetPathDelay(path string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays[path] = d
}

// ExpireTokens makes every token issued so far answer 42001, as WeCom
// does when a token's two hours are up.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t := range s.tokens {
		s.tokens[t] = false
	}
}

// PutMedia stores a file for media/get, as if a user had sent it.
func (s *Server) PutMedia(id, name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putMediaLocked(media{id: id, name: name, data: data})
}

// Media returns a stored file by media id.
func (s *Server) Media(id string) (name string, data []byte, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	return m.name, m.data, ok
}

// Calls returns how many requests reached path (failed ones included).
func (s *Server) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Sent returns a copy of the kept records, oldest first.
func (s *Server) Sent() []Record {
	return s.SentTo("", 0)
}

// SentTo returns the records addressed to user (directly or via @all)
// with a sequence number above since, oldest first.
func (s *Server) SentTo(user string, since int64) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for i := range s.records {
		r := s.records[(s.head+i)%len(s.records)]
		if r.Seq > since && (user == "" || slices.Contains(r.ToUsers, user) || slices.Contains(r.ToUsers, "@all")) {
			out = append(out, r)
		}
	}
	return out
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls[r.URL.Path]++
	delay := s.delay + s.delays[r.URL.Path]
	s.mu.Unlock()
	if delay > 0 && !strings.HasPrefix(r.URL.Path, "/_fake/") {
		// Read the body first: only then does the server notice a client
		// that hangs up (or is killed) during the delay.
		body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if code, ok := s.takeFailure(r.URL.Path); ok {
		writeErr(w, code)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) takeFailure(path string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fails[path]
	if f == nil || f.left <= 0 {
		return 0, false
	}
	f.left--
	return f.code, true
}

func (s *Server) getToken(w http.ResponseWriter, r *http.Request) {
	corp, secret := r.URL.Query().Get("corpid"), r.URL.Query().Get("corpsecret")
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case corp == "" || s.corpID != "" && corp != s.corpID:
		writeErr(w, CodeInvalidCorpID)
		return
	case secret == "" || s.secret != "" && secret != s.secret:
		writeErr(w, CodeInvalidCredential)
		return
	}
	tok := randomID(32)
	s.tokens[tok] = true
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": s.tokenTTL})
}

// authed checks the access_token the fake issued.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("access_token")
		if tok == "" {
			writeErr(w, CodeMissingToken)
			return
		}
		s.mu.Lock()
		valid, issued := s.tokens[tok]
		s.mu.Unlock()
		switch {
		case !issued:
			writeErr(w, CodeInvalidToken)
		case !valid:
			writeErr(w, CodeTokenExpired)
		default:
			h(w, r)
		}
	}
}

// robot checks that a webhook key is present; any key is a robot.
func (s *Server) robot(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") == "" {
			writeErr(w, CodeInvalidRobotKey)
			return
		}
		h(w, r)
	}
}

// sendRequest is the union of message/send, appchat/send and
// webhook/send bodies.
type sendRequest struct {
	ToUser   string          `json:"touser"`
	ToParty  string          `json:"toparty"`
	ToTag    string          `json:"totag"`
	ChatID   string          `json:"chatid"`
	AgentID  json.RawMessage `json:"agentid"`
	MsgType  string          `json:"msgtype"`
	Text     *content        `json:"text"`
	Markdown *content        `json:"markdown"`
	TextCard *struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		URL         string `json:"url"`
	} `json:"textcard"`
	File *struct {
		MediaID string `json:"media_id"`
	} `json:"file"`
	DuplicateCheck int `json:"enable_duplicate_check"`
}

type content struct {
	Content string `json:"content"`
}

func (s *Server) messageSend(w http.ResponseWriter, r *http.Request) {
	req, ok := decode(w, r)
	if !ok {
		return
	}
	if req.ToUser == "" && req.ToParty == "" && req.ToTag == "" || len(req.AgentID) == 0 {
		writeErr(w, CodeMissingParam)
		return
	}
	s.accept(w, r, req, Record{ToUsers: split(req.ToUser), ToParties: split(req.ToParty), ToTags: split(req.ToTag),
		AgentID: strings.Trim(string(req.AgentID), `"`)})
}

func (s *Server) appchatSend(w http.ResponseWriter, r *http.Request) {
	req, ok := decode(w, r)
	if !ok {
		return
	}
	if req.ChatID == "" {
		writeErr(w, CodeMissingParam)
		return
	}
	s.accept(w, r, req, Record{ChatID: req.ChatID})
}

func (s *Server) webhookSend(w http.ResponseWriter, r *http.Request) {
	req, ok := decode(w, r)
	if !ok {
		return
	}
	s.accept(w, r, req, Record{RobotKey: r.URL.Query().Get("key")})
}

func decode(w http.ResponseWriter, r *http.Request) (sendRequest, bool) {
	var req sendRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeErr(w, CodeInvalidJSON)
		return req, false
	}
	return req, true
}

// accept checks the message body for its msgtype and records it.
func (s *Server) accept(w http.ResponseWriter, r *http.Request, req sendRequest, rec Record) {
	rec.Path, rec.Kind, rec.DuplicateCheck = r.URL.Path, req.MsgType, req.DuplicateCheck == 1
	switch {
	case req.MsgType == "text" && req.Text != nil && req.Text.Content != "":
		rec.Text = req.Text.Content
	case req.MsgType == "markdown" && req.Markdown != nil && req.Markdown.Content != "":
		rec.Text = req.Markdown.Content
	case req.MsgType == "textcard" && req.TextCard != nil && req.TextCard.Title != "" && req.TextCard.URL != "":
		rec.Title, rec.Text, rec.URL = req.TextCard.Title, req.TextCard.Description, req.TextCard.URL
	case req.MsgType == "file" && req.File != nil:
		rec.MediaID = req.File.MediaID
	default:
		writeErr(w, CodeMissingParam)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec.MediaID != "" {
		m, ok := s.media[rec.MediaID]
		if !ok {
			writeErr(w, CodeInvalidMediaID)
			return
		}
		rec.FileName, rec.FileSize, rec.File = m.name, len(m.data), m.data
		s.kept += len(m.data)
	}
	s.seq++
	rec.Seq, rec.Time = s.seq, s.now()
	if len(s.records) < s.limit {
		s.records = append(s.records, rec)
	} else {
		s.kept -= len(s.records[s.head].File)
		s.records[s.head] = rec
		s.head = (s.head + 1) % s.limit
	}
	s.trimLocked()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": strconv.FormatInt(rec.Seq, 10)})
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("type") != "file" {
		writeErr(w, CodeMissingParam)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFileBytes+1<<20)
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		writeErr(w, CodeMissingParam)
		return
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			writeErr(w, CodeMissingParam)
			return
		}
		if p.FormName() != "media" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, MaxFileBytes+1))
		if err != nil || len(data) > MaxFileBytes || len(data) < 5 {
			writeErr(w, CodeMissingParam)
			return
		}
		id := randomID(16)
		s.mu.Lock()
		s.putMediaLocked(media{id: id, name: p.FileName(), data: data})
		now := s.now()
		s.mu.Unlock()
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "type": "file", "media_id": id,
			"created_at": strconv.FormatInt(now.Unix(), 10)})
		return
	}
}

func (s *Server) mediaGet(w http.ResponseWriter, r *http.Request) {
	name, data, ok := s.Media(r.URL.Query().Get("media_id"))
	if !ok {
		writeErr(w, CodeInvalidMediaID)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// sentHandler serves GET /_fake/sent?user=U&since=N for the terminal chat.
func (s *Server) sentHandler(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	recs := s.SentTo(r.URL.Query().Get("user"), since)
	if recs == nil {
		recs = []Record{}
	}
	writeJSON(w, recs)
}

func (s *Server) putMediaLocked(m media) {
	if old, ok := s.media[m.id]; ok {
		s.kept -= len(old.data)
		s.order = slices.DeleteFunc(s.order, func(id string) bool { return id == m.id })
	}
	s.media[m.id] = m
	s.order = append(s.order, m.id)
	s.kept += len(m.data)
	s.trimLocked()
}

// trimLocked evicts the oldest media, then the oldest records' file
// bytes, until both bounds hold.
func (s *Server) trimLocked() {
	for len(s.order) > MaxMedia || s.kept > maxKeptBytes && len(s.order) > 1 {
		id := s.order[0]
		s.order = s.order[1:]
		s.kept -= len(s.media[id].data)
		delete(s.media, id)
	}
	for i := 0; s.kept > maxKeptBytes && i < len(s.records); i++ {
		r := &s.records[(s.head+i)%len(s.records)]
		s.kept -= len(r.File)
		r.File = nil
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

func randomID(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func writeErr(w http.ResponseWriter, code int) {
	msg := errMsgs[code]
	if msg == "" {
		msg = "error"
	}
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg + ", hint: [fake]"})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}
