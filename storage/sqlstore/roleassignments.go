package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

const (
	roleAssignmentColumns   = `id, principal_id, role, scope, created_at`
	createRoleAssignmentSQL = `INSERT INTO role_assignments (` + roleAssignmentColumns + `)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`
	deleteRoleAssignmentSQL = `DELETE FROM role_assignments WHERE id = $1`
	getRoleAssignmentSQL    = `SELECT ` + roleAssignmentColumns + ` FROM role_assignments WHERE id = $1`
	listRoleAssignmentsSQL  = `SELECT ` + roleAssignmentColumns + ` FROM role_assignments
ORDER BY created_at, id`
	listPrincipalRoleAssignmentsSQL = `SELECT ` + roleAssignmentColumns + ` FROM role_assignments
WHERE principal_id = $1 ORDER BY created_at, id`
)

func (q *queries) CreateRoleAssignment(ctx context.Context, a *tokend.RoleAssignment) (err error) {
	defer q.done("CreateRoleAssignment", time.Now(), &err)
	err = q.insert(ctx, createRoleAssignmentSQL,
		a.ID, a.PrincipalID, a.Role, a.Scope, toMicros(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("create role assignment %s: %w", a.ID, err)
	}
	return nil
}

func (q *queries) GetRoleAssignment(ctx context.Context, id string) (_ *tokend.RoleAssignment, err error) {
	defer q.done("GetRoleAssignment", time.Now(), &err)
	a, err := scanRoleAssignment(q.queryRow(ctx, getRoleAssignmentSQL, id))
	if err != nil {
		return nil, fmt.Errorf("get role assignment %s: %w", id, q.classify(err))
	}
	return a, nil
}

func (q *queries) DeleteRoleAssignment(ctx context.Context, id string) (err error) {
	defer q.done("DeleteRoleAssignment", time.Now(), &err)
	if err := q.execOne(ctx, deleteRoleAssignmentSQL, id); err != nil {
		return fmt.Errorf("delete role assignment %s: %w", id, err)
	}
	return nil
}

func (q *queries) ListRoleAssignments(ctx context.Context, principalID string) (_ []*tokend.RoleAssignment, err error) {
	defer q.done("ListRoleAssignments", time.Now(), &err)
	var list []*tokend.RoleAssignment
	if principalID == "" {
		list, err = queryAll(ctx, q.read, scanRoleAssignment, listRoleAssignmentsSQL)
	} else {
		list, err = queryAll(ctx, q.read, scanRoleAssignment, listPrincipalRoleAssignmentsSQL, principalID)
	}
	if err != nil {
		return nil, fmt.Errorf("list role assignments of %q: %w", principalID, err)
	}
	return list, nil
}

func scanRoleAssignment(row scanner) (*tokend.RoleAssignment, error) {
	var a tokend.RoleAssignment
	var created int64
	if err := row.Scan(&a.ID, &a.PrincipalID, &a.Role, &a.Scope, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}
