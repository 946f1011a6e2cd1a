package wecom

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Callback errors. Test with errors.Is; the wrapped text says which check
// failed but never repeats the input.
var (
	// ErrSignature means msg_signature does not match: the request was not
	// made by WeCom with this app's Token, or it was altered on the way.
	ErrSignature = errors.New("wecom: signature mismatch")
	// ErrReceiver means the message decrypted but was addressed to another
	// receiver id (another corp encrypting with the same key).
	ErrReceiver = errors.New("wecom: message for another receiver")
	// ErrMalformed means the request could not be read: bad XML, bad
	// base64, bad padding or a bad length.
	ErrMalformed = errors.New("wecom: malformed message")
)

// MaxBody is the largest callback body Open accepts. WeCom's messages are
// a few KiB; anything far larger is refused before any work is done on it.
const MaxBody = 1 << 20

// padBlock is WeCom's PKCS#7 block: 32 bytes, not AES's 16.
const padBlock = 32

// Crypto verifies, decrypts and encrypts WeCom callback traffic for one app
// (its Token, EncodingAESKey and the CorpID used as receiver id). It is safe
// for concurrent use.
type Crypto struct {
	token  string
	corpID string
	key    []byte
	block  cipher.Block
	now    func() time.Time // SealRequest's timestamp; replaced in tests
}

// NewCrypto returns the callback crypto for an app. encodingAESKey is the
// 43-character key from the WeCom admin console; corpID is the receiver id
// every message must carry.
func NewCrypto(token, encodingAESKey, corpID string) (*Crypto, error) {
	var problems []error
	if token == "" {
		problems = append(problems, errors.New("WECOM_TOKEN is empty: copy the Token from the app's 接收消息 settings"))
	}
	if corpID == "" {
		problems = append(problems, errors.New("WECOM_CORP_ID is empty: copy the 企业ID from 我的企业"))
	}
	key, err := decodeAESKey(encodingAESKey)
	if err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("WECOM_ENCODING_AES_KEY: %w", err)
	}
	return &Crypto{token: token, corpID: corpID, key: key, block: block, now: time.Now}, nil
}

// decodeAESKey never quotes the key in its errors: it is a secret.
func decodeAESKey(k string) ([]byte, error) {
	if len(k) != 43 {
		return nil, fmt.Errorf("WECOM_ENCODING_AES_KEY must be 43 characters of base64, got %d", len(k))
	}
	key, err := base64.StdEncoding.DecodeString(k + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("WECOM_ENCODING_AES_KEY is not valid base64 of 32 bytes: copy it again from the app's 接收消息 settings")
	}
	return key, nil
}

// CorpID returns the receiver id the crypto checks.
func (c *Crypto) CorpID() string { return c.corpID }

// VerifyURL answers WeCom's GET URL check: it verifies msg_signature over
// (token, timestamp, nonce, echostr), decrypts echostr, checks the receiver
// id and returns the plaintext to send back as is.
func (c *Crypto) VerifyURL(msgSignature, timestamp, nonce, echostr string) ([]byte, error) {
	if echostr == "" {
		return nil, fmt.Errorf("%w: empty echostr", ErrMalformed)
	}
	if !c.verify(msgSignature, timestamp, nonce, echostr) {
		return nil, ErrSignature
	}
	return c.decrypt(echostr)
}

// envelope is the POST body WeCom sends; only Encrypt matters.
type envelope struct {
	XMLName xml.Name `xml:"xml"`
	Encrypt string   `xml:"Encrypt"`
}

// Open reads one callback POST: it parses the envelope, verifies the
// signature over its Encrypt value before decrypting anything, decrypts,
// checks the receiver id and parses the message.
func (c *Crypto) Open(msgSignature, timestamp, nonce string, body []byte) (Message, error) {
	if len(body) > MaxBody {
		return Message{}, fmt.Errorf("%w: body of %d bytes", ErrMalformed, len(body))
	}
	enc, err := envelopeEncrypt(string(body))
	if err != nil {
		return Message{}, err
	}
	if !c.verify(msgSignature, timestamp, nonce, enc) {
		return Message{}, ErrSignature
	}
	plain, err := c.decrypt(enc)
	if err != nil {
		return Message{}, err
	}
	return ParseMessage(plain)
}

