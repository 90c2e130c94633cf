package playwright

import (
	"crypto/tls"
	"net"
	"net/http"
	"testing"
)

// TestSpliceSafe: the relay splices only from transports whose buffer one
// read drains, or it would skip what the transport read past the 101.
func TestSpliceSafe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		t    http.RoundTripper
		want bool
	}{
		{"the default transport", nil, true},
		{"a transport with its default buffer", &http.Transport{}, true},
		{"a transport with a 64 KiB buffer", &http.Transport{ReadBufferSize: relayBuffer}, true},
		{"a transport with a larger buffer", &http.Transport{ReadBufferSize: relayBuffer + 1}, false},
		{"another round tripper", roundTripperFunc(nil), false},
	} {
		if got := spliceSafe(tc.t); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRelayCloseWrite: a client connection that cannot half-close ends
// the session when the upstream closes its side, as the proxy does
// without a relay.
func TestRelayCloseWrite(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if err := (&relayConn{Conn: a}).CloseWrite(); err != errNoHalfClose {
		t.Errorf("CloseWrite on a pipe: %v", err)
	}
	if err := (&relayConn{Conn: loopbackConn(t)}).CloseWrite(); err != nil {
		t.Errorf("CloseWrite on TCP: %v", err)
	}
}

// unbuffered is a wrapper that gives its connection up (or not: nil).
type unbuffered struct {
	net.Conn
	under net.Conn
}

func (u unbuffered) Unbuffered() net.Conn { return u.under }

// TestTCPUnder: the relay finds the socket under the server's wrappers,
// and never under TLS, whose bytes are not the socket's.
func TestTCPUnder(t *testing.T) {
	t.Parallel()
	tcp := loopbackConn(t)
	pipe, _ := net.Pipe()
	defer pipe.Close()
	for _, tc := range []struct {
		name string
		c    net.Conn
		want *net.TCPConn
	}{
		{"a TCP connection", tcp, tcp},
		{"two wrappers that give it up", unbuffered{under: unbuffered{under: tcp}}, tcp},
		{"a wrapper that holds bytes back", unbuffered{under: nil}, nil},
		{"TLS", tls.Client(tcp, &tls.Config{}), nil},
		{"a wrapper over TLS", unbuffered{under: tls.Client(tcp, &tls.Config{})}, nil},
		{"a pipe", pipe, nil},
	} {
		if got := tcpUnder(tc.c); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// loopbackConn is a TCP connection to a listener on loopback.
func loopbackConn(t *testing.T) *net.TCPConn {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}
