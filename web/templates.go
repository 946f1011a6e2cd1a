package web

import (
	"html/template"
	"io/fs"
	"strings"

	"songnuan/bot"
)

// funcs are the helpers templates may call.
var funcs = template.FuncMap{
	"yuan":         yuan,
	"meter":        meter,
	"ring":         ring,
	"coverage":     coverageChart,
	"daily":        dailyChart,
	"pct":          percent,
	"committeeURL": committeeURL,
	"householdURL": householdURL,
	"shortDate":    shortDate,
	"stateClass": func(s string) string {
		switch s {
		case bot.StateUnvisited:
			return "todo"
		case bot.StateShort:
			return "short"
		}
		return "done"
	},
	"sub":   func(a, b int64) int64 { return a - b },
	"lines": func(s string) []string { return strings.Split(s, "\n") },
	"has": func(vs []string, v string) bool {
		for _, x := range vs {
			if x == v {
				return true
			}
		}
		return false
	},
}

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}
