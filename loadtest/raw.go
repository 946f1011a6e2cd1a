package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// wireForm is req exactly as it goes on the wire: request line, Host,
// Content-Length, the other headers and the body. It spends req's body.
func wireForm(req *http.Request) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(int(req.ContentLength) + 512)
	if err := req.Write(&b); err != nil {
		return nil, fmt.Errorf("serialise request: %w", err)
	}
	return b.Bytes(), nil
}

// rawLanes is c raw connections to the bot at base (http://host[:port]),
// each dialled on its first request. They are closed by closeLanes, or
// as soon as ctx is done, so an interrupted run does not wait for
// answers.
func rawLanes(ctx context.Context, base string, c int, timeout time.Duration) ([]lane, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("机器人地址无法解析，例如 --url http://127.0.0.1:8080：%w", err)
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	ls := make([]lane, c)
	for i := range ls {
		ls[i] = &rawConn{ctx: ctx, addr: addr, timeout: timeout, dialer: dialer}
	}
	return ls, nil
}

// closeLanes closes the raw connections among ls.
func closeLanes(ls []lane) {
	for _, l := range ls {
		if rc, ok := l.(*rawConn); ok {
			rc.close()
		}
	}
}

// rawConn is one persistent connection to the bot that writes prepared
// requests and parses answers with http.ReadResponse. net/http's client
// spends nearly as much CPU per request as the bot (transport goroutines,
// channels, header maps), and on a shared machine that CPU is taken from
// the bot; here a request costs a write, a read and the parse.
//
// An answer with Connection: close, a transport error or a stream that is
// out of step ends the connection; the next request dials a new one.
type rawConn struct {
	ctx     context.Context
	addr    string
	timeout time.Duration // per request, dial included
	dialer  *net.Dialer

	nc   net.Conn
	br   *bufio.Reader // kept across dials
	stop func() bool   // ends the watch that closes nc when ctx is done

	// write's state: nc's socket, to write and wait in one step, and
	// writeStep bound once, as a closure per request would be allocated.
	sc     syscall.RawConn
	step   func(fd uintptr) bool
	unsent []byte
	wrote  bool
	werr   error

	scratch []byte      // the body being read
	arena   []byte      // bodies kept until after the clock
	blocks  *bodyBlocks // where the arena grows; nil: fresh allocations
}

// rawPost tells http.ReadResponse that every answer is to a POST; it
// reads only the method.
var rawPost = &http.Request{Method: http.MethodPost}

// arenaSize is the block kept bodies are cut from: a reply is about a
// kilobyte, so one allocation serves dozens of them.
const arenaSize = 64 << 10

// send times the request from just before the write (before the dial when
// the connection has to be made) to the end of the body.
func (rc *rawConn) send(r *request) shot {
	start := time.Now()
	if rc.nc == nil {
		if err := rc.dial(start); err != nil {
			return shot{latency: time.Since(start), err: err}
		}
	}
	rc.nc.SetDeadline(start.Add(rc.timeout))
	if err := rc.write(r.wire); err != nil {
		rc.close()
		return shot{latency: time.Since(start), err: err}
	}
	resp, err := http.ReadResponse(rc.br, rawPost)
	if err != nil {
		rc.close()
		return shot{latency: time.Since(start), err: err}
	}
	body, err := rc.readBody(resp.Body)
	lat := time.Since(start)
	// Bytes past the answer mean the stream is out of step with the
	// requests: the next answer would be read as this one's.
	if err != nil || resp.Close || rc.br.Buffered() > 0 {
		rc.close()
	}
	return shot{status: resp.StatusCode, latency: lat, body: body, err: err}
}

// write sends wire and, on a socket, returns once the answer is
// readable. Go's Read would first try a read that finds nothing, since
// the bot has not answered yet, and only then wait: a system call per
// request for nothing. The write is made inside the raw read, after the
// poller has forgotten earlier readiness, so the answer's arrival always
// wakes the wait. (Nothing is left unread when a request is written: an
// answer with bytes after it ends the connection.)
func (rc *rawConn) write(wire []byte) error {
	if rc.sc == nil {
		_, err := rc.nc.Write(wire)
		return err
	}
	rc.unsent, rc.wrote, rc.werr = wire, false, nil
	err := rc.sc.Read(rc.step)
	switch {
	case rc.werr != nil:
		return rc.werr
	case err != nil:
		return rc.opError("read", err)
	case len(rc.unsent) > 0:
		_, err = rc.nc.Write(rc.unsent)
	}
	return err
}

