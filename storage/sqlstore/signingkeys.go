package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/tokend-dev/tokend"
)

const (
	signingKeyColumns   = `id, algorithm, public_jwk, private, created_at, activate_at, retire_at, expire_at`
	createSigningKeySQL = `INSERT INTO signing_keys (` + signingKeyColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`
	listSigningKeysSQL  = `SELECT ` + signingKeyColumns + ` FROM signing_keys ORDER BY created_at, id`
	updateSigningKeySQL = `UPDATE signing_keys SET algorithm = $2, public_jwk = $3, private = $4,
created_at = $5, activate_at = $6, retire_at = $7, expire_at = $8
WHERE id = $1`
	deleteSigningKeySQL = `DELETE FROM signing_keys WHERE id = $1`
)

func signingKeyArgs(k *tokend.SigningKey) []any {
	return []any{k.ID, k.Algorithm, notNull(k.PublicJWK), notNull(k.Private),
		toMicros(k.CreatedAt), toMicros(k.ActivateAt), toMicros(k.RetireAt), toMicros(k.ExpireAt)}
}

func scanSigningKey(row scanner) (*tokend.SigningKey, error) {
	var k tokend.SigningKey
	var created, activate, retire, expire int64
	err := row.Scan(&k.ID, &k.Algorithm, &k.PublicJWK, &k.Private,
		&created, &activate, &retire, &expire)
	if err != nil {
		return nil, err
	}
	k.CreatedAt = fromMicros(created)
	k.ActivateAt = fromMicros(activate)
	k.RetireAt = fromMicros(retire)
	k.ExpireAt = fromMicros(expire)
	return &k, nil
}

func (q *queries) CreateSigningKey(ctx context.Context, k *tokend.SigningKey) (err error) {
	defer q.done("CreateSigningKey", time.Now(), &err)
	if err := q.insert(ctx, createSigningKeySQL, signingKeyArgs(k)...); err != nil {
		return fmt.Errorf("create signing key %s: %w", k.ID, err)
	}
	return nil
}

func (q *queries) ListSigningKeys(ctx context.Context) (_ []*tokend.SigningKey, err error) {
	defer q.done("ListSigningKeys", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanSigningKey, listSigningKeysSQL)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return list, nil
}

// UpdateSigningKey replaces every field of the stored key with ID k.ID.
func (q *queries) UpdateSigningKey(ctx context.Context, k *tokend.SigningKey) (err error) {
	defer q.done("UpdateSigningKey", time.Now(), &err)
	if err := q.execOne(ctx, updateSigningKeySQL, signingKeyArgs(k)...); err != nil {
		return fmt.Errorf("update signing key %s: %w", k.ID, err)
	}
	return nil
}

func (q *queries) DeleteSigningKey(ctx context.Context, id string) (err error) {
	defer q.done("DeleteSigningKey", time.Now(), &err)
	if err := q.execOne(ctx, deleteSigningKeySQL, id); err != nil {
		return fmt.Errorf("delete signing key %s: %w", id, err)
	}
	return nil
}
