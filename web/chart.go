package web

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
	"time"

	"songnuan/bot"
)

// Charts are drawn here as inline SVG with presentation attributes only
// (no style attributes, which the pages' Content-Security-Policy forbids),
// and every label is escaped.

// Palette shared with app.css.
const (
	colDone  = "#2f9e44"
	colShort = "#f08c00"
	colTodo  = "#e03131"
	colTrack = "#eef0f3"
	colInk   = "#1f2329"
	colMute  = "#8a919f"
	colMoney = "#d9480f"
	colLine  = "#1971c2"
)

// esc escapes text for SVG.
func esc(s string) string { return html.EscapeString(s) }

// ratioColor is green when complete, orange past half, red below.
func ratioColor(part, whole int64) string {
	switch {
	case whole > 0 && part >= whole:
		return colDone
	case whole > 0 && part*2 >= whole:
		return colShort
	}
	return colTodo
}

// meter is a thin horizontal bar of part against whole.
func meter(part, whole int64) template.HTML {
	w := 0.0
	if whole > 0 {
		w = min(float64(part)/float64(whole), 1) * 100
	}
	return template.HTML(fmt.Sprintf(`<svg class="meter" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="%d/%d">`+
		`<rect width="100" height="6" rx="3" fill="%s"/><rect width="%.2f" height="6" rx="3" fill="%s"/></svg>`,
		part, whole, colTrack, w, ratioColor(part, whole)))
}

// coverageChart is one bar per committee, worst first as given: visited
// households against registered ones, or with a category filter the
// category's money paid against due. Each bar links to the committee.
func coverageChart(rows []bot.CommitteeStats, category string) template.HTML {
	const rowH, labelW, width = 34, 96, 360
	barW := width - labelW - 70
	var b strings.Builder
	h := rowH*len(rows) + 4
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="各居委完成情况">`, width, h)
	for i, r := range rows {
		part, whole := r.Visited, r.Households
		label := fmt.Sprintf("%d/%d户", part, whole)
		if category != "" {
			part, whole = r.CategoryPaid, r.CategoryDue
			label = yuanShort(part) + "/" + yuanShort(whole)
		}
		y := i*rowH + 4
		w := 0.0
		if whole > 0 {
			w = min(float64(part)/float64(whole), 1) * float64(barW)
		}
		name := []rune(r.Name)
		if len(name) > 6 {
			name = append(name[:5], '…')
		}
		fmt.Fprintf(&b, `<a href="%s"><title>%s</title>`, esc(committeeURL(r.Name)), esc(r.Name))
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="13" fill="%s">%s</text>`, y+17, colInk, esc(string(name)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="14" rx="4" fill="%s"/>`, labelW, y+5, barW, colTrack)
		if w > 0 {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="14" rx="4" fill="%s"/>`, labelW, y+5, w, ratioColor(part, whole))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="%s" text-anchor="end">%s</text>`, width, y+17, colMute, esc(label))
		if len(r.Overdue) > 0 {
			fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="3.5" fill="%s"/>`, labelW-8, y+12, colTodo)
		}
		b.WriteString(`</a>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// dailyChart is money paid per day as bars and households visited per day
// as a line, over the days that have any.
func dailyChart(days []bot.DayPoint) template.HTML {
	days = fillDays(days)
	if len(days) == 0 {
		return ""
	}
	const width, height, left, right, top, bottom = 360, 170, 8, 8, 22, 28
	plotW, plotH := width-left-right, height-top-bottom
	var maxPaid int64
	maxVisits := 0
	for _, d := range days {
		maxPaid = max(maxPaid, d.Paid)
		maxVisits = max(maxVisits, d.Visits)
	}
	step := float64(plotW) / float64(len(days))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="每日走访和发放">`, width, height)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, left, top+plotH, width-right, top+plotH, "#d0d4da")
	var pts []string
	for i, d := range days {
		x := float64(left) + step*float64(i)
		if maxPaid > 0 && d.Paid > 0 {
			bh := float64(d.Paid) / float64(maxPaid) * float64(plotH)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s" fill-opacity=".28"><title>%s 发放%s元</title></rect>`,
				x+step*0.18, float64(top+plotH)-bh, step*0.64, bh, colMoney, esc(d.Date), strconv.FormatInt(d.Paid, 10))
		}
		cy := float64(top+plotH) - float64(d.Visits)/float64(max(maxVisits, 1))*float64(plotH-6)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x+step/2, cy))
		if len(days) <= 16 || i%((len(days)+7)/8) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="%s" text-anchor="middle">%s</text>`, x+step/2, height-10, colMute, esc(shortDate(d.Date)))
		}
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round"/>`, strings.Join(pts, " "), colLine)
	for i, p := range pts {
		xy := strings.Split(p, ",")
		fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.5" fill="#fff" stroke="%s" stroke-width="2"><title>%s 走访%d户</title></circle>`,
			xy[0], xy[1], colLine, esc(days[i].Date), days[i].Visits)
	}
	fmt.Fprintf(&b, `<text x="%d" y="14" font-size="11" fill="%s">最多 %d户/天</text>`, left, colLine, maxVisits)
	fmt.Fprintf(&b, `<text x="%d" y="14" font-size="11" fill="%s" text-anchor="end">最多 %s元/天</text>`, width-right, colMoney, esc(yuan(maxPaid)))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// ring is a donut of part against whole with the percentage inside.
