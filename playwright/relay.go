package playwright

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
)

// The relay of an open session's bytes. httputil.ReverseProxy copies them
// with io.Copy between the hijacked client connection and the upstream's
// response body, which reaches neither the body's socket nor splice(2):
// every byte is read into the gateway and written out again, 32 KiB at a
// time. relayConn, the client connection the proxy is given, takes both
// copies over (io.Copy hands them to its ReadFrom and WriteTo) and, when
// both sides are plain TCP (tokend --http, a ws:// browser server),
// splices socket to socket in the kernel. Measured in
// BenchmarkBrowsersGateway (docs/performance.md, issue 15): with ends that
// write in small pieces (the bench's 4 KiB client writes) the gateway's
// CPU per echoed 1 MiB message fell from 0.76–0.87 ms to 0.25–0.54 ms;
// with ends that write whole frames it is the same either way, the
// loopback hop's cost in the kernel, which a bare splicing relay pays
// too. A TLS client (tokend's default) is copied through a buffer.

// relayBuffer is the copy buffer where splicing is not possible. It is at
// least the transport's read buffer (4 KiB), so that the first read from
// the upstream's body takes all the transport buffered after the 101.
const relayBuffer = 64 << 10

// relayConn is a session's client connection; upstream is the connection
// the transport opened to the browser server (nil until it is known, or
// when the transport does not say).
type relayConn struct {
	net.Conn
	upstream *atomic.Pointer[net.Conn]
}

// errNoHalfClose ends a session whose client connection cannot pass the
// upstream's end of stream on, as the proxy does without a relay.
var errNoHalfClose = errors.New("the client connection cannot half-close")

// CloseWrite passes the upstream's end of stream on (the proxy calls it
// when the upstream closes its side).
func (c *relayConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errNoHalfClose
}

// spliceSafe reports whether the relay may splice from the sockets t
// opens: one read of relayBuffer from an upgraded response's body must
// take all that t buffered (http.Transport reads 4 KiB unless told).
func spliceSafe(t http.RoundTripper) bool {
	switch t := t.(type) {
	case nil:
		return true
	case *http.Transport:
		return t.ReadBufferSize <= relayBuffer
	}
	return false
}

// spliceable is the client and upstream sockets when both are plain TCP.
func (c *relayConn) spliceable() (client, upstream *net.TCPConn, ok bool) {
	client = tcpUnder(c.Conn)
	ok = client != nil
	if !ok || c.upstream == nil {
		return nil, nil, false
	}
	up := c.upstream.Load()
	if up == nil {
		return nil, nil, false
	}
	upstream, ok = (*up).(*net.TCPConn)
	return client, upstream, ok
}

// tcpUnder is the TCP socket under c's wrappers, nil if there is none or
// a wrapper changes the bytes (TLS) or holds some back. The server's
// wrappers (its connection counter, its request-line repair) give their
// socket up through Unbuffered.
func tcpUnder(c net.Conn) *net.TCPConn {
	for c != nil {
		switch w := c.(type) {
		case *net.TCPConn:
			return w
		case interface{ Unbuffered() net.Conn }:
			c = w.Unbuffered()
		default:
			return nil
		}
	}
	return nil
}

// ReadFrom relays the upstream to the client; src is the upstream's
// response body.
func (c *relayConn) ReadFrom(src io.Reader) (int64, error) {
	buf := make([]byte, relayBuffer)
	// The body holds what the transport read past the 101 in its buffer:
	// the first read returns it (or, when there was none, the socket's
	// first bytes); after it the body reads the socket directly.
	n, err := src.Read(buf)
	if n > 0 {
		if _, werr := c.Conn.Write(buf[:n]); werr != nil {
			return int64(n), werr
		}
	}
	if err != nil {
		if err == io.EOF {
			err = nil
		}
		return int64(n), err
	}
	if client, upstream, ok := c.spliceable(); ok {
		m, err := client.ReadFrom(upstream)
		return int64(n) + m, err
	}
	m, err := io.CopyBuffer(writerOnly{c.Conn}, readerOnly{src}, buf)
	return int64(n) + m, err
}

// WriteTo relays the client to the upstream; dst is the upstream's
// response body, whose writes go straight to its socket.
func (c *relayConn) WriteTo(dst io.Writer) (int64, error) {
	if client, upstream, ok := c.spliceable(); ok {
		return upstream.ReadFrom(client)
	}
	return io.CopyBuffer(writerOnly{dst}, readerOnly{c.Conn}, make([]byte, relayBuffer))
}

// writerOnly and readerOnly hide ReadFrom and WriteTo, so that io.Copy
// uses the buffer it is given instead of calling back into relayConn.
type writerOnly struct{ io.Writer }

type readerOnly struct{ io.Reader }