// envelopeEncrypt returns the Encrypt value of a callback body.
func envelopeEncrypt(s string) (string, error) {
	enc, ok := "", false
	sc := scanner{s: s}
	if sc.open() {
		for {
			name, val, leaf, tok := sc.next()
			if tok == tokEnd {
				ok = true
				break
			}
			if tok == tokBad || (name == "Encrypt" && !leaf) {
				break
			}
			if name == "Encrypt" {
				enc = val
			}
		}
	}
	if !ok {
		var e envelope
		if err := xml.Unmarshal([]byte(s), &e); err != nil {
			return "", fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
		}
		enc = e.Encrypt
	}
	if enc == "" {
		return "", fmt.Errorf("%w: envelope has no Encrypt", ErrMalformed)
	}
	return enc, nil
}

// verify compares in constant time so a forger learns nothing from timing.
func (c *Crypto) verify(msgSignature, timestamp, nonce, data string) bool {
	want := sign(c.token, timestamp, nonce, data)
	if len(msgSignature) != len(want) {
		return false
	}
	var got [40]byte
	copy(got[:], msgSignature)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// sign is WeCom's msg_signature: hex(sha1(concat(sort(parts)))).
func sign(token, timestamp, nonce, data string) [40]byte {
	p := [4]string{token, timestamp, nonce, data}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j] < p[j-1]; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	bp := signBufs.Get().(*[]byte)
	b := (*bp)[:0]
	for _, s := range p {
		b = append(b, s...)
	}
	sum := sha1.Sum(b)
	*bp = b
	signBufs.Put(bp)
	var out [40]byte
	hex.Encode(out[:], sum[:])
	return out
}

// signBufs hold the concatenation sign hashes (a few kilobytes for a
// long reply), which would otherwise be allocated and copied per message.
var signBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Signature returns WeCom's msg_signature for the given values. The
// terminal chat and tests use it to sign what they send.
func (c *Crypto) Signature(timestamp, nonce, data string) string {
	s := sign(c.token, timestamp, nonce, data)
	return string(s[:])
}

