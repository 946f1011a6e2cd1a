package redact

import (
	"strings"
	"testing"
)

func TestMasks(t *testing.T) {
	if got, want := ID("310107199001011234"), "310107********1234"; got != want {
		t.Errorf("ID = %q, want %q", got, want)
	}
	if got, want := Phone("13812345678"), "138****5678"; got != want {
		t.Errorf("Phone = %q, want %q", got, want)
	}
	if got, want := Phone("02162345678"), "*******5678"; got != want {
		t.Errorf("Phone(landline) = %q, want %q", got, want)
	}
	in := "户主身份证310107199001011234，电话13812345678，门牌12号"
	got := Text(in)
	if strings.Contains(got, "310107199001011234") || strings.Contains(got, "13812345678") || !strings.Contains(got, "12号") {
		t.Errorf("Text(%q) = %q", in, got)
	}
}

func TestContains(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"联系社区服务办（62000000）", false},
		{"电话13812345678", true},
		{"身份证31010719900101123X", true},
		{"门牌12号", false},
	} {
		if got := Contains(tt.in); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
