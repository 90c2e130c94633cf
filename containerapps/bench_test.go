package containerapps_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/containerapps"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// stack is tokend's handler stack as serve builds it, in process: the
// server's routing and middleware, the ARM pipeline with the real issuer's
// bearer check and role evaluation, Microsoft.Resources, this provider (its
// token validator registered with the issuer), and the identity endpoints,
// over HTTPS.
type stack struct {
	srv    *httptest.Server
	client *http.Client
	id     *identity.Service
	token  string // a management token of a Contributor on the subscription
}

func newStack(tb testing.TB, store tokend.Store, alg string) *stack {
	tb.Helper()
	ctx := context.Background()
	if err := store.CreateTenant(ctx, &tokend.Tenant{ID: tenantID, DisplayName: "t", CreatedAt: time.Now()}); err != nil {
		tb.Fatal(err)
	}
	testkit.Subscription(tb, store, sub, tenantID)
	box := newBox(tb)
	id, err := identity.New(ctx, identity.Config{Store: store, Box: box, DefaultTenantID: tenantID, SigningAlg: alg})
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := containerapps.New(containerapps.Config{Store: store, Box: box, Signer: id.ClaimsSigner()})
	if err != nil {
		tb.Fatal(err)
	}
	p := svc.Describe()
	for _, v := range p.TokenValidators {
		id.AddPayloadValidator(v)
	}
	h := testkit.Stack{
		Store: store, Providers: []*pipeline.Provider{p},
		Options:  pipeline.Options{Authenticator: id, Authorizer: id.Authorizer()},
		Fallback: id.Handler(),
	}.Handler(tb)
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = false // the official SDKs speak HTTP/1.1 to ARM
	// Connections cut by Close at the end of a run are not worth a line.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	id.SetBaseURL(srv.URL)

	client := srv.Client()
	tr := client.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = 64
	tr.TLSClientConfig.MinVersion = tls.VersionTLS12

	const oid = "bbbbbbbb-0000-4000-8000-000000000001"
	if _, err := id.Assignments.Assign(ctx, oid, identity.RoleContributor, "/subscriptions/"+sub); err != nil {
		tb.Fatal(err)
	}
	token, err := id.ClaimsSigner().Sign(ctx, map[string]any{
		"aud": identity.ResourceManagement, "oid": oid, "sub": oid, "tid": tenantID,
		"azp": "cccccccc-0000-4000-8000-000000000001", "exp": time.Now().Add(2 * time.Hour).Unix(),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &stack{srv: srv, client: client, id: id, token: token}
}

func (s *stack) do(tb testing.TB, method, path, body string) (int, []byte) {
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The full stack in process: a Contributor's token works, the minted
// token verifies with the issuer and stops verifying once the app is gone.
func TestStackGetAuthToken(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		s := newStack(t, store, identity.AlgES256)
		path := appURL("rg", "app") + "?api-version=" + apiV3
		body, _ := json.Marshal(minimalApp("eastus"))
		if st, b := s.do(t, http.MethodPut, path, string(body)); st != http.StatusCreated {
			t.Fatalf("create: %d %s", st, b)
		}
		st, b := s.do(t, http.MethodPost, strings.Replace(path, "?", "/getAuthtoken?", 1), "")
		if st != http.StatusOK {
			t.Fatalf("getAuthtoken: %d %s", st, b)
		}
		validate(t, "ContainerAppAuthToken", b)
		var tr tokenResponse
		_ = json.Unmarshal(b, &tr)
		c, err := s.id.Verify(context.Background(), tr.Properties.Token)
		if err != nil {
			t.Fatalf("issuer refuses its own container app token: %v", err)
		}
		if !c.Audience.Contains(containerapps.Audience(tr.ID)) || c.ObjectID != "bbbbbbbb-0000-4000-8000-000000000001" {
			t.Errorf("claims: %+v", c)
		}
		// The app's token is no management token.
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tr.Properties.Token)
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("ARM accepted a container app token: %d", resp.StatusCode)
		}
		if st, b := s.do(t, http.MethodDelete, path, ""); st != http.StatusOK {
			t.Fatalf("delete: %d %s", st, b)
		}
		if _, err := s.id.Verify(context.Background(), tr.Properties.Token); err == nil || !strings.Contains(err.Error(), "no longer exists") {
			t.Errorf("token of a deleted app: %v", err)
		}
	})
}

// BenchmarkGetAuthToken drives getAuthtoken end to end over HTTPS with
// keep-alive from parallel clients: bearer check, role evaluation, app
// lookup, signing and the response, through the server's middleware. The
// store is SQLite, as in the figures of docs/performance.md.
//
//	go test ./containerapps -run '^$' -bench GetAuthToken -benchtime 5s
func BenchmarkGetAuthToken(b *testing.B) {
	for _, alg := range []string{identity.AlgES256, identity.AlgEdDSA} {
		b.Run(alg, func(b *testing.B) {
			s := newStack(b, storagetest.SQLite(b), alg)
			path := appURL("rg", "bench-app") + "?api-version=" + apiV3
			body, _ := json.Marshal(minimalApp("eastus"))
			if st, out := s.do(b, http.MethodPut, path, string(body)); st != http.StatusCreated {
				b.Fatalf("create: %d %s", st, out)
			}
			url := s.srv.URL + strings.Replace(path, "?", "/getAuthtoken?", 1)
			b.SetParallelism(4) // several requests in flight per core, as clients do
			s.warm(b, url, 4*runtime.GOMAXPROCS(0))
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, url, nil)
					req.Header.Set("Authorization", "Bearer "+s.token)
					resp, err := s.client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tokens/s")
			// CPU time per token, client and server together: what the
			// machine can do when nothing else competes for its cores is
			// GOMAXPROCS / this.
			perToken := float64((processCPU() - cpu0).Microseconds()) / float64(b.N)
			b.ReportMetric(perToken, "cpu-µs/token")
			procs := runtime.GOMAXPROCS(0)
			b.ReportMetric(float64(procs)*1e6/perToken, fmt.Sprintf("tokens/s@%dcpu", procs))
		})
	}
}

// warm opens n keep-alive connections (TLS handshakes are not what is
// measured) by sending n requests at once.
func (s *stack) warm(b *testing.B, url string, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, url, nil)
			req.Header.Set("Authorization", "Bearer "+s.token)
			resp, err := s.client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}()
	}
	wg.Wait()
}

// processCPU is the CPU time this process has used (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
