package playwright

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The relay carries an authenticated session to the browser server: it
// sends the client's upgrade request on a connection of its own, and once
// the server switches protocols, hijacks the client's connection, passes
// the 101 on and copies bytes both ways until either side ends or the
// session is closed. It is httputil.ReverseProxy's upgrade path less the
// HTTP transport (a connection of its own per session, never pooled) and
// with larger reads.

// handshakeTimeout bounds the upstream's answer to an upgrade.
const handshakeTimeout = 30 * time.Second

// relayBufferSize is the copy buffer: up to 256 KiB a read rather than
// io.Copy's 32 KiB.
const relayBufferSize = 256 << 10

var relayBuffers = sync.Pool{New: func() any { b := make([]byte, relayBufferSize); return &b }}

// errUpstream is an upstream that did not take the session.
type errUpstream struct{ err error }

func (e errUpstream) Error() string { return e.err.Error() }
func (e errUpstream) Unwrap() error { return e.err }

// dialUpstream opens a connection to the browser server.
func dialUpstream(ctx context.Context, upstream *url.URL) (net.Conn, error) {
	host := upstream.Host
	if upstream.Port() == "" {
		port := "80"
		if upstream.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(upstream.Hostname(), port)
	}
	d := net.Dialer{Timeout: handshakeTimeout, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	if upstream.Scheme != "https" {
		return conn, nil
	}
	tc := tls.Client(conn, &tls.Config{ServerName: upstream.Hostname(), MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tc, nil
}

// hopHeaders are the headers of one hop, not passed on (RFC 9110 7.6.1).
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// upstreamRequest is the client's upgrade request as the browser server
// gets it: the upstream's path, the client's query, the client's headers
// less its credentials, the forwarding headers and the hop's own.
func upstreamRequest(in *http.Request, upstream *url.URL) *http.Request {
	out := in.Clone(in.Context())
	out.Body, out.ContentLength = nil, 0
	out.URL.Scheme, out.URL.Host, out.URL.Path, out.URL.RawPath = upstream.Scheme, upstream.Host, upstream.Path, upstream.RawPath
	if out.URL.Path == "" {
		out.URL.Path = "/"
	}
	out.URL.RawQuery = mergeQuery(upstream.RawQuery, in.URL.RawQuery)
	out.Host = upstream.Host
	h := out.Header
	for _, c := range h.Values("Connection") {
		for _, name := range strings.Split(c, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
	for _, name := range []string{"Authorization", "Cookie", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
		h.Del(name)
	}
	h.Set("Connection", "Upgrade")
	h.Set("Upgrade", "websocket")
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = nil // as the client sent it: none, not Go's
	}
	return out
}

// relay runs one session: nil once it has ended, errUpstream when the
// browser server could not be reached or refused the upgrade before
// anything was written to the client. opened is called once the client's
// connection is switched.
func relay(w http.ResponseWriter, in *http.Request, upstream *url.URL, opened func()) error {
	ctx := in.Context()
	up, err := dialUpstream(ctx, upstream)
	if err != nil {
		return errUpstream{fmt.Errorf("dial %s: %w", upstream.Host, err)}
	}
	defer up.Close()
	// Closing the session (revoked token, deleted workspace, shutdown)
	// closes the upstream, which ends both copies.
	stop := context.AfterFunc(ctx, func() { _ = up.Close() })
	defer stop()

	_ = up.SetDeadline(time.Now().Add(handshakeTimeout))
	out := upstreamRequest(in, upstream)
	if err := out.Write(up); err != nil {
		return errUpstream{fmt.Errorf("send the upgrade: %w", err)}
	}
	br := bufio.NewReader(up)
	resp, err := http.ReadResponse(br, out)
	if err != nil {
		return errUpstream{fmt.Errorf("read the upgrade's answer: %w", err)}
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		// The browser server's own refusal, passed on as it is.
		defer resp.Body.Close()
		copyEndHeaders(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		return errUpstream{fmt.Errorf("the browser server switched to %q, not websocket", resp.Header.Get("Upgrade"))}
	}
	_ = up.SetDeadline(time.Time{})

	client, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return fmt.Errorf("hijack the session's connection: %w", err)
	}
	defer client.Close()
	stopClient := context.AfterFunc(ctx, func() { _ = client.Close() })
	defer stopClient()
	// The 101 carries tokend's own headers (request id, security
	// headers) and the browser server's.
	copyEndHeaders(w.Header(), resp.Header)
	for _, name := range []string{"Connection", "Upgrade"} {
		w.Header()[name] = resp.Header[name]
	}
	resp.Header, resp.Body = w.Header(), nil
	if err := resp.Write(brw); err != nil {
		return fmt.Errorf("write the 101: %w", err)
	}
	if err := brw.Flush(); err != nil {
		return fmt.Errorf("write the 101: %w", err)
	}
	if opened != nil {
		opened()
	}
	// What either side sent past the handshake, already buffered.
	if err := flushBuffered(up, brw.Reader); err != nil {
		return nil
	}
	if err := flushBuffered(client, br); err != nil {
		return nil
	}
	done := make(chan struct{}, 2)
	go func() { copyConn(up, client); done <- struct{}{} }()
	go func() { copyConn(client, up); done <- struct{}{} }()
	// The first side to end ends the session: WebSocket closes with a
	// frame of its own, so nothing is lost by not half-closing.
	<-done
	_ = client.Close()
	_ = up.Close()
	<-done
	return nil
}

// flushBuffered writes to dst what r holds already read.
func flushBuffered(dst io.Writer, r *bufio.Reader) error {
	n := r.Buffered()
	if n == 0 {
		return nil
	}
	b, _ := r.Peek(n)
	_, err := dst.Write(b)
	return err
}

// copyConn copies src to dst until either fails, through a pooled buffer.
func copyConn(dst, src net.Conn) {
	buf := relayBuffers.Get().(*[]byte)
	defer relayBuffers.Put(buf)
	_, _ = io.CopyBuffer(onlyWriter{dst}, onlyReader{src}, *buf)
}

// onlyReader and onlyWriter hide ReadFrom/WriteTo so that io.CopyBuffer
// uses the buffer it is given.
type onlyReader struct{ io.Reader }
type onlyWriter struct{ io.Writer }

// copyEndHeaders adds src's end-to-end headers to dst.
func copyEndHeaders(dst, src http.Header) {
	for k, vv := range src {
		dst[k] = append([]string(nil), vv...)
	}
	for _, name := range hopHeaders {
		dst.Del(name)
	}
}
