package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

const (
	// Revoking again refreshes the record, so a node following
	// ListRevocationsSince hears of it again; that is harmless and keeps the
	// latest expiry.
	revokeTokenSQL = `INSERT INTO revocations (token_id, expires_at, revoked_at)
VALUES ($1, $2, $3)
ON CONFLICT (token_id) DO UPDATE SET expires_at = excluded.expires_at, revoked_at = excluded.revoked_at`
	isRevokedSQL            = `SELECT 1 FROM revocations WHERE token_id = $1`
	listRevocationsSinceSQL = `SELECT token_id, expires_at, revoked_at FROM revocations
WHERE revoked_at >= $1 ORDER BY revoked_at, token_id`
	purgeRevocationsSQL = `DELETE FROM revocations WHERE expires_at < $1`
)

func (q *queries) RevokeToken(ctx context.Context, r *tokend.Revocation) (err error) {
	defer q.done("RevokeToken", time.Now(), &err)
	_, err = q.write.ExecContext(ctx, revokeTokenSQL,
		r.TokenID, toMicros(r.ExpiresAt), toMicros(r.RevokedAt))
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", r.TokenID, q.classify(err))
	}
	return nil
}

func (q *queries) IsRevoked(ctx context.Context, tokenID string) (_ bool, err error) {
	defer q.done("IsRevoked", time.Now(), &err)
	var one int
	switch err := q.queryRow(ctx, isRevokedSQL, tokenID).Scan(&one); {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	default:
		return false, fmt.Errorf("is token %s revoked: %w", tokenID, err)
	}
}

func (q *queries) ListRevocationsSince(ctx context.Context, since time.Time) (_ []*tokend.Revocation, err error) {
	defer q.done("ListRevocationsSince", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanRevocation, listRevocationsSinceSQL, toMicros(since))
	if err != nil {
		return nil, fmt.Errorf("list revocations since %s: %w", since.Format(time.RFC3339Nano), err)
	}
	return list, nil
}

func (q *queries) PurgeRevocations(ctx context.Context, before time.Time) (_ int, err error) {
	defer q.done("PurgeRevocations", time.Now(), &err)
	res, err := q.write.ExecContext(ctx, purgeRevocationsSQL, toMicros(before))
	if err != nil {
		return 0, fmt.Errorf("purge revocations before %s: %w", before.Format(time.RFC3339Nano), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge revocations: rows affected: %w", err)
	}
	return int(n), nil
}

func scanRevocation(row scanner) (*tokend.Revocation, error) {
	var r tokend.Revocation
	var expires, revoked int64
	if err := row.Scan(&r.TokenID, &expires, &revoked); err != nil {
		return nil, err
	}
	r.ExpiresAt = fromMicros(expires)
	r.RevokedAt = fromMicros(revoked)
	return &r, nil
}
