package chat

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"songnuan/wecom"
)

// Client speaks to a running bot the way WeCom does: it signs and encrypts
// messages for the callback URL and decrypts the passive replies. In demo
// mode it also uses the fake WeCom API the bot mounts, to upload files and
// to read what the bot pushed. It is safe for concurrent use; the load
// tool shares one across all its workers.
type Client struct {
	base   string
	creds  Credentials
	crypto *wecom.Crypto
	http   *http.Client
	now    func() time.Time
}

// NewClient returns a client for the bot at baseURL (e.g.
// http://127.0.0.1:8080). A nil hc means a client with a 30 s timeout.
func NewClient(baseURL string, creds Credentials, hc *http.Client) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("机器人地址应以 http:// 或 https:// 开头，例如 --url http://127.0.0.1:8080（收到 %q）", baseURL)
	}
	cr, err := wecom.NewCrypto(creds.Token, creds.EncodingAESKey, creds.CorpID)
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{base: base, creds: creds, crypto: cr, http: hc, now: time.Now}, nil
}

// URL is the bot's base URL.
func (c *Client) URL() string { return c.base }

// NewMsgID returns a random message id in WeCom's form: a positive 64-bit
// integer in decimal. WeCom's own ids are 19 digits, and so are these, so
// a bot that stores them as strings or int64 sees the same shapes.
func NewMsgID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("read random: %v", err)) // crypto/rand never fails on supported systems
	}
	// Keep 62 random bits and set bit 62: 2^62 ≤ id < 2^63, always 19 digits.
	n := binary.BigEndian.Uint64(b[:])>>2 | 1<<62
	return strconv.FormatUint(n, 10)
}

// Text returns a text message from user as WeCom delivers it: addressed
// to the corp, stamped now, with a fresh random MsgId and the app's
// AgentID.
func (c *Client) Text(user, content string) wecom.Message {
	return wecom.Message{
		ToUserName: c.creds.CorpID, FromUserName: user, CreateTime: c.now().Unix(),
		MsgType: "text", Content: content, MsgID: NewMsgID(), AgentID: c.creds.AgentID,
	}
}

// File returns a file message from user for an uploaded mediaID.
func (c *Client) File(user, mediaID, fileName string) wecom.Message {
	return wecom.Message{
		ToUserName: c.creds.CorpID, FromUserName: user, CreateTime: c.now().Unix(),
		MsgType: "file", MediaID: mediaID, FileName: fileName, MsgID: NewMsgID(), AgentID: c.creds.AgentID,
	}
}

// Request builds the signed, encrypted POST WeCom would make for m. It
// does all the crypto, so a load generator can build every request before
// it starts the clock; each request may be sent once.
func (c *Client) Request(ctx context.Context, m wecom.Message) (*http.Request, error) {
	q, body, err := c.crypto.SealRequest(wecom.TextMessageXML(m), c.creds.AgentID)
	if err != nil {
		return nil, fmt.Errorf("seal message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/wecom/callback?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	return req, nil
}

// Answer is the bot's HTTP answer to one message.
type Answer struct {
	Status int
	// Reply is the decrypted passive reply; empty when the bot answered
	// 200 with no body (nothing to say, or the reply is pushed instead).
	Reply string
	// Body is the raw response body, kept for non-200 answers.
	Body []byte
}

// ErrReply means the bot answered 200 with a body that is not a valid
// passive reply for these credentials.
var ErrReply = errors.New("reply does not decrypt")

// Deliver posts m to the callback URL and reads the answer. A transport
// failure is an error; any HTTP status is an Answer. A 200 body that does
// not decrypt returns the Answer and an error wrapping ErrReply.
func (c *Client) Deliver(ctx context.Context, m wecom.Message) (Answer, error) {
	req, err := c.Request(ctx, m)
	if err != nil {
		return Answer{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("post message: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Answer{Status: resp.StatusCode}, fmt.Errorf("read answer: %w", err)
	}
	a := Answer{Status: resp.StatusCode, Body: body}
	if resp.StatusCode != http.StatusOK {
		return a, nil
	}
	a.Reply, err = c.OpenReply(body)
	return a, err
}

// OpenReply decrypts a 200 answer's body into the reply text; an empty
// body is an empty reply. Errors wrap ErrReply.
func (c *Client) OpenReply(body []byte) (string, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return "", nil
	}
	m, err := c.crypto.OpenReply(body)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrReply, err)
	}
	return m.Content, nil
}
