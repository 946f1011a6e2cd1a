package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Load must read no variable the settings table (and so the README) does
// not document, and every documented variable must be read.
func TestSettingsListEveryVariableLoadReads(t *testing.T) {
	var asked []string
	env := func(k string) (string, bool) {
		asked = append(asked, k)
		return "", false
	}
	if _, err := Load("", env); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, s := range Settings() {
		if s.Env != "" {
			documented[s.Env] = true
		}
	}
	for _, k := range asked {
		if !documented[k] {
			t.Errorf("Load reads %s, which Settings() does not list", k)
		}
	}
	for k := range documented {
		if !slices.Contains(asked, k) {
			t.Errorf("Settings() lists %s, which Load never reads", k)
		}
	}
}

// Every setting's example is accepted where it is documented: in the file
// under its key, and in its variable.
func TestSettingExamplesLoad(t *testing.T) {
	for _, s := range Settings() {
		t.Run(s.Key, func(t *testing.T) {
			if s.Meaning == "" || s.Example == "" {
				t.Errorf("setting %+v lacks a meaning or an example", s)
			}
			var doc strings.Builder
			parts := strings.Split(s.Key, ".")
			for i, p := range parts[:len(parts)-1] {
				fmt.Fprintf(&doc, "%s%s:\n", strings.Repeat("  ", i), p)
			}
			fmt.Fprintf(&doc, "%s%s: %s\n", strings.Repeat("  ", len(parts)-1), parts[len(parts)-1], s.Example)

			c := Default()
			l := newLoader()
			if !l.loadFile(&c, []byte(doc.String())) || len(l.Problems()) > 0 {
				t.Errorf("file %q: %v", doc.String(), l.Problems())
			}
			if _, ok := l.src[s.Key]; !ok {
				t.Errorf("file %q: %s not recorded", doc.String(), s.Key)
			}
			if s.Env == "" {
				return
			}
			fromEnv := Default()
			l = newLoader()
			l.loadEnv(&fromEnv, envOf(map[string]string{s.Env: s.Example}))
			if len(l.Problems()) > 0 {
				t.Errorf("%s=%s: %v", s.Env, s.Example, l.Problems())
			}
			if fromEnv.LogValue().String() != c.LogValue().String() {
				t.Errorf("%s=%s and the file give different configs:\n%v\n%v", s.Env, s.Example, fromEnv.LogValue(), c.LogValue())
			}
		})
	}
}

func TestSettingsDefaults(t *testing.T) {
	want := map[string]string{
		"http_addr":             ":8080",
		"wecom.api_base":        "https://qyapi.weixin.qq.com",
		"rate_limit_per_minute": "60",
		"max_body_bytes":        "64KiB",
		"dedup_ttl":             "24h",
		"log_level":             "info",
	}
	seen := map[string]bool{}
	for _, s := range Settings() {
		if seen[s.Key] {
			t.Errorf("%s is listed twice", s.Key)
		}
		seen[s.Key] = true
		if w, ok := want[s.Key]; ok && s.Default != w {
			t.Errorf("%s default = %q, want %q", s.Key, s.Default, w)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("Settings() lacks %s", k)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"65536": 65536, "64KiB": 65536, "64 KiB": 65536, "1MiB": 1 << 20, "2MB": 2 << 20, "512B": 512, "16K": 16 << 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "big", "1.5MiB", "-", "KiB", "99999999999999999999"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestSettingsTable(t *testing.T) {
	table := SettingsTable()
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if got, want := len(lines), 2+len(Settings()); got != want {
		t.Fatalf("table has %d lines, want %d:\n%s", got, want, table)
	}
	for i, s := range Settings() {
		row := lines[2+i]
		if !strings.HasPrefix(row, "| `"+s.Key+"` | ") || strings.Count(row, " | ") != 3 {
			t.Errorf("row %d = %q, want the four cells of %s", i, row, s.Key)
		}
		if s.Env != "" && !strings.Contains(row, "`"+s.Env+"`") {
			t.Errorf("row %q lacks %s", row, s.Env)
		}
	}
}
