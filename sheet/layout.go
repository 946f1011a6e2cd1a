package sheet

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// maxSheetName is Excel's limit on a sheet name, in UTF-16 units.
const maxSheetName = 31

// sheetNames returns a valid, distinct sheet name for each committee.
// Excel refuses []:*?/\, a leading or trailing apostrophe and names over 31
// characters, and compares names case-insensitively; the summary's name is
// taken.
func sheetNames(cs []CommitteeData) []string {
	taken := map[string]bool{strings.ToLower(SummarySheet): true}
	names := make([]string, len(cs))
	for i, c := range cs {
		base := cleanSheetName(c.Name)
		name := base
		for n := 2; taken[strings.ToLower(name)]; n++ {
			suffix := fmt.Sprintf("(%d)", n)
			name = truncUTF16(base, maxSheetName-len(suffix)) + suffix
		}
		taken[strings.ToLower(name)] = true
		names[i] = name
	}
	return names
}

func cleanSheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case strings.ContainsRune(`[]:*?/\`, r):
			return '_'
		case r < ' ':
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), "'"))
	s = strings.TrimRight(truncUTF16(s, maxSheetName), "'")
	if s == "" {
		s = "未命名居委"
	}
	return s
}

// truncUTF16 cuts s to at most n UTF-16 units without splitting a rune.
func truncUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > n {
			return s[:i]
		}
	}
	return s
}

// displayWidth is how many Latin character widths s takes: Chinese
// characters and full-width forms take two.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			w += 2
		default:
			w++
		}
	}
	return w
}

// cellWidth is the display width of a cell value as Excel shows it.
func cellWidth(v any) int {
	if c, ok := v.(excelize.Cell); ok {
		v = c.Value
	}
	switch v := v.(type) {
	case string:
		return displayWidth(v)
	case int64:
		n := len(strconv.FormatInt(v, 10))
		return n + n/3 // thousands separators
	case int:
		return len(strconv.Itoa(v))
	case float64:
		return len("100.00%")
	}
	return 0
}

// colWidth turns a content width into an Excel column width: a little
// padding, wide enough for a two-character header with a filter button,
// and capped so a long list of items wraps the view rather than the sheet.
func colWidth(content int) float64 {
	return float64(min(max(content+2, 8), 60))
}
