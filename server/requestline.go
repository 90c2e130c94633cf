package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strconv"
)

// Request lines with raw spaces. Some official clients write a query
// parameter into the URL unencoded: the Go SDK's armauthorization sends
// `$filter=principalId eq '…'` as it is (the spec marks it
// x-ms-skip-url-encoding), so its request line has spaces inside the
// target, which Azure's front ends accept and Go's HTTP server refuses
// (400 "malformed HTTP version") before any handler sees it.
// requestLineConn sits between the connection (TLS, when tokend serves it)
// and net/http and percent-encodes those spaces in each request line.
//
// To find each request line it follows HTTP/1.1's framing as net/http
// does: a head up to its blank line, then a body of Content-Length bytes.
// Wherever the framing is anything else (Transfer-Encoding, several or
// malformed Content-Lengths, an upgrade, continuation lines, a head past
// the size limit) it stops looking and passes the rest of the connection
// through untouched: net/http then judges those bytes itself, exactly as
// without this wrapper. The only change it ever makes is " " to "%20"
// between a request line's method and its HTTP version.

// requestLineConn repairs the request lines read from a connection.
type requestLineConn struct {
	net.Conn
	maxHead int    // the largest head it parses (then: pass-through)
	in      []byte // read from the connection, not yet framed
	out     []byte // framed, for net/http
	buf     []byte // the read buffer
	// inBuf and outBuf are where in and out start again once drained, so
	// that a keep-alive connection does not allocate per request.
	inBuf, outBuf []byte
	state         frameState
	body          int64 // bytes of the current body still to pass
	err           error // the connection's error, returned once out is drained
}

type frameState int

const (
	inHead frameState = iota
	inBody
	passThrough
)

func newRequestLineConn(c net.Conn, maxHead int) *requestLineConn {
	rc := &requestLineConn{Conn: c, maxHead: maxHead, buf: make([]byte, 4096),
		inBuf: make([]byte, 0, 4096), outBuf: make([]byte, 0, 4096)}
	rc.in, rc.out = rc.inBuf, rc.outBuf
	return rc
}

func (c *requestLineConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.out) == 0 && len(c.in) == 0 && c.err == nil && c.state == inBody {
		// A body read with nothing buffered goes straight to p.
		n, err := c.Conn.Read(p[:min(int64(len(p)), c.body)])
		if c.body -= int64(n); c.body == 0 {
			c.state = inHead
		}
		return n, err
	}
	for len(c.out) == 0 {
		if c.err != nil {
			err := c.err
			c.err = nil
			return 0, err
		}
		if c.state == passThrough && len(c.in) == 0 {
			return c.Conn.Read(p)
		}
		if c.frame() {
			continue
		}
		n, err := c.Conn.Read(c.buf)
		c.in = append(c.in, c.buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// A deadline (net/http interrupts its background read with
				// one): what was read stays for the next Read.
				return 0, err
			}
			// The connection ended: what it sent goes on as it is.
			c.out, c.in, c.state, c.err = append(c.out, c.in...), nil, passThrough, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	if len(c.out) == 0 {
		c.out = c.outBuf[:0]
	}
	if len(c.in) == 0 {
		c.in = c.inBuf[:0]
	}
	return n, nil
}

// frame moves what it can from in to out; false when it needs more input.
func (c *requestLineConn) frame() bool {
	switch c.state {
	case passThrough:
		c.out, c.in = append(c.out, c.in...), nil
		return true
	case inBody:
		k := int64(len(c.in))
		if k == 0 {
			return false
		}
		k = min(k, c.body)
		c.out, c.in = append(c.out, c.in[:k]...), c.in[k:]
		if c.body -= k; c.body == 0 {
			c.state = inHead
		}
		return true
	}
	end := headEnd(c.in)
	if end < 0 && len(c.in) <= c.maxHead {
		return false
	}
	if end < 0 || end > c.maxHead {
		c.state = passThrough // net/http refuses it (431)
		return true
	}
	head := c.in[:end]
	c.in = c.in[end:]
	c.out = append(c.out, repairRequestLine(head)...)
	c.state, c.body = nextFrame(head)
	if c.state == inBody && c.body == 0 {
		c.state = inHead
	}
	return true
}

