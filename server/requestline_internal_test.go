package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// streamConn is a connection whose reads return in, at most chunk bytes
// at a time.
type streamConn struct {
	net.Conn
	in    []byte
	chunk int
}

func (s *streamConn) Read(p []byte) (int, error) {
	if len(s.in) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), s.chunk, len(s.in))
	copy(p, s.in[:n])
	s.in = s.in[n:]
	return n, nil
}

// repaired is what net/http reads through the wrapper from a client that
// sent in, reading read bytes at a time from chunks of chunk.
func repaired(in string, chunk, read int) string {
	c := newRequestLineConn(&streamConn{in: []byte(in), chunk: chunk}, 1024)
	var out bytes.Buffer
	buf := make([]byte, read)
	for {
		n, err := c.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			return out.String()
		}
	}
}

func TestRequestLineConn(t *testing.T) {
	t.Parallel()
	const filter = "GET /subscriptions/s/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=principalId eq 'p' HTTP/1.1\r\nHost: h\r\n\r\n"
	const filterFixed = "GET /subscriptions/s/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=principalId%20eq%20'p' HTTP/1.1\r\nHost: h\r\n\r\n"
	// A body that looks like a request line with spaces is a body.
	const lookalike = "GET /x y HTTP/1.1\r\n\r\n"
	post := "POST /t?a=b c HTTP/1.1\r\nContent-Length: " + strconv.Itoa(len(lookalike)) + "\r\n\r\n" + lookalike
	postFixed := "POST /t?a=b%20c HTTP/1.1\r\nContent-Length: " + strconv.Itoa(len(lookalike)) + "\r\n\r\n" + lookalike
	for _, tc := range []struct{ name, in, want string }{
		{"a request line without spaces", "GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n", "GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n"},
		{"the SDK's $filter", filter, filterFixed},
		{"bare line feeds", "GET /a b HTTP/1.1\nHost: h\n\n", "GET /a%20b HTTP/1.1\nHost: h\n\n"},
		{"pipelined, with a body", post + filter, postFixed + filterFixed},
		{"an empty body", "POST /a b HTTP/1.1\r\nContent-Length: 0\r\n\r\n" + filter, "POST /a%20b HTTP/1.1\r\nContent-Length: 0\r\n\r\n" + filterFixed},
		{"chunked: the rest passes through", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + filter,
			"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + filter},
		{"an upgrade: the rest passes through", "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" + lookalike,
			"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" + lookalike},
		{"two Content-Lengths: the rest passes through", "POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx" + filter,
			"POST /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx" + filter},
		{"a signed Content-Length: the rest passes through", "POST /a HTTP/1.1\r\nContent-Length: +1\r\n\r\nx" + filter,
			"POST /a HTTP/1.1\r\nContent-Length: +1\r\n\r\nx" + filter},
		{"a continuation line: the rest passes through", "GET /a HTTP/1.1\r\nX: a\r\n b\r\n\r\n" + filter, "GET /a HTTP/1.1\r\nX: a\r\n b\r\n\r\n" + filter},
		{"a blank line first: the rest passes through", "\r\n" + filter, "\r\n" + filter},
		{"not HTTP", "GET /a b c\r\n\r\n", "GET /a b c\r\n\r\n"},
		{"a head past the limit: passed through", "GET /a b HTTP/1.1\r\nX: " + strings.Repeat("x", 2000) + "\r\n\r\n",
			"GET /a b HTTP/1.1\r\nX: " + strings.Repeat("x", 2000) + "\r\n\r\n"},
		{"a head cut short", "GET /a b HTTP/1.1\r\nHost:", "GET /a b HTTP/1.1\r\nHost:"},
		{"a body cut short", "POST /a b HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", "POST /a%20b HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"},
	} {
		for _, chunk := range []int{1, 7, 4096} {
			for _, read := range []int{1, 4096} {
				if got := repaired(tc.in, chunk, read); got != tc.want {
					t.Errorf("%s (chunks of %d, reads of %d):\n got %q\nwant %q", tc.name, chunk, read, got, tc.want)
				}
			}
		}
	}
}

// partsConn returns its parts one read each; a nil part is a read that
// times out, as net/http's interrupted background read does.
type partsConn struct {
	net.Conn
	parts [][]byte
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (c *partsConn) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		return 0, io.EOF
	}
	part := c.parts[0]
	c.parts = c.parts[1:]
	if part == nil {
		return 0, timeoutErr{}
	}
	return copy(p, part), nil
}

// TestRequestLineConnKeepsBytesOverADeadline: a read that times out in the
// middle of a head loses nothing, and the wrapper keeps framing.
func TestRequestLineConnKeepsBytesOverADeadline(t *testing.T) {
	t.Parallel()
	c := newRequestLineConn(&partsConn{parts: [][]byte{[]byte("GET /a b HT"), nil, []byte("TP/1.1\r\n\r\n")}}, 1024)
	buf := make([]byte, 100)
	if n, err := c.Read(buf); n != 0 || !errors.Is(err, timeoutErr{}) {
		t.Fatalf("first read: %d %v, want the deadline", n, err)
	}
	want := "GET /a%20b HTTP/1.1\r\n\r\n"
	n, err := io.ReadFull(c, buf[:len(want)])
	if got := string(buf[:n]); got != want || err != nil {
		t.Errorf("after the deadline: %q %v", got, err)
	}
	if c.Unbuffered() != nil {
		t.Error("the wrapper gave its socket up while framing requests")
	}
}

