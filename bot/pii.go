package bot

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"songnuan/domain"
)

// idWeights and idCheck are GB 11643-1999's check digit weights and table.
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idCheck   = "10X98765432"
)

const idExample = "格式：身份证:后接完整的18位号码（末位可以是X）"

// ValidateID checks an 18-digit resident ID number (GB 11643): digits,
// birth date and check digit. It returns the number with an upper-case X,
// or a *UserError that names 身份证 and what is wrong, never echoing it.
func ValidateID(s string) (string, error) {
	id := strings.ToUpper(strings.TrimSpace(s))
	if len(id) != 18 {
		return "", domain.Userf(fmt.Sprintf("身份证号应为18位，收到%d位，请核对。%s", len([]rune(id)), idExample))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := id[i]
		if c < '0' || c > '9' {
			return "", domain.Userf("身份证号前17位应全是数字，请核对。" + idExample)
		}
		sum += int(c-'0') * idWeights[i]
	}
	last := id[17]
	if (last < '0' || last > '9') && last != 'X' {
		return "", domain.Userf("身份证号最后一位应是数字或X，请核对。" + idExample)
	}
	if _, err := time.Parse("20060102", id[6:14]); err != nil || id[6:8] < "18" || id[6:8] > "20" {
		return "", domain.Userf("身份证号第7-14位的出生日期不对，请核对。" + idExample)
	}
	if idCheck[sum%11] != last {
		return "", domain.Userf("身份证号校验位不对（最后一位与前17位不符），请逐位核对。" + idExample)
	}
	return id, nil
}

var (
	mobileRe   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRe = regexp.MustCompile(`^(0[0-9]{2,3})?[0-9]{7,8}$`)
)

const phoneExample = "格式：电话:后接11位手机号，或座机如 电话:021-6xxxxxxx"

// ValidatePhone accepts an 11-digit mobile number or a landline with an
// optional area code; separators (spaces, dashes) are dropped.
func ValidatePhone(s string) (string, error) {
	p := strings.NewReplacer("-", "", " ", "", "+86", "").Replace(strings.TrimSpace(s))
	if mobileRe.MatchString(p) || landlineRe.MatchString(p) {
		return p, nil
	}
	return "", domain.Userf("电话号码格式不对：手机应为1开头的11位数字，座机为7-8位（可带区号）。" + phoneExample)
}

// Sealer encrypts personal numbers at rest (AES-256-GCM) and derives the
// keyed hash under which a person is indexed, so the store never holds an
// ID number in clear and the index cannot be reversed by brute force
// without the key.
type Sealer struct {
	aead    cipher.AEAD
	hashKey []byte
}

// NewSealer takes a 32-byte data key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("new sealer: data key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("songnuan person index"))
	return &Sealer{aead: aead, hashKey: m.Sum(nil)}, nil
}

// Seal encrypts plain; an empty string stays empty.
func (s *Sealer) Seal(plain string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(fmt.Sprintf("seal: read random: %v", err)) // crypto/rand never fails on supported systems
	}
	return base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), nil))
}

// ErrSealed is returned by Open for a value that was not sealed with this key.
var ErrSealed = errors.New("sealed value does not open with this key")

// Open decrypts what Seal returned.
func (s *Sealer) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", ErrSealed
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", ErrSealed
	}
	return string(plain), nil
}

// Hash is the keyed hash of a normalised ID number, the person index key.
func (s *Sealer) Hash(id string) string {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(strings.ToUpper(id)))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
