package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

// Refresh token families (migration 0600_users.sql). Refreshes are
// conditional UPDATEs of their families, a batch of concurrent ones in
// one statement (RotateRefreshFamilies); new families are inserted in
// batches too (refreshfamilies_create.go).
const (
	refreshFamilyColumns         = `id, tenant_id, client_id, user_object_id, generation, rotated_at, revoked, created_at, expires_at`
	getRefreshFamilySQL          = `SELECT ` + refreshFamilyColumns + ` FROM refresh_families WHERE id = $1`
	revokeRefreshFamilySQL       = `UPDATE refresh_families SET revoked = 1 WHERE id = $1`
	revokeUserRefreshFamiliesSQL = `UPDATE refresh_families SET revoked = 1 WHERE user_object_id = $1 AND revoked = 0`
	purgeRefreshFamiliesSQL      = `DELETE FROM refresh_families WHERE expires_at < $1`
)

func (q *queries) GetRefreshFamily(ctx context.Context, id string) (_ *tokend.RefreshFamily, err error) {
	defer q.done("GetRefreshFamily", time.Now(), &err)
	var f tokend.RefreshFamily
	var rotated, created, expires, revoked int64
	err = q.queryRow(ctx, getRefreshFamilySQL, id).Scan(&f.ID, &f.TenantID, &f.ClientID, &f.UserObjectID,
		&f.Generation, &rotated, &revoked, &created, &expires)
	if err != nil {
		return nil, fmt.Errorf("get refresh token family %s: %w", id, q.classify(err))
	}
	f.RotatedAt, f.CreatedAt, f.ExpiresAt = fromMicros(rotated), fromMicros(created), fromMicros(expires)
	f.Revoked = revoked != 0
	return &f, nil
}

// RotateRefreshFamilies rotates a batch in one UPDATE ... RETURNING: the
// ids it returns are the families it moved on. A repeat of a family in the
// batch is a use of a spent generation, left unrotated.
func (q *queries) RotateRefreshFamilies(ctx context.Context, now time.Time, rotations []*tokend.RefreshRotation) (err error) {
	defer q.done("RotateRefreshFamilies", time.Now(), &err)
	if len(rotations) == 0 {
		return nil
	}
	first := make(map[string]bool, len(rotations))
	var ids, gens strings.Builder
	args := make([]any, 0, 2*len(rotations)+1)
	args = append(args, toMicros(now))
	for _, r := range rotations {
		r.Rotated = false
		if first[r.FamilyID] {
			continue
		}
		first[r.FamilyID] = true
		if len(args) > 1 {
			ids.WriteByte(',')
		}
		fmt.Fprintf(&ids, "$%d", len(args)+1)
		fmt.Fprintf(&gens, " WHEN $%d THEN CAST($%d AS BIGINT)", len(args)+1, len(args)+2)
		args = append(args, r.FamilyID, r.Generation)
	}
	query := `UPDATE refresh_families SET generation = generation + 1, rotated_at = $1
WHERE id IN (` + ids.String() + `) AND revoked = 0 AND expires_at > $1 AND generation = CASE id` + gens.String() + ` END
RETURNING id`
	rotated := make(map[string]bool, len(first))
	err = q.inWriteStatements(ctx, func(tx querier) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return q.classify(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			rotated[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("rotate refresh token families: %w", err)
	}
	for _, r := range rotations {
		if rotated[r.FamilyID] {
			r.Rotated = true
			delete(rotated, r.FamilyID) // a repeat stays unrotated
		}
	}
	return nil
}

func (q *queries) RevokeRefreshFamily(ctx context.Context, id string) (err error) {
	defer q.done("RevokeRefreshFamily", time.Now(), &err)
	if err := q.execOne(ctx, revokeRefreshFamilySQL, id); err != nil {
		return fmt.Errorf("revoke refresh token family %s: %w", id, err)
	}
	return nil
}

func (q *queries) RevokeUserRefreshFamilies(ctx context.Context, userObjectID string) (_ int, err error) {
	defer q.done("RevokeUserRefreshFamilies", time.Now(), &err)
	res, err := q.write.ExecContext(ctx, revokeUserRefreshFamiliesSQL, userObjectID)
	if err != nil {
		return 0, fmt.Errorf("revoke refresh tokens of user %s: %w", userObjectID, q.classify(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (q *queries) PurgeRefreshFamilies(ctx context.Context, before time.Time) (_ int, err error) {
	defer q.done("PurgeRefreshFamilies", time.Now(), &err)
	res, err := q.write.ExecContext(ctx, purgeRefreshFamiliesSQL, toMicros(before))
	if err != nil {
		return 0, fmt.Errorf("purge refresh token families: %w", q.classify(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
