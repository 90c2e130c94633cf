package e2e

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// tcpProxy forwards a loopback port to PostgreSQL and can be cut and
// restored, as a stopped and restarted database server looks to tokend.
type tcpProxy struct {
	t      *testing.T
	addr   string // the port tokend connects to
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
}

// cut closes the listener and every connection: the database is gone.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// restore listens on the same port again: the database is back.
func (p *tcpProxy) restore() {
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("listen on %s again: %v", p.addr, err)
}

// When PostgreSQL goes away, requests that need it answer 503 with
// Retry-After in their family's error shape (never a 500) and /readyz says
// not ready; when it comes back, tokend serves again without a restart.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	dsn, err := url.Parse(PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newTCPProxy(t, dsn.Host)
	dsn.Host = proxy.addr
	tk := Start(t, "--database", dsn.String())
	token := tk.ARMToken(t)
	group := "/subscriptions/" + tk.Boot.SubscriptionID + "/resourcegroups/outage?api-version=2021-04-01"
	put := func() (*http.Response, []byte) {
		return tk.Do(t, http.MethodPut, group, map[string]any{"location": "eastus"}, token)
	}
	ready := func() int {
		resp, _ := tk.Do(t, http.MethodGet, "/readyz", nil, "")
		return resp.StatusCode
	}
	if resp, b := put(); resp.StatusCode/100 != 2 {
		t.Fatalf("before the outage: %d %s", resp.StatusCode, b)
	}

	proxy.cut()
	resp, b := put()
	var body struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(b, &body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || body.Error.Code != "ServiceUnavailable" {
		t.Errorf("a write during the outage: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if got := ready(); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d", got)
	}

	proxy.restore()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, _ := put()
		if resp.StatusCode == http.StatusOK && ready() == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving 15 s after the database came back: %d, /readyz %d", resp.StatusCode, ready())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
