// Package redistest runs throwaway redis-server processes for tests that
// need what an embedded Redis cannot give: a server that can be killed and
// restarted on its data directory, or several clients of one real server.
//
// It installs nothing: a test that needs a server is skipped when
// redis-server is not on PATH (.ci/run installs it).
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process on a loopback port, with its data
// directory in the test's temp dir. Kill and Restart keep both, so a
// restarted server loads what the killed one persisted.
type Server struct {
	tb   testing.TB
	bin  string
	port int
	dir  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
}

// startTimeout bounds how long a start or restart may take to answer PING,
// including loading its append-only file.
const startTimeout = 15 * time.Second

// Start starts a redis-server with args added to a safe base (loopback
// only, no RDB snapshots, data and log in a temp dir), e.g.
//
//	redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
//
// It skips tb when redis-server is not installed and kills the server when
// tb ends.
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Skip("redis-server is not on PATH; .ci/run installs it")
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir(), args: args}
	tb.Cleanup(s.Close)
	// The port is free when picked but may be taken before redis binds it:
	// try a few.
	for try := 0; ; try++ {
		s.port = freePort(tb)
		err := s.start()
		if err == nil {
			return s
		}
		if try == 4 {
			tb.Fatalf("start redis-server: %v", err)
		}
	}
}

// URL starts nothing when REDIS_URL is set and returns it; otherwise it
// starts a throwaway server (see Start) and returns its URL. Tests that use
// it must keep to their own key prefix, since REDIS_URL may be shared.
func URL(tb testing.TB) string {
	tb.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return Start(tb).URL()
}

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is redis://host:port/0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Dir is the server's data directory.
func (s *Server) Dir() string { return s.dir }

// Log returns what the server has logged so far, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

func (s *Server) start() error {
	args := append([]string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--dir", s.dir, "--logfile", "redis.log", "--save", "",
		"--daemonize", "no", "--protected-mode", "yes",
	}, s.args...)
	cmd := exec.Command(s.bin, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited at start:\n%s", tail(s.Log(), 10))
		default:
		}
		if ping(s.Addr()) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server did not answer PING within %v:\n%s", startTimeout, tail(s.Log(), 10))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL, as a crash or the OOM killer would, and waits until
// the process is gone. Nothing is flushed: what survives is what the server
// had written to its files.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Restart starts the server again on the same port, data directory and
// arguments after Kill, and waits until it answers (its data loaded).
func (s *Server) Restart() {
	s.tb.Helper()
	s.Kill()
	// The old listening socket is gone with the process; a client's
	// TIME_WAIT does not stop redis (SO_REUSEADDR) from binding again.
	var err error
	for try := 0; try < 5; try++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.tb.Fatalf("restart redis-server on %s: %v", s.Addr(), err)
}

// Close kills the server; the data directory goes with the test's temp dir.
func (s *Server) Close() { s.Kill() }

// ping sends one PING over a fresh connection and expects +PONG.
func ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		// -LOADING while the append-only file is read back.
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// freePort asks the kernel for a free loopback port.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
