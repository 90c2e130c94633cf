package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

const (
	createTenantSQL = `INSERT INTO tenants (id, display_name, created_at)
VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`
	getTenantSQL   = `SELECT id, display_name, created_at FROM tenants WHERE id = $1`
	listTenantsSQL = `SELECT id, display_name, created_at FROM tenants ORDER BY id`
)

func (q *queries) CreateTenant(ctx context.Context, t *tokend.Tenant) (err error) {
	defer q.done("CreateTenant", time.Now(), &err)
	if err := q.insert(ctx, createTenantSQL, t.ID, t.DisplayName, toMicros(t.CreatedAt)); err != nil {
		return fmt.Errorf("create tenant %s: %w", t.ID, err)
	}
	return nil
}

func (q *queries) GetTenant(ctx context.Context, id string) (_ *tokend.Tenant, err error) {
	defer q.done("GetTenant", time.Now(), &err)
	t, err := scanTenant(q.queryRow(ctx, getTenantSQL, id))
	if err != nil {
		return nil, fmt.Errorf("get tenant %s: %w", id, q.classify(err))
	}
	return t, nil
}

func (q *queries) ListTenants(ctx context.Context) (_ []*tokend.Tenant, err error) {
	defer q.done("ListTenants", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanTenant, listTenantsSQL)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return list, nil
}

func scanTenant(row scanner) (*tokend.Tenant, error) {
	var t tokend.Tenant
	var created int64
	if err := row.Scan(&t.ID, &t.DisplayName, &created); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}
