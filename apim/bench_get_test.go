package apim_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
)

// fullStack is tokend's HTTP stack in process, as `tokend serve` composes
// it: the server middleware, the ARM router with the real identity service
// (bearer verification, RBAC) and the APIM provider, over HTTPS; e serves
// the same store without authentication, for seeding.
type fullStack struct {
	e      *env
	ts     *httptest.Server
	client *http.Client
	token  string
}

func startFullStack(b testing.TB, store tokend.Store) *fullStack {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	tenant := uuid.NewString()
	if err := store.CreateTenant(ctx, &tokend.Tenant{ID: tenant, DisplayName: "t", CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	e := newEnvOn(b, store, uuid.NewString(), "rg1", pipeline.Options{})
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	idp, err := identity.New(ctx, identity.Config{Store: store, Box: testBox(b), DefaultTenantID: tenant, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	go idp.Run(ctx)
	ts := testkit.Stack{Store: store, Providers: []*pipeline.Provider{provider(b, store)},
		Options: pipeline.Options{Authenticator: idp, Authorizer: idp.Authorizer()}, Fallback: idp.Handler()}.Serve(b)
	idp.SetBaseURL(ts.URL)
	boot, err := idp.EnsureBootstrap(ctx)
	if err != nil {
		b.Fatal(err)
	}
	client := ts.Client()
	tr := client.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = 256
	tr.TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(64)

	// The official credential signs in once; its token is then reused, as
	// azcore's bearer policy reuses a cached token.
	cred, err := azidentity.NewClientSecretCredential(tenant, boot.Client.ID, boot.Secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: ts.URL + "/"},
			Transport: client, Retry: policy.RetryOptions{MaxRetries: -1},
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		b.Fatal(err)
	}
	return &fullStack{e: e, ts: ts, client: client, token: tok.Token}
}

func (fs *fullStack) get(path string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, fs.ts.URL+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+fs.token)
	resp, err := fs.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// BenchmarkGetFullStack is GET of an authorization server through the whole
// stack over HTTPS keep-alive, with a cached bearer token, from parallel
// clients (the client runs on the same cores). Target: ≥ 8,000/s.
//
//	go test ./apim -run '^$' -bench BenchmarkGetFullStack -benchtime 5s
func BenchmarkGetFullStack(b *testing.B) {
	for _, eng := range testkit.Engines() {
		b.Run(eng.Name, func(b *testing.B) {
			fs := startFullStack(b, eng.Open(b))
			e := fs.e // seeds without tokens
			e.createService("bench")
			seedBenchServers(b, e, "bench", 1000)
			analyze(b, e.store)
			paths := make([]string, 1000)
			for i := range paths {
				paths[i] = e.serverPath("bench", benchServerName(i)) + "?api-version=" + apiVersion
			}
			if code, err := fs.get(paths[0]); err != nil || code != http.StatusOK {
				b.Fatalf("warm-up GET: %d %v", code, err)
			}
			var next atomic.Int64
			b.SetParallelism(8) // 16 client goroutines on 2 cores keep the server busy
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					code, err := fs.get(paths[i%int64(len(paths))])
					if err != nil || code != http.StatusOK {
						b.Errorf("GET: %d %v", code, err)
						return
					}
				}
			})
			wall, cpu := time.Since(start), processCPU()-cpu0
			b.ReportMetric(float64(b.N)/wall.Seconds(), "req/s")
			// The machine is shared: wall-clock throughput depends on what
			// else runs. CPU time per request (server and client together,
			// both in this process) does not, and bounds what two cores
			// can serve: 2 s / cpu-per-request.
			perReq := cpu.Seconds() / float64(b.N)
			b.ReportMetric(perReq*1e6, "cpu-µs/op")
			b.ReportMetric(2/perReq, "req/s@2cores")
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchServerName(i int) string {
	return [...]string{"ci", "dev", "prod", "test"}[i%4] + "-auth-" + pad6(i)
}

func pad6(i int) string {
	s := []byte("000000")
	for j := 5; j >= 0 && i > 0; j-- {
		s[j] = byte('0' + i%10)
		i /= 10
	}
	return string(s)
}

// BenchmarkGetRouter is the same GET through the ARM router alone (no TLS,
// no token): the pipeline's scope checks and this provider's handler, to
// attribute the full-stack figure.
//
//	go test ./apim -run '^$' -bench BenchmarkGetRouter
func BenchmarkGetRouter(b *testing.B) {
	for _, eng := range testkit.Engines() {
		b.Run(eng.Name, func(b *testing.B) {
			e := newEnvOn(b, eng.Open(b), testSub, "rg1", pipeline.Options{})
			e.createService("bench")
			seedBenchServers(b, e, "bench", 1000)
			analyze(b, e.store)
			rt := armRouter(b, e.store)
			paths := make([]string, 1000)
			for i := range paths {
				paths[i] = "https://tokend.test" + e.serverPath("bench", benchServerName(i)) + "?api-version=" + apiVersion
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					w := httptest.NewRecorder()
					rt.ServeHTTP(w, httptest.NewRequest(http.MethodGet, paths[next.Add(1)%int64(len(paths))], nil))
					if w.Code != http.StatusOK {
						b.Errorf("GET: %d %s", w.Code, w.Body)
						return
					}
				}
			})
		})
	}
}

// armRouter is the ARM surface's router alone over store, with the APIM
// provider and no authentication: what the router benchmarks measure, without
// the server's middleware in front.
func armRouter(b testing.TB, store tokend.Store) http.Handler {
	b.Helper()
	opts := pipeline.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rt, surface := arm.NewRouter(arm.Config{Store: store}, &opts)
	if _, err := surface.Mount(rt, &opts, provider(b, store)); err != nil {
		b.Fatal(err)
	}
	return rt
}
