package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one request, so a stuck server fails the scenario
// instead of hanging the run.
const requestTimeout = 30 * time.Second

// newTransport is a keep-alive HTTPS transport (HTTP/1.1, as the load model
// is one connection per closed-loop worker) that dials addr whatever host a
// request names: a request addressed to the cluster's logical URL reaches
// this node with its Host header unchanged, as behind a load balancer.
func newTransport(roots *x509.CertPool, addr string, workers int) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        workers + 16,
		MaxIdleConnsPerHost: workers + 16,
		IdleConnTimeout:     90 * time.Second,
		// Bodies are tiny JSON; compression would only cost CPU on both sides.
		DisableCompression: true,
	}
}

// roundRobin spreads requests over the nodes' transports, one request at a
// time, as a round-robin load balancer in front of the cluster would.
type roundRobin struct {
	next  atomic.Uint64
	nodes []*http.Transport
}

func (r *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	i := (r.next.Add(1) - 1) % uint64(len(r.nodes))
	return r.nodes[i].RoundTrip(req)
}

// newHTTPClient is the client every scenario uses: round-robin over the
// nodes, no redirects followed (none is expected; one would be a bug to see).
func newHTTPClient(nodes []*http.Transport) *http.Client {
	var rt http.RoundTripper = nodes[0]
	if len(nodes) > 1 {
		rt = &roundRobin{nodes: nodes}
	}
	return &http.Client{
		Transport: rt,
		Timeout:   requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach every node.
func (r *roundRobin) CloseIdleConnections() {
	for _, t := range r.nodes {
		t.CloseIdleConnections()
	}
}
