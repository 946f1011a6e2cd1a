package wecom

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

// Tencent's callback sample (企业微信 加解密库).
const (
	vecToken  = "QDG6eK"
	vecAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	vecCorpID = "wx5823bf96d3bd56c7"

	vecGetSig   = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	vecGetTS    = "1409659589"
	vecGetNonce = "263014780"
	vecGetEcho  = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="

	vecPostSig   = "477715d11cdb4164915debcba66cb864d751f3e6"
	vecPostTS    = "1409659813"
	vecPostNonce = "1372623149"
	vecPostBody  = `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>`
)

func mustCrypto(tb testing.TB, corpID string) *Crypto {
	tb.Helper()
	c, err := NewCrypto(vecToken, vecAESKey, corpID)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestVerifyURLVector(t *testing.T) {
	c := mustCrypto(t, vecCorpID)
	got, err := c.VerifyURL(vecGetSig, vecGetTS, vecGetNonce, vecGetEcho)
	if err != nil {
		t.Fatal(err)
	}
	if want := "1616140317555161061"; string(got) != want {
		t.Errorf("VerifyURL = %q, want %q", got, want)
	}
}

func TestOpenVector(t *testing.T) {
	c := mustCrypto(t, vecCorpID)
	m, err := c.Open(vecPostSig, vecPostTS, vecPostNonce, []byte(vecPostBody))
	if err != nil {
		t.Fatal(err)
	}
	want := Message{
		ToUserName: vecCorpID, FromUserName: "mycreate", CreateTime: 1409659813,
		MsgType: "text", Content: "hello", MsgID: "4561255354251345929", AgentID: "218",
	}
	if m != want {
		t.Errorf("Open =\n %+v\nwant\n %+v", m, want)
	}
}

func TestVerifyURLErrors(t *testing.T) {
	c := mustCrypto(t, vecCorpID)
	other := mustCrypto(t, "ww0000000000000000")
	flip := func(s string) string { // change the last hex digit
		b := []byte(s)
		b[len(b)-1] ^= 1
		return string(b)
	}
	tests := []struct {
		name                string
		c                   *Crypto
		sig, ts, nonce, str string
		want                error
	}{
		{"forged signature", c, flip(vecGetSig), vecGetTS, vecGetNonce, vecGetEcho, ErrSignature},
		{"upper-case signature", c, strings.ToUpper(vecGetSig), vecGetTS, vecGetNonce, vecGetEcho, ErrSignature},
		{"short signature", c, vecGetSig[:39], vecGetTS, vecGetNonce, vecGetEcho, ErrSignature},
		{"empty signature", c, "", vecGetTS, vecGetNonce, vecGetEcho, ErrSignature},
		{"other timestamp", c, vecGetSig, "1409659590", vecGetNonce, vecGetEcho, ErrSignature},
		{"other nonce", c, vecGetSig, vecGetTS, "263014781", vecGetEcho, ErrSignature},
		{"empty echostr", c, vecGetSig, vecGetTS, vecGetNonce, "", ErrMalformed},
		{"another corp", other, vecGetSig, vecGetTS, vecGetNonce, vecGetEcho, ErrReceiver},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.VerifyURL(tt.sig, tt.ts, tt.nonce, tt.str)
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyURL error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("VerifyURL returned %q with an error", got)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	c := mustCrypto(t, vecCorpID)
	other := mustCrypto(t, "ww0000000000000000")
	tests := []struct {
		name string
		c    *Crypto
		sig  string
		body string
		want error
	}{
		{"forged signature", c, "0" + vecPostSig[1:], vecPostBody, ErrSignature},
		{"altered Encrypt", c, vecPostSig, strings.Replace(vecPostBody, "RypE", "RypF", 1), ErrSignature},
		{"another corp", other, vecPostSig, vecPostBody, ErrReceiver},
		{"empty body", c, vecPostSig, "", ErrMalformed},
		{"not XML", c, vecPostSig, "hello", ErrMalformed},
		{"no Encrypt", c, vecPostSig, "<xml><ToUserName>x</ToUserName></xml>", ErrMalformed},
		{"unclosed", c, vecPostSig, vecPostBody[:len(vecPostBody)-6], ErrMalformed},
		{"too large", c, vecPostSig, "<xml>" + strings.Repeat(" ", MaxBody) + "</xml>", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Open(tt.sig, vecPostTS, vecPostNonce, []byte(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
		})
	}
}

// sealRaw signs an arbitrary Encrypt value as WeCom would, so the
// decrypt and parse checks are reached past the signature.
func sealRaw(c *Crypto, enc string) (sig string, body []byte) {
	return c.Signature("1", "2", enc), []byte("<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
}

// encryptRaw encrypts plaintext bytes laid out by the test (no framing).
func encryptRaw(c *Crypto, plain []byte) string {
	buf := append([]byte(nil), plain...)
	ctr := c.block
	iv := c.key[:16]
	prev := append([]byte(nil), iv...)
	for i := 0; i < len(buf); i += 16 {
		for j := range 16 {
			buf[i+j] ^= prev[j]
		}
		ctr.Encrypt(buf[i:i+16], buf[i:i+16])
		prev = buf[i : i+16]
	}
	return base64.StdEncoding.EncodeToString(buf)
}

func frame(msg []byte, receiver string, pad int) []byte {
	b := make([]byte, 16, 64+len(msg))
	n := len(msg)
	b = append(b, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	b = append(b, msg...)
	b = append(b, receiver...)
	if pad == 0 {
		pad = 32 - len(b)%32
	}
	for range pad {
		b = append(b, byte(pad))
	}
	return b
}

func TestOpenDecryptErrors(t *testing.T) {
	c := mustCrypto(t, vecCorpID)
	good := frame([]byte("<xml><Content>hi</Content></xml>"), vecCorpID, 0)
	badPad := append([]byte(nil), good...)
	badPad[len(badPad)-2] ^= 0xff // last byte says n, the one before disagrees
	zeroPad := frame([]byte("<xml></xml>"), vecCorpID, 0)
	zeroPad[len(zeroPad)-1] = 0
	longLen := append([]byte(nil), good...)
	longLen[16] = 0x7f
	tests := []struct {
		name string
		enc  string
		want error
	}{
		{"control: good frame", encryptRaw(c, good), nil},
		{"not base64", "!!!!", ErrMalformed},
		{"short ciphertext", base64.StdEncoding.EncodeToString(make([]byte, 16)), ErrMalformed},
		{"not whole blocks", base64.StdEncoding.EncodeToString(make([]byte, 40)), ErrMalformed},
		{"inconsistent padding", encryptRaw(c, badPad), ErrMalformed},
		{"zero padding", encryptRaw(c, zeroPad), ErrMalformed},
		{"length past the end", encryptRaw(c, longLen), ErrMalformed},
		{"wrong receiver", encryptRaw(c, frame([]byte("<xml></xml>"), "wx5823bf96d3bd56c8", 0)), ErrReceiver},
		{"no receiver", encryptRaw(c, frame([]byte("<xml></xml>"), "", 0)), ErrReceiver},
		{"bad message XML", encryptRaw(c, frame([]byte("<xml><Content>hi</xml>"), vecCorpID, 0)), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, body := sealRaw(c, tt.enc)
			_, err := c.Open(sig, "1", "2", body)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewCryptoErrors(t *testing.T) {
	tests := []struct {
		name, token, key, corp string
		mention                []string
	}{
		{"short key", "t", "abc", "ww1", []string{"WECOM_ENCODING_AES_KEY"}},
		{"not base64", "t", strings.Repeat("*", 43), "ww1", []string{"WECOM_ENCODING_AES_KEY"}},
		{"everything", "", "", "", []string{"WECOM_ENCODING_AES_KEY", "WECOM_TOKEN", "WECOM_CORP_ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewCrypto(tt.token, tt.key, tt.corp)
			if err == nil || c != nil {
				t.Fatalf("NewCrypto = %v, %v; want an error", c, err)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not name %s", err, m)
				}
			}
		})
	}
	if _, err := NewCrypto("t", vecAESKey, "ww1"); err != nil {
		t.Errorf("good key: %v", err)
	}
}

func TestSealRequestOpenRoundTrip(t *testing.T) {
	c := mustCrypto(t, "ww1234567890abcdef")
	c.now = func() time.Time { return time.Unix(1735689600, 0) }
	in := Message{
		ToUserName: "ww1234567890abcdef", FromUserName: "zhangsan", CreateTime: 1735689600,
		MsgType: "text", Content: "走访 甘泉一村 12 已发放 800元 <b>&amp;</b> ]]> 结束", MsgID: "7450000000000000001", AgentID: "1000002",
	}
	q, body, err := c.SealRequest(TextMessageXML(in), in.AgentID)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("timestamp") != "1735689600" || q.Get("nonce") == "" || len(q.Get("msg_signature")) != 40 {
		t.Fatalf("query = %v", q)
	}
	got, err := c.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body)
	if err != nil {
		t.Fatal(err)
	}
	if got != in {
		t.Errorf("round trip =\n %+v\nwant\n %+v", got, in)
	}
	// Another corp with the same key must not accept it.
	if _, err := mustCrypto(t, "ww0000000000000000").Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), body); !errors.Is(err, ErrReceiver) {
		t.Errorf("other corp: %v, want ErrReceiver", err)
	}
	// Two seals of one message differ (random prefix, nonce).
	_, body2, _ := c.SealRequest(TextMessageXML(in), in.AgentID)
	if bytes.Equal(body, body2) {
		t.Error("two seals are identical: the random prefix is not random")
	}
}

func TestSealReplyOpenReply(t *testing.T) {
	c := mustCrypto(t, vecCorpID)
	content := "已登记 张三（低保，3人）\n应发 1,500元 ]]> <xml>"
	reply, err := c.SealReply(TextReplyXML("mycreate", vecCorpID, 1409659813, content), "1409659813", "1372623149")
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.OpenReply(reply)
	if err != nil {
		t.Fatal(err)
	}
	want := Message{ToUserName: "mycreate", FromUserName: vecCorpID, CreateTime: 1409659813, MsgType: "text", Content: content}
	if m != want {
		t.Errorf("OpenReply =\n %+v\nwant\n %+v", m, want)
	}
	tampered := bytes.Replace(reply, []byte("<TimeStamp>1409659813"), []byte("<TimeStamp>1409659814"), 1)
	if _, err := c.OpenReply(tampered); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered reply: %v, want ErrSignature", err)
	}
	if _, err := c.OpenReply([]byte("<xml>")); !errors.Is(err, ErrMalformed) {
		t.Errorf("garbage reply: %v, want ErrMalformed", err)
	}
}

func TestEncryptEchoVerifyURL(t *testing.T) {
	c := mustCrypto(t, vecCorpID)
	echo, sig, err := c.EncryptEcho("8372468913", "1700000000", "42")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.VerifyURL(sig, "1700000000", "42", echo)
	if err != nil || string(got) != "8372468913" {
		t.Errorf("VerifyURL = %q, %v", got, err)
	}
}

func TestSignatureVector(t *testing.T) {
	c := mustCrypto(t, vecCorpID)
	if got := c.Signature(vecGetTS, vecGetNonce, vecGetEcho); got != vecGetSig {
		t.Errorf("Signature = %s, want %s", got, vecGetSig)
	}
}
