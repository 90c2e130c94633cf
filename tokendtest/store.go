package tokendtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/storage/postgres"
	"github.com/tokend-dev/tokend/storage/sqlite"
)

// openStore opens the server's state: in memory, or (WithPostgres) in a
// fresh schema of that database, with what drops it again.
func openStore(ctx context.Context, pgURL string) (tokend.Store, func() error, error) {
	none := func() error { return nil }
	if pgURL == "" {
		s, err := sqlite.OpenMemory(ctx, sqlite.WithReadConns(4))
		return s, none, err
	}
	if !strings.HasPrefix(pgURL, "postgres://") && !strings.HasPrefix(pgURL, "postgresql://") {
		return nil, none, fmt.Errorf("WithPostgres: want a postgres:// URL")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "tokendtest_" + hex.EncodeToString(b[:])
	if err := execOn(ctx, pgURL, "CREATE SCHEMA "+schema); err != nil {
		return nil, none, err
	}
	drop := func() error { return execOn(context.Background(), pgURL, "DROP SCHEMA "+schema+" CASCADE") }
	u, err := url.Parse(pgURL)
	if err != nil {
		return nil, drop, fmt.Errorf("WithPostgres: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String(), postgres.WithMaxConns(8))
	return s, drop, err
}

// execOn runs one statement on its own connection.
func execOn(ctx context.Context, pgURL, stmt string) error {
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return fmt.Errorf("WithPostgres: connect: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("WithPostgres: %s: %w", stmt, err)
	}
	return nil
}
