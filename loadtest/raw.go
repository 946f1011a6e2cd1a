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

	nc      net.Conn
	br      *bufio.Reader // kept across dials
	stop    func() bool   // ends the watch that closes nc when ctx is done
	scratch []byte        // the body being read
	arena   []byte        // bodies kept until after the clock
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
	if _, err := rc.nc.Write(r.wire); err != nil {
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

func (rc *rawConn) dial(start time.Time) error {
	ctx, cancel := context.WithDeadline(rc.ctx, start.Add(rc.timeout))
	defer cancel()
	nc, err := rc.dialer.DialContext(ctx, "tcp", rc.addr)
	if err != nil {
		return err
	}
	rc.nc = nc
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
		rc.arena = make([]byte, 0, max(len(p), arenaSize))
	}
	n := len(rc.arena)
	rc.arena = append(rc.arena, p...)
	return rc.arena[n:len(rc.arena):len(rc.arena)]
}
