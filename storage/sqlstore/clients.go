package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

const (
	clientColumns   = `id, tenant_id, object_id, display_name, secret_hash, secret_hint, created_at, updated_at`
	createClientSQL = `INSERT INTO clients (` + clientColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`
	getClientSQL    = `SELECT ` + clientColumns + ` FROM clients WHERE id = $1`
	listClientsSQL  = `SELECT ` + clientColumns + ` FROM clients ORDER BY id`
	updateClientSQL = `UPDATE clients SET tenant_id = $2, object_id = $3, display_name = $4,
secret_hash = $5, secret_hint = $6, created_at = $7, updated_at = $8
WHERE id = $1`
	deleteClientSQL = `DELETE FROM clients WHERE id = $1`
)

func clientArgs(c *tokend.Client) []any {
	return []any{c.ID, c.TenantID, c.ObjectID, c.DisplayName, notNull(c.SecretHash),
		c.SecretHint, toMicros(c.CreatedAt), toMicros(c.UpdatedAt)}
}

func scanClient(row scanner) (*tokend.Client, error) {
	var c tokend.Client
	var created, updated int64
	err := row.Scan(&c.ID, &c.TenantID, &c.ObjectID, &c.DisplayName, &c.SecretHash,
		&c.SecretHint, &created, &updated)
	if err != nil {
		return nil, err
	}
	c.CreatedAt = fromMicros(created)
	c.UpdatedAt = fromMicros(updated)
	return &c, nil
}

func (q *queries) CreateClient(ctx context.Context, c *tokend.Client) (err error) {
	defer q.done("CreateClient", time.Now(), &err)
	if err := q.insert(ctx, createClientSQL, clientArgs(c)...); err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	return nil
}

func (q *queries) GetClient(ctx context.Context, id string) (_ *tokend.Client, err error) {
	defer q.done("GetClient", time.Now(), &err)
	c, err := scanClient(q.queryRow(ctx, getClientSQL, id))
	if err != nil {
		return nil, fmt.Errorf("get client %s: %w", id, q.classify(err))
	}
	return c, nil
}

func (q *queries) ListClients(ctx context.Context) (_ []*tokend.Client, err error) {
	defer q.done("ListClients", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanClient, listClientsSQL)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return list, nil
}

// UpdateClient replaces every field of the stored client with ID c.ID.
func (q *queries) UpdateClient(ctx context.Context, c *tokend.Client) (err error) {
	defer q.done("UpdateClient", time.Now(), &err)
	if err := q.execOne(ctx, updateClientSQL, clientArgs(c)...); err != nil {
		return fmt.Errorf("update client %s: %w", c.ID, err)
	}
	return nil
}

func (q *queries) DeleteClient(ctx context.Context, id string) (err error) {
	defer q.done("DeleteClient", time.Now(), &err)
	if err := q.execOne(ctx, deleteClientSQL, id); err != nil {
		return fmt.Errorf("delete client %s: %w", id, err)
	}
	return nil
}