func ring(part, whole int64) template.HTML {
	const r = 26.0
	circ := 2 * 3.14159265 * r
	f := 0.0
	if whole > 0 {
		f = min(float64(part)/float64(whole), 1)
	}
	pct := percent(part, whole)
	return template.HTML(fmt.Sprintf(`<svg class="ring" viewBox="0 0 64 64" role="img" aria-label="%d%%">`+
		`<circle cx="32" cy="32" r="%.0f" fill="none" stroke="%s" stroke-width="7"/>`+
		`<circle cx="32" cy="32" r="%.0f" fill="none" stroke="%s" stroke-width="7" stroke-linecap="round" stroke-dasharray="%.2f %.2f" transform="rotate(-90 32 32)"/>`+
		`<text x="32" y="37" font-size="14" font-weight="600" fill="%s" text-anchor="middle">%d%%</text></svg>`,
		pct, r, colTrack, r, ratioColor(part, whole), circ*f, circ, colInk, pct))
}

// percent is part of whole in whole percent, rounded down as 进度 does.
func percent(part, whole int64) int64 {
	if whole <= 0 {
		return 0
	}
	return part * 100 / whole
}

// yuan writes an amount with thousands separators: 12,300.
func yuan(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// yuanShort is an amount for a chart label: 1.2万 above ten thousand.
func yuanShort(n int64) string {
	if n >= 10000 {
		return strconv.FormatFloat(float64(n)/10000, 'f', 1, 64) + "万"
	}
	return strconv.FormatInt(n, 10)
}

// shortDate is 2024-01-15 as 1/15.
func shortDate(d string) string {
	p := strings.Split(d, "-")
	if len(p) != 3 {
		return d
	}
	m, _ := strconv.Atoi(p[1])
	day, _ := strconv.Atoi(p[2])
	return fmt.Sprintf("%d/%d", m, day)
}

// fillDays adds the days without visits between the first and the last,
// so the line's spacing is time's; a span over maxDays is left as it is.
func fillDays(days []bot.DayPoint) []bot.DayPoint {
	const maxDays = 120
	if len(days) < 2 {
		return days
	}
	first, err1 := time.Parse(time.DateOnly, days[0].Date)
	last, err2 := time.Parse(time.DateOnly, days[len(days)-1].Date)
	if err1 != nil || err2 != nil || last.Sub(first) > maxDays*24*time.Hour {
		return days
	}
	by := make(map[string]bot.DayPoint, len(days))
	for _, d := range days {
		by[d.Date] = d
	}
	var out []bot.DayPoint
	for t := first; !t.After(last); t = t.AddDate(0, 0, 1) {
		k := t.Format(time.DateOnly)
		d, ok := by[k]
		if !ok {
			d = bot.DayPoint{Date: k}
		}
		out = append(out, d)
	}
	return out
}
