package understand

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// invisible reports runes that show nothing: zero-width spaces and
// joiners, bidi controls, the BOM, variation selectors.
func invisible(r rune) bool {
	switch {
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF || r == 0x180E || r == 0x061C:
		return true
	case r >= 0x200E && r <= 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2061 && r <= 0x2069:
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// cleanInvisible is text in NFKC with every invisible rune removed.
func cleanInvisible(text string) string {
	if norm.NFKC.QuickSpanString(text) == len(text) && !strings.ContainsFunc(text, invisible) {
		return text // the common case, 帮助 or 走访 张三 发放900元: nothing to do
	}
	s := norm.NFKC.String(text)
	if !strings.ContainsFunc(s, invisible) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

// Clean is chat text as the bot reads it: NFKC, with zero-width and bidi
// control characters removed, so 零\u200b宽户 and 零宽户 are one name.
func Clean(text string) string { return cleanInvisible(text) }

// StripTrailing is text less the question marks, full stops and
// particles (吗, 呢, 吧) that may end any message, so 进度？ is 进度.
func StripTrailing(text string) string { return stripTrailing(text) }

// CleanName is a name as it is stored: NFKC, no invisible runes, no
// spaces at its ends. ok is false when it is empty or longer than
// MaxNameRunes.
func CleanName(name string) (string, bool) {
	s := strings.TrimSpace(cleanInvisible(name))
	n := utf8.RuneCountInString(s)
	return s, n > 0 && n <= MaxNameRunes
}

// mayTrail reports a rune that may end a message without changing it:
// a rune of trailingPunct or the end of one of trailingParticles.
func mayTrail(r rune) bool {
	switch r {
	case '?', '？', '。', '.', '!', '！', '~', '～', '…', ' ', '\t', '\n', '吗', '呢', '吧', '啊', '呀':
		return true
	}
	return false
}

// trailingPunct may end a message without changing it.
const trailingPunct = "?？。.!！~～… \t\n"

// stripTrailing drops the question marks, full stops and particles
// (吗, 呢, 吧) that end a message, but keeps a lone "?" (帮助).
func stripTrailing(s string) string {
	s = strings.TrimSpace(s)
	if last, _ := utf8.DecodeLastRuneInString(s); !mayTrail(last) {
		return s // the common case: nothing to strip
	}
	for {
		t := strings.TrimRight(s, trailingPunct)
		for _, p := range trailingParticles {
			if u, ok := strings.CutSuffix(t, p); ok && u != "" {
				t = strings.TrimRight(u, trailingPunct)
				break
			}
		}
		if t == s {
			break
		}
		if t == "" {
			return s
		}
		s = t
	}
	return s
}

// isSep reports runes that separate words in a message.
func isSep(r rune) bool { return r == ' ' }

// scanText is a message made ready to scan: NFKC, lower-case, no
// invisible runes or emoji, punctuation turned into spaces (":" and "-"
// kept, for fields and phone numbers), single spaces.
func scanText(text string) []rune {
	s := cleanInvisible(text)
	out := make([]rune, 0, utf8.RuneCountInString(s)+1)
	space := true
	for _, r := range s {
		switch {
		case r == ':' || r == '-' || r == '?':
		case r == '.' || r == '/':
			// dates and decimals keep their dot or slash only between digits
			if n := len(out); n == 0 || out[n-1] < '0' || out[n-1] > '9' {
				r = ' '
			}
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsSymbol(r) || r >= 0x1F000 || r == 0xFF5E || r == '~':
			r = ' '
		case unicode.Is(unicode.Mn, r) || unicode.IsControl(r):
			continue
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		out = append(out, r)
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	return out
}
