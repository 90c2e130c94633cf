package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/server"
	"github.com/tokend-dev/tokend/storage/storagetest"
	"github.com/tokend-dev/tokend/wire"
)

// serveOn runs s.Serve on a free loopback port with lc's limits until the
// test ends, and returns the host:port.
func serveOn(t *testing.T, s *server.Server, lc server.ListenConfig) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	lc.Addr = "127.0.0.1:0"
	lc.ShutdownTimeout = time.Second
	lc.Ready = func(url string) { ready <- strings.TrimPrefix(url, "http://") }
	go func() { done <- s.Serve(ctx, lc) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	return ""
}

// bodyEcho answers a request by reading its body as the pipeline does.
func bodyEcho() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := wire.ReadBody(r, w, 1<<20); err != nil {
			wire.WriteError(w, wire.FamilyARM, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func quietServer(t *testing.T, o server.Options) *server.Server {
	t.Helper()
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.Store = storagetest.SQLite(t)
	return server.New(o)
}

// A client that sends its headers and then trickles (or stops sending) its
// body is answered 408 once the body deadline passes, and let go.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	s := quietServer(t, server.Options{Fallback: bodyEcho(), BodyTimeout: time.Second})
	addr := serveOn(t, s, server.ListenConfig{})
	for _, tc := range []struct {
		name string
		body string // sent after the headers, then nothing more
	}{
		{"no body at all", ""},
		{"part of the body", `{"a":`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			_, _ = io.WriteString(c, "POST /tenant/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"+tc.body)
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			took := time.Since(start)
			if err == nil {
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusRequestTimeout {
					t.Fatalf("status %d, want 408", resp.StatusCode)
				}
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the slow body still holds the connection after %s", took)
			}
			if took > 5*time.Second {
				t.Errorf("cut off after %s, want about the 1 s deadline", took)
			}
		})
	}
}

// A body that arrives in time is served even when the handler then takes
// longer than the body deadline: the deadline covers the body only.
func TestBodyDeadlineDoesNotCutSlowHandlers(t *testing.T) {
	t.Parallel()
	s := quietServer(t, server.Options{BodyTimeout: 300 * time.Millisecond, Fallback: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		select {
		case <-time.After(time.Second):
			w.WriteHeader(http.StatusNoContent)
		case <-r.Context().Done():
			w.WriteHeader(499)
		}
	})})
	addr := serveOn(t, s, server.ListenConfig{})
	resp, err := http.Post("http://"+addr+"/tenant/x", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d: the request was canceled at the body deadline", resp.StatusCode)
	}
}

// A client that never reads its answer holds the handler (and the answer's
// buffers) only until the write deadline.
func TestWriteDeadlineReleasesStalledReaders(t *testing.T) {
	t.Parallel()
	released := make(chan error, 1)
	s := quietServer(t, server.Options{WriteTimeout: time.Second, Fallback: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 1<<20)
		for range 256 {
			if _, err := w.Write(chunk); err != nil {
				released <- err
				return
			}
		}
		released <- nil
	})})
	addr := serveOn(t, s, server.ListenConfig{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET /tenant/big HTTP/1.1\r\nHost: x\r\n\r\n")
	select {
	case err := <-released:
		if err == nil {
			t.Fatal("256 MiB written to a client that reads nothing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler is still blocked writing to a client that never reads")
	}
}

// healthz sends GET /healthz on c and reads the answer's status, within
// wait.
func healthz(c net.Conn, wait time.Duration) (int, error) {
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// holdConns opens n connections to addr, each served once, and keeps
// them open.
func holdConns(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	var held []net.Conn
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if code, err := healthz(c, 5*time.Second); err != nil || code != 200 {
			t.Fatalf("connection %d: %d %v", i, code, err)
		}
		held = append(held, c)
	}
	return held
}

// Connections beyond the per-address cap are closed at once; a slot freed
// is usable again.
func TestPerAddressConnectionCap(t *testing.T) {
	t.Parallel()
	s := quietServer(t, server.Options{})
	addr := serveOn(t, s, server.ListenConfig{MaxConnsPerAddr: 2})
	get := func(c net.Conn) (int, error) { return healthz(c, 5*time.Second) }
	held := holdConns(t, addr, 2)
	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if code, err := get(extra); err == nil {
		t.Fatalf("a third connection from one address was served (%d)", code)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the third connection was held open, not closed")
	}
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		code, err := get(c)
		c.Close()
		if err == nil && code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the freed slot is not reused: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Connections beyond the overall cap wait in the accept queue until a slot
// frees; the server still shuts down while one waits.
func TestOverallConnectionCap(t *testing.T) {
	t.Parallel()
	s := quietServer(t, server.Options{})
	addr := serveOn(t, s, server.ListenConfig{MaxConns: 2, MaxConnsPerAddr: -1})
	get := healthz
	held := holdConns(t, addr, 2)
	waiting, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer waiting.Close()
	if code, err := get(waiting, 300*time.Millisecond); err == nil {
		t.Fatalf("a third connection was served past the cap of 2 (%d)", code)
	}
	held[0].Close()
	// The request written above is answered once a slot frees.
	_ = waiting.SetDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(waiting), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the waiting connection after a slot freed: %v %v", resp, err)
	}
	resp.Body.Close()
}

// A header block beyond the cap is refused (431).
func TestMaxHeaderBytes(t *testing.T) {
	t.Parallel()
	s := quietServer(t, server.Options{})
	addr := serveOn(t, s, server.ListenConfig{MaxHeaderBytes: 8 << 10})
	for _, tc := range []struct {
		size int
		want int
	}{{1 << 10, 200}, {64 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
		req.Header.Set("X-Pad", strings.Repeat("a", tc.size))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%d-byte header: %d, want %d", tc.size, resp.StatusCode, tc.want)
		}
	}
}

// Every answer carries the security headers; HSTS only over TLS.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	t.Parallel()
	s := quietServer(t, server.Options{Fallback: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/tenant/page" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, "<p>hello</p>")
			return
		}
		wire.WriteError(w, wire.FamilyARM, wire.Errorf(http.StatusBadRequest, "Bad", "bad"))
	})})
	plain := httptest.NewServer(s.Handler())
	defer plain.Close()
	secure := httptest.NewTLSServer(s.Handler())
	defer secure.Close()
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	}
	for _, srv := range []*httptest.Server{plain, secure} {
		for _, path := range []string{"/healthz", "/readyz", "/metrics", "/subscriptions", "/tenant/page", "/tenant/json"} {
			resp, err := srv.Client().Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			for k, v := range want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s %s: %s %q, want %q", srv.URL, path, k, got, v)
				}
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: CSP %q", path, csp)
			}
			hsts := resp.Header.Get("Strict-Transport-Security")
			if (srv == secure) != strings.HasPrefix(hsts, "max-age=") {
				t.Errorf("%s %s: Strict-Transport-Security %q", srv.URL, path, hsts)
			}
		}
	}
}

