package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

// Managed identities by name (migration 0300_client_credentials.sql), each
// tied to its client, whose delete cascades to it.
const (
	managedIdentityColumns   = `name, client_id, header_sealed, created_at`
	createManagedIdentitySQL = `INSERT INTO managed_identities (` + managedIdentityColumns + `)
VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`
	getManagedIdentitySQL    = `SELECT ` + managedIdentityColumns + ` FROM managed_identities WHERE name = $1`
	listManagedIdentitiesSQL = `SELECT ` + managedIdentityColumns + ` FROM managed_identities ORDER BY name`
	deleteManagedIdentitySQL = `DELETE FROM managed_identities WHERE name = $1`
)

// CreateManagedIdentity stores m; ErrAlreadyExists when the name is taken
// or the client already is another managed identity, ErrNotFound when the
// client is missing.
func (q *queries) CreateManagedIdentity(ctx context.Context, m *tokend.ManagedIdentity) (err error) {
	defer q.done("CreateManagedIdentity", time.Now(), &err)
	if err := q.requireClient(ctx, q.read, m.ClientID); err != nil {
		return fmt.Errorf("create managed identity %s: %w", m.Name, err)
	}
	err = q.insert(ctx, createManagedIdentitySQL, m.Name, m.ClientID, notNull(m.HeaderSealed), toMicros(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("create managed identity %s: %w", m.Name, err)
	}
	return nil
}

func (q *queries) GetManagedIdentity(ctx context.Context, name string) (_ *tokend.ManagedIdentity, err error) {
	defer q.done("GetManagedIdentity", time.Now(), &err)
	m, err := scanManagedIdentity(q.queryRow(ctx, getManagedIdentitySQL, name))
	if err != nil {
		return nil, fmt.Errorf("get managed identity %s: %w", name, q.classify(err))
	}
	return m, nil
}

func (q *queries) ListManagedIdentities(ctx context.Context) (_ []*tokend.ManagedIdentity, err error) {
	defer q.done("ListManagedIdentities", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanManagedIdentity, listManagedIdentitiesSQL)
	if err != nil {
		return nil, fmt.Errorf("list managed identities: %w", err)
	}
	return list, nil
}

// DeleteManagedIdentity deletes the managed identity only: its client
// stays until DeleteClient, which would also have deleted the identity.
func (q *queries) DeleteManagedIdentity(ctx context.Context, name string) (err error) {
	defer q.done("DeleteManagedIdentity", time.Now(), &err)
	if err := q.execOne(ctx, deleteManagedIdentitySQL, name); err != nil {
		return fmt.Errorf("delete managed identity %s: %w", name, err)
	}
	return nil
}

func scanManagedIdentity(row scanner) (*tokend.ManagedIdentity, error) {
	var m tokend.ManagedIdentity
	var created int64
	if err := row.Scan(&m.Name, &m.ClientID, &m.HeaderSealed, &created); err != nil {
		return nil, err
	}
	m.CreatedAt = fromMicros(created)
	return &m, nil
}
