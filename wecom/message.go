package wecom

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Message is one decrypted callback message or event, with the fields the
// bot uses. Unknown elements (event details such as SendLocationInfo) are
// skipped.
type Message struct {
	ToUserName   string // the CorpID
	FromUserName string // the sender's userid
	CreateTime   int64  // Unix seconds
	MsgType      string // text, image, voice, video, file, location, link, event
	Content      string // text messages
	MsgID        string // MsgId; absent on events
	AgentID      string
	MediaID      string // MediaId of image, voice, video and file messages
	FileName     string
	Event        string // events: enter_agent, click, ...
	EventKey     string
}

// xmlMessage mirrors Message for encoding/xml, the reference parser.
type xmlMessage struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string   `xml:"ToUserName"`
	FromUserName string   `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      string   `xml:"MsgType"`
	Content      string   `xml:"Content"`
	MsgID        string   `xml:"MsgId"`
	AgentID      string   `xml:"AgentID"`
	MediaID      string   `xml:"MediaId"`
	FileName     string   `xml:"FileName"`
	Event        string   `xml:"Event"`
	EventKey     string   `xml:"EventKey"`
}

// ParseMessage parses a decrypted message. It accepts exactly what
// encoding/xml accepts and yields the same values: a small scanner handles
// the flat shape WeCom sends (CDATA or plain values, the predefined
// entities and character references, skipped nested elements) in a
// fraction of encoding/xml's time, and hands anything else to encoding/xml.
// Errors wrap ErrMalformed.
func ParseMessage(data []byte) (Message, error) {
	if m, ok := scanMessage(string(data)); ok {
		return m, nil
	}
	return parseMessageStd(data)
}

// parseMessageStd is the reference parser, and the fallback.
func parseMessageStd(data []byte) (Message, error) {
	var x xmlMessage
	if err := xml.Unmarshal(data, &x); err != nil {
		return Message{}, fmt.Errorf("%w: message: %v", ErrMalformed, err)
	}
	return Message{
		ToUserName: x.ToUserName, FromUserName: x.FromUserName, CreateTime: x.CreateTime,
		MsgType: x.MsgType, Content: x.Content, MsgID: x.MsgID, AgentID: x.AgentID,
		MediaID: x.MediaID, FileName: x.FileName, Event: x.Event, EventKey: x.EventKey,
	}, nil
}

// scanMessage is the fast path. ok is false for anything it does not
// handle, valid or not; encoding/xml then decides.
func scanMessage(s string) (m Message, ok bool) {
	sc := scanner{s: s}
	if !sc.open() {
		return Message{}, false
	}
	for {
		name, val, leaf, tok := sc.next()
		switch tok {
		case tokEnd:
			return m, true
		case tokBad:
			return Message{}, false
		}
		var dst *string
		switch name {
		case "ToUserName":
			dst = &m.ToUserName
		case "FromUserName":
			dst = &m.FromUserName
		case "MsgType":
			dst = &m.MsgType
		case "Content":
			dst = &m.Content
		case "MsgId":
			dst = &m.MsgID
		case "AgentID":
			dst = &m.AgentID
		case "MediaId":
			dst = &m.MediaID
		case "FileName":
			dst = &m.FileName
		case "Event":
			dst = &m.Event
		case "EventKey":
			dst = &m.EventKey
		case "CreateTime":
			if !leaf {
				return Message{}, false
			}
			m.CreateTime = 0
			if val != "" {
				n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
				if err != nil {
					return Message{}, false
				}
				m.CreateTime = n
			}
			continue
		default:
			continue
		}
		if !leaf {
			// encoding/xml would keep the text around the children.
			return Message{}, false
		}
		*dst = val
	}
}

// Scanner tokens.
const (
	tokField = iota // a child element of the root
	tokEnd          // </xml> and nothing but white space after it
	tokBad          // something the scanner does not handle
)

// maxDepth bounds the recursion when skipping nested elements; deeper
// documents go to encoding/xml.
const maxDepth = 16

// scanner walks the children of a flat <xml> document. Values are
// substrings of the input when they need no decoding, so a typical
// message costs one allocation: the string of the whole document.
type scanner struct {
	s string
	i int
}

// open consumes leading white space and the root start tag.
func (sc *scanner) open() bool {
	i := skipSpace(sc.s, 0)
	if !strings.HasPrefix(sc.s[i:], "<xml>") {
		return false
	}
	sc.i = i + len("<xml>")
	return true
}

// next returns the root's next child: its name, its decoded text if it is
// a leaf, and tokField; or tokEnd after the root; or tokBad.
func (sc *scanner) next() (name, val string, leaf bool, tok int) {
	s := sc.s
	i := skipSpace(s, sc.i)
	if strings.HasPrefix(s[i:], "</xml>") {
		if skipSpace(s, i+len("</xml>")) != len(s) {
			return "", "", false, tokBad
		}
		sc.i = len(s)
		return "", "", false, tokEnd
	}
	name, body, empty, ok := openTag(s, i)
	if !ok {
		return "", "", false, tokBad
	}
	if empty {
		sc.i = body
		return name, "", true, tokField
	}
	val, end, child, ok := content(s, body, name)
	if !ok {
		return "", "", false, tokBad
	}
	if !child {
		sc.i = end
		return name, val, true, tokField
	}
	end, ok = skipBody(s, body, name, 1)
	if !ok {
		return "", "", false, tokBad
	}
	sc.i = end
	return name, "", false, tokField
}

// openTag reads <name> or <name/> at s[i]. Attributes, name spaces and
// white space inside the tag are left to encoding/xml.
func openTag(s string, i int) (name string, end int, empty, ok bool) {
	if i >= len(s) || s[i] != '<' {
		return "", 0, false, false
	}
	j := i + 1
	if j >= len(s) || !isNameStart(s[j]) {
		return "", 0, false, false
	}
	for j++; j < len(s) && isNameByte(s[j]); j++ {
	}
	name = s[i+1 : j]
	switch {
	case j < len(s) && s[j] == '>':
		return name, j + 1, false, true
	case j+1 < len(s) && s[j] == '/' && s[j+1] == '>':
		return name, j + 2, true, true
	}
	return "", 0, false, false
}

// content reads an element's text up to its end tag </name>, joining
// plain text and CDATA sections. If a child element comes first, child is
// true and end is where the child starts.
func content(s string, i int, name string) (val string, end int, child, ok bool) {
	var (
		first string
		buf   []byte
		parts int
	)
	add := func(seg string) {
		switch parts {
		case 0:
			first = seg
		case 1:
			buf = make([]byte, 0, len(first)+len(seg)+16)
			buf = append(append(buf, first...), seg...)
		default:
			buf = append(buf, seg...)
		}
		parts++
	}
	value := func() string {
		if parts > 1 {
			return string(buf)
		}
		return first
	}
	for {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 {
			return "", 0, false, false
		}
		if k > 0 {
			seg, ok := plainText(s[i : i+k])
			if !ok {
				return "", 0, false, false
			}
			add(seg)
		}
		i += k
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<![CDATA["):
			e := strings.Index(rest[len("<![CDATA["):], "]]>")
			if e < 0 {
				return "", 0, false, false
			}
			seg := rest[len("<![CDATA[") : len("<![CDATA[")+e]
			if !validText(seg) {
				return "", 0, false, false
			}
			if seg != "" {
				add(seg)
			}
			i += len("<![CDATA[") + e + len("]]>")
		case strings.HasPrefix(rest, "</"):
			r := rest[2:]
			if len(r) <= len(name) || r[:len(name)] != name || r[len(name)] != '>' {
				return "", 0, false, false
			}
			return value(), i + 3 + len(name), false, true
		case len(rest) > 1 && isNameStart(rest[1]):
			return value(), i, true, true
		default: // comments, processing instructions, stray '<'
			return "", 0, false, false
		}
	}
}

// skipBody skips an element's content and end tag, children included.
func skipBody(s string, i int, name string, depth int) (int, bool) {
	if depth > maxDepth {
		return 0, false
	}
	for {
		_, end, child, ok := content(s, i, name)
		if !ok {
			return 0, false
		}
		if !child {
			return end, true
		}
		cname, body, empty, ok := openTag(s, end)
		if !ok {
			return 0, false
		}
		if empty {
			i = body
			continue
		}
		if i, ok = skipBody(s, body, cname, depth+1); !ok {
			return 0, false
		}
	}
}

// plainText validates and decodes text outside CDATA.
func plainText(seg string) (string, bool) {
	if !validText(seg) || strings.Contains(seg, "]]>") {
		return "", false
	}
	amp := strings.IndexByte(seg, '&')
	if amp < 0 {
		return seg, true
	}
	b := make([]byte, 0, len(seg))
	for amp >= 0 {
		b = append(b, seg[:amp]...)
		seg = seg[amp:]
		semi := strings.IndexByte(seg, ';')
		if semi < 0 {
			return "", false
		}
		r, ok := entity(seg[1:semi])
		if !ok {
			return "", false
		}
		b = utf8.AppendRune(b, r)
		seg = seg[semi+1:]
		amp = strings.IndexByte(seg, '&')
	}
	return string(append(b, seg...)), true
}

// entity decodes the body of &...; the way encoding/xml does in strict mode,
// or reports false.
func entity(e string) (rune, bool) {
	switch e {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	if len(e) < 2 || e[0] != '#' {
		return 0, false
	}
	digits, base := e[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" || len(digits) > 8 {
		return 0, false
	}
	var n rune
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		n = n*rune(base) + d
	}
	// Surrogates would become U+FFFD in encoding/xml; leave them to it.
	if n >= 0xD800 && n <= 0xDFFF || !inCharRange(n) {
		return 0, false
	}
	return n, true
}

// validText is encoding/xml's character check, and it refuses '\r', which
// encoding/xml rewrites to '\n'.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 && c != '\t' && c != '\n':
			return false
		case c == 0xEF && i+2 < len(s) && s[i+1] == 0xBF && s[i+2] >= 0xBE:
			return false // U+FFFE or U+FFFF
		}
	}
	return true
}

// validTextSlow is validText rune by rune, the specification the fast one
// is tested against.
func validTextSlow(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// inCharRange is the XML Char production.
func inCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

func isNameStart(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func isNameByte(c byte) bool {
	return isNameStart(c) || '0' <= c && c <= '9' || c == '-' || c == '.'
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	return i
}

// MaxTextBytes is WeCom's limit on a text message or passive text reply.
const MaxTextBytes = 2048

// CutUTF8 returns s cut to at most n bytes without splitting a rune.
func CutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// Sanitize makes s safe to put in an XML document: invalid UTF-8 becomes
// U+FFFD, characters XML forbids are dropped, and line ends become "\n"
// (which XML parsers would do anyway), so a value survives a round trip.
func Sanitize(s string) string {
	if validText(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\r':
			b.WriteByte('\n')
		case inCharRange(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// appendCDATA writes s as CDATA; a "]]>" inside is split across two
// sections so it cannot end the value early. s is sanitized first.
func appendCDATA(b []byte, s string) []byte {
	return appendSafeCDATA(b, Sanitize(s))
}

// appendSafeCDATA is appendCDATA for text already sanitized.
func appendSafeCDATA(b []byte, s string) []byte {
	b = append(b, "<![CDATA["...)
	for {
		k := strings.Index(s, "]]>")
		if k < 0 {
			break
		}
		b = append(b, s[:k+2]...)
		b = append(b, "]]><![CDATA["...)
		s = s[k+2:]
	}
	b = append(b, s...)
	return append(b, "]]>"...)
}

// appendText writes s as escaped character data.
func appendText(b []byte, s string) []byte {
	s = Sanitize(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '\n':
			b = append(b, "&#xA;"...)
		case '\t':
			b = append(b, "&#x9;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// TextReplyXML builds a passive text reply for SealReply. The content is
// sanitized and cut to MaxTextBytes at a rune boundary, as WeCom requires.
func TextReplyXML(toUser, fromCorp string, createTime int64, content string) []byte {
	content = CutUTF8(Sanitize(content), MaxTextBytes)
	b := make([]byte, 0, len(content)+len(toUser)+len(fromCorp)+192)
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, toUser)
	b = append(b, "</ToUserName><FromUserName>"...)
	b = appendCDATA(b, fromCorp)
	b = append(b, "</FromUserName><CreateTime>"...)
	b = strconv.AppendInt(b, createTime, 10)
	b = append(b, "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>"...)
	b = appendSafeCDATA(b, content)
	return append(b, "</Content></xml>"...)
}

// TextMessageXML builds a callback message the way WeCom does (CDATA
// strings, plain numbers), for SealRequest. MsgType defaults to text; the
// optional fields are written only when set. Values are sanitized.
func TextMessageXML(m Message) []byte {
	if m.MsgType == "" {
		m.MsgType = "text"
	}
	b := make([]byte, 0, len(m.Content)+256)
	b = append(b, "<xml><ToUserName>"...)
	b = appendCDATA(b, m.ToUserName)
	b = append(b, "</ToUserName><FromUserName>"...)
	b = appendCDATA(b, m.FromUserName)
	b = append(b, "</FromUserName><CreateTime>"...)
	b = strconv.AppendInt(b, m.CreateTime, 10)
	b = append(b, "</CreateTime><MsgType>"...)
	b = appendCDATA(b, m.MsgType)
	b = append(b, "</MsgType>"...)
	opt := func(tag, v string, always bool) {
		if v == "" && !always {
			return
		}
		b = append(b, '<')
		b = append(b, tag...)
		b = append(b, '>')
		b = appendCDATA(b, v)
		b = append(b, "</"...)
		b = append(b, tag...)
		b = append(b, '>')
	}
	opt("Content", m.Content, m.MsgType == "text")
	opt("MediaId", m.MediaID, false)
	opt("FileName", m.FileName, false)
	opt("Event", m.Event, false)
	opt("EventKey", m.EventKey, false)
	if m.MsgID != "" {
		b = append(b, "<MsgId>"...)
		b = appendText(b, m.MsgID)
		b = append(b, "</MsgId>"...)
	}
	b = append(b, "<AgentID>"...)
	b = appendText(b, m.AgentID)
	return append(b, "</AgentID></xml>"...)
}
