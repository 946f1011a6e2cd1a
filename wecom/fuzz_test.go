package wecom

import (
	"errors"
	"testing"
)

// typed reports whether err is one of the callback errors a handler maps
// to a response; anything else would be a bug.
func typed(err error) bool {
	return errors.Is(err, ErrSignature) || errors.Is(err, ErrReceiver) || errors.Is(err, ErrMalformed)
}

// FuzzOpen drives Open's stages with the inputs taken four ways: as a raw
// request, as an Encrypt value signed correctly (reaching decrypt), as a
// decrypted frame (reaching padding, length and receiver checks) and as the
// message XML sealed the way WeCom does (reaching the parser).
func FuzzOpen(f *testing.F) {
	f.Add(vecPostSig, vecPostTS, vecPostNonce, []byte(vecPostBody))
	f.Add(vecGetSig, vecGetTS, vecGetNonce, []byte(vecGetEcho))
	f.Add("", "", "", []byte(wecomText))
	f.Add("x", "1", "2", []byte(wecomLocationEvent))
	f.Add("", "", "", []byte("<xml><Encrypt>AAAA</Encrypt></xml>"))
	c := mustCrypto(f, vecCorpID)
	f.Fuzz(func(t *testing.T, sig, ts, nonce string, body []byte) {
		// 1. The raw request.
		if m, err := c.Open(sig, ts, nonce, body); err != nil && !typed(err) {
			t.Fatalf("raw: untyped error %v", err)
		} else if err == nil && c.Signature(ts, nonce, mustEncrypt(t, body)) != sig {
			t.Fatalf("raw: accepted %+v without a valid signature", m)
		}

		// 2. body as a correctly signed Encrypt value.
		s, env := sealRaw(c, string(body))
		if _, err := c.Open(s, "1", "2", env); err != nil && !typed(err) {
			t.Fatalf("signed: untyped error %v", err)
		}

		// 3. body as the decrypted frame, padded to whole AES blocks.
		frameBytes := append([]byte(nil), body...)
		for len(frameBytes)%16 != 0 || len(frameBytes) < 32 {
			frameBytes = append(frameBytes, byte(16-len(frameBytes)%16))
		}
		s, env = sealRaw(c, encryptRaw(c, frameBytes))
		if _, err := c.Open(s, "1", "2", env); err != nil && !typed(err) {
			t.Fatalf("frame: untyped error %v", err)
		}

		// 4. body as the message, sealed as WeCom does: Open must return
		// exactly what the parser does.
		q, req, err := c.SealRequest(body, "1")
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Open(q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce"), req)
		want, werr := ParseMessage(body)
		if (err == nil) != (werr == nil) || got != want {
			t.Fatalf("sealed: Open = %+v, %v; ParseMessage = %+v, %v", got, err, want, werr)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("sealed: error %v, want ErrMalformed", err)
		}
	})
}

// mustEncrypt returns the Encrypt value Open would have checked, so a
// raw request that was accepted can be re-verified independently.
func mustEncrypt(t *testing.T, body []byte) string {
	enc, err := envelopeEncrypt(string(body))
	if err != nil {
		t.Fatalf("accepted body has no Encrypt: %v", err)
	}
	return enc
}

// FuzzParseMessage cross-checks the scanner against encoding/xml: same
// success, same values, and whatever the scanner accepts encoding/xml
// accepts too.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		wecomText, wecomLocationEvent,
		`<xml><Content>a &lt;b&gt; &amp; &#20013;&#x6587;</Content></xml>`,
		`<xml><Content><![CDATA[x]]]]><![CDATA[>y]]></Content><Content/></xml>`,
		`<xml><CreateTime> 42 </CreateTime><A><B><C/></B></A></xml>`,
		"<xml><Content>a\r\nb</Content></xml>",
		`<?xml version="1.0"?><xml a="1"><!-- c --><Content>a</Content ></xml>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseMessage(data)
		want, werr := parseMessageStd(data)
		if (err == nil) != (werr == nil) || got != want {
			t.Fatalf("ParseMessage = %+v, %v\nencoding/xml = %+v, %v", got, err, want, werr)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v, want ErrMalformed", err)
		}
		if fast, ok := scanMessage(string(data)); ok && (werr != nil || fast != want) {
			t.Fatalf("scanner = %+v\nencoding/xml = %+v, %v", fast, want, werr)
		}
	})
}

// FuzzBuildParse checks that what the builders write reads back as the
// sanitized, cut values, on the scanner's fast path.
func FuzzBuildParse(f *testing.F) {
	f.Add("zhangsan", "ww1", int64(1735689600), "已登记 ]]> <x>&amp;", "7450000000000000001", "1000002")
	f.Add("", "", int64(-1), "a\r\nb\x00\xff", "", "")
	f.Fuzz(func(t *testing.T, to, from string, ts int64, content, msgID, agentID string) {
		reply := TextReplyXML(to, from, ts, content)
		want := Message{ToUserName: Sanitize(to), FromUserName: Sanitize(from), CreateTime: ts, MsgType: "text",
			Content: CutUTF8(Sanitize(content), MaxTextBytes)}
		got, ok := scanMessage(string(reply))
		if !ok || got != want {
			t.Fatalf("reply scans to %+v (%v), want %+v\n%s", got, ok, want, reply)
		}
		in := Message{ToUserName: to, FromUserName: from, CreateTime: ts, MsgType: "text", Content: content, MsgID: msgID, AgentID: agentID}
		want = Message{ToUserName: Sanitize(to), FromUserName: Sanitize(from), CreateTime: ts, MsgType: "text",
			Content: Sanitize(content), MsgID: Sanitize(msgID), AgentID: Sanitize(agentID)}
		msg := TextMessageXML(in)
		if got, ok = scanMessage(string(msg)); !ok || got != want {
			t.Fatalf("message scans to %+v (%v), want %+v\n%s", got, ok, want, msg)
		}
	})
}
