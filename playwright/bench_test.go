package playwright_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/storage/postgres"
	"github.com/tokend-dev/tokend/storage/sqlite"
	"github.com/tokend-dev/tokend/storage/storagetest"
	"github.com/tokend-dev/tokend/wire"
)

// The list benchmarks run on the data set: benchTokens tokens in one
// account and as many again spread over 1,000 other accounts. Seeding two
// million rows takes a while, so it happens only under -bench, and once per
// size: the SQLite file is kept in $TMPDIR/tokend-playwright-bench and the
// PostgreSQL data in schema playwright_bench_<size> (drop it to reseed).
// TOKEND_PW_BENCH_TOKENS sets a smaller size for a quick run.

const (
	benchAccount   = "eastus_00000000-0000-4000-8000-000000000000"
	benchOthers    = 1000
	benchFilter    = "state eq 'Active' and startswith(name,'ci')"
	benchOrderBy   = "expiryAt desc"
	benchCreatedBy = "11111111-0000-0000-0000-000000000001"
)

func benchTokens() int {
	if n, err := strconv.Atoi(os.Getenv("TOKEND_PW_BENCH_TOKENS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var benchEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// benchToken is row i of the data set: main-account rows first, then the
// others. Names start with one of five prefixes (a fifth with "ci"); expiry
// times spread over 2020–2040, so about a third have expired by now; ids
// are scrambled so that id order says nothing about the other fields.
func benchToken(i, n int) *tokend.AccessToken {
	account := benchAccount
	if i >= n {
		account = fmt.Sprintf("westus_%08d-0000-4000-8000-000000000000", i%benchOthers)
	}
	h := uint64(i)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	h ^= h >> 29
	prefix := [...]string{"ci", "dev", "nightly", "release", "load"}[i%5]
	return &tokend.AccessToken{
		AccountID: account,
		ID:        fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(h), uint16(h>>32), uint16(h>>48)&0xfff, i&0xfff, i),
		Name:      fmt.Sprintf("%s%07d", prefix, i),
		Hash:      h32(h),
		CreatedAt: benchEpoch.Add(time.Duration(i) * time.Millisecond),
		ExpiryAt:  benchEpoch.Add(time.Duration(h%(20*365*24*3600)) * time.Second),
		CreatedBy: benchCreatedBy,
	}
}

func h32(h uint64) []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(h >> (8 * (i % 8)))
	}
	return b
}

// benchStores opens each engine's seeded store once per process.
var benchStores sync.Map // engine name → *benchStoreEntry

type benchStoreEntry struct {
	once  sync.Once
	store tokend.Store
	err   error
}

func seededStore(b *testing.B, engine string) tokend.Store {
	b.Helper()
	v, _ := benchStores.LoadOrStore(engine, &benchStoreEntry{})
	e := v.(*benchStoreEntry)
	e.once.Do(func() {
		switch engine {
		case "sqlite":
			e.store, e.err = seededSQLite(b, benchTokens())
		case "postgres":
			e.store, e.err = seededPostgres(b, benchTokens())
		}
	})
	if e.err != nil {
		if errors.Is(e.err, errNoPostgres) {
			b.Skip(e.err)
		}
		b.Fatal(e.err)
	}
	return e.store
}

var errNoPostgres = errors.New("PostgreSQL does not answer")

func seedMeta(ctx context.Context, s tokend.Store) error {
	if err := s.CreateSubscription(ctx, &tokend.Subscription{ID: testSub, TenantID: testTenant, DisplayName: "bench", State: "Enabled", CreatedAt: time.Now()}); err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
		return err
	}
	err := s.CreatePlaywrightAccount(ctx, &tokend.PlaywrightAccount{ID: benchAccount,
		ResourceKey: strings.ToLower(accountPath("bench", "benchAccount")), CreatedAt: time.Now()})
	if err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
		return err
	}
	return nil
}

// seededSQLite opens (seeding on first use) the cached SQLite file. Rows go
// in through one connection with a large page cache, in primary-key order,
// in multi-row statements: minutes become seconds.
func seededSQLite(b *testing.B, n int) (tokend.Store, error) {
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), "tokend-playwright-bench")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, fmt.Sprintf("tokens-%d.db", n))
	marker := path + ".seeded"
	if _, err := os.Stat(marker); err != nil {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
		start := time.Now()
		s, err := sqlite.Open(ctx, path) // the schema, by the engine's migrations
		if err != nil {
			return nil, err
		}
		if err := seedMeta(ctx, s); err != nil {
			return nil, err
		}
		_ = s.Close()
		if err := bulkSQLite(ctx, path, n); err != nil {
			return nil, fmt.Errorf("seed %s: %w", path, err)
		}
		if err := os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)), 0o600); err != nil {
			return nil, err
		}
		b.Logf("seeded %d+%d tokens into %s in %v", n, n, path, time.Since(start).Round(time.Second))
	}
	return sqlite.Open(ctx, path)
}

