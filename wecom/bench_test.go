package wecom

import "testing"

// BenchmarkOpen is the callback's crypto and parse cost per message:
// envelope, signature, decrypt, receiver check and message parse.
func BenchmarkOpen(b *testing.B) {
	c := mustCrypto(b, vecCorpID)
	body := []byte(vecPostBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Open(vecPostSig, vecPostTS, vecPostNonce, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenAndReply adds the encrypted passive reply, so it is the
// whole per-message crypto of a callback.
func BenchmarkOpenAndReply(b *testing.B) {
	c := mustCrypto(b, vecCorpID)
	body := []byte(vecPostBody)
	b.ReportAllocs()
	for b.Loop() {
		m, err := c.Open(vecPostSig, vecPostTS, vecPostNonce, body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.SealReply(TextReplyXML(m.FromUserName, m.ToUserName, m.CreateTime, "已登记 张三（低保，3人），应发 1,500元。"), vecPostTS, vecPostNonce); err != nil {
			b.Fatal(err)
		}
	}
}

func benchParse(b *testing.B, parse func([]byte) (Message, error), doc string) {
	data := []byte(doc)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseScanner and BenchmarkParseEncodingXML compare the fast
// path with encoding/xml on a WeCom text message; the Event pair on an
// event with nested elements the scanner skips.
func BenchmarkParseScanner(b *testing.B)     { benchParse(b, ParseMessage, wecomText) }
func BenchmarkParseEncodingXML(b *testing.B) { benchParse(b, parseMessageStd, wecomText) }
func BenchmarkParseScannerEvent(b *testing.B) {
	benchParse(b, ParseMessage, wecomLocationEvent)
}
func BenchmarkParseEncodingXMLEvent(b *testing.B) {
	benchParse(b, parseMessageStd, wecomLocationEvent)
}

// BenchmarkSealReply is the encrypted passive reply alone.
func BenchmarkSealReply(b *testing.B) {
	c := mustCrypto(b, vecCorpID)
	x := TextReplyXML("mycreate", vecCorpID, 1409659813, "已登记 张三（低保，3人），应发 1,500元。")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.SealReply(x, vecPostTS, vecPostNonce); err != nil {
			b.Fatal(err)
		}
	}
}