// TLS 1.2 is served with AEAD suites only: a client offering nothing but
// the CBC suites is refused; one offering GCM is served.
func TestTLSRefusesCBCSuites(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = server.TLSConfig()
	srv.StartTLS()
	defer srv.Close()
	for _, tc := range []struct {
		name   string
		suites []uint16
		ok     bool
	}{
		{"CBC-SHA1 only", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
			tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA}, false},
		{"RSA key exchange GCM", []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}, false},
		{"ECDHE GCM", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, true},
		{"ECDHE ChaCha20", []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
			conf.MaxVersion, conf.CipherSuites = tls.VersionTLS12, tc.suites
			c, err := tls.Dial("tcp", srv.Listener.Addr().String(), conf)
			if err == nil {
				c.Close()
			}
			if (err == nil) != tc.ok {
				t.Fatalf("handshake error %v, want success %v", err, tc.ok)
			}
		})
	}
	// TLS 1.3 is served as Go serves it.
	conf := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	conf.MinVersion = tls.VersionTLS13
	c, err := tls.Dial("tcp", srv.Listener.Addr().String(), conf)
	if err != nil {
		t.Fatalf("TLS 1.3: %v", err)
	}
	c.Close()
}

// /metrics is not on the served port unless exposed there deliberately:
// publicly (tests) or to the bearer of --metrics-token.
func TestMetricsOffThePublicPort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   server.Options
		bearer string
		want   int
	}{
		{"default", server.Options{}, "", http.StatusNotFound},
		{"token, none sent", server.Options{MetricsToken: "s3cret"}, "", http.StatusUnauthorized},
		{"token, wrong one", server.Options{MetricsToken: "s3cret"}, "guess", http.StatusUnauthorized},
		{"token, right one", server.Options{MetricsToken: "s3cret"}, "s3cret", http.StatusOK},
		{"public", server.Options{PublicMetrics: true}, "", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(quietServer(t, tc.opts).Handler())
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, tc.want, b)
			}
			if exposed := strings.Contains(string(b), "# TYPE tokend_"); exposed != (tc.want == http.StatusOK) {
				t.Errorf("metrics exposed: %v\n%s", exposed, b)
			}
		})
	}
}

// A streaming route (WebSocket, long poll) is exempt from the body and
// write deadlines: its slow body is read in full, while the same body to
// an ordinary route is cut off.
func TestStreamingRoutesAreExemptFromDeadlines(t *testing.T) {
	t.Parallel()
	rt := pipeline.New(pipeline.Surface{Name: "t"}, &pipeline.Options{})
	read := func(w http.ResponseWriter, r *pipeline.Request) {
		if _, err := io.ReadAll(r.HTTP.Body); err != nil {
			w.WriteHeader(http.StatusRequestTimeout)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	rt.Add(
		pipeline.Route{Method: http.MethodPost, Pattern: "/{tenant}/stream", Serve: read, Anonymous: true, Streaming: true},
		pipeline.Route{Method: http.MethodPost, Pattern: "/{tenant}/plain", Serve: read, Anonymous: true},
	)
	s := quietServer(t, server.Options{Fallback: rt, BodyTimeout: 300 * time.Millisecond})
	addr := serveOn(t, s, server.ListenConfig{})
	for _, tc := range []struct {
		path string
		want int
	}{{"/t/stream", http.StatusNoContent}, {"/t/plain", http.StatusRequestTimeout}} {
		t.Run(tc.path, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, _ = io.WriteString(c, "POST "+tc.path+" HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nab")
			time.Sleep(time.Second)
			_, _ = io.WriteString(c, "cd")
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}
