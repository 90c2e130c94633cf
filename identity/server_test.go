package identity

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/wire"
	"github.com/tokend-dev/tokend/localca"
	"github.com/tokend-dev/tokend/server"
)

// testServer is tokend started in-process over TLS on a free port: the ARM
// router with this service as its authenticator and authorizer, and the
// identity endpoints as the fallback, as cmd/tokend wires them.
type testServer struct {
	*fixture
	svc    *Service
	router *arm.Router
	URL    string
	CAFile string
	HTTP   *http.Client
	boot   *Bootstrap
}

func startServer(t testing.TB, mutate func(*Config)) *testServer {
	t.Helper()
	f := newFixture(t, openSQLite(t), newBox(t))
	return startServerOn(t, f, mutate)
}

func startServerOn(t testing.TB, f *fixture, mutate func(*Config)) *testServer {
	t.Helper()
	svc := f.newService(t, mutate)
	ctx, cancel := context.WithCancel(context.Background())
	go svc.Run(ctx)

	router := arm.NewRouter(arm.Config{Store: f.store})
	router.UseAuth(svc, svc.Authorizer())
	srv := server.New(server.Options{Store: f.store, ARM: router, Fallback: svc.Handler()})

	dir := t.TempDir()
	files := localca.FilesIn(dir)
	pair, err := localca.Ensure(files, localca.DefaultHosts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- srv.Serve(ctx, server.ListenConfig{
			Addr: "127.0.0.1:0", TLS: &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12},
			ShutdownTimeout: 5 * time.Second, Ready: func(u string) { urls <- u },
		})
	}()
	ts := &testServer{fixture: f, svc: svc, router: router, CAFile: files.CACert}
	select {
	case ts.URL = <-urls:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	})
	svc.SetBaseURL(ts.URL)
	pool, err := localca.Pool(files.CACert)
	if err != nil {
		t.Fatal(err)
	}
	ts.HTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: false,
	}}
	t.Cleanup(ts.HTTP.CloseIdleConnections)
	ts.boot, err = svc.EnsureBootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func (ts *testServer) tokenURL() string {
	return ts.URL + "/" + ts.tenant + "/oauth2/v2.0/token"
}

func abs(t testing.TB, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
