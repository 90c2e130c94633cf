package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage"
	"github.com/tokend-dev/tokend/storage/sqlstore"
)

func TestSeedProfile(t *testing.T) {
	if os.Getenv("SEED_PROF") == "" {
		t.Skip()
	}
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storage.Open(ctx, os.Getenv("SEED_DB"), dir, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreatePlaywrightAccount(ctx, &tokend.PlaywrightAccount{ID: "eastus_x-1", ResourceKey: "/x", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(os.Getenv("SEED_N"))
	start := time.Now()
	if err := seedTokens(ctx, StoreSeeder(st), "eastus_x-1", n, time.Now()); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d in %s: %.0f/s", n, time.Since(start), float64(n)/time.Since(start).Seconds())
}
