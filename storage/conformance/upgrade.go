package conformance

import (
	"database/sql"
	"errors"
	"testing"

	tokend "github.com/tokend-dev/tokend"
)

// Upgrades: each engine migrates a database to just before a migration,
// writes what rows of that time looked like with OldClient, opens the
// store (which migrates the rest) and hands it to CheckOldClient.

// OldClient inserts a client as the schema before migration 0300 (client
// credentials) stored it, and returns its id.
func OldClient(t *testing.T, db *sql.DB) string {
	t.Helper()
	const id = "00000000-0000-0000-0000-000000000001"
	_, err := db.ExecContext(t.Context(), `INSERT INTO clients (id, tenant_id, object_id, display_name, secret_hash, secret_hint, created_at, updated_at)
VALUES ($1, 't', 'o', 'old', $2, 'h', 1, 2)`, id, []byte{0})
	if err != nil {
		t.Fatalf("insert a client of before 0300: %v", err)
	}
	return id
}

// CheckOldClient checks that a client of before 0300 reads as an
// application without identifier URIs, takes some, and takes them with it
// when deleted.
func CheckOldClient(t *testing.T, s tokend.Store, id string) {
	t.Helper()
	ctx := t.Context()
	c, err := s.GetClient(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != tokend.ClientApplication || c.IdentifierURIs != nil || c.DisplayName != "old" {
		t.Errorf("client from before 0300 = %+v, want an application without identifier URIs", c)
	}
	if err := s.SetIdentifierURIs(ctx, id, []string{"api://old"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteClient(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClientByIdentifierURI(ctx, "api://old"); !errors.Is(err, tokend.ErrNotFound) {
		t.Errorf("identifier URI of the deleted client: %v, want ErrNotFound", err)
	}
}
