package identity

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/audit"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// BenchmarkTokenIssuance drives the token endpoint the way MSAL does (form
// POST, client_secret_post, the ARM scope plus OpenID scopes) over TLS with
// keep-alive, from parallel clients, against an ES256 issuer on SQLite.
func BenchmarkTokenIssuance(b *testing.B) { benchmarkTokenIssuance(b, nil) }

// BenchmarkTokenIssuanceAudited is the same with the audit log on (issue
// 16: at least 85 % of the rate without it), to a file fsynced per batch
// and to one left to the OS to flush.
func BenchmarkTokenIssuanceAudited(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		name := "fsync"
		if noSync {
			name = "no-fsync"
		}
		b.Run(name, func(b *testing.B) {
			log, err := audit.Open(b.Context(), audit.Options{Node: "bench", File: filepath.Join(b.TempDir(), "audit.jsonl"),
				NoSync: noSync, Hasher: audit.NewHasher([]byte("salt"))})
			if err != nil {
				b.Fatal(err)
			}
			defer log.Close()
			benchmarkTokenIssuance(b, func(c *Config) { c.Audit = log })
		})
	}
}

func benchmarkTokenIssuance(b *testing.B, mutate func(*Config)) {
	ts := startServer(b, storagetest.SQLite(b), mutate)
	body := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {ts.boot.Client.ID}, "client_secret": {ts.boot.Secret},
		"scope":  {"https://management.core.windows.net//.default openid offline_access profile"},
		"claims": {`{"access_token":{"xms_cc":{"values":["CP1"]}}}`},
	}.Encode()
	tokenURL := ts.tokenURL()
	b.SetParallelism(4) // 8 concurrent clients on 2 cores
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			resp, err := ts.HTTP.Do(req)
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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	reportCPU(b, cpu0)
}

// processCPU is the CPU time (user+system) this process has used. On a
// shared machine wall-clock rates depend on the neighbours; CPU per
// operation does not, and capacity on an idle box follows from it.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds CPU µs per operation (client and server together, for
// the HTTP benchmark) and the rate two idle cores would sustain at that cost.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	per := float64(processCPU()-cpu0) / float64(b.N) / 1e3
	b.ReportMetric(per, "cpu-µs/op")
	if per > 0 {
		b.ReportMetric(2e6/per, "ops/s@2cpu")
	}
}

// BenchmarkBearerCheckCached is the ARM pipeline's Authenticate for a token
// seen before: hash, cache hit, times, deny list, validators, audience.
func BenchmarkBearerCheckCached(b *testing.B) {
	s, _ := testService(b, storagetest.SQLite(b), nil)
	r := bearerRequest(mustAccessToken(b, s, mustClientNoRole(b, s), ResourceManagement))
	ctx := context.Background()
	if _, err := s.Authenticate(ctx, r, tokend.AudienceManagement); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Authenticate(ctx, r, tokend.AudienceManagement); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0)
}

// BenchmarkBearerCheckUncached is the same for tokens never seen: every
// iteration parses and verifies an ES256 signature.
func BenchmarkBearerCheckUncached(b *testing.B) {
	s, _ := testService(b, storagetest.SQLite(b), nil)
	c := mustClientNoRole(b, s)
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		reqs[i] = bearerRequest(mustAccessToken(b, s, c, ResourceManagement))
	}
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Authenticate(ctx, reqs[i], tokend.AudienceManagement); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0)
}

// BenchmarkSignAccessToken is issuance without HTTP: claims, JSON, ES256.
func BenchmarkSignAccessToken(b *testing.B) {
	s, _ := testService(b, storagetest.SQLite(b), nil)
	c := mustClientNoRole(b, s)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.issueAccessToken(ctx, "https://tokend.test", s.cfg.DefaultTenantID, c.ID, c.ObjectID, ResourceManagement, acrSecret); err != nil {
			b.Fatal(err)
		}
	}
}
