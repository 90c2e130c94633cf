package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

// Custom role definitions (migration 0400_custom_roles.sql).
const (
	customRoleColumns = `id, name, description, permissions, assignable_scopes,
created_by, updated_by, created_at, updated_at`
	// A replace keeps who created the role and when: the conflict target is
	// the id, and the name's own uniqueness surfaces as a unique violation.
	putCustomRoleSQL = `INSERT INTO custom_roles (id, name, name_key, description, permissions,
assignable_scopes, created_by, updated_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
description = excluded.description, permissions = excluded.permissions,
assignable_scopes = excluded.assignable_scopes, updated_by = excluded.updated_by,
updated_at = excluded.updated_at`
	getCustomRoleSQL    = `SELECT ` + customRoleColumns + ` FROM custom_roles WHERE id = $1`
	listCustomRolesSQL  = `SELECT ` + customRoleColumns + ` FROM custom_roles ORDER BY name_key, id`
	deleteCustomRoleSQL = `DELETE FROM custom_roles WHERE id = $1`
)

// permissionsJSON is how a role's four action lists are stored.
type permissionsJSON struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions,omitempty"`
	DataActions    []string `json:"dataActions,omitempty"`
	NotDataActions []string `json:"notDataActions,omitempty"`
}

func (q *queries) PutCustomRole(ctx context.Context, r *tokend.CustomRole) (err error) {
	defer q.done("PutCustomRole", time.Now(), &err)
	perms, err := json.Marshal(permissionsJSON{r.Actions, r.NotActions, r.DataActions, r.NotDataActions})
	if err != nil {
		return fmt.Errorf("put custom role %s: encode permissions: %w", r.ID, err)
	}
	scopes, err := json.Marshal(r.AssignableScopes)
	if err != nil {
		return fmt.Errorf("put custom role %s: encode assignable scopes: %w", r.ID, err)
	}
	_, err = q.write.ExecContext(ctx, putCustomRoleSQL, r.ID, r.Name, strings.ToLower(r.Name), r.Description,
		string(perms), string(scopes), r.CreatedBy, r.UpdatedBy, toMicros(r.CreatedAt), toMicros(r.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put custom role %s (%q): %w", r.ID, r.Name, q.classify(err))
	}
	return nil
}

func (q *queries) GetCustomRole(ctx context.Context, id string) (_ *tokend.CustomRole, err error) {
	defer q.done("GetCustomRole", time.Now(), &err)
	r, err := scanCustomRole(q.queryRow(ctx, getCustomRoleSQL, id))
	if err != nil {
		return nil, fmt.Errorf("get custom role %s: %w", id, q.classify(err))
	}
	return r, nil
}

func (q *queries) ListCustomRoles(ctx context.Context) (_ []*tokend.CustomRole, err error) {
	defer q.done("ListCustomRoles", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanCustomRole, listCustomRolesSQL)
	if err != nil {
		return nil, fmt.Errorf("list custom roles: %w", err)
	}
	return list, nil
}

func (q *queries) DeleteCustomRole(ctx context.Context, id string) (err error) {
	defer q.done("DeleteCustomRole", time.Now(), &err)
	if err := q.execOne(ctx, deleteCustomRoleSQL, id); err != nil {
		return fmt.Errorf("delete custom role %s: %w", id, err)
	}
	return nil
}

func scanCustomRole(row scanner) (*tokend.CustomRole, error) {
	var r tokend.CustomRole
	var perms, scopes string
	var created, updated int64
	err := row.Scan(&r.ID, &r.Name, &r.Description, &perms, &scopes, &r.CreatedBy, &r.UpdatedBy, &created, &updated)
	if err != nil {
		return nil, err
	}
	var p permissionsJSON
	if err := json.Unmarshal([]byte(perms), &p); err != nil {
		return nil, fmt.Errorf("custom role %s: decode permissions: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &r.AssignableScopes); err != nil {
		return nil, fmt.Errorf("custom role %s: decode assignable scopes: %w", r.ID, err)
	}
	r.Actions, r.NotActions, r.DataActions, r.NotDataActions = p.Actions, p.NotActions, p.DataActions, p.NotDataActions
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &r, nil
}
