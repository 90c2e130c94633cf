package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

const (
	resourceColumns = `key, id, type, name, uid, etag, body, secrets, sort_name,
created_at, updated_at, created_by, updated_by`
	createResourceSQL = `INSERT INTO resources (` + resourceColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (key) DO NOTHING`
	getResourceSQL    = `SELECT ` + resourceColumns + ` FROM resources WHERE key = $1`
	resourceExistsSQL = `SELECT 1 FROM resources WHERE key = $1`
	updateResourceSQL = `UPDATE resources SET id = $2, type = $3, name = $4, uid = $5,
etag = $6, body = $7, secrets = $8, sort_name = $9, created_at = $10,
updated_at = $11, created_by = $12, updated_by = $13
WHERE key = $1`
	// The ETag comparison sits in the same statement as the write, so the
	// check and the write are one atomic compare-and-set in either engine.
	updateResourceIfSQL     = updateResourceSQL + ` AND etag = $14`
	deleteResourceSQL       = `DELETE FROM resources WHERE key = $1`
	deleteResourceIfSQL     = deleteResourceSQL + ` AND etag = $2`
	deleteResourcesUnderSQL = `DELETE FROM resources WHERE key > $1 AND key < $2`
	// resourceGenerationSQL reads what the triggers of migration 0700 move.
	resourceGenerationSQL = `SELECT COALESCE((SELECT generation FROM resource_generations WHERE scope = $1), 0)`
)

// listStatements are a list's statements indexed by [typed][scoped][limited].
// A typed variant walks the (type, key) index, an untyped one the primary
// key, both in key order from the lower bound (the second argument, or the
// first untyped).
type listStatements [2][2][2]string

func buildListStatements(columns string) (v listStatements) {
	for typed := range 2 {
		for scoped := range 2 {
			for limited := range 2 {
				var b strings.Builder
				b.WriteString(`SELECT ` + columns + ` FROM resources WHERE `)
				n := 1
				if typed == 1 {
					b.WriteString(`type = $1 AND `)
					n++
				}
				fmt.Fprintf(&b, `key > $%d`, n)
				n++
				if scoped == 1 {
					fmt.Fprintf(&b, ` AND key < $%d`, n)
					n++
				}
				b.WriteString(` ORDER BY key`)
				if limited == 1 {
					fmt.Fprintf(&b, ` LIMIT $%d`, n)
				}
				v[typed][scoped][limited] = b.String()
			}
		}
	}
	return v
}

// listedColumns are what ListResourcesUnder reads: a generic list shows
// no more, and each column read costs (on SQLite, a lock per value).
const listedColumns = `key, id, type, name, body, created_at, updated_at`

var (
	listResourcesSQL      = buildListStatements(resourceColumns)
	listResourcesUnderSQL = buildListStatements(listedColumns)
)

// scopeRange returns the key range strictly below scope: keys k with
// lo < k < hi. Keys below "/a/b" all start with "/a/b/", and '0' is the byte
// after '/', so (scope+"/", scope+"0") holds exactly those keys under a
// bytewise collation: "/a/b-c" sorts before the range and "/a/bc" after it.
// Unlike LIKE, the range needs no escaping and always uses the index. A
// trailing slash is ignored, so the root "/" covers every key.
func scopeRange(scope string) (lo, hi string) {
	scope = strings.TrimSuffix(scope, "/")
	return scope + "/", scope + "0"
}

func resourceArgs(r *tokend.Resource) []any {
	return []any{
		r.Key, r.ID, r.Type, r.Name, r.UID, r.ETag,
		notNull(r.Body), r.Secrets, r.SortName,
		toMicros(r.CreatedAt), toMicros(r.UpdatedAt), r.CreatedBy, r.UpdatedBy,
	}
}

func scanResource(row scanner) (*tokend.Resource, error) {
	var r tokend.Resource
	var body []byte
	var created, updated int64
	err := row.Scan(&r.Key, &r.ID, &r.Type, &r.Name, &r.UID, &r.ETag,
		&body, &r.Secrets, &r.SortName, &created, &updated, &r.CreatedBy, &r.UpdatedBy)
	if err != nil {
		return nil, err
	}
	r.Body = body
	r.CreatedAt = fromMicros(created)
	r.UpdatedAt = fromMicros(updated)
	return &r, nil
}

func scanListedResource(row scanner) (*tokend.Resource, error) {
	var r tokend.Resource
	var body []byte
	var created, updated int64
	if err := row.Scan(&r.Key, &r.ID, &r.Type, &r.Name, &body, &created, &updated); err != nil {
		return nil, err
	}
	r.Body, r.CreatedAt, r.UpdatedAt = body, fromMicros(created), fromMicros(updated)
	return &r, nil
}

func (q *queries) GetResource(ctx context.Context, key string) (_ *tokend.Resource, err error) {
	defer q.done("GetResource", time.Now(), &err)
	r, err := scanResource(q.queryRow(ctx, getResourceSQL, key))
	if err != nil {
		return nil, fmt.Errorf("get resource %s: %w", key, q.classify(err))
	}
	return r, nil
}

func (q *queries) CreateResource(ctx context.Context, r *tokend.Resource) (err error) {
	defer q.done("CreateResource", time.Now(), &err)
	if err := q.insert(ctx, createResourceSQL, resourceArgs(r)...); err != nil {
		return fmt.Errorf("create resource %s: %w", r.Key, err)
	}
	return nil
}

func (q *queries) UpdateResource(ctx context.Context, r *tokend.Resource, ifETag string) (err error) {
	defer q.done("UpdateResource", time.Now(), &err)
	query, args := updateResourceSQL, resourceArgs(r)
	if ifETag != "" {
		query, args = updateResourceIfSQL, append(args, ifETag)
	}
	if err := q.compareAndSet(ctx, r.Key, ifETag, query, args...); err != nil {
		return fmt.Errorf("update resource %s: %w", r.Key, err)
	}
	return nil
}

func (q *queries) DeleteResource(ctx context.Context, key string, ifETag string) (err error) {
	defer q.done("DeleteResource", time.Now(), &err)
	query, args := deleteResourceSQL, []any{key}
	if ifETag != "" {
		query, args = deleteResourceIfSQL, append(args, ifETag)
	}
	if err := q.compareAndSet(ctx, key, ifETag, query, args...); err != nil {
		return fmt.Errorf("delete resource %s: %w", key, err)
	}
	return nil
}

// compareAndSet runs a write on one resource that is conditional on its
// ETag when ifETag is set. When it changes nothing, a second look tells a
// missing resource (ErrNotFound) from a changed one (ErrPreconditionFailed).
// A caller that lost a race with a delete therefore sees ErrNotFound: by the
// time it looks, there is nothing left to precondition on.
func (q *queries) compareAndSet(ctx context.Context, key, ifETag, query string, args ...any) error {
	err := q.execOne(ctx, query, args...)
	if ifETag == "" || !errors.Is(err, tokend.ErrNotFound) {
		return err
	}
	var one int
	switch err := q.read.QueryRowContext(ctx, resourceExistsSQL, key).Scan(&one); {
	case err == nil:
		return fmt.Errorf("etag is not %s: %w", ifETag, tokend.ErrPreconditionFailed)
	default:
		return q.classify(err)
	}
}

func (q *queries) DeleteResourcesUnder(ctx context.Context, scope string) (_ int, err error) {
	defer q.done("DeleteResourcesUnder", time.Now(), &err)
	if scope == "" {
		// "" is more likely a bug than a wish to delete everything; the
		// root scope "/" says that explicitly.
		return 0, errors.New("delete resources under: empty scope")
	}
	lo, hi := scopeRange(scope)
	res, err := q.write.ExecContext(ctx, deleteResourcesUnderSQL, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("delete resources under %s: %w", scope, q.classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete resources under %s: rows affected: %w", scope, err)
	}
	return int(n), nil
}

// ListResources pages through one type's resources in key order. Each page
// is one statement starting after the previous page's last key, so a page
// never repeats a key and inserts elsewhere cannot shift the cursor.
func (q *queries) ListResources(ctx context.Context, rq tokend.ResourceQuery) (_ []*tokend.Resource, err error) {
	defer q.done("ListResources", time.Now(), &err)
	if rq.Type == "" {
		return nil, errors.New("list resources: type is required")
	}
	return q.listResources(ctx, rq, &listResourcesSQL, scanResource)
}

// ListResourcesUnder is ListResources across types: the scope is required
// instead of the type, so that no caller walks the whole table by mistake.
func (q *queries) ListResourcesUnder(ctx context.Context, rq tokend.ResourceQuery) (_ []*tokend.Resource, err error) {
	defer q.done("ListResourcesUnder", time.Now(), &err)
	if rq.Scope == "" {
		return nil, errors.New("list resources under a scope: scope is required")
	}
	return q.listResources(ctx, rq, &listResourcesUnderSQL, scanListedResource)
}

func (q *queries) listResources(ctx context.Context, rq tokend.ResourceQuery, statements *listStatements,
	scan func(scanner) (*tokend.Resource, error)) ([]*tokend.Resource, error) {
	if rq.Limit < 0 {
		return nil, fmt.Errorf("list resources: negative limit %d", rq.Limit)
	}
	var args []any
	typed, scoped, limited := 0, 0, 0
	if rq.Type != "" {
		args = append(args, rq.Type)
		typed = 1
	}
	after := rq.After
	if rq.Scope != "" {
		lo, hi := scopeRange(rq.Scope)
		after = max(after, lo)
		args = append(args, after, hi)
		scoped = 1
	} else {
		args = append(args, after)
	}
	if rq.Limit > 0 {
		args = append(args, rq.Limit)
		limited = 1
	}
	// Kept prepared on SQLite: compiling was a tenth of a list's time.
	list, err := queryAll(ctx, preparedReader{q}, scan, statements[typed][scoped][limited], args...)
	if err != nil {
		return nil, fmt.Errorf("list resources of type %q under %q: %w", rq.Type, rq.Scope, err)
	}
	return list, nil
}

// ResourceGeneration reads the subscription's generation, moved by the
// triggers of migration 0700 with every write of a resource below it.
func (q *queries) ResourceGeneration(ctx context.Context, subscriptionKey string) (_ int64, err error) {
	defer q.done("ResourceGeneration", time.Now(), &err)
	var g int64
	if err := q.queryRow(ctx, resourceGenerationSQL, subscriptionKey).Scan(&g); err != nil {
		return 0, fmt.Errorf("resource generation of %s: %w", subscriptionKey, q.classify(err))
	}
	return g, nil
}