func bulkSQLite(ctx context.Context, path string, n int) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=synchronous(OFF)&_pragma=cache_size(-1048576)&_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows := make([]*tokend.AccessToken, 0, 2*n)
	for i := range 2 * n {
		rows = append(rows, benchToken(i, n))
	}
	slices.SortFunc(rows, func(a, b *tokend.AccessToken) int {
		if c := strings.Compare(a.AccountID, b.AccountID); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	const batch = 500
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	var b strings.Builder
	b.WriteString(`INSERT INTO playwright_access_tokens (account_id, id, name, token_hash, created_at, expiry_at, created_by) VALUES `)
	for i := range batch {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?)")
	}
	stmt, err := tx.PrepareContext(ctx, b.String())
	if err != nil {
		return err
	}
	args := make([]any, 0, 7*batch)
	for start := 0; start < len(rows); start += batch {
		args = args[:0]
		for _, t := range rows[start:min(start+batch, len(rows))] {
			args = append(args, t.AccountID, t.ID, t.Name, t.Hash, t.CreatedAt.UnixMicro(), t.ExpiryAt.UnixMicro(), t.CreatedBy)
		}
		if len(args) < 7*batch { // the last, short batch
			if err := insertRows(ctx, tx, rows[start:]); err != nil {
				return err
			}
			break
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func insertRows(ctx context.Context, tx *sql.Tx, rows []*tokend.AccessToken) error {
	for _, t := range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO playwright_access_tokens (account_id, id, name, token_hash, created_at, expiry_at, created_by) VALUES (?,?,?,?,?,?,?)`,
			t.AccountID, t.ID, t.Name, t.Hash, t.CreatedAt.UnixMicro(), t.ExpiryAt.UnixMicro(), t.CreatedBy); err != nil {
			return err
		}
	}
	return nil
}

// seededPostgres opens (seeding on first use, with COPY) the schema
// playwright_bench_<n>, and analyzes it as autovacuum would after a bulk
// load.
func seededPostgres(b *testing.B, n int) (tokend.Store, error) {
	ctx := context.Background()
	admin, err := sql.Open("pgx", storagetest.PostgresBase())
	if err == nil {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		err = admin.PingContext(pctx)
		cancel()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoPostgres, err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("playwright_bench_%d", n)
	dsn := storagetest.WithSearchPath(b, storagetest.PostgresBase(), schema)
	var seeded bool
	_ = admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'bench_seeded')`, schema).Scan(&seeded)
	if !seeded {
		start := time.Now()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			return nil, err
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			return nil, err
		}
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		if err := seedMeta(ctx, s); err != nil {
			return nil, err
		}
		_ = s.Close()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return nil, err
		}
		_, err = conn.CopyFrom(ctx, pgx.Identifier{"playwright_access_tokens"},
			[]string{"account_id", "id", "name", "token_hash", "created_at", "expiry_at", "created_by"},
			pgx.CopyFromFunc(func() func() ([]any, error) {
				i := 0
				return func() ([]any, error) {
					if i == 2*n {
						return nil, nil
					}
					t := benchToken(i, n)
					i++
					return []any{t.AccountID, t.ID, t.Name, t.Hash, t.CreatedAt.UnixMicro(), t.ExpiryAt.UnixMicro(), t.CreatedBy}, nil
				}
			}()))
		if err == nil {
			_, err = conn.Exec(ctx, "ANALYZE playwright_access_tokens")
		}
		if err == nil {
			_, err = conn.Exec(ctx, "CREATE TABLE bench_seeded (at TIMESTAMPTZ)")
		}
		_ = conn.Close(ctx)
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", schema, err)
		}
		b.Logf("seeded %d+%d tokens into schema %s in %v", n, n, schema, time.Since(start).Round(time.Second))
	}
	return postgres.Open(ctx, dsn)
}

// benchHandler is the data plane on store, as tokend mounts it (its own
// pipeline router, without the server's middleware), with the test issuer's
// bearer check (authentication is measured by identity's own benchmarks).
func benchHandler(b *testing.B, store tokend.Store, signer playwright.Signer) http.Handler {
	b.Helper()
	issuer := newIssuer(testkit.NewClock(time.Now()))
	if signer == nil {
		signer = issuer
	}
	svc, err := playwright.New(playwright.Config{Store: store, Signer: signer})
	if err != nil {
		b.Fatal(err)
	}
	p := svc.Describe()
	for _, v := range p.TokenValidators {
		issuer.AddValidator(v)
	}
	opts := &pipeline.Options{Authenticator: issuer, Authorizer: rbac()}
	rt, surface := arm.NewRouter(arm.Config{Store: store}, opts)
	mounts, err := surface.Mount(rt, opts, p)
	if err != nil {
		b.Fatal(err)
	}
	dataPlane, ok := mounts[playwright.MountPath]
	if !ok {
		b.Fatalf("the provider mounts no data plane at /%s", playwright.MountPath)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dataPlane.ServeHTTP(w, r.WithContext(wire.WithTrace(r.Context(), &wire.Trace{})))
	})
}

