package bot

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"songnuan/domain"
)

// checkDigit computes the GB 11643 check digit independently of ValidateID.
func checkDigit(first17 string) byte {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i, c := range first17 {
		s += int(c-'0') * w[i]
	}
	return "10X98765432"[s%11]
}

func TestValidateID(t *testing.T) {
	good := "11010519491231002X" // the standard's own example
	if got, err := ValidateID(strings.ToLower(good)); err != nil || got != good {
		t.Fatalf("ValidateID(%q) = %q, %v; want %q", good, got, err, good)
	}
	base := "31010719900101123"
	valid := base + string(checkDigit(base))
	if _, err := ValidateID(valid); err != nil {
		t.Fatalf("ValidateID(valid) = %v", err)
	}
	wrong := []byte(valid)
	if wrong[17] == '0' {
		wrong[17] = '1'
	} else {
		wrong[17] = '0'
	}
	cases := []struct {
		in, want string
	}{
		{string(wrong), "校验位"},
		{valid[:17], "18位"},
		{"3101071990010112A4", "前17位"},
		{"310107199013011234", "出生日期"},
	}
	for _, c := range cases {
		_, err := ValidateID(c.in)
		var ue *domain.UserError
		if !errors.As(err, &ue) {
			t.Fatalf("ValidateID(%q) error = %v, want a domain.UserError", c.in, err)
		}
		if !strings.Contains(ue.Message, "身份证") || !strings.Contains(ue.Message, c.want) || !strings.Contains(ue.Message, "格式") {
			t.Errorf("ValidateID(%q) = %q, want it to name 身份证, %q and how to write it", c.in, ue.Message, c.want)
		}
		if strings.Contains(ue.Message, c.in) {
			t.Errorf("ValidateID(%q) echoes the number: %q", c.in, ue.Message)
		}
	}
}

func TestValidatePhone(t *testing.T) {
	for _, s := range []string{"13812345678", "138 1234 5678", "021-62345678", "62345678", "+8613812345678"} {
		if _, err := ValidatePhone(s); err != nil {
			t.Errorf("ValidatePhone(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"1381234567", "12812345678", "abc", "123"} {
		if _, err := ValidatePhone(s); err == nil {
			t.Errorf("ValidatePhone(%q) accepted a bad number", s)
		}
	}
}

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	id := "310107199001011234"
	a, b := s.Seal(id), s.Seal(id)
	if a == b || strings.Contains(a, id) {
		t.Fatalf("Seal must be randomised and opaque: %q %q", a, b)
	}
	if got, err := s.Open(a); err != nil || got != id {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(a); !errors.Is(err, ErrSealed) {
		t.Fatalf("Open with another key = %v, want ErrSealed", err)
	}
	if s.Hash(id) != s.Hash(strings.ToLower(id)) || s.Hash(id) == other.Hash(id) || len(s.Hash(id)) != 32 {
		t.Fatalf("Hash must be stable, keyed and 32 hex chars")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("NewSealer accepted a short key")
	}
}
