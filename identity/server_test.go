package identity

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
)

// testServer is tokend served in-process over TLS: the server stack as
// package app composes it (ARM with Microsoft.Resources and the given
// providers), this service as its authenticator and authorizer, and the
// identity endpoints behind the tenant paths.
type testServer struct {
	*fixture
	svc  *Service
	URL  string
	HTTP *http.Client // trusts the server's certificate
	boot *Bootstrap
}

// startServer serves a fresh fixture over store.
func startServer(t testing.TB, store tokend.Store, mutate func(*Config)) *testServer {
	t.Helper()
	return startServerOn(t, newFixture(t, store, newBox(t)), mutate)
}

// startServerOn serves f, with providers mounted besides
// Microsoft.Resources.
func startServerOn(t testing.TB, f *fixture, mutate func(*Config), providers ...*pipeline.Provider) *testServer {
	t.Helper()
	svc := f.newService(t, mutate)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	srv := testkit.Stack{
		Store: f.store, Providers: providers,
		Options:  pipeline.Options{Authenticator: svc, Authorizer: svc.Authorizer()},
		Fallback: svc.Handler(),
		Mounts:   map[string]http.Handler{"oidc": svc.Handler()},
	}.Serve(t)
	ts := &testServer{fixture: f, svc: svc, URL: srv.URL}
	svc.SetBaseURL(ts.URL)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	ts.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: false,
	}}
	t.Cleanup(ts.HTTP.CloseIdleConnections)
	var err error
	ts.boot, err = svc.EnsureBootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func (ts *testServer) tokenURL() string {
	return ts.URL + "/" + ts.tenant + "/oauth2/v2.0/token"
}
