package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

// APIM authorization servers live in apim_authorization_servers (migration
// 0100_apim.sql): one row per server, keyed like a resource, with the
// parent service's key and the display name as indexed columns so that
// ListByService filters and pages inside the database.
const (
	authServerColumns = `key, service_key, id, name, display_name, uid, etag, body, secrets,
created_at, updated_at, created_by, updated_by`
	createAuthServerSQL = `INSERT INTO apim_authorization_servers (` + authServerColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (key) DO NOTHING`
	getAuthServerSQL    = `SELECT ` + authServerColumns + ` FROM apim_authorization_servers WHERE key = $1`
	authServerExistsSQL = `SELECT 1 FROM apim_authorization_servers WHERE key = $1`
	updateAuthServerSQL = `UPDATE apim_authorization_servers SET service_key = $2, id = $3, name = $4,
display_name = $5, uid = $6, etag = $7, body = $8, secrets = $9, created_at = $10,
updated_at = $11, created_by = $12, updated_by = $13
WHERE key = $1`
	// As for resources, the ETag comparison is part of the write statement,
	// so check and write are one atomic compare-and-set on both engines.
	updateAuthServerIfSQL     = updateAuthServerSQL + ` AND etag = $14`
	deleteAuthServerSQL       = `DELETE FROM apim_authorization_servers WHERE key = $1`
	deleteAuthServerIfSQL     = deleteAuthServerSQL + ` AND etag = $2`
	deleteAuthServersUnderSQL = `DELETE FROM apim_authorization_servers WHERE key > $1 AND key < $2`
)

func authServerArgs(s *tokend.AuthorizationServer) []any {
	return []any{
		s.Key, s.ServiceKey, s.ID, s.Name, s.DisplayName, s.UID, s.ETag,
		notNull(s.Body), s.Secrets,
		toMicros(s.CreatedAt), toMicros(s.UpdatedAt), s.CreatedBy, s.UpdatedBy,
	}
}

func scanAuthServer(row scanner) (*tokend.AuthorizationServer, error) {
	var s tokend.AuthorizationServer
	var body []byte
	var created, updated int64
	err := row.Scan(&s.Key, &s.ServiceKey, &s.ID, &s.Name, &s.DisplayName, &s.UID, &s.ETag,
		&body, &s.Secrets, &created, &updated, &s.CreatedBy, &s.UpdatedBy)
	if err != nil {
		return nil, err
	}
	s.Body = body
	s.CreatedAt = fromMicros(created)
	s.UpdatedAt = fromMicros(updated)
	return &s, nil
}

// authServerPageColumns are what a list page returns (see
// tokend.AuthorizationServerPage): reading and scanning the other eleven
// columns of every row was a quarter of a SQLite page's CPU, and secrets
// have no business in a list.
const authServerPageColumns = `name, body`

func (q *queries) GetAuthorizationServer(ctx context.Context, key string) (_ *tokend.AuthorizationServer, err error) {
	defer q.done("GetAuthorizationServer", time.Now(), &err)
	s, err := scanAuthServer(q.queryRow(ctx, getAuthServerSQL, key))
	if err != nil {
		return nil, fmt.Errorf("get authorization server %s: %w", key, q.classify(err))
	}
	return s, nil
}

func (q *queries) CreateAuthorizationServer(ctx context.Context, s *tokend.AuthorizationServer) (err error) {
	defer q.done("CreateAuthorizationServer", time.Now(), &err)
	if s.ServiceKey == "" || !strings.HasPrefix(s.Key, s.ServiceKey+"/") {
		return fmt.Errorf("create authorization server %s: key is not below service %q", s.Key, s.ServiceKey)
	}
	if err := q.insert(ctx, createAuthServerSQL, authServerArgs(s)...); err != nil {
		return fmt.Errorf("create authorization server %s: %w", s.Key, err)
	}
	return nil
}

func (q *queries) UpdateAuthorizationServer(ctx context.Context, s *tokend.AuthorizationServer, ifETag string) (err error) {
	defer q.done("UpdateAuthorizationServer", time.Now(), &err)
	query, args := updateAuthServerSQL, authServerArgs(s)
	if ifETag != "" {
		query, args = updateAuthServerIfSQL, append(args, ifETag)
	}
	if err := q.authServerCAS(ctx, s.Key, ifETag, query, args...); err != nil {
		return fmt.Errorf("update authorization server %s: %w", s.Key, err)
	}
	return nil
}

func (q *queries) DeleteAuthorizationServer(ctx context.Context, key, ifETag string) (err error) {
	defer q.done("DeleteAuthorizationServer", time.Now(), &err)
	query, args := deleteAuthServerSQL, []any{key}
	if ifETag != "" {
		query, args = deleteAuthServerIfSQL, append(args, ifETag)
	}
	if err := q.authServerCAS(ctx, key, ifETag, query, args...); err != nil {
		return fmt.Errorf("delete authorization server %s: %w", key, err)
	}
	return nil
}

// authServerCAS is compareAndSet for this table: when a conditional write
// changed nothing, a second look tells a missing server (ErrNotFound) from a
// changed one (ErrPreconditionFailed).
func (q *queries) authServerCAS(ctx context.Context, key, ifETag, query string, args ...any) error {
	err := q.execOne(ctx, query, args...)
	if ifETag == "" || !errors.Is(err, tokend.ErrNotFound) {
		return err
	}
	var one int
	switch err := q.read.QueryRowContext(ctx, authServerExistsSQL, key).Scan(&one); {
	case err == nil:
		return fmt.Errorf("etag is not %s: %w", ifETag, tokend.ErrPreconditionFailed)
	default:
		return q.classify(err)
	}
}

func (q *queries) DeleteAuthorizationServersUnder(ctx context.Context, scope string) (_ int, err error) {
	defer q.done("DeleteAuthorizationServersUnder", time.Now(), &err)
	if scope == "" {
		return 0, errors.New("delete authorization servers under: empty scope")
	}
	lo, hi := scopeRange(scope)
	res, err := q.write.ExecContext(ctx, deleteAuthServersUnderSQL, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("delete authorization servers under %s: %w", scope, q.classify(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete authorization servers under %s: rows affected: %w", scope, err)
	}
	return int(n), nil
}

// ListAuthorizationServers reads the page in one statement: the service's
// rows after the keyset position, narrowed by the translated $filter, in
// name order, each with the service's generation. The (service_key, name,
// display_name) index serves the order, seeks for equality, range and
// prefix filters on name, and carries display_name, so a page reads the
// table only for the rows it returns. The count then comes from the count
// cache when it was read at that generation (see apimcount.go), so a
// repeated list costs one statement.
func (q *queries) ListAuthorizationServers(ctx context.Context, aq tokend.AuthorizationServerQuery) (_ *tokend.AuthorizationServerPage, err error) {
	defer q.done("ListAuthorizationServers", time.Now(), &err)
	if aq.Limit < 0 || aq.Skip < 0 {
		return nil, fmt.Errorf("list authorization servers: negative limit %d or skip %d", aq.Limit, aq.Skip)
	}
	where, args, err := q.authServerWhere(aq, true)
	if err != nil {
		return nil, fmt.Errorf("list authorization servers of %s: %w", aq.ServiceKey, err)
	}
	var b strings.Builder
	// $1 is the service key (authServerWhere numbers it first).
	b.WriteString(`SELECT ` + authServerPageColumns + `, ` + generationOfServiceSQL + ` FROM apim_authorization_servers WHERE `)
	b.WriteString(where)
	if aq.After != "" {
		args = append(args, aq.After)
		fmt.Fprintf(&b, ` AND name > $%d`, len(args))
	}
	b.WriteString(` ORDER BY name`)
	if aq.Limit > 0 || aq.Skip > 0 {
		// SQLite needs a LIMIT before OFFSET; -1 is "no limit" there, and
		// PostgreSQL takes LIMIT ALL. A large number works on both.
		limit := int64(aq.Limit)
		if limit == 0 {
			limit = 1 << 62
		}
		args = append(args, limit)
		b.WriteString(` LIMIT $` + strconv.Itoa(len(args)))
		if aq.Skip > 0 {
			args = append(args, aq.Skip)
			b.WriteString(` OFFSET $` + strconv.Itoa(len(args)))
		}
	}
	var generation int64 = -1 // unknown until a row is read
	scan := func(row scanner) (*tokend.AuthorizationServer, error) {
		var s tokend.AuthorizationServer
		var body []byte
		if err := row.Scan(&s.Name, &body, &generation); err != nil {
			return nil, err
		}
		s.Body = body
		return &s, nil
	}
	page := &tokend.AuthorizationServerPage{}
	if page.Servers, err = queryAll(ctx, listReader{q}, scan, b.String(), args...); err != nil {
		return nil, fmt.Errorf("list authorization servers of %s: %w", aq.ServiceKey, err)
	}
	where, args, err = q.authServerWhere(aq, false)
	if err != nil {
		return nil, fmt.Errorf("count authorization servers of %s: %w", aq.ServiceKey, err)
	}
	if page.Count, err = q.countAuthServers(ctx, generation, where, args); err != nil {
		return nil, fmt.Errorf("count authorization servers of %s: %w", aq.ServiceKey, q.classify(err))
	}
	return page, nil
}

// authServerWhere is the predicate of a list's page or count: the service,
// and the $filter when there is one. Parameters are numbered from $1.
func (q *queries) authServerWhere(aq tokend.AuthorizationServerQuery, page bool) (string, []any, error) {
	if aq.ServiceKey == "" {
		return "", nil, errors.New("service key is required")
	}
	where := "service_key = $1"
	args := []any{aq.ServiceKey}
	if aq.Filter == nil {
		return where, args, nil
	}
	pred, args := q.authServerFilterSQL(aq.Filter, args, page)
	return where + " AND (" + pred + ")", args, nil
}
