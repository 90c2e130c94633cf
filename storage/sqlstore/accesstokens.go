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

// Playwright Testing keeps two tables (migration 0200_playwright.sql): the
// index from data-plane account ids to resource keys, and the access tokens,
// keyed by (account_id, id) with one index per orderable field so that a
// list filters, orders and pages inside the database.
const (
	createPlaywrightAccountSQL = `INSERT INTO playwright_accounts (account_id, resource_key, created_at)
VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	getPlaywrightAccountSQL = `SELECT account_id, resource_key, created_at FROM playwright_accounts
WHERE account_id = $1`
	deletePlaywrightAccountSQL   = `DELETE FROM playwright_accounts WHERE account_id = $1`
	deleteAccountAccessTokensSQL = `DELETE FROM playwright_access_tokens WHERE account_id = $1`

	accessTokenColumns   = `account_id, id, name, token_hash, created_at, expiry_at, created_by`
	createAccessTokenSQL = `INSERT INTO playwright_access_tokens (` + accessTokenColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, id) DO NOTHING`
	getAccessTokenSQL = `SELECT ` + accessTokenColumns + ` FROM playwright_access_tokens
WHERE account_id = $1 AND id = $2`
	replaceAccessTokenSQL = `UPDATE playwright_access_tokens
SET name = $3, token_hash = $4, created_at = $5, expiry_at = $6, created_by = $7
WHERE account_id = $1 AND id = $2`
	deleteAccessTokenSQL = `DELETE FROM playwright_access_tokens WHERE account_id = $1 AND id = $2`

	// accessTokenBatch rows per INSERT in CreateAccessTokens: 7 parameters
	// each stays far below both engines' parameter limits (SQLite 32766,
	// PostgreSQL 65535) while amortizing the statement.
	accessTokenBatch = 500
)

func (q *queries) CreatePlaywrightAccount(ctx context.Context, a *tokend.PlaywrightAccount) (err error) {
	defer q.done("CreatePlaywrightAccount", time.Now(), &err)
	if a.ID == "" || a.ResourceKey == "" {
		return fmt.Errorf("create playwright account: id %q and resource key %q are required", a.ID, a.ResourceKey)
	}
	if err := q.insert(ctx, createPlaywrightAccountSQL, a.ID, a.ResourceKey, toMicros(a.CreatedAt)); err != nil {
		return fmt.Errorf("create playwright account %s: %w", a.ID, err)
	}
	return nil
}

func (q *queries) GetPlaywrightAccount(ctx context.Context, id string) (_ *tokend.PlaywrightAccount, err error) {
	defer q.done("GetPlaywrightAccount", time.Now(), &err)
	var a tokend.PlaywrightAccount
	var created int64
	if err := q.queryRow(ctx, getPlaywrightAccountSQL, id).Scan(&a.ID, &a.ResourceKey, &created); err != nil {
		return nil, fmt.Errorf("get playwright account %s: %w", id, q.classify(err))
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

// DeletePlaywrightAccount deletes the tokens and the index row in one
// transaction (the caller's, or its own), so no token outlives its account.
func (q *queries) DeletePlaywrightAccount(ctx context.Context, id string) (err error) {
	defer q.done("DeletePlaywrightAccount", time.Now(), &err)
	err = q.inWriteTx(ctx, func(tx querier) error {
		if _, err := tx.ExecContext(ctx, deleteAccountAccessTokensSQL, id); err != nil {
			return q.classify(err)
		}
		res, err := tx.ExecContext(ctx, deletePlaywrightAccountSQL, id)
		if err != nil {
			return q.classify(err)
		}
		return expectOne(res, tokend.ErrNotFound)
	})
	if err != nil {
		return fmt.Errorf("delete playwright account %s: %w", id, err)
	}
	return nil
}

func accessTokenArgs(t *tokend.AccessToken) []any {
	return []any{t.AccountID, t.ID, t.Name, notNull(t.Hash), toMicros(t.CreatedAt), toMicros(t.ExpiryAt), t.CreatedBy}
}

func scanAccessToken(row scanner) (*tokend.AccessToken, error) {
	var t tokend.AccessToken
	var created, expiry int64
	if err := row.Scan(&t.AccountID, &t.ID, &t.Name, &t.Hash, &created, &expiry, &t.CreatedBy); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(created)
	t.ExpiryAt = fromMicros(expiry)
	return &t, nil
}

func (q *queries) CreateAccessToken(ctx context.Context, t *tokend.AccessToken) (err error) {
	defer q.done("CreateAccessToken", time.Now(), &err)
	if err := q.insert(ctx, createAccessTokenSQL, accessTokenArgs(t)...); err != nil {
		return fmt.Errorf("create access token %s/%s: %w", t.AccountID, t.ID, err)
	}
	return nil
}

// CreateAccessTokens inserts in multi-row statements inside one
// transaction: a conflict anywhere rolls every row back.
func (q *queries) CreateAccessTokens(ctx context.Context, list []*tokend.AccessToken) (err error) {
	defer q.done("CreateAccessTokens", time.Now(), &err)
	err = q.inWriteTx(ctx, func(tx querier) error {
		for start := 0; start < len(list); start += accessTokenBatch {
			batch := list[start:min(start+accessTokenBatch, len(list))]
			var b strings.Builder
			b.WriteString(`INSERT INTO playwright_access_tokens (` + accessTokenColumns + `) VALUES `)
			args := make([]any, 0, 7*len(batch))
			for i, t := range batch {
				if i > 0 {
					b.WriteByte(',')
				}
				n := len(args)
				fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
				args = append(args, accessTokenArgs(t)...)
			}
			b.WriteString(` ON CONFLICT (account_id, id) DO NOTHING`)
			res, err := tx.ExecContext(ctx, b.String(), args...)
			if err != nil {
				return q.classify(err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("rows affected: %w", err)
			} else if int(n) != len(batch) {
				return fmt.Errorf("%d of %d tokens: %w", len(batch)-int(n), len(batch), tokend.ErrAlreadyExists)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create %d access tokens: %w", len(list), err)
	}
	return nil
}

func (q *queries) ReplaceAccessToken(ctx context.Context, t *tokend.AccessToken) (err error) {
	defer q.done("ReplaceAccessToken", time.Now(), &err)
	if err := q.execOne(ctx, replaceAccessTokenSQL, accessTokenArgs(t)...); err != nil {
		return fmt.Errorf("replace access token %s/%s: %w", t.AccountID, t.ID, err)
	}
	return nil
}

func (q *queries) GetAccessToken(ctx context.Context, accountID, id string) (_ *tokend.AccessToken, err error) {
	defer q.done("GetAccessToken", time.Now(), &err)
	t, err := scanAccessToken(q.queryRow(ctx, getAccessTokenSQL, accountID, id))
	if err != nil {
		return nil, fmt.Errorf("get access token %s/%s: %w", accountID, id, q.classify(err))
	}
	return t, nil
}

func (q *queries) DeleteAccessToken(ctx context.Context, accountID, id string) (err error) {
	defer q.done("DeleteAccessToken", time.Now(), &err)
	if err := q.execOne(ctx, deleteAccessTokenSQL, accountID, id); err != nil {
		return fmt.Errorf("delete access token %s/%s: %w", accountID, id, err)
	}
	return nil
}

// ListAccessTokens runs one statement: the account's tokens that match the
// translated $filter, strictly after the keyset position, in the requested
// order with the id tie-break. The order is served by one of the
// (account_id, field, id) indexes walked in either direction, and the
// keyset position adds a leading range on the first sort key so the walk
// starts at the position instead of filtering its way there: page 50 reads
// what page 1 does.
func (q *queries) ListAccessTokens(ctx context.Context, aq tokend.AccessTokenQuery) (_ []*tokend.AccessToken, err error) {
	defer q.done("ListAccessTokens", time.Now(), &err)
	query, args, err := q.listAccessTokensSQL(aq)
	if err != nil {
		return nil, fmt.Errorf("list access tokens of %s: %w", aq.AccountID, err)
	}
	// listReader plans every list for its own values on PostgreSQL: for
	// "startswith(name,'ci') ... $orderby=expiryAt desc" the generic plan
	// reads every matching name through the name index and sorts them (rows
	// estimated: 1; at a million tokens: 200,000 and a second), where the
	// custom plan walks the expiry index and stops after a page.
	list, err := queryAll(ctx, listReader{q}, scanAccessToken, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list access tokens of %s: %w", aq.AccountID, err)
	}
	return list, nil
}

func (q *queries) listAccessTokensSQL(aq tokend.AccessTokenQuery) (string, []any, error) {
	if aq.AccountID == "" {
		return "", nil, errors.New("account id is required")
	}
	if aq.Limit < 0 || aq.Skip < 0 {
		return "", nil, fmt.Errorf("negative limit %d or skip %d", aq.Limit, aq.Skip)
	}
	now := aq.Now
	if now.IsZero() {
		now = time.Now()
	}
	keys, err := accessTokenSortKeys(aq.OrderBy)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + accessTokenColumns + ` FROM playwright_access_tokens WHERE account_id = $1`)
	args := []any{aq.AccountID}
	if aq.Filter != nil {
		pred, more := q.accessTokenFilterSQL(aq.Filter, now, args)
		args = more
		b.WriteString(` AND (` + pred + `)`)
	}
	if aq.After != nil {
		args = writeKeysetAfter(&b, keys, aq.After, now, args)
	}
	b.WriteString(` ORDER BY `)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(`, `)
		}
		var col string
		col, args = sortColumn(k.Field, now, args)
		b.WriteString(col)
		if k.Desc {
			b.WriteString(` DESC`)
		}
	}
	if aq.Limit > 0 || aq.Skip > 0 {
		// Written as literals, not parameters: PostgreSQL plans a
		// prepared statement generically after a few runs, and a generic
		// plan that cannot see "LIMIT 11" prefers sorting the filtered
		// rows to walking the order's index and stopping early. (They are
		// integers from code, never client text.) SQLite wants a LIMIT
		// before OFFSET; a huge one means "no limit" on both engines.
		limit := int64(aq.Limit)
		if limit == 0 {
			limit = 1 << 62
		}
		b.WriteString(` LIMIT ` + strconv.FormatInt(limit, 10))
		if aq.Skip > 0 {
			b.WriteString(` OFFSET ` + strconv.Itoa(aq.Skip))
		}
	}
	return b.String(), args, nil
}

// accessTokenSortKeys completes an $orderby into a total order: the id
// tie-break is appended in the direction of the last key (so an
// all-descending order is one index walked backwards), and keys after id,
// which is unique, are dropped as they can never decide anything.
func accessTokenSortKeys(order []tokend.AccessTokenOrder) ([]tokend.AccessTokenOrder, error) {
	keys := make([]tokend.AccessTokenOrder, 0, len(order)+1)
	seen := map[tokend.AccessTokenField]bool{}
	for _, k := range order {
		switch k.Field {
		case tokend.AccessTokenID, tokend.AccessTokenName, tokend.AccessTokenCreatedAt,
			tokend.AccessTokenExpiryAt, tokend.AccessTokenState:
		default:
			return nil, fmt.Errorf("cannot order access tokens by %q", k.Field)
		}
		if seen[k.Field] {
			continue
		}
		seen[k.Field] = true
		keys = append(keys, k)
		if k.Field == tokend.AccessTokenID {
			return keys, nil
		}
	}
	desc := len(keys) > 0 && keys[len(keys)-1].Desc
	return append(keys, tokend.AccessTokenOrder{Field: tokend.AccessTokenID, Desc: desc}), nil
}

// sortColumn is the SQL a field sorts by. state is computed against the
// query's instant: 0 (Active) before 1 (Expired).
func sortColumn(f tokend.AccessTokenField, now time.Time, args []any) (string, []any) {
	switch f {
	case tokend.AccessTokenName:
		return "name", args
	case tokend.AccessTokenCreatedAt:
		return "created_at", args
	case tokend.AccessTokenExpiryAt:
		return "expiry_at", args
	case tokend.AccessTokenState:
		args = append(args, toMicros(now))
		return "(CASE WHEN expiry_at > $" + strconv.Itoa(len(args)) + " THEN 0 ELSE 1 END)", args
	default:
		return "id", args
	}
}

// sortValue is a token's value of a sort key, as stored.
func sortValue(f tokend.AccessTokenField, t *tokend.AccessToken, now time.Time) any {
	switch f {
	case tokend.AccessTokenName:
		return t.Name
	case tokend.AccessTokenCreatedAt:
		return toMicros(t.CreatedAt)
	case tokend.AccessTokenExpiryAt:
		return toMicros(t.ExpiryAt)
	case tokend.AccessTokenState:
		if t.Active(now) {
			return int64(0)
		}
		return int64(1)
	default:
		return t.ID
	}
}

// writeKeysetAfter appends the predicate "strictly after t in the order
// keys". Keys are taken in runs of one direction; each run compares as a row
// value, which both engines turn into an exact index seek, even where many
// rows share the first key (a name given to thousands of tokens):
//
//	(k1, k2) > (v1, v2)                                       one direction
//	(k1) <= (v1) AND ((k1) < (v1) OR ((k1) = (v1) AND (k2, k3) > (v2, v3)))
//
// The second form, for mixed directions, expands over the runs; its leading
// range on the first run is implied by the rest and is there for the
// planners, which seek the index to it instead of filtering their way to
// the position.
func writeKeysetAfter(b *strings.Builder, keys []tokend.AccessTokenOrder, t *tokend.AccessToken, now time.Time, args []any) []any {
	type run struct {
		cols, vals []string
		desc       bool
	}
	var runs []run
	for i, k := range keys {
		var col string
		col, args = sortColumn(k.Field, now, args)
		args = append(args, sortValue(k.Field, t, now))
		val := "$" + strconv.Itoa(len(args))
		if i == 0 || k.Desc != keys[i-1].Desc {
			runs = append(runs, run{desc: k.Desc})
		}
		r := &runs[len(runs)-1]
		r.cols, r.vals = append(r.cols, col), append(r.vals, val)
	}
	row := func(r run, op string) string {
		return "(" + strings.Join(r.cols, ", ") + ") " + op + " (" + strings.Join(r.vals, ", ") + ")"
	}
	past := func(r run) string {
		if r.desc {
			return row(r, "<")
		}
		return row(r, ">")
	}
	if len(runs) == 1 {
		b.WriteString(` AND ` + past(runs[0]))
		return args
	}
	if runs[0].desc {
		b.WriteString(` AND ` + row(runs[0], "<="))
	} else {
		b.WriteString(` AND ` + row(runs[0], ">="))
	}
	b.WriteString(` AND (`)
	for i := range runs {
		if i > 0 {
			b.WriteString(` OR `)
		}
		b.WriteString(`(`)
		for j := range i {
			b.WriteString(row(runs[j], "=") + ` AND `)
		}
		b.WriteString(past(runs[i]) + `)`)
	}
	b.WriteString(`)`)
	return args
}