func benchGet(b *testing.B, h http.Handler, target string) (*httptest.ResponseRecorder, time.Duration) {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", "Bearer good-"+owner)
	rec := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rec, req)
	d := time.Since(start)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
	}
	return rec, d
}

// processCPU is the user + system time this process has used: under a
// loaded machine, CPU per operation says more than wall-clock rates.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu time.Duration, ops int64) {
	if ops == 0 || cpu == 0 {
		return
	}
	per := float64(cpu.Microseconds()) / float64(ops)
	b.ReportMetric(per, "cpu-µs/op")
	b.ReportMetric(2e6/per, "ops/s@2cpu")
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

func listURL(top bool) string {
	q := url.Values{"api-version": {"2024-12-01"}, "$filter": {benchFilter}, "$orderby": {benchOrderBy}}
	if top {
		q.Set("$top", "10")
	}
	return "https://tokend.test/playwright/accounts/" + benchAccount + "/access-tokens?" + q.Encode()
}

// BenchmarkPlaywrightList is the query, $filter=state eq 'Active'
// and startswith(name,'ci')&$orderby=expiryAt desc&$top=10, over 1M+1M
// tokens: page1 is the first page, page50 the 50th page of the same query
// without $top, fetched through the nextLink chain.
func BenchmarkPlaywrightList(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			store := seededStore(b, engine)
			h := benchHandler(b, store, nil)
			b.Run("page1", func(b *testing.B) {
				target := listURL(true)
				var lat []time.Duration
				cpu := processCPU()
				for b.Loop() {
					rec, d := benchGet(b, h, target)
					lat = append(lat, d)
					if !strings.Contains(rec.Body.String(), `"name":"ci`) || strings.Contains(rec.Body.String(), "nextLink") {
						b.Fatalf("unexpected page: %.300s", rec.Body)
					}
				}
				reportCPU(b, processCPU()-cpu, int64(len(lat)))
				reportLatency(b, lat)
			})
			b.Run("page50", func(b *testing.B) {
				target := listURL(false)
				for range 49 {
					rec, _ := benchGet(b, h, target)
					var page struct{ NextLink string }
					if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || page.NextLink == "" {
						b.Fatalf("no nextLink: %v %.300s", err, rec.Body)
					}
					target = page.NextLink
				}
				var lat []time.Duration
				cpu := processCPU()
				for b.Loop() {
					_, d := benchGet(b, h, target)
					lat = append(lat, d)
				}
				reportCPU(b, processCPU()-cpu, int64(len(lat)))
				reportLatency(b, lat)
			})
		})
	}
}

// BenchmarkPlaywrightCreateToken is PUT access-tokens/{id} through the data
// plane from GOMAXPROCS goroutines, with identity's ES256 signer and each
// token one write transaction, into the 1M+1M data set (the created rows
// are removed afterwards).
func BenchmarkPlaywrightCreateToken(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			store := seededStore(b, engine)
			ctx := context.Background()
			box, err := seal.New(make([]byte, 32))
			if err != nil {
				b.Fatal(err)
			}
			if err := store.CreateTenant(ctx, &tokend.Tenant{ID: testTenant, DisplayName: "bench", CreatedAt: time.Now()}); err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
				b.Fatal(err)
			}
			idsvc, err := identity.New(ctx, identity.Config{Store: store, Box: box, DefaultTenantID: testTenant, PublicURL: "https://tokend.test"})
			if err != nil {
				b.Skipf("identity over the cached store: %v (delete the cached data set if the master key changed)", err)
			}
			const account = "eastus_00000000-0000-4000-8000-00000000c0de"
			err = store.CreatePlaywrightAccount(ctx, &tokend.PlaywrightAccount{ID: account, ResourceKey: strings.ToLower(accountPath("bench", "createBench")), CreatedAt: time.Now()})
			if err != nil && !errors.Is(err, tokend.ErrAlreadyExists) {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = store.DeletePlaywrightAccount(ctx, account) })
			h := benchHandler(b, store, idsvc.ClaimsSigner())
			body := `{"name":"benchToken","expiryAt":"` + time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339) + `"}`
			var n atomic.Int64
			start, cpu := time.Now(), processCPU()
			// Many requests in flight, as an HTTP server has: signing and
			// parsing overlap the database's commits.
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					req := httptest.NewRequest(http.MethodPut, fmt.Sprintf("https://tokend.test/playwright/accounts/%s/access-tokens/%08x-0000-4000-8000-%012x?api-version=2024-12-01", account, i, i), strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer good-"+owner)
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusCreated {
						b.Errorf("PUT: %d %s", rec.Code, rec.Body)
						return
					}
				}
			})
			b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "tokens/s")
			// On PostgreSQL the server's own CPU is in its processes, not
			// counted here.
			reportCPU(b, processCPU()-cpu, n.Load())
		})
	}
}
