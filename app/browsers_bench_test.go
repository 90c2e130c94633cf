package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
	gorilla "github.com/gorilla/websocket"

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
// by roundtrip (a 64-byte message echoed: p50, p99, p99 added) and by
// bulk and bulk-frames (1 MiB messages echoed between two kinds of ends:
// throughput, CPU and their ratios, and the median of the rounds'
// ratios), each on a direct connection to the echo server, through a
// bare splicing relay (the ceiling of any proxy here) and through the
// gateway, all plain ws:// over loopback, alternating in one loop.
// e2e's BenchmarkPlaywrightBulk measures bulk with Playwright's own ends.

type gatewayBench struct {
	handler   http.Handler
	workspace string
	jwt       string
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

// newWholeFrameEcho echoes each message in one frame written at once.
func newWholeFrameEcho(b *testing.B) *httptest.Server {
	up := gorilla.Upgrader{ReadBufferSize: 64 << 10, WriteBufferSize: 1<<20 + 16}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, msg); err != nil {
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

	// Three paths to the same echo server, each timed in the same loop,
	// alternating which goes first, so that they meet the same
	// neighbours (on a shared machine two separate runs measure the load
	// as much as the paths): direct; through a bare TCP relay that
	// splices socket to socket and does nothing else, the ceiling of any
	// proxy on this machine (the extra loopback hop's cost in the
	// kernel); and through the gateway.
	coder := newPaths(b, newEcho(b), func(b *testing.B, u string, h http.Header) echoer {
		c, resp, err := websocket.Dial(context.Background(), u, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			b.Fatalf("dial %s: %v %v", u, err, resp)
		}
		c.SetReadLimit(8 << 20)
		b.Cleanup(func() { c.CloseNow() })
		return coderClient{c}
	})
	b.Run("roundtrip", func(b *testing.B) {
		msg := bytes.Repeat([]byte("x"), 64)
		direct, gateway := coder.direct, coder.gateway
		lat := map[echoer][]time.Duration{direct: make([]time.Duration, 0, b.N), gateway: make([]time.Duration, 0, b.N)}
		b.ResetTimer()
		all := []echoer{direct, gateway}
		for i := range b.N {
			for k := range all {
				c := all[(i+k)%len(all)]
				start := time.Now()
				if _, err := c.echo(msg); err != nil {
					b.Fatal(err)
				}
				lat[c] = append(lat[c], time.Since(start))
			}
		}
		b.StopTimer()
		pct := func(c echoer, p int) float64 {
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
	// Bulk echoes 1 MiB messages between two kinds of ends: "bulk" with
	// coder/websocket's, whose client masks a message through its 4 KiB
	// buffer (256 writes a message) and whose echo answers in 32 KiB
	// frames; "bulk-frames" with ends that write each message as one
	// frame in one system call, as Playwright's client and browser server
	// do (the ws package corks a frame and its header). The cheaper the
	// ends, the larger the extra hop's share.
	b.Run("bulk", func(b *testing.B) { bulk(b, coder) })
	frames := newPaths(b, newWholeFrameEcho(b), func(b *testing.B, u string, h http.Header) echoer {
		d := gorilla.Dialer{ReadBufferSize: 64 << 10, WriteBufferSize: 1<<20 + 16}
		c, resp, err := d.Dial(u, h)
		if err != nil {
			b.Fatalf("dial %s: %v %v", u, err, resp)
		}
		b.Cleanup(func() { c.Close() })
		return wholeFrames{c}
	})
	b.Run("bulk-frames", func(b *testing.B) { bulk(b, frames) })
}

// paths are one client's three connections to an echo server.
type paths struct{ direct, relay, gateway echoer }

// newPaths puts a bare relay and a gateway (plain HTTP: the proxying's
// cost, not TLS's) in front of echo and dials each path with dial.
func newPaths(b *testing.B, echo *httptest.Server, dial func(b *testing.B, url string, h http.Header) echoer) paths {
	host := strings.TrimPrefix(echo.URL, "http://")
	g := newGatewayBench(b, "ws://"+host+"/")
	srv := httptest.NewServer(g.handler)
	b.Cleanup(srv.Close)
	auth := http.Header{"Authorization": {"Bearer " + g.jwt}}
	return paths{
		direct: dial(b, "ws://"+host+"/", nil),
		relay:  dial(b, "ws://"+newBareRelay(b, host)+"/", nil),
		gateway: dial(b, "ws://"+strings.TrimPrefix(srv.URL, "http://")+"/playwrightworkspaces/"+g.workspace+
			"/browsers?os=Linux&api-version=2025-09-01", auth),
	}
}

// newBareRelay listens on loopback and splices every connection to
// upstream, both ways (io.Copy between two *net.TCPConn): no HTTP, no
// authentication, only the hop.
func newBareRelay(b *testing.B, upstream string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			b.Cleanup(func() { c.Close(); up.Close() })
			go io.Copy(up, c)
			go io.Copy(c, up)
		}
	}()
	return l.Addr().String()
}

// echoer sends a message and reads its echo.
type echoer interface {
	echo(msg []byte) ([]byte, error)
}

type coderClient struct{ *websocket.Conn }

func (c coderClient) echo(msg []byte) ([]byte, error) {
	ctx := context.Background()
	if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
		return nil, err
	}
	_, got, err := c.Read(ctx)
	return got, err
}

type wholeFrames struct{ *gorilla.Conn }

func (c wholeFrames) echo(msg []byte) ([]byte, error) {
	if err := c.WriteMessage(gorilla.BinaryMessage, msg); err != nil {
		return nil, err
	}
	_, got, err := c.ReadMessage()
	return got, err
}

// bulk echoes 1 MiB messages on the three paths, rotating which goes
// first.
func bulk(b *testing.B, p paths) {
	msg := bytes.Repeat([]byte("y"), 1<<20)
	all := []echoer{p.direct, p.relay, p.gateway}
	wall := map[echoer]time.Duration{}
	cpu := map[echoer]time.Duration{}
	// pairRatios are each round's direct time over its gateway time: a
	// burst of the neighbours' load lands on a few rounds, which the
	// median leaves out while it moves the sums.
	pairRatios := make([]float64, 0, b.N)
	b.SetBytes(3 * 2 << 20) // 1 MiB there and back, on each path
	b.ResetTimer()
	for i := range b.N {
		took := map[echoer]time.Duration{}
		for k := range all {
			c := all[(i+k)%len(all)]
			start, cpu0 := time.Now(), cpuTime(b)
			if got, err := c.echo(msg); err != nil || len(got) != len(msg) {
				b.Fatal(fmt.Sprint(err, len(got)))
			}
			took[c] = time.Since(start)
			wall[c] += took[c]
			cpu[c] += cpuTime(b) - cpu0
		}
		pairRatios = append(pairRatios, took[p.direct].Seconds()/took[p.gateway].Seconds())
	}
	b.StopTimer()
	slices.Sort(pairRatios)
	b.ReportMetric(100*pairRatios[len(pairRatios)/2], "median-pair-ratio-%")
	mbps := func(d time.Duration) float64 { return float64(b.N) * 2 * (1 << 20) / 1e6 / d.Seconds() }
	b.ReportMetric(mbps(wall[p.direct]), "direct-MB/s")
	b.ReportMetric(mbps(wall[p.relay]), "relay-MB/s")
	b.ReportMetric(mbps(wall[p.gateway]), "gateway-MB/s")
	b.ReportMetric(100*wall[p.direct].Seconds()/wall[p.gateway].Seconds(), "ratio-%")
	// The relay's ratio is the ceiling: what any proxy reaches here.
	b.ReportMetric(100*wall[p.direct].Seconds()/wall[p.relay].Seconds(), "relay-ratio-%")
	b.ReportMetric(100*wall[p.relay].Seconds()/wall[p.gateway].Seconds(), "of-relay-%")
	// CPU per transfer, the whole process's: client, proxy and echo
	// server share it and the cores, so the wall-clock ratio is bounded
	// by this one (direct's CPU over the gateway's).
	b.ReportMetric(float64(cpu[p.direct].Microseconds())/float64(b.N), "direct-cpu-µs/op")
	b.ReportMetric(float64(cpu[p.relay].Microseconds())/float64(b.N), "relay-cpu-µs/op")
	b.ReportMetric(float64(cpu[p.gateway].Microseconds())/float64(b.N), "gateway-cpu-µs/op")
	b.ReportMetric(100*cpu[p.direct].Seconds()/cpu[p.gateway].Seconds(), "cpu-ratio-%")
}

// cpuTime is the process's user + system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