// headEnd is the length of the head at the start of b, through its blank
// line ("\r\n" or, as net/http also accepts, "\n"), or -1 while it is
// incomplete. A blank line before any request line is a head of its own
// (net/http refuses it; nextFrame passes the rest through).
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		blank := j == 0 || (j == 1 && b[i] == '\r')
		i += j + 1
		if blank {
			return i
		}
	}
}

// repairRequestLine percent-encodes the spaces inside the target of the
// head's request line ("METHOD target HTTP/x.y"); any other head is
// returned as it is.
func repairRequestLine(head []byte) []byte {
	eol := bytes.IndexByte(head, '\n')
	line := bytes.TrimSuffix(head[:eol], []byte("\r"))
	first := bytes.IndexByte(line, ' ')
	last := bytes.LastIndexByte(line, ' ')
	if first < 0 || last <= first || !bytes.HasPrefix(line[last+1:], []byte("HTTP/")) {
		return head
	}
	target := line[first+1 : last]
	if bytes.IndexByte(target, ' ') < 0 {
		return head
	}
	out := make([]byte, 0, len(head)+2*bytes.Count(target, []byte(" ")))
	out = append(out, line[:first+1]...)
	out = append(out, bytes.ReplaceAll(target, []byte(" "), []byte("%20"))...)
	out = append(out, line[last:]...)
	return append(out, head[len(line):]...)
}

// nextFrame reads the head's framing: a body of Content-Length bytes, or
// pass-through wherever net/http would frame otherwise or the protocol may
// change.
func nextFrame(head []byte) (frameState, int64) {
	first, rest, _ := bytes.Cut(head, []byte("\n"))
	if first = bytes.TrimSuffix(first, []byte("\r")); len(first) == 0 || bytes.HasPrefix(first, []byte("CONNECT ")) {
		return passThrough, 0
	}
	length, seen := int64(0), false
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) == 0 {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			return passThrough, 0 // a continuation line
		}
		name, value, ok := bytes.Cut(l, []byte(":"))
		if !ok {
			return passThrough, 0
		}
		switch {
		case bytes.EqualFold(name, []byte("Transfer-Encoding")), bytes.EqualFold(name, []byte("Upgrade")):
			return passThrough, 0
		case bytes.EqualFold(name, []byte("Content-Length")):
			v := bytes.TrimSpace(value)
			n, err := strconv.ParseInt(string(v), 10, 64)
			if seen || err != nil || n < 0 || len(v) == 0 || v[0] < '0' || v[0] > '9' {
				return passThrough, 0
			}
			length, seen = n, true
		}
	}
	return inBody, length
}

// Unbuffered is the connection under the wrapper when the wrapper holds no
// bytes and passes the rest through (after an upgrade), so that a
// hijacker may use the socket itself (the browsers gateway splices it;
// closing still goes through Close); nil otherwise. Wrappers that pass
// bytes unchanged offer it (countedConn too); TLS does not.
func (c *requestLineConn) Unbuffered() net.Conn {
	if c.state != passThrough || len(c.in) > 0 || len(c.out) > 0 || c.err != nil {
		return nil
	}
	return c.Conn
}

// CloseWrite half-closes the connection under the wrapper (TLS sends its
// close_notify), as a hijacker asks of the connection it was given.
func (c *requestLineConn) CloseWrite() error { return closeWrite(c.Conn) }

// requestLineListener wraps every accepted connection.
type requestLineListener struct {
	net.Listener
	maxHead int
}

func (l requestLineListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newRequestLineConn(c, l.maxHead), nil
}

// connKey holds a request's connection in its context (http.Server's
// ConnContext).
type connKey struct{}

func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// restoreTLS sets r.TLS, which net/http fills only when the connection it
// serves is a *tls.Conn itself, from the TLS connection under the wrapper.
func restoreTLS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if rc, ok := r.Context().Value(connKey{}).(*requestLineConn); ok {
				if tc, ok := rc.Conn.(*tls.Conn); ok {
					st := tc.ConnectionState()
					r.TLS = &st
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}
