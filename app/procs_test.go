package app_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"songnuan/internal/testkit"
	"songnuan/store/storetest"
)

// binDir holds the songnuan binary the process tests build once.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "songnuan-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		code = storetest.CheckLeftovers()
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildErr  error
)

// binary builds the songnuan command once per test run (with the race
// detector when the tests have it) and returns its path.
func binary(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(binDir, "songnuan")
	buildOnce.Do(func() {
		args := []string{"build", "-o", path}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, "songnuan")...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return path
}

// creds are WeCom app credentials shaped like real ones, so the bot runs
// outside demo mode against a fake API the test controls.
type creds struct {
	CorpID, Token, AESKey, AgentID, Secret string
}

func newCreds() creds {
	b := make([]byte, 32)
	rand.Read(b)
	return creds{
		CorpID:  "ww" + hex.EncodeToString(b[:8]),
		Token:   "T" + hex.EncodeToString(b[8:16]),
		AESKey:  base64.RawStdEncoding.EncodeToString(b)[:43],
		AgentID: "1000017",
		Secret:  "S" + hex.EncodeToString(b[16:]),
	}
}

// randomKey is a fresh data key.
func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// proc is one songnuan process.
type proc struct {
	addr   string
	cmd    *exec.Cmd
	stdout *testkit.Buffer // the JSON log
	stderr *testkit.Buffer // the banner, and anything else written there
	done   chan struct{}
	once   sync.Once // stop checks the exit once
	killed bool      // by kill: no clean exit to check
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would,
// and waits until it is gone.
func (p *proc) kill() {
	p.killed = true
	_ = p.cmd.Process.Kill()
	<-p.done
}

// startProc runs songnuan serve with env (and nothing else from the
// test's environment) on a free port and waits until it is ready. When tb
// ends it is stopped with SIGTERM and must exit cleanly, without a data
// race.
func startProc(tb testing.TB, env map[string]string) *proc {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &proc{addr: addr, stdout: &testkit.Buffer{}, stderr: &testkit.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary(tb))
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tb.TempDir(), "HTTP_ADDR=" + addr}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() { p.stop(tb) })
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.done:
			tb.Fatalf("songnuan on %s exited at start:\n%s\n%s", addr, p.stdout, p.stderr)
		default:
		}
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(end) {
			tb.Fatalf("songnuan on %s not ready:\n%s\n%s", addr, p.stdout, p.stderr)
		}
	}
}

// stop sends SIGTERM and checks the process shuts down cleanly. After it
// returns, stdout and stderr hold everything the process wrote. A test may
// call it before its clean-up does.
func (p *proc) stop(tb testing.TB) {
	p.once.Do(func() { p.stopNow(tb) })
}

func (p *proc) stopNow(tb testing.TB) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
			tb.Errorf("songnuan on %s did not stop within 20 s of SIGTERM", p.addr)
		}
	}
	if p.killed {
		return
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		tb.Errorf("songnuan on %s exited with %d:\n%s", p.addr, code, tail(p.stderr.String(), 40))
	}
	if strings.Contains(p.stderr.String(), "DATA RACE") {
		tb.Errorf("songnuan on %s had a data race:\n%s", p.addr, p.stderr)
	}
}

// metric reads one sample from the process's /metrics, 0 when absent.
func (p *proc) metric(tb testing.TB, sample string) float64 {
	tb.Helper()
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// staffYAML writes a config file with the test staff and returns its path.
func staffYAML(tb testing.TB) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("staff:\n")
	for _, s := range testStaff {
		fmt.Fprintf(&b, "  - {userid: %s, name: %s, role: %s", s.UserID, s.Name, s.Role)
		if s.Committee != "" {
			fmt.Fprintf(&b, ", committee: %s", s.Committee)
		}
		b.WriteString("}\n")
	}
	path := filepath.Join(tb.TempDir(), "songnuan.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}
