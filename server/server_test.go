package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/server"
	"github.com/tokend-dev/tokend/storage/storagetest"
	"github.com/tokend-dev/tokend/wire"
)

func newServer(t *testing.T, store tokend.Store, fallback http.Handler) (*server.Server, *azuretest.SyncBuffer) {
	t.Helper()
	logs := &azuretest.SyncBuffer{}
	s := server.New(server.Options{
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		Store:     store,
		AccessLog: true,
		Fallback:  fallback,
		// This test reads /metrics on the served port.
		PublicMetrics: true,
	})
	return s, logs
}

func TestHeadersRecoveryAndHealth(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testHeadersRecoveryAndHealth)
}

func testHeadersRecoveryAndHealth(t *testing.T, store tokend.Store) {
	s, logs := newServer(t, store, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			wire.TraceFrom(r.Context()).Family = wire.FamilyAPIM
			panic("secret internal detail")
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/boom", nil)
	req.Header.Set("x-ms-client-request-id", "client-1")
	req.Header.Set("x-ms-correlation-request-id", "corr-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	reqID := resp.Header.Get("x-ms-request-id")
	if resp.StatusCode != 500 || reqID == "" || resp.Header.Get("x-ms-client-request-id") != "client-1" ||
		resp.Header.Get("x-ms-correlation-request-id") != "corr-1" {
		t.Fatalf("panic answer: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	var env struct {
		Error struct{ Code, Message, Target string } `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Error.Code != "InternalServerError" ||
		!strings.Contains(env.Error.Message, reqID) || strings.Contains(string(body), "secret internal detail") ||
		strings.Contains(string(body), "goroutine") {
		t.Errorf("500 body: %s", body)
	}
	if !strings.Contains(logs.String(), "secret internal detail") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("the panic and its stack are not logged:\n%s", logs.String())
	}

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/tenant/x": 204} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
		if path == "/metrics" && !strings.Contains(string(b), `tokend_http_requests_total{code="500",method="GET",route="other"} 1`) {
			t.Errorf("/metrics does not count the 500:\n%s", b)
		}
	}
	if !strings.Contains(logs.String(), `"request_id":"`+reqID+`"`) {
		t.Errorf("access log lacks the request id:\n%s", logs.String())
	}
}

// SIGTERM-style shutdown lets an in-flight request finish, then Serve returns.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	s, _ := newServer(t, storagetest.SQLite(t), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		_, _ = w.Write([]byte("done"))
	}))
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- s.Serve(ctx, server.ListenConfig{Addr: "127.0.0.1:0", DataDir: dir, ShutdownTimeout: 5 * time.Second})
	}()
	var url string
	for i := 0; i < 500 && url == ""; i++ {
		b, _ := os.ReadFile(filepath.Join(dir, server.AddressFile))
		url = strings.TrimSpace(string(b))
		time.Sleep(5 * time.Millisecond)
	}
	if url == "" {
		t.Fatal("server did not write its address")
	}
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get(url + "/tenant/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-started
	cancel() // as SIGTERM does in `tokend serve`
	if body := <-got; body != "done" {
		t.Errorf("in-flight request: %q", body)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Errorf("server still accepts connections after shutdown")
	}
}

// Fixed surfaces take precedence over tenant names: a mounted segment goes
// to its surface in any case, a reserved one that nothing serves yet is a
// 404 and never reaches the tenant paths, and anything else is a tenant.
func TestMountsAndReservedSegmentsBeforeTenants(t *testing.T) {
	t.Parallel()
	answer := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) })
	}
	s := server.New(server.Options{
		Store:    storagetest.SQLite(t),
		Mounts:   map[string]http.Handler{"subscriptions": answer("arm"), "playwright": answer("data plane")},
		Fallback: answer("tenant"),
	})
	cases := []struct {
		path, want string
		status     int
	}{
		{"/subscriptions/x", "arm", 200},
		{"/SUBSCRIPTIONS/x", "arm", 200},
		{"/playwright/accounts/a", "data plane", 200},
		{"/common/oauth2/v2.0/token", "tenant", 200},
		{"/adfs/.well-known/openid-configuration", "tenant", 200},
		{"/00000000-0000-0000-0000-000000000001/v2.0/.well-known/openid-configuration", "tenant", 200},
	}
	for _, seg := range server.ReservedSegments {
		switch seg {
		case "subscriptions", "playwright", "healthz", "readyz", "metrics":
			continue // served above or by the server itself
		}
		cases = append(cases, struct {
			path, want string
			status     int
		}{"/" + seg + "/oauth2/v2.0/token", "", 404}, struct {
			path, want string
			status     int
		}{"/" + strings.ToUpper(seg) + "/x", "", 404})
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, c.path, nil))
		if w.Code != c.status || c.want != "" && w.Body.String() != c.want {
			t.Errorf("%s: %d %q, want %d %q", c.path, w.Code, w.Body, c.status, c.want)
		}
		if c.status == 404 && w.Body.String() == "tenant" {
			t.Errorf("%s reached the tenant paths", c.path)
		}
	}
	for _, want := range []string{"metadata", "msi", "oidc", "accounts", "playwrightworkspaces", "console", "admin", "locations"} {
		if !slices.Contains(server.ReservedSegments, want) {
			t.Errorf("%q is not reserved", want)
		}
	}
}

func TestDoubledLeadingSlashIsTheSamePath(t *testing.T) {
	t.Parallel()
	s := server.New(server.Options{
		Store:    storagetest.SQLite(t),
		Mounts:   map[string]http.Handler{"subscriptions": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "arm") })},
		Fallback: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "tenant") }),
	})
	for _, p := range []string{"/subscriptions/x", "//subscriptions/x", "///subscriptions/x"} {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Body.String() != "arm" {
			t.Errorf("%s reached %q", p, w.Body)
		}
	}
}
