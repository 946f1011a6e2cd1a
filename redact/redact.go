// Package redact masks personal numbers (resident ID, mobile) so that a
// line of user input may be logged or shown. It is the one rule every
// component that logs or echoes user text shares, and it imports only the
// standard library so the transport and load-test programs need not link
// the chat bot for it.
package redact

import (
	"regexp"
	"strings"
)

// ID shows the first 6 and last 4 characters: 310107********1234.
func ID(id string) string {
	r := []rune(id)
	if len(r) <= 10 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:6]) + strings.Repeat("*", len(r)-10) + string(r[len(r)-4:])
}

// Phone shows a mobile as 138****5678 and other numbers with only
// their last 4 digits.
func Phone(p string) string {
	if len(p) == 11 && p[0] == '1' {
		return p[:3] + "****" + p[7:]
	}
	if len(p) <= 4 {
		return strings.Repeat("*", len(p))
	}
	return strings.Repeat("*", len(p)-4) + p[len(p)-4:]
}

var (
	idInText    = regexp.MustCompile(`[0-9]{17}[0-9Xx]`)
	phoneInText = regexp.MustCompile(`1[3-9][0-9]{9}`)
)

// Text masks every ID number and mobile number inside free text, so a
// line of user input can be logged or echoed safely.
func Text(s string) string {
	s = idInText.ReplaceAllStringFunc(s, ID)
	return phoneInText.ReplaceAllStringFunc(s, Phone)
}

// Contains reports whether s holds an ID number or a mobile number, for
// text that must not carry one at all (a broadcast, a donation source).
func Contains(s string) bool { return idInText.MatchString(s) || phoneInText.MatchString(s) }
