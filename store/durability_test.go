package store_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"songnuan/internal/redistest"
	"songnuan/store"
)

func TestDurabilityReadsTheServersSettings(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		durable bool
		risk    string
	}{
		{"aof always", []string{"--appendonly", "yes", "--appendfsync", "always"}, true, ""},
		{"aof everysec", []string{"--appendonly", "yes", "--appendfsync", "everysec"}, false, "appendfsync is everysec"},
		{"no aof", []string{"--appendonly", "no"}, false, "appendonly is no"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := redistest.Start(t, c.args...)
			s, err := store.Open(context.Background(), store.Options{URL: srv.URL(), Prefix: "test:", Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ds, err := s.Durability(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || ds[0].Addr != srv.Addr() {
				t.Fatalf("Durability() = %+v, want one entry for %s", ds, srv.Addr())
			}
			if got := ds[0].Durable(); got != c.durable {
				t.Errorf("%+v: Durable() = %v, want %v", ds[0], got, c.durable)
			}
			if risk := ds[0].Risk(); c.risk == "" && risk != "" || !strings.Contains(risk, c.risk) {
				t.Errorf("%+v: Risk() = %q, want it to say %q", ds[0], risk, c.risk)
			}
		})
	}
}

func TestDurabilityFailsWhereConfigIsRefused(t *testing.T) {
	// The embedded Redis, like many managed services, has no CONFIG.
	s, err := store.Open(context.Background(), store.Options{Prefix: "test:", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ds, err := s.Durability(context.Background()); err == nil {
		t.Fatalf("Durability() = %+v without CONFIG GET, want an error", ds)
	}
}