// decrypt returns the message inside a base64 ciphertext. The padding is
// checked strictly; that is no padding oracle because the signature was
// verified first.
func (c *Crypto) decrypt(b64 string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64", ErrMalformed)
	}
	if len(raw) < padBlock || len(raw)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes", ErrMalformed, len(raw))
	}
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(raw, raw)
	pad := int(raw[len(raw)-1])
	if pad < 1 || pad > padBlock {
		return nil, fmt.Errorf("%w: bad padding", ErrMalformed)
	}
	for _, b := range raw[len(raw)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding", ErrMalformed)
		}
	}
	raw = raw[:len(raw)-pad]
	if len(raw) < 20 {
		return nil, fmt.Errorf("%w: plaintext too short", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(raw[16:20])
	if uint64(n) > uint64(len(raw)-20) {
		return nil, fmt.Errorf("%w: bad message length", ErrMalformed)
	}
	msg, receiver := raw[20:20+n:20+n], raw[20+n:]
	if string(receiver) != c.corpID {
		return nil, ErrReceiver
	}
	return msg, nil
}

// encrypt is decrypt's inverse, with 16 random bytes from crypto/rand.
func (c *Crypto) encrypt(msg []byte) (string, error) {
	content := 20 + len(msg) + len(c.corpID)
	pad := padBlock - content%padBlock
	buf := make([]byte, content+pad)
	if _, err := rand.Read(buf[:16]); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	binary.BigEndian.PutUint32(buf[16:20], uint32(len(msg)))
	copy(buf[20:], msg)
	copy(buf[20+len(msg):], c.corpID)
	for i := content; i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// SealReply wraps a passive reply (e.g. from TextReplyXML) in the encrypted
// envelope <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>,
// signed with the given timestamp and nonce (usually the request's).
func (c *Crypto) SealReply(plainXML []byte, timestamp, nonce string) ([]byte, error) {
	enc, err := c.encrypt(plainXML)
	if err != nil {
		return nil, fmt.Errorf("seal reply: %w", err)
	}
	sig := sign(c.token, timestamp, nonce, enc)
	b := make([]byte, 0, len(enc)+len(sig)+len(timestamp)+len(nonce)+len(replyFrame))
	b = append(b, "<xml><Encrypt><![CDATA["...)
	b = append(b, enc...) // base64: nothing to sanitize or split
	b = append(b, "]]></Encrypt><MsgSignature><![CDATA["...)
	b = append(b, sig[:]...) // hex
	b = append(b, "]]></MsgSignature><TimeStamp>"...)
	b = appendText(b, timestamp)
	b = append(b, "</TimeStamp><Nonce>"...)
	b = appendCDATA(b, nonce)
	b = append(b, "</Nonce></xml>"...)
	return b, nil
}

// replyFrame is the envelope's markup, what SealReply adds around the
// values (a nonce with "]]>" in it needs more; append grows then).
const replyFrame = "<xml><Encrypt><![CDATA[]]></Encrypt><MsgSignature><![CDATA[]]></MsgSignature>" +
	"<TimeStamp></TimeStamp><Nonce><![CDATA[]]></Nonce></xml>"

// replyEnvelope is what SealReply produces.
type replyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      string   `xml:"Encrypt"`
	MsgSignature string   `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        string   `xml:"Nonce"`
}

// OpenReply verifies and decrypts a passive reply, as WeCom does with the
// bot's answer; the terminal chat and tests use it.
func (c *Crypto) OpenReply(body []byte) (Message, error) {
	var e replyEnvelope
	if err := xml.Unmarshal(body, &e); err != nil {
		return Message{}, fmt.Errorf("%w: reply envelope: %v", ErrMalformed, err)
	}
	if e.Encrypt == "" {
		return Message{}, fmt.Errorf("%w: reply has no Encrypt", ErrMalformed)
	}
	if !c.verify(e.MsgSignature, e.TimeStamp, e.Nonce, e.Encrypt) {
		return Message{}, ErrSignature
	}
	plain, err := c.decrypt(e.Encrypt)
	if err != nil {
		return Message{}, err
	}
	return ParseMessage(plain)
}

// SealRequest builds exactly what WeCom POSTs to the callback URL for a
// message (e.g. from TextMessageXML): the query (msg_signature, timestamp,
// nonce) and the envelope body. The load tool and tests use it.
func (c *Crypto) SealRequest(plainMessageXML []byte, agentID string) (url.Values, []byte, error) {
	enc, err := c.encrypt(plainMessageXML)
	if err != nil {
		return nil, nil, fmt.Errorf("seal request: %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000))
	if err != nil {
		return nil, nil, fmt.Errorf("seal request: nonce: %w", err)
	}
	nonce := strconv.FormatInt(n.Int64()+1_000_000_000, 10)
	ts := strconv.FormatInt(c.now().Unix(), 10)
	sig := sign(c.token, ts, nonce, enc)
	q := url.Values{}
	q.Set("msg_signature", string(sig[:]))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	b := make([]byte, 0, len(enc)+len(c.corpID)+len(agentID)+128)
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, c.corpID)
	b = append(b, "</ToUserName><Encrypt>"...)
	b = appendCDATA(b, enc)
	b = append(b, "</Encrypt><AgentID>"...)
	b = appendCDATA(b, agentID)
	b = append(b, "</AgentID></xml>"...)
	return q, b, nil
}

// EncryptEcho returns an echostr for a GET URL check and its signature, as
// WeCom would send them; tests and the terminal chat use it.
func (c *Crypto) EncryptEcho(plain, timestamp, nonce string) (echostr, msgSignature string, err error) {
	enc, err := c.encrypt([]byte(plain))
	if err != nil {
		return "", "", fmt.Errorf("encrypt echo: %w", err)
	}
	sig := sign(c.token, timestamp, nonce, enc)
	return enc, string(sig[:]), nil
}
