package config

import (
	"errors"
	"testing"
)

func TestKeyPrefix(t *testing.T) {
	if got := Default().KeyPrefix; got != "sn:" {
		t.Fatalf("default key prefix = %q, want sn:", got)
	}
	for _, c := range []struct {
		prefix string
		ok     bool
	}{
		{"sn:", true},
		{"test:a1b2c3:", true},
		{"", false},
		{"sn:{x}:", false},
		{"two words", false},
	} {
		cfg, err := Load("", envOf(map[string]string{"SONGNUAN_KEY_PREFIX": c.prefix}))
		if c.prefix == "" {
			// an empty variable counts as unset: the default stays
			if err != nil || cfg.KeyPrefix != "sn:" {
				t.Errorf("empty SONGNUAN_KEY_PREFIX: %q, %v", cfg.KeyPrefix, err)
			}
			cfg = Default()
			cfg.KeyPrefix = ""
			err = cfg.Validate()
		}
		var e *Error
		bad := errors.As(err, &e) && len(e.Problems) == 1 && e.Problems[0].Key == "key_prefix"
		if c.ok && err != nil || !c.ok && !bad {
			t.Errorf("key prefix %q: %v", c.prefix, err)
		}
		if c.ok && cfg.KeyPrefix != c.prefix {
			t.Errorf("key prefix %q loaded as %q", c.prefix, cfg.KeyPrefix)
		}
	}
}
