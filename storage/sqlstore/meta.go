package sqlstore

import (
	"context"
	"fmt"
	"time"
)

const (
	getMetaSQL    = `SELECT value FROM meta WHERE key = $1`
	createMetaSQL = `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`
	putMetaSQL    = `INSERT INTO meta (key, value) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`
)

func (q *queries) GetMeta(ctx context.Context, key string) (_ []byte, err error) {
	defer q.done("GetMeta", time.Now(), &err)
	var value []byte
	if err := q.queryRow(ctx, getMetaSQL, key).Scan(&value); err != nil {
		return nil, fmt.Errorf("get meta %s: %w", key, q.classify(err))
	}
	return value, nil
}

// CreateMeta inserts key only when it is absent, in one statement, so of
// several nodes racing to initialize a value exactly one wins and the rest
// get ErrAlreadyExists (and can read the winner's value).
func (q *queries) CreateMeta(ctx context.Context, key string, value []byte) (err error) {
	defer q.done("CreateMeta", time.Now(), &err)
	if err := q.insert(ctx, createMetaSQL, key, notNull(value)); err != nil {
		return fmt.Errorf("create meta %s: %w", key, err)
	}
	return nil
}

func (q *queries) PutMeta(ctx context.Context, key string, value []byte) (err error) {
	defer q.done("PutMeta", time.Now(), &err)
	if _, err := q.write.ExecContext(ctx, putMetaSQL, key, notNull(value)); err != nil {
		return fmt.Errorf("put meta %s: %w", key, q.classify(err))
	}
	return nil
}
