package app_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"songnuan/app"
	"songnuan/config"
)

// rawRequest writes req on a fresh connection and returns the status code
// of the answer.
func rawRequest(t *testing.T, addr string, req []byte) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	go func() { _, _ = c.Write(req) }() // the server may answer before reading it all
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestOversizedRequestsAreRefused(t *testing.T) {
	cfg := config.Default()
	cfg.RedisURL = os.Getenv("REDIS_URL")
	a := startAppWith(t, cfg, slog.New(slog.DiscardHandler))
	s := demoSender(t, a)
	good := func(extraHeader string, body []byte) []byte {
		if body == nil {
			body = []byte("<xml><Encrypt><![CDATA[x]]></Encrypt></xml>")
		}
		return []byte(fmt.Sprintf("POST /wecom/callback?msg_signature=a&timestamp=1&nonce=1 HTTP/1.1\r\nHost: %s\r\n%sContent-Type: text/xml\r\nContent-Length: %d\r\n\r\n%s",
			a.Addr(), extraHeader, len(body), body))
	}
	// The control: a small request reaches the handler (and is refused
	// there for its bad signature).
	if code := rawRequest(t, a.Addr(), good("", nil)); code != http.StatusUnauthorized && code != http.StatusBadRequest {
		t.Fatalf("small forged request = %d, want the handler's 401 or 400", code)
	}
	cases := []struct {
		name string
		req  []byte
		want int
	}{
		{"one huge header", good("X-Pad: "+strings.Repeat("a", 2*app.MaxHeaderBytes)+"\r\n", nil), http.StatusRequestHeaderFieldsTooLarge},
		{"many headers", good(strings.Repeat("X-Pad: "+strings.Repeat("b", 100)+"\r\n", 400), nil), http.StatusRequestHeaderFieldsTooLarge},
		{"huge query", []byte("GET /wecom/callback?echostr=" + strings.Repeat("c", 2*app.MaxHeaderBytes) + " HTTP/1.1\r\nHost: x\r\n\r\n"), http.StatusRequestHeaderFieldsTooLarge},
		{"body over max_body_bytes", good("", bytes.Repeat([]byte("d"), int(config.Default().MaxBodyBytes)+1)), http.StatusRequestEntityTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if code := rawRequest(t, a.Addr(), c.req); code != c.want {
				t.Errorf("HTTP %d, want %d", code, c.want)
			}
		})
	}
	// A real message still goes through afterwards.
	if r := s.say(t, "wang", "7600000000000000001", "帮助"); !strings.Contains(r, "登记") {
		t.Fatalf("帮助 after the oversized requests = %q", r)
	}
}
