package app_test

import (
	"strings"
	"testing"

	"songnuan/config"
	"songnuan/internal/redistest"
)

func TestStartupWarnsWhenRedisMayLoseConfirmedReports(t *testing.T) {
	cases := []struct {
		args []string
		warn string // "" for no warning
	}{
		{[]string{"--appendonly", "yes", "--appendfsync", "always"}, ""},
		{[]string{"--appendonly", "yes", "--appendfsync", "everysec"}, `"appendfsync":"everysec"`},
		{[]string{"--appendonly", "no"}, `"appendonly":"no"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			srv := redistest.Start(t, c.args...)
			cfg := config.Default()
			cfg.RedisURL = srv.URL()
			log, logs := jsonLog()
			startAppWith(t, cfg, log)
			var warned []string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "may lose confirmed reports") {
					warned = append(warned, l)
				}
			}
			switch {
			case c.warn == "" && len(warned) > 0:
				t.Errorf("warned about a durable redis: %q", warned)
			case c.warn != "" && (len(warned) != 1 || !strings.Contains(warned[0], c.warn) || !strings.Contains(warned[0], `"level":"WARN"`)):
				t.Errorf("warnings %q, want one WARN naming %s", warned, c.warn)
			}
		})
	}
}
