package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

// CreateRefreshFamily stores f: a batch of one (CreateRefreshFamilies).
func (q *queries) CreateRefreshFamily(ctx context.Context, f *tokend.RefreshFamily) error {
	r := &tokend.RefreshFamilyCreation{Family: *f}
	if err := q.CreateRefreshFamilies(ctx, []*tokend.RefreshFamilyCreation{r}); err != nil {
		return err
	}
	if r.Err != nil {
		return fmt.Errorf("create refresh token family %s: %w", f.ID, r.Err)
	}
	return nil
}

// CreateRefreshFamilies inserts a batch with one statement: every
// sign-in that starts a family (an authorization code's exchange is spent
// by it) would otherwise commit an INSERT of its own, which was nearly
// all of the database's work per exchange on PostgreSQL (0.74 of a core
// for 1,455 exchanges/s, docs/performance.md). A family whose user is
// missing is left out by the statement rather than failing the batch on
// the foreign key; only when a user is deleted while the batch is written
// does the key fail it, and then the families are written one at a time.
func (q *queries) CreateRefreshFamilies(ctx context.Context, records []*tokend.RefreshFamilyCreation) (err error) {
	defer q.done("CreateRefreshFamilies", time.Now(), &err)
	first := make(map[string]bool, len(records))
	batch := make([]*tokend.RefreshFamilyCreation, 0, len(records))
	for _, r := range records {
		// A repeat of an id in the batch finds its first occurrence's row.
		r.Err = tokend.ErrAlreadyExists
		if !first[r.Family.ID] {
			first[r.Family.ID] = true
			batch = append(batch, r)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	// The read that tells a taken id from a missing user (for families the
	// INSERT did not store) needs no transaction with it: a family found
	// is taken, whichever transaction stored it.
	err = q.inWriteStatements(ctx, func(x querier) error { return createRefreshFamilies(ctx, x, batch) })
	switch {
	case err == nil:
		return nil
	case q.inTx || !errors.Is(q.classify(err), tokend.ErrNotFound):
		return fmt.Errorf("create refresh token families: %w", q.classify(err))
	case len(batch) == 1:
		batch[0].Err = tokend.ErrNotFound
		return nil
	}
	for _, r := range batch {
		if err := q.CreateRefreshFamilies(ctx, []*tokend.RefreshFamilyCreation{r}); err != nil {
			return err
		}
	}
	return nil
}

// createRefreshFamilies runs a batch's INSERT on x and sets each record's
// outcome: the ids it returns are stored; of the others, those found are
// taken (ErrAlreadyExists), the rest have no user (ErrNotFound).
func createRefreshFamilies(ctx context.Context, x querier, batch []*tokend.RefreshFamilyCreation) error {
	// The VALUES rows are selected into the table so that a WHERE can
	// leave out families without a user; the parameters of a VALUES list
	// outside an INSERT's own have no column to take a type from, so the
	// integers are cast (PostgreSQL would take them for text).
	var sb strings.Builder
	args := make([]any, 0, 8*len(batch))
	sb.WriteString(`INSERT INTO refresh_families (` + refreshFamilyColumns + `)
SELECT column1, column2, column3, column4, column5, column6, 0, column7, column8 FROM (VALUES `)
	for i, r := range batch {
		if i > 0 {
			sb.WriteByte(',')
		}
		n := len(args)
		fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS BIGINT))",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		f := &r.Family
		args = append(args, f.ID, f.TenantID, f.ClientID, f.UserObjectID, f.Generation,
			toMicros(f.RotatedAt), toMicros(f.CreatedAt), toMicros(f.ExpiresAt))
	}
	sb.WriteString(`) AS v WHERE EXISTS (SELECT 1 FROM users WHERE users.object_id = v.column4)
ON CONFLICT DO NOTHING RETURNING id`)
	stored, err := collectIDs(ctx, x, sb.String(), args...)
	if err != nil {
		return err
	}
	var missing []*tokend.RefreshFamilyCreation
	for _, r := range batch {
		if stored[r.Family.ID] {
			r.Err = nil
		} else {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	// Rare (a code redeemed twice, a user deleted): one more read.
	sb.Reset()
	args = args[:0]
	sb.WriteString(`SELECT id FROM refresh_families WHERE id IN (`)
	for i, r := range missing {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "$%d", i+1)
		args = append(args, r.Family.ID)
	}
	sb.WriteByte(')')
	taken, err := collectIDs(ctx, x, sb.String(), args...)
	if err != nil {
		return err
	}
	for _, r := range missing {
		if !taken[r.Family.ID] {
			r.Err = tokend.ErrNotFound
		}
	}
	return nil
}

// collectIDs runs a query answering one id per row.
func collectIDs(ctx context.Context, x querier, query string, args ...any) (map[string]bool, error) {
	rows, err := x.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make(map[string]bool)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}