// TestRequestLineConnGivesItsSocketUpAfterAnUpgrade: once a head asks for
// an upgrade and nothing more is buffered, a hijacker may use the socket.
func TestRequestLineConnGivesItsSocketUpAfterAnUpgrade(t *testing.T) {
	t.Parallel()
	head := "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"
	c := newRequestLineConn(&partsConn{parts: [][]byte{[]byte(head)}}, 1024)
	if _, err := io.ReadFull(c, make([]byte, len(head))); err != nil {
		t.Fatal(err)
	}
	if c.Unbuffered() == nil {
		t.Error("the wrapper kept its socket after an upgrade")
	}
}

// FuzzRequestLineConn: whatever a client sends, the wrapper's only change
// is spaces to %20, it does not depend on how the bytes arrive, and
// net/http reads the same requests (method, body) from what it passes as
// from what was sent, wherever it could read them from the original.
func FuzzRequestLineConn(f *testing.F) {
	for _, s := range []string{
		"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n",
		"POST /t?a=b c HTTP/1.1\r\nContent-Length: 21\r\n\r\nGET /x y HTTP/1.1\r\n\r\nGET /z w HTTP/1.1\r\n\r\n",
		"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /a b HTTP/1.1\r\n\r\n",
		"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /a b HTTP/1.1\r\n\r\n",
		"GET /a b HTTP/1.0\nContent-Length: 2\n\nxyGET / HTTP/1.1\n\n",
	} {
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, in string, chunk uint8) {
		whole := repaired(in, len(in)+1, 4096)
		if pieces := repaired(in, int(chunk)%16+1, int(chunk)%5+1); pieces != whole {
			t.Fatalf("depends on the pieces:\n%q\n%q", pieces, whole)
		}
		if strings.ReplaceAll(whole, "%20", " ") != strings.ReplaceAll(in, "%20", " ") {
			t.Fatalf("changed more than spaces:\n%q\n%q", in, whole)
		}
		sent, passed := bufio.NewReader(strings.NewReader(in)), bufio.NewReader(strings.NewReader(whole))
		for {
			a, err := http.ReadRequest(sent)
			if err != nil {
				return
			}
			ab, aerr := io.ReadAll(a.Body)
			b, err := http.ReadRequest(passed)
			if err != nil {
				t.Fatalf("net/http read %s %s from what was sent but not from what was passed: %v", a.Method, a.RequestURI, err)
			}
			bb, berr := io.ReadAll(b.Body)
			if a.Method != b.Method || !bytes.Equal(ab, bb) || (aerr == nil) != (berr == nil) {
				t.Fatalf("a different request: %s %q %v / %s %q %v", a.Method, ab, aerr, b.Method, bb, berr)
			}
			if aerr != nil {
				return
			}
		}
	})
}

// BenchmarkRequestLineConn is the wrapper's cost per request: a token
// request (head and form body, as azidentity sends it) read through it by
// net/http's own reader, against the same bytes read directly
// (docs/performance.md):
//
//	go test ./server -run '^$' -bench RequestLineConn -benchmem
func BenchmarkRequestLineConn(b *testing.B) {
	body := "client_id=6f0f7b43-0000-4000-8000-00000000b001&client_secret=" + strings.Repeat("s", 40) +
		"&grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.core.windows.net%2F%2F.default"
	req := "POST /6f0f7b43-0000-4000-8000-00000000b002/oauth2/v2.0/token HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n" +
		"User-Agent: azsdk-go-azidentity/v1.13.1 (go1.26.8; linux)\r\nContent-Length: " + strconv.Itoa(len(body)) +
		"\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nAccept-Encoding: gzip\r\n\r\n" + body
	stream := []byte(strings.Repeat(req, 64))
	for _, wrapped := range []bool{false, true} {
		name := "direct"
		if wrapped {
			name = "wrapped"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(req)))
			var br *bufio.Reader
			for i := range b.N {
				if i%64 == 0 {
					var c net.Conn = &streamConn{in: stream, chunk: 4096}
					if wrapped {
						c = newRequestLineConn(c, 64<<10)
					}
					br = bufio.NewReaderSize(c, 4096)
				}
				r, err := http.ReadRequest(br)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestWrappersHalfClose: the server's connection wrappers pass CloseWrite
// on to the connection under them, and say so when it cannot.
func TestWrappersHalfClose(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	wrapped := newRequestLineConn(&countedConn{Conn: c, release: func() {}}, 1024)
	if err := wrapped.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite through both wrappers: %v", err)
	}
	_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := peer.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("the peer read %d, %v after the half-close, want EOF", n, err)
	}
	pipe, other := net.Pipe()
	defer pipe.Close()
	defer other.Close()
	if err := newRequestLineConn(pipe, 1024).CloseWrite(); !errors.Is(err, errNoHalfClose) {
		t.Errorf("CloseWrite on a pipe: %v", err)
	}
}