// writeStep is the function write hands the raw read: the first call
// writes, later ones say the answer is readable.
func (rc *rawConn) writeStep(fd uintptr) bool {
	if rc.wrote {
		return true
	}
	rc.wrote = true
	for len(rc.unsent) > 0 {
		n, err := syscall.Write(int(fd), rc.unsent)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return true // the send buffer is full: write finishes with a plain Write
		case err != nil:
			rc.werr = rc.opError("write", os.NewSyscallError("write", err))
			return true
		}
		rc.unsent = rc.unsent[n:]
	}
	return false
}

// opError dresses err as net's own errors are, for the report.
func (rc *rawConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: rc.nc.LocalAddr(), Addr: rc.nc.RemoteAddr(), Err: err}
}

func (rc *rawConn) dial(start time.Time) error {
	ctx, cancel := context.WithDeadline(rc.ctx, start.Add(rc.timeout))
	defer cancel()
	nc, err := rc.dialer.DialContext(ctx, "tcp", rc.addr)
	if err != nil {
		return err
	}
	rc.nc = nc
	rc.sc = nil
	if c, ok := nc.(syscall.Conn); ok {
		if rc.sc, err = c.SyscallConn(); err != nil {
			nc.Close()
			return err
		}
		if rc.step == nil {
			rc.step = rc.writeStep
		}
	}
	rc.stop = context.AfterFunc(rc.ctx, func() { nc.Close() })
	if rc.br == nil {
		rc.br = bufio.NewReader(nc)
	} else {
		rc.br.Reset(nc)
	}
	return nil
}

func (rc *rawConn) close() {
	if rc.nc == nil {
		return
	}
	rc.stop()
	rc.nc.Close()
	rc.nc = nil
}

// readBody reads the whole of b into the reused scratch buffer and keeps
// a copy cut from the arena: no allocation for most answers.
func (rc *rawConn) readBody(b io.ReadCloser) ([]byte, error) {
	buf := rc.scratch[:0]
	var err error
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		var n int
		n, err = b.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			break
		}
	}
	rc.scratch = buf
	b.Close()
	if err == io.EOF {
		err = nil
	}
	return rc.keep(buf), err
}

// keep copies p into the arena; the copy stays valid for the whole run.
func (rc *rawConn) keep(p []byte) []byte {
	if len(p) == 0 {
		return nil
	}
	if cap(rc.arena)-len(rc.arena) < len(p) {
		rc.arena = rc.blocks.get(len(p))
	}
	n := len(rc.arena)
	rc.arena = append(rc.arena, p...)
	return rc.arena[n:len(rc.arena):len(rc.arena)]
}

// bodyBlocks are arena blocks allocated and written to before the clock.
// The first write to fresh memory faults its page in, and a fault costs
// microseconds of kernel time that, in the timed phase, would be taken
// from the bot's cores.
type bodyBlocks struct {
	next atomic.Int64
	all  [][]byte
}

// reserveBodies gives the raw lanes among ls size bytes of touched blocks
// to keep bodies in.
func reserveBodies(ls []lane, size int) {
	b := &bodyBlocks{}
	if size > 0 {
		mem := make([]byte, (size+arenaSize-1)/arenaSize*arenaSize)
		for i := 0; i < len(mem); i += os.Getpagesize() {
			mem[i] = 1
		}
		for len(mem) > 0 {
			b.all = append(b.all, mem[:0:arenaSize])
			mem = mem[arenaSize:]
		}
	}
	for _, l := range ls {
		if rc, ok := l.(*rawConn); ok {
			rc.blocks = b
		}
	}
}

// get returns an empty block for at least n bytes: a reserved one while
// they last.
func (b *bodyBlocks) get(n int) []byte {
	if b != nil && n <= arenaSize {
		if i := int(b.next.Add(1) - 1); i < len(b.all) {
			return b.all[i]
		}
	}
	return make([]byte, 0, max(n, arenaSize))
}
