package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/app"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// Benchmarks of the browsers gateway on the real composition (identity's
// issuer and authorizer, SQLite), each with its ceiling in the same run
// (docs/performance.md, issue 15):
//
//	go test ./app -run '^$' -bench BrowsersGateway -benchtime 3000x -count 3
//
// upgrade-auth is an upgrade request with an access token through every
// step before the upgrade (bearer check with the token's row and hash,
// workspace scope and localAuth, the creator's role) to the gateway's
// decision, on a gateway without a browser server (its 503 is the
// cheapest decision); the gateway's cost is then the proxying, measured
// by roundtrip (a 64-byte message echoed: p50, p99, p99 added) and bulk
// (1 MiB messages echoed: throughput, CPU and their ratios, and the
// median of the pairs' ratios), each on a direct connection to the echo
// server and through the gateway, both plain ws:// over loopback,
// alternating in one loop.

type gatewayBench struct {
	handler   http.Handler
	workspace string
	jwt       string
	echo      *httptest.Server
}

func newGatewayBench(b *testing.B, upstream string) *gatewayBench {
	b.Helper()
	ctx := context.Background()
	store := storagetest.SQLite(b)
	box, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	const tenant, sub = "6f0f7b43-0000-4000-8000-00000000b001", "6f0f7b43-0000-4000-8000-00000000b002"
	if err := store.CreateTenant(ctx, &tokend.Tenant{ID: tenant, DisplayName: "bench", CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	testkit.Subscription(b, store, sub, tenant)
	a, err := app.New(ctx, app.Config{Store: store, Box: box, TenantID: tenant, PublicURL: "https://tokend.bench",
		PlaywrightBrowsers: playwright.GatewayConfig{Upstream: upstream, MaxSessions: 1 << 20}})
	if err != nil {
		b.Fatal(err)
	}
	oid := uuid.NewString()
	if _, err := a.Identity.Assignments.Assign(ctx, oid, "Owner", "/"); err != nil {
		b.Fatal(err)
	}
	sign := func(aud string) string {
		tok, err := a.Identity.ClaimsSigner().Sign(ctx, map[string]any{"aud": aud, "oid": oid, "sub": oid, "tid": tenant,
			"exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Add(-time.Minute).Unix()})
		if err != nil {
			b.Fatal(err)
		}
		return tok
	}
	call := func(method, path, token string, body any) []byte {
		raw, _ := json.Marshal(body)
		req := httptest.NewRequest(method, "https://tokend.bench"+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, req)
		if w.Code/100 != 2 {
			b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		return w.Body.Bytes()
	}
	var ws struct{ Properties struct{ WorkspaceID string } }
	_ = json.Unmarshal(call(http.MethodPut, "/subscriptions/"+sub+"/resourceGroups/bench/providers/Microsoft.LoadTestService/playwrightWorkspaces/bench?api-version=2025-10-01",
		sign("https://management.core.windows.net/"), map[string]any{"location": "eastus", "properties": map[string]any{"localAuth": "Enabled"}}), &ws)
	var tok struct{ JWTToken string }
	_ = json.Unmarshal(call(http.MethodPut, "/playwrightworkspaces/"+ws.Properties.WorkspaceID+"/access-tokens/"+uuid.NewString()+"?api-version=2025-09-01",
		sign(playwright.Audience), map[string]any{"name": "bench", "expiryAt": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)}), &tok)
	if ws.Properties.WorkspaceID == "" || tok.JWTToken == "" {
		b.Fatal("no workspace or token")
	}
	return &gatewayBench{handler: a.Handler(), workspace: ws.Properties.WorkspaceID, jwt: tok.JWTToken}
}

func newEcho(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(8 << 20)
		ctx := context.Background()
		for {
			typ, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			wr, err := c.Writer(ctx, typ)
			if err != nil {
				return
			}
			if _, err := io.Copy(wr, rd); err != nil {
				return
			}
			if err := wr.Close(); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkBrowsersGateway(b *testing.B) {
	b.Run("upgrade-auth", func(b *testing.B) {
		g := newGatewayBench(b, "")
		target := "https://tokend.bench/playwrightworkspaces/" + g.workspace + "/browsers?os=Linux&api-version=2025-09-01"
		var wrong atomic.Int64
		b.ReportAllocs()
		cpu0 := cpuTime(b)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				req.Header.Set("Authorization", "Bearer "+g.jwt)
				req.Header.Set("Connection", "Upgrade")
				req.Header.Set("Upgrade", "websocket")
				req.Header.Set("Sec-WebSocket-Version", "13")
				req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
				w := httptest.NewRecorder()
				g.handler.ServeHTTP(w, req)
				if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "NoBrowserServer") {
					wrong.Add(1)
				}
			}
		})
		b.StopTimer()
		if n := wrong.Load(); n > 0 {
			b.Fatalf("%d upgrades did not reach the gateway's decision", n)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "upgrades/s")
		// CPU per upgrade, and what two idle cores would sustain: the
		// machine is shared, so wall-clock rates measure the neighbours.
		per := float64((cpuTime(b) - cpu0).Microseconds()) / float64(b.N)
		b.ReportMetric(per, "cpu-µs/op")
		b.ReportMetric(2e6/per, "ops/s@2cpu")
	})

	echo := newEcho(b)
	upstream := "ws://" + strings.TrimPrefix(echo.URL, "http://") + "/"
	g := newGatewayBench(b, upstream)
	srv := httptest.NewServer(g.handler) // plain HTTP: the proxying's cost, not TLS's
	b.Cleanup(srv.Close)
	dial := func(b *testing.B, via string) *websocket.Conn {
		u, h := upstream, http.Header{}
		if via == "gateway" {
			u = "ws://" + strings.TrimPrefix(srv.URL, "http://") + "/playwrightworkspaces/" + g.workspace + "/browsers?os=Linux&api-version=2025-09-01"
			h.Set("Authorization", "Bearer "+g.jwt)
		}
		c, resp, err := websocket.Dial(context.Background(), u, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			b.Fatalf("dial %s: %v %v", via, err, resp)
		}
		c.SetReadLimit(8 << 20)
		b.Cleanup(func() { c.CloseNow() })
		return c
	}
	direct, gateway := dial(b, "direct"), dial(b, "gateway")
	// Both paths are timed in the same loop, alternating which goes first,
	// so that they meet the same neighbours: on a shared machine two
	// separate runs measure the load as much as the paths.
	pair := func(i int) [2]*websocket.Conn {
		if i%2 == 0 {
			return [2]*websocket.Conn{direct, gateway}
		}
		return [2]*websocket.Conn{gateway, direct}
	}
	b.Run("roundtrip", func(b *testing.B) {
		msg := bytes.Repeat([]byte("x"), 64)
		ctx := context.Background()
		lat := map[*websocket.Conn][]time.Duration{direct: make([]time.Duration, 0, b.N), gateway: make([]time.Duration, 0, b.N)}
		b.ResetTimer()
		for i := range b.N {
			for _, c := range pair(i) {
				start := time.Now()
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.Read(ctx); err != nil {
					b.Fatal(err)
				}
				lat[c] = append(lat[c], time.Since(start))
			}
		}
		b.StopTimer()
		pct := func(c *websocket.Conn, p int) float64 {
			l := lat[c]
			slices.Sort(l)
			return float64(l[(len(l)-1)*p/100].Nanoseconds()) / 1e3
		}
		b.ReportMetric(pct(direct, 50), "direct-p50-µs")
		b.ReportMetric(pct(gateway, 50), "gateway-p50-µs")
		b.ReportMetric(pct(direct, 99), "direct-p99-µs")
		b.ReportMetric(pct(gateway, 99), "gateway-p99-µs")
		b.ReportMetric(pct(gateway, 99)-pct(direct, 99), "added-p99-µs")
	})
	b.Run("bulk", func(b *testing.B) {
		msg := bytes.Repeat([]byte("y"), 1<<20)
		ctx := context.Background()
		wall := map[*websocket.Conn]time.Duration{}
		cpu := map[*websocket.Conn]time.Duration{}
		// pairRatios are each pair's direct time over its gateway time:
		// a burst of the neighbours' load lands on a few pairs, which
		// the median leaves out while it moves the sums.
		pairRatios := make([]float64, 0, b.N)
		b.SetBytes(2 * 2 << 20) // 1 MiB there and back, on each path
		b.ResetTimer()
		for i := range b.N {
			took := map[*websocket.Conn]time.Duration{}
			for _, c := range pair(i) {
				start, cpu0 := time.Now(), cpuTime(b)
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, got, err := c.Read(ctx); err != nil || len(got) != len(msg) {
					b.Fatal(fmt.Sprint(err, len(got)))
				}
				took[c] = time.Since(start)
				wall[c] += took[c]
				cpu[c] += cpuTime(b) - cpu0
			}
			pairRatios = append(pairRatios, took[direct].Seconds()/took[gateway].Seconds())
		}
		b.StopTimer()
		slices.Sort(pairRatios)
		b.ReportMetric(100*pairRatios[len(pairRatios)/2], "median-pair-ratio-%")
		mbps := func(d time.Duration) float64 { return float64(b.N) * 2 * (1 << 20) / 1e6 / d.Seconds() }
		b.ReportMetric(mbps(wall[direct]), "direct-MB/s")
		b.ReportMetric(mbps(wall[gateway]), "gateway-MB/s")
		b.ReportMetric(100*wall[direct].Seconds()/wall[gateway].Seconds(), "ratio-%")
		// CPU per transfer, the whole process's: client, gateway and echo
		// server share it and the cores, so the wall-clock ratio is
		// bounded by this one (direct's CPU over the gateway's).
		b.ReportMetric(float64(cpu[direct].Microseconds())/float64(b.N), "direct-cpu-µs/op")
		b.ReportMetric(float64(cpu[gateway].Microseconds())/float64(b.N), "gateway-cpu-µs/op")
		b.ReportMetric(100*cpu[direct].Seconds()/cpu[gateway].Seconds(), "cpu-ratio-%")
	})
}

// cpuTime is the process's user + system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
