package wecom

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// wecomText is a text message exactly as WeCom sends it.
const wecomText = `<xml><ToUserName><![CDATA[ww1234567890abcdef]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1735689600</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[走访 甘泉一村 12 已发放 800元]]></Content><MsgId>7450000000000000001</MsgId><AgentID>1000002</AgentID></xml>`

// wecomLocationEvent has nested elements the bot does not read.
const wecomLocationEvent = `<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName><CreateTime>1408091189</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[location_select]]></Event><EventKey><![CDATA[6]]></EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[ 广州市海珠区]]></Label><Poiname><![CDATA[]]></Poiname></SendLocationInfo><AgentID>1</AgentID></xml>`

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Message
		fast bool // the scanner must handle it, not encoding/xml
	}{
		{"wecom text", wecomText, Message{
			ToUserName: "ww1234567890abcdef", FromUserName: "zhangsan", CreateTime: 1735689600,
			MsgType: "text", Content: "走访 甘泉一村 12 已发放 800元", MsgID: "7450000000000000001", AgentID: "1000002",
		}, true},
		{"nested event", wecomLocationEvent, Message{
			ToUserName: "ww1", FromUserName: "lisi", CreateTime: 1408091189, MsgType: "event",
			Event: "location_select", EventKey: "6", AgentID: "1",
		}, true},
		{"file", `<xml><MsgType><![CDATA[file]]></MsgType><MediaId><![CDATA[1Gx]]></MediaId><FileName><![CDATA[名单.xlsx]]></FileName></xml>`,
			Message{MsgType: "file", MediaID: "1Gx", FileName: "名单.xlsx"}, true},
		{"plain text and entities", "<xml>\n  <Content>a &lt;b&gt; &amp; &quot;c&apos; &#20013;&#x6587;</Content>\n</xml>\n",
			Message{Content: `a <b> & "c' 中文`}, true},
		{"split CDATA", `<xml><Content><![CDATA[x]]]]><![CDATA[>y]]></Content></xml>`, Message{Content: "x]]>y"}, true},
		{"mixed CDATA and text", `<xml><Content> a<![CDATA[<b>]]>c </Content></xml>`, Message{Content: " a<b>c "}, true},
		{"empty elements", `<xml><Content/><CreateTime></CreateTime><MsgId><![CDATA[]]></MsgId></xml>`, Message{}, true},
		{"last duplicate wins", `<xml><Content>a</Content><Content>b</Content></xml>`, Message{Content: "b"}, true},
		{"unknown fields skipped", `<xml><Foo.Bar-1>x</Foo.Bar-1><Content>a</Content><Empty/></xml>`, Message{Content: "a"}, true},
		{"nested names do not count", `<xml><Outer><Content>no</Content></Outer></xml>`, Message{}, true},
		{"CreateTime with spaces", `<xml><CreateTime> 42 </CreateTime></xml>`, Message{CreateTime: 42}, true},
		// Valid XML the scanner leaves to encoding/xml.
		{"prolog", `<?xml version="1.0" encoding="UTF-8"?><xml><Content>a</Content></xml>`, Message{Content: "a"}, false},
		{"attributes", `<xml a="1"><Content b='2'>a</Content></xml>`, Message{Content: "a"}, false},
		{"comment", `<xml><!-- c --><Content>a</Content></xml>`, Message{Content: "a"}, false},
		{"CRLF", "<xml><Content>a\r\nb</Content></xml>", Message{Content: "a\nb"}, false},
		{"text in root", `<xml>junk<Content>a</Content></xml>`, Message{Content: "a"}, false},
		{"trailing junk", `<xml><Content>a</Content></xml>junk`, Message{Content: "a"}, false},
		{"space in end tag", `<xml><Content>a</Content ></xml>`, Message{Content: "a"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMessage([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseMessage =\n %+v\nwant\n %+v", got, tt.want)
			}
			std, err := parseMessageStd([]byte(tt.in))
			if err != nil || std != tt.want {
				t.Errorf("encoding/xml = %+v, %v; the test's want is wrong", std, err)
			}
			if _, ok := scanMessage(tt.in); ok != tt.fast {
				t.Errorf("scanner handled it = %v, want %v", ok, tt.fast)
			}
		})
	}
}

