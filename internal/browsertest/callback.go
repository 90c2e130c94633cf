package browsertest

import (
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// Callback is a redirect URI the test answers itself: an HTTP listener on
// loopback, as a native app (azidentity's InteractiveBrowserCredential,
// az login) runs one. It records every request and answers a small page.
type Callback struct {
	// URL is http://localhost:PORT/ — the form Entra's native-app redirect
	// URIs take (any port matches a registered http://localhost).
	URL string
	// Port is the listener's port.
	Port int

	received chan CallbackRequest
}

// CallbackRequest is what the redirect URI received.
type CallbackRequest struct {
	Method string
	URL    *url.URL
	// Query is the URL's query (response_mode=query).
	Query url.Values
	// Form is a POST's form body (response_mode=form_post).
	Form   url.Values
	Header http.Header
}

// NewCallback starts a loopback listener for t, closed by t.Cleanup.
func NewCallback(t testing.TB) *Callback {
	t.Helper()
	c := &Callback{received: make(chan CallbackRequest, 16)}
	srv := httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("browsertest: callback address: %v", err)
	}
	c.Port, _ = strconv.Atoi(port)
	c.URL = "http://localhost:" + port + "/"
	return c
}

func (c *Callback) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/favicon.ico" {
		http.NotFound(w, r)
		return
	}
	got := CallbackRequest{Method: r.Method, URL: r.URL, Query: r.URL.Query(), Header: r.Header.Clone()}
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		got.Form, _ = url.ParseQuery(string(body))
	}
	select {
	case c.received <- got:
	default: // a test that never waits must not block the browser
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, "<!doctype html><title>Callback</title><p id=\"callback\">"+
		html.EscapeString(r.Method+" "+r.URL.String())+"</p>")
}

// Wait returns the next request the callback received, failing t if none
// arrives within DefaultTimeout. With a Browser, Browser.WaitCallback says
// more when nothing comes (the page and console the browser was left on).
func (c *Callback) Wait(t testing.TB) CallbackRequest {
	t.Helper()
	r, ok := c.next(time.After(DefaultTimeout))
	if !ok {
		t.Fatalf("browsertest: no request reached the callback %s within %s", c.URL, DefaultTimeout)
	}
	return r
}

func (c *Callback) next(timeout <-chan time.Time) (CallbackRequest, bool) {
	select {
	case r := <-c.received:
		return r, true
	case <-timeout:
		return CallbackRequest{}, false
	}
}

// WaitCallback returns the next request cb received, within the Browser's
// time; when none comes, the failure shows where the browser was left.
func (b *Browser) WaitCallback(cb *Callback) CallbackRequest {
	b.t.Helper()
	r, ok := cb.next(time.After(time.Until(b.deadline)))
	if !ok {
		b.fatalf("no request reached the callback %s: %v", cb.URL, errTimeout)
	}
	return r
}
