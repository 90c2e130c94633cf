package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

// A client is one row of clients and its identifier URIs, rows of
// client_identifier_uris (migration 0300_client_credentials.sql). Reads
// take both in one query, a LEFT JOIN that repeats the client's columns
// once per URI (a client has a handful at most) in URI order; readClients
// folds the rows back into clients.
const (
	clientColumns   = `id, tenant_id, object_id, display_name, secret_hash, secret_hint, kind, created_at, updated_at, public_client, redirect_uris`
	createClientSQL = `INSERT INTO clients (` + clientColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`
	selectClientsSQL = `SELECT c.id, c.tenant_id, c.object_id, c.display_name, c.secret_hash, c.secret_hint,
c.kind, c.created_at, c.updated_at, c.public_client, c.redirect_uris, u.uri
FROM clients c LEFT JOIN client_identifier_uris u ON u.client_id = c.id`
	getClientSQL   = selectClientsSQL + ` WHERE c.id = $1 ORDER BY u.position`
	listClientsSQL = selectClientsSQL + ` ORDER BY c.id, u.position`
	// clientByIdentifierURISQL finds the client by the lower-case key of
	// one of its URIs, and reads all of them.
	clientByIdentifierURISQL = selectClientsSQL + `
WHERE c.id = (SELECT client_id FROM client_identifier_uris WHERE uri_key = $1) ORDER BY u.position`
	updateClientSQL = `UPDATE clients SET tenant_id = $2, object_id = $3, display_name = $4,
secret_hash = $5, secret_hint = $6, kind = $7, created_at = $8, updated_at = $9,
public_client = $10, redirect_uris = $11
WHERE id = $1`
	deleteClientSQL = `DELETE FROM clients WHERE id = $1`
	clientExistsSQL = `SELECT 1 FROM clients WHERE id = $1`

	listIdentifierURIsSQL   = `SELECT uri FROM client_identifier_uris WHERE client_id = $1 ORDER BY position`
	identifierURIOwnerSQL   = `SELECT client_id FROM client_identifier_uris WHERE uri_key = $1`
	deleteIdentifierURIsSQL = `DELETE FROM client_identifier_uris WHERE client_id = $1`
	insertIdentifierURISQL  = `INSERT INTO client_identifier_uris (uri_key, uri, client_id, position)
VALUES ($1, $2, $3, $4) ON CONFLICT (uri_key) DO NOTHING`
)

// clientKind is the kind stored for c: an unset Kind is an application,
// as are the clients created before kinds existed.
func clientKind(c *tokend.Client) string {
	if c.Kind == "" {
		return string(tokend.ClientApplication)
	}
	return string(c.Kind)
}

func clientArgs(c *tokend.Client) []any {
	return []any{c.ID, c.TenantID, c.ObjectID, c.DisplayName, notNull(c.SecretHash),
		c.SecretHint, clientKind(c), toMicros(c.CreatedAt), toMicros(c.UpdatedAt),
		boolInt(c.Public), stringList(c.RedirectURIs)}
}

// boolInt stores a flag as 0 or 1 (an INTEGER on both engines).
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// readClients reads the rows of a selectClientsSQL query, ordered by client
// and then URI, into clients, and closes rows.
func readClients(rows *sql.Rows) ([]*tokend.Client, error) {
	defer rows.Close()
	var list []*tokend.Client
	for rows.Next() {
		var c tokend.Client
		var kind string
		var created, updated, public int64
		var redirects string
		var uri sql.NullString
		err := rows.Scan(&c.ID, &c.TenantID, &c.ObjectID, &c.DisplayName, &c.SecretHash,
			&c.SecretHint, &kind, &created, &updated, &public, &redirects, &uri)
		if err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		if n := len(list); n > 0 && list[n-1].ID == c.ID {
			// The same client, with its next URI.
			if uri.Valid {
				list[n-1].IdentifierURIs = append(list[n-1].IdentifierURIs, uri.String)
			}
			continue
		}
		c.Kind = tokend.ClientKind(kind)
		c.Public = public != 0
		if c.RedirectURIs, err = parseStringList(redirects); err != nil {
			return nil, fmt.Errorf("client %s redirect URIs: %w", c.ID, err)
		}
		c.CreatedAt = fromMicros(created)
		c.UpdatedAt = fromMicros(updated)
		if uri.Valid {
			c.IdentifierURIs = []string{uri.String}
		}
		list = append(list, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return list, nil
}

// getOneClient runs a hot read of one client (getClientSQL,
// clientByIdentifierURISQL) and returns ErrNotFound when it finds none.
func (q *queries) getOneClient(ctx context.Context, query string, arg string) (*tokend.Client, error) {
	rows, err := q.queryRows(ctx, query, arg)
	if err != nil {
		return nil, q.classify(err)
	}
	list, err := readClients(rows)
	if err != nil {
		return nil, q.classify(err)
	}
	if len(list) == 0 {
		return nil, tokend.ErrNotFound
	}
	return list[0], nil
}

// CreateClient inserts c with its identifier URIs; ErrAlreadyExists when
// the id or one of the URIs is taken.
func (q *queries) CreateClient(ctx context.Context, c *tokend.Client) (err error) {
	defer q.done("CreateClient", time.Now(), &err)
	if len(c.IdentifierURIs) == 0 {
		if err := q.insert(ctx, createClientSQL, clientArgs(c)...); err != nil {
			return fmt.Errorf("create client %s: %w", c.ID, err)
		}
		return nil
	}
	err = q.inWriteTx(ctx, func(tx querier) error {
		uris, err := q.planIdentifierURIs(ctx, tx, c.ID, c.IdentifierURIs)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, createClientSQL, clientArgs(c)...)
		if err != nil {
			return q.classify(err)
		}
		if err := expectOne(res, tokend.ErrAlreadyExists); err != nil {
			return err
		}
		return uris.write(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("create client %s: %w", c.ID, err)
	}
	return nil
}

func (q *queries) GetClient(ctx context.Context, id string) (_ *tokend.Client, err error) {
	defer q.done("GetClient", time.Now(), &err)
	c, err := q.getOneClient(ctx, getClientSQL, id)
	if err != nil {
		return nil, fmt.Errorf("get client %s: %w", id, err)
	}
	return c, nil
}

func (q *queries) ListClients(ctx context.Context) (_ []*tokend.Client, err error) {
	defer q.done("ListClients", time.Now(), &err)
	rows, err := q.read.QueryContext(ctx, listClientsSQL)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	list, err := readClients(rows)
	if err != nil {
		return nil, fmt.Errorf("list clients: %w", err)
	}
	return list, nil
}

// UpdateClient replaces every field of the stored client with ID c.ID,
// its identifier URIs included (ErrAlreadyExists when another client has
// one of them). URIs equal to the stored ones are not rewritten.
func (q *queries) UpdateClient(ctx context.Context, c *tokend.Client) (err error) {
	defer q.done("UpdateClient", time.Now(), &err)
	err = q.inWriteTx(ctx, func(tx querier) error {
		// Every check comes before the first write, so an error leaves
		// the client as it was, also inside the caller's transaction.
		uris, err := q.planIdentifierURIs(ctx, tx, c.ID, c.IdentifierURIs)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, updateClientSQL, clientArgs(c)...)
		if err != nil {
			return q.classify(err)
		}
		if err := expectOne(res, tokend.ErrNotFound); err != nil {
			return err
		}
		return uris.write(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("update client %s: %w", c.ID, err)
	}
	return nil
}

// DeleteClient deletes the client and, through the foreign keys' ON DELETE
// CASCADE, its certificates, federated credentials, identifier URIs and
// managed identity.
func (q *queries) DeleteClient(ctx context.Context, id string) (err error) {
	defer q.done("DeleteClient", time.Now(), &err)
	if err := q.execOne(ctx, deleteClientSQL, id); err != nil {
		return fmt.Errorf("delete client %s: %w", id, err)
	}
	return nil
}

// SetIdentifierURIs replaces the client's identifier URIs.
func (q *queries) SetIdentifierURIs(ctx context.Context, clientID string, uris []string) (err error) {
	defer q.done("SetIdentifierURIs", time.Now(), &err)
	err = q.inWriteTx(ctx, func(tx querier) error {
		if err := q.requireClient(ctx, tx, clientID); err != nil {
			return err
		}
		plan, err := q.planIdentifierURIs(ctx, tx, clientID, uris)
		if err != nil {
			return err
		}
		return plan.write(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("set identifier URIs of client %s: %w", clientID, err)
	}
	return nil
}

func (q *queries) ClientByIdentifierURI(ctx context.Context, uri string) (_ *tokend.Client, err error) {
	defer q.done("ClientByIdentifierURI", time.Now(), &err)
	c, err := q.getOneClient(ctx, clientByIdentifierURISQL, identifierURIKey(uri))
	if err != nil {
		return nil, fmt.Errorf("client by identifier URI %s: %w", uri, err)
	}
	return c, nil
}

// identifierURIKey is what identifier URIs are unique and found by: the
// URI without regard to case.
func identifierURIKey(uri string) string { return strings.ToLower(uri) }

// identifierURIPlan is a checked replacement of one client's identifier
// URIs, to write in the transaction that checked it.
type identifierURIPlan struct {
	q        *queries
	clientID string
	uris     []string // deduplicated by key, first spelling kept, in order
	keys     []string
	// unchanged: the client already has exactly uris.
	unchanged bool
}

// planIdentifierURIs checks, without writing, that uris can become the
// identifier URIs of clientID: ErrAlreadyExists when another client has
// one of them. It runs inside the transaction tx that then writes the
// plan; on PostgreSQL it first takes the client's named lock, so that two
// replacements of one client's URIs cannot interleave into a mixture.
// A URI that repeats an earlier one, compared without regard to case, is
// dropped.
func (q *queries) planIdentifierURIs(ctx context.Context, tx querier, clientID string, uris []string) (*identifierURIPlan, error) {
	if q.dialect.LockSQL != "" {
		if _, err := tx.ExecContext(ctx, q.dialect.LockSQL, "tokend.client:"+clientID); err != nil {
			return nil, fmt.Errorf("lock client: %w", err)
		}
	}
	p := &identifierURIPlan{q: q, clientID: clientID}
	for _, uri := range uris {
		key := identifierURIKey(uri)
		if !slices.Contains(p.keys, key) {
			p.keys = append(p.keys, key)
			p.uris = append(p.uris, uri)
		}
	}
	current, err := queryAll(ctx, tx, scanString, listIdentifierURIsSQL, clientID)
	if err != nil {
		return nil, fmt.Errorf("read identifier URIs: %w", err)
	}
	if slices.Equal(current, p.uris) {
		p.unchanged = true
		return p, nil
	}
	for i, key := range p.keys {
		var owner string
		switch err := tx.QueryRowContext(ctx, identifierURIOwnerSQL, key).Scan(&owner); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("identifier URI %s: %w", p.uris[i], err)
		case owner != clientID:
			return nil, fmt.Errorf("identifier URI %s belongs to another client: %w", p.uris[i], tokend.ErrAlreadyExists)
		}
	}
	return p, nil
}

// write replaces the client's URIs with the plan's. A URI another
// transaction took since the plan was checked is ErrAlreadyExists.
func (p *identifierURIPlan) write(ctx context.Context, tx querier) error {
	if p.unchanged {
		return nil
	}
	if _, err := tx.ExecContext(ctx, deleteIdentifierURIsSQL, p.clientID); err != nil {
		return fmt.Errorf("delete identifier URIs: %w", p.q.classify(err))
	}
	for i, uri := range p.uris {
		res, err := tx.ExecContext(ctx, insertIdentifierURISQL, p.keys[i], uri, p.clientID, i)
		if err != nil {
			return fmt.Errorf("identifier URI %s: %w", uri, p.q.classify(err))
		}
		if err := expectOne(res, tokend.ErrAlreadyExists); err != nil {
			return fmt.Errorf("identifier URI %s: %w", uri, err)
		}
	}
	return nil
}

// requireClient returns ErrNotFound when no client has id. Writes of what
// a client owns check first rather than leave it to the foreign key:
// PostgreSQL aborts the surrounding transaction on a violation, where
// ErrNotFound must be an answer the caller can go on after. (A client
// deleted between the check and the write still fails the foreign key,
// which classify maps to ErrNotFound too.)
func (q *queries) requireClient(ctx context.Context, db querier, id string) error {
	var one int
	if err := db.QueryRowContext(ctx, clientExistsSQL, id).Scan(&one); err != nil {
		return fmt.Errorf("client %s: %w", id, q.classify(err))
	}
	return nil
}

func scanString(row scanner) (s string, err error) {
	err = row.Scan(&s)
	return s, err
}