// Near misses: each must fail in both parsers.
func TestParseMessageMalformed(t *testing.T) {
	for _, in := range []string{
		``,
		`hello`,
		`<xml>`,
		`<xml><Content>a</xml>`,
		`<xml><Content>a</Contents></xml>`,
		`<xml><Content><![CDATA[a</Content></xml>`,
		`<xml><Content>a ]]> b</Content></xml>`,
		`<xml><Content>&nbsp;</Content></xml>`,
		`<xml><Content>&#0;</Content></xml>`,
		`<xml><Content>&#x110000;</Content></xml>`,
		`<xml><Content>&amp</Content></xml>`,
		"<xml><Content>\x01</Content></xml>",
		"<xml><Content>\xff</Content></xml>",
		"<xml><Content><![CDATA[\x00]]></Content></xml>",
		`<xml><CreateTime>12a</CreateTime></xml>`,
		`<xml><CreateTime>99999999999999999999</CreateTime></xml>`,
		`<other><Content>a</Content></other>`,
	} {
		if _, ok := scanMessage(in); ok {
			t.Errorf("scanner accepted %q", in)
		}
		if _, err := ParseMessage([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseMessage(%q) error = %v, want ErrMalformed", in, err)
		}
	}
}

func TestCutUTF8(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abc", 2, "ab"},
		{"中文", 5, "中"},
		{"中文", 6, "中文"},
		{"中文", 2, ""},
		{"中", 0, ""},
		{"a中", -1, ""},
	}
	for _, tt := range tests {
		if got := CutUTF8(tt.s, tt.n); got != tt.want {
			t.Errorf("CutUTF8(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}

func TestTextReplyXML(t *testing.T) {
	long := strings.Repeat("帮", 700) // 2100 bytes
	tests := []struct {
		name, content, want string
	}{
		{"plain", "已登记", "已登记"},
		{"CDATA end inside", "a]]>b]]>", "a]]>b]]>"},
		{"markup inside", "</Content></xml><x>", "</Content></xml><x>"},
		{"control characters dropped", "a\x00b\x1bc\td", "abc\td"},
		{"CRLF", "a\r\nb\rc", "a\nb\nc"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"cut at a rune boundary", long, strings.Repeat("帮", 682)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := TextReplyXML("zhangsan", "ww1", 1735689600, tt.content)
			m, err := parseMessageStd(x)
			if err != nil {
				t.Fatalf("reply is not XML: %v\n%s", err, x)
			}
			want := Message{ToUserName: "zhangsan", FromUserName: "ww1", CreateTime: 1735689600, MsgType: "text", Content: tt.want}
			if m != want {
				t.Errorf("reply parses to\n %+v\nwant\n %+v", m, want)
			}
			if len(m.Content) > MaxTextBytes || !utf8.ValidString(m.Content) {
				t.Errorf("content of %d bytes, valid UTF-8 %v", len(m.Content), utf8.ValidString(m.Content))
			}
		})
	}
}

func TestTextMessageXMLOptionalFields(t *testing.T) {
	in := Message{ToUserName: "ww1", FromUserName: "u", CreateTime: 1, MsgType: "event", Event: "enter_agent", AgentID: "1000002"}
	x := string(TextMessageXML(in))
	for _, absent := range []string{"<Content>", "<MsgId>", "<MediaId>"} {
		if strings.Contains(x, absent) {
			t.Errorf("event XML has %s: %s", absent, x)
		}
	}
	got, err := ParseMessage([]byte(x))
	if err != nil || got != in {
		t.Errorf("ParseMessage = %+v, %v; want %+v", got, err, in)
	}
	def, _ := ParseMessage(TextMessageXML(Message{Content: "x"}))
	if def.MsgType != "text" {
		t.Errorf("default MsgType = %q, want text", def.MsgType)
	}
}

// validText must agree with the rune-by-rune specification.
func TestValidTextAgreesWithSpecification(t *testing.T) {
	for _, s := range []string{
		"", "帮助", "a\tb\nc", "a\rb", "\x00", "\x1f", "\x7f", "已登记\uFFFD", "\uFFFE", "\uFFFF", "x\uFFFFy",
		"\xef\xbf", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xed\xa0\x80", "\xff", "末尾\xe5", "𠮷野家", "\U0010FFFF",
		"]]>", "<xml>", "\xc0\x80",
	} {
		if got, want := validText(s), validTextSlow(s); got != want {
			t.Errorf("validText(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzValidText(f *testing.F) {
	for _, s := range []string{"帮助", "\uFFFE", "a\x01", "\xef\xbf\xbf", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validText(s), validTextSlow(s); got != want {
			t.Errorf("validText(%q) = %v, want %v", s, got, want)
		}
	})
}
