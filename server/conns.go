package server

import (
	"errors"
	"net"
	"net/netip"
	"sync"
)

// Default connection caps (serve's --max-conns and --max-conns-per-addr).
// The per-address cap stays well above what one legitimate client opens
// (the benchmark opens 16 keep-alive connections by default; SDKs a few).
const (
	DefaultMaxConns        = 4096
	DefaultMaxConnsPerAddr = 256
)

// limitConns caps the listener's open connections: maxConns in all (more
// wait in the kernel's accept queue, as with netutil.LimitListener),
// perAddr from one peer address (more are closed at once). exempt peers
// (trusted proxies, which carry many clients) have no per-address cap.
func limitConns(ln net.Listener, maxConns, perAddr int, exempt func(netip.Addr) bool, refused func()) net.Listener {
	if perAddr > 0 {
		ln = &addrLimitListener{Listener: ln, max: perAddr, exempt: exempt, refused: refused, open: map[netip.Addr]int{}}
	}
	if maxConns > 0 {
		ln = &capListener{Listener: ln, slots: make(chan struct{}, maxConns), done: make(chan struct{})}
	}
	return ln
}

// capListener holds at most cap(slots) connections open: Accept waits for
// a slot first. It is netutil.LimitListener's rule, with connections that
// give their socket up (countedConn.Unbuffered), which the browsers
// gateway splices.
type capListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *capListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &countedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *capListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

type addrLimitListener struct {
	net.Listener
	max     int
	exempt  func(netip.Addr) bool
	refused func()

	mu   sync.Mutex
	open map[netip.Addr]int
}

func (l *addrLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a := peerOf(c)
		if l.exempt != nil && l.exempt(a) {
			return c, nil
		}
		if !l.acquire(a) {
			_ = c.Close()
			if l.refused != nil {
				l.refused()
			}
			continue
		}
		return &countedConn{Conn: c, release: func() { l.release(a) }}, nil
	}
}

func (l *addrLimitListener) acquire(a netip.Addr) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a] >= l.max {
		return false
	}
	l.open[a]++
	return true
}

func (l *addrLimitListener) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// The map holds only addresses with open connections: its size is
	// bounded by the overall cap.
	if l.open[a] <= 1 {
		delete(l.open, a)
		return
	}
	l.open[a]--
}

func peerOf(c net.Conn) netip.Addr {
	if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		a, _ := netip.AddrFromSlice(tcp.IP)
		return a.Unmap()
	}
	ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	return ap.Addr().Unmap()
}

// countedConn gives its slot back once, however often it is closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes the connection it counts, as a hijacker (the
// browsers gateway's relay) asks of the socket it was given.
func (c *countedConn) CloseWrite() error { return closeWrite(c.Conn) }

// errNoHalfClose answers CloseWrite on a connection that cannot.
var errNoHalfClose = errors.New("the connection cannot half-close")

func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errNoHalfClose
}

// Unbuffered is the connection it counts: it passes bytes unchanged, so a
// hijacker may use the socket under it (the browsers gateway splices it;
// closing still goes through Close).
func (c *countedConn) Unbuffered() net.Conn { return c.Conn }
