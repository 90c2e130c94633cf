package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

// Users and their failed sign-ins (migration 0600_users.sql). upn_key is
// the lower-case user principal name, unique in a tenant.
const (
	userColumns   = `object_id, tenant_id, upn, display_name, password_hash, created_at, updated_at`
	createUserSQL = `INSERT INTO users (object_id, tenant_id, upn, upn_key, display_name, password_hash, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`
	getUserSQL       = `SELECT ` + userColumns + ` FROM users WHERE object_id = $1`
	getUserByNameSQL = `SELECT ` + userColumns + ` FROM users WHERE tenant_id = $1 AND upn_key = $2`
	listUsersSQL     = `SELECT ` + userColumns + ` FROM users ORDER BY tenant_id, upn_key`
	updateUserSQL    = `UPDATE users SET display_name = $2, password_hash = $3, updated_at = $4 WHERE object_id = $1`
	deleteUserSQL    = `DELETE FROM users WHERE object_id = $1`

	addSignInFailureSQL = `INSERT INTO sign_in_failures (tenant_id, name, failures, last_at) VALUES ($1, $2, 1, $3)
ON CONFLICT (tenant_id, name) DO UPDATE SET failures = sign_in_failures.failures + 1, last_at = excluded.last_at
RETURNING failures, last_at`
	getSignInFailuresSQL   = `SELECT failures, last_at FROM sign_in_failures WHERE tenant_id = $1 AND name = $2`
	clearSignInFailuresSQL = `DELETE FROM sign_in_failures WHERE tenant_id = $1 AND name = $2`
	purgeSignInFailuresSQL = `DELETE FROM sign_in_failures WHERE last_at < $1`
)

// CreateUser stores u; ErrAlreadyExists when the object id or the name in
// the tenant is taken.
func (q *queries) CreateUser(ctx context.Context, u *tokend.User) (err error) {
	defer q.done("CreateUser", time.Now(), &err)
	err = q.insert(ctx, createUserSQL, u.ObjectID, u.TenantID, u.UserPrincipalName, strings.ToLower(u.UserPrincipalName),
		u.DisplayName, u.PasswordHash, toMicros(u.CreatedAt), toMicros(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.UserPrincipalName, err)
	}
	return nil
}

func (q *queries) GetUser(ctx context.Context, objectID string) (_ *tokend.User, err error) {
	defer q.done("GetUser", time.Now(), &err)
	u, err := scanUser(q.queryRow(ctx, getUserSQL, objectID))
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", objectID, q.classify(err))
	}
	return u, nil
}

func (q *queries) GetUserByName(ctx context.Context, tenantID, upn string) (_ *tokend.User, err error) {
	defer q.done("GetUserByName", time.Now(), &err)
	u, err := scanUser(q.queryRow(ctx, getUserByNameSQL, tenantID, strings.ToLower(upn)))
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", upn, q.classify(err))
	}
	return u, nil
}

func (q *queries) ListUsers(ctx context.Context) (_ []*tokend.User, err error) {
	defer q.done("ListUsers", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanUser, listUsersSQL)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return list, nil
}

func (q *queries) UpdateUser(ctx context.Context, u *tokend.User) (err error) {
	defer q.done("UpdateUser", time.Now(), &err)
	if err := q.execOne(ctx, updateUserSQL, u.ObjectID, u.DisplayName, u.PasswordHash, toMicros(u.UpdatedAt)); err != nil {
		return fmt.Errorf("update user %s: %w", u.ObjectID, err)
	}
	return nil
}

// DeleteUser deletes the user and, through the foreign key's ON DELETE
// CASCADE, its refresh token families.
func (q *queries) DeleteUser(ctx context.Context, objectID string) (err error) {
	defer q.done("DeleteUser", time.Now(), &err)
	if err := q.execOne(ctx, deleteUserSQL, objectID); err != nil {
		return fmt.Errorf("delete user %s: %w", objectID, err)
	}
	return nil
}

func (q *queries) AddSignInFailure(ctx context.Context, tenantID, name string, at time.Time) (f tokend.SignInFailures, err error) {
	defer q.done("AddSignInFailure", time.Now(), &err)
	err = q.inWriteTx(ctx, func(tx querier) error {
		var last int64
		if err := tx.QueryRowContext(ctx, addSignInFailureSQL, tenantID, name, toMicros(at)).Scan(&f.Count, &last); err != nil {
			return q.classify(err)
		}
		f.Last = fromMicros(last)
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("count failed sign-in of %s: %w", name, err)
	}
	return f, nil
}

func (q *queries) GetSignInFailures(ctx context.Context, tenantID, name string) (f tokend.SignInFailures, err error) {
	defer q.done("GetSignInFailures", time.Now(), &err)
	var last int64
	switch err := q.queryRow(ctx, getSignInFailuresSQL, tenantID, name).Scan(&f.Count, &last); {
	case err == nil:
		f.Last = fromMicros(last)
		return f, nil
	case q.classify(err) == tokend.ErrNotFound:
		return tokend.SignInFailures{}, nil
	default:
		return f, fmt.Errorf("failed sign-ins of %s: %w", name, err)
	}
}

func (q *queries) ClearSignInFailures(ctx context.Context, tenantID, name string) (err error) {
	defer q.done("ClearSignInFailures", time.Now(), &err)
	if _, err := q.write.ExecContext(ctx, clearSignInFailuresSQL, tenantID, name); err != nil {
		return fmt.Errorf("clear failed sign-ins of %s: %w", name, q.classify(err))
	}
	return nil
}

func (q *queries) PurgeSignInFailures(ctx context.Context, before time.Time) (_ int, err error) {
	defer q.done("PurgeSignInFailures", time.Now(), &err)
	res, err := q.write.ExecContext(ctx, purgeSignInFailuresSQL, toMicros(before))
	if err != nil {
		return 0, fmt.Errorf("purge failed sign-ins: %w", q.classify(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func scanUser(row scanner) (*tokend.User, error) {
	var u tokend.User
	var created, updated int64
	if err := row.Scan(&u.ObjectID, &u.TenantID, &u.UserPrincipalName, &u.DisplayName, &u.PasswordHash, &created, &updated); err != nil {
		return nil, err
	}
	u.CreatedAt = fromMicros(created)
	u.UpdatedAt = fromMicros(updated)
	return &u, nil
}
