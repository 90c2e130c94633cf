package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tokend-dev/tokend"
)

// What signs a client in besides its secret (migration
// 0300_client_credentials.sql): certificates, federated credentials, and
// the ids of client assertions already used. The identifier URIs, read
// with the client, are in clients.go.
const (
	certificateColumns = `client_id, thumbprint, thumbprint_sha256, der, not_before, not_after, created_at`
	addCertificateSQL  = `INSERT INTO client_certificates (` + certificateColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id, thumbprint) DO NOTHING`
	listCertificatesSQL = `SELECT ` + certificateColumns + ` FROM client_certificates
WHERE client_id = $1 ORDER BY created_at, thumbprint`
	deleteCertificateSQL = `DELETE FROM client_certificates WHERE client_id = $1 AND thumbprint = $2`

	federatedColumns   = `client_id, name, issuer, subject, audiences, created_at`
	createFederatedSQL = `INSERT INTO federated_credentials (` + federatedColumns + `)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id, name) DO NOTHING`
	listFederatedSQL = `SELECT ` + federatedColumns + ` FROM federated_credentials
WHERE client_id = $1 ORDER BY name`
	deleteFederatedSQL = `DELETE FROM federated_credentials WHERE client_id = $1 AND name = $2`

	// purgeAssertionsSQL forgets the ids expired before $1.
	purgeAssertionsSQL = `DELETE FROM assertion_replays WHERE expires_at <= $1`
)

// AddClientCertificate stores c with its thumbprint in upper case;
// ErrNotFound when the client is missing.
func (q *queries) AddClientCertificate(ctx context.Context, c *tokend.ClientCertificate) (err error) {
	defer q.done("AddClientCertificate", time.Now(), &err)
	thumbprint := strings.ToUpper(c.Thumbprint)
	if err := q.requireClient(ctx, q.read, c.ClientID); err != nil {
		return fmt.Errorf("add certificate %s: %w", thumbprint, err)
	}
	err = q.insert(ctx, addCertificateSQL, c.ClientID, thumbprint, c.ThumbprintSHA256, notNull(c.DER),
		toMicros(c.NotBefore), toMicros(c.NotAfter), toMicros(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("add certificate %s to client %s: %w", thumbprint, c.ClientID, err)
	}
	return nil
}

// ListClientCertificates lists the client's certificates in the order they
// were added; none (and no error) for a missing client.
func (q *queries) ListClientCertificates(ctx context.Context, clientID string) (_ []*tokend.ClientCertificate, err error) {
	defer q.done("ListClientCertificates", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanCertificate, listCertificatesSQL, clientID)
	if err != nil {
		return nil, fmt.Errorf("list certificates of client %s: %w", clientID, err)
	}
	return list, nil
}

func (q *queries) DeleteClientCertificate(ctx context.Context, clientID, thumbprint string) (err error) {
	defer q.done("DeleteClientCertificate", time.Now(), &err)
	thumbprint = strings.ToUpper(thumbprint)
	if err := q.execOne(ctx, deleteCertificateSQL, clientID, thumbprint); err != nil {
		return fmt.Errorf("delete certificate %s of client %s: %w", thumbprint, clientID, err)
	}
	return nil
}

func scanCertificate(row scanner) (*tokend.ClientCertificate, error) {
	var c tokend.ClientCertificate
	var notBefore, notAfter, created int64
	err := row.Scan(&c.ClientID, &c.Thumbprint, &c.ThumbprintSHA256, &c.DER, &notBefore, &notAfter, &created)
	if err != nil {
		return nil, err
	}
	c.NotBefore = fromMicros(notBefore)
	c.NotAfter = fromMicros(notAfter)
	c.CreatedAt = fromMicros(created)
	return &c, nil
}

// CreateFederatedCredential stores f; ErrNotFound when the client is
// missing.
func (q *queries) CreateFederatedCredential(ctx context.Context, f *tokend.FederatedCredential) (err error) {
	defer q.done("CreateFederatedCredential", time.Now(), &err)
	audiences := f.Audiences
	if audiences == nil {
		audiences = []string{} // [], not null
	}
	text, err := json.Marshal(audiences)
	if err != nil {
		return fmt.Errorf("create federated credential %s: audiences: %w", f.Name, err)
	}
	if err := q.requireClient(ctx, q.read, f.ClientID); err != nil {
		return fmt.Errorf("create federated credential %s: %w", f.Name, err)
	}
	err = q.insert(ctx, createFederatedSQL, f.ClientID, f.Name, f.Issuer, f.Subject, string(text), toMicros(f.CreatedAt))
	if err != nil {
		return fmt.Errorf("create federated credential %s of client %s: %w", f.Name, f.ClientID, err)
	}
	return nil
}

// ListFederatedCredentials lists the client's federated credentials by
// name; none (and no error) for a missing client.
func (q *queries) ListFederatedCredentials(ctx context.Context, clientID string) (_ []*tokend.FederatedCredential, err error) {
	defer q.done("ListFederatedCredentials", time.Now(), &err)
	list, err := queryAll(ctx, q.read, scanFederated, listFederatedSQL, clientID)
	if err != nil {
		return nil, fmt.Errorf("list federated credentials of client %s: %w", clientID, err)
	}
	return list, nil
}

func (q *queries) DeleteFederatedCredential(ctx context.Context, clientID, name string) (err error) {
	defer q.done("DeleteFederatedCredential", time.Now(), &err)
	if err := q.execOne(ctx, deleteFederatedSQL, clientID, name); err != nil {
		return fmt.Errorf("delete federated credential %s of client %s: %w", name, clientID, err)
	}
	return nil
}

func scanFederated(row scanner) (*tokend.FederatedCredential, error) {
	var f tokend.FederatedCredential
	var audiences string
	var created int64
	if err := row.Scan(&f.ClientID, &f.Name, &f.Issuer, &f.Subject, &audiences, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(audiences), &f.Audiences); err != nil {
		return nil, fmt.Errorf("federated credential %s: audiences: %w", f.Name, err)
	}
	f.CreatedAt = fromMicros(created)
	return &f, nil
}

// RecordAssertion records one id: a batch of one (RecordAssertions).
func (q *queries) RecordAssertion(ctx context.Context, id string, expiresAt, now time.Time) error {
	r := &tokend.AssertionRecord{ID: id, ExpiresAt: expiresAt}
	if err := q.RecordAssertions(ctx, now, []*tokend.AssertionRecord{r}); err != nil {
		return err
	}
	if r.Replayed {
		return fmt.Errorf("record assertion %s: %w", id, tokend.ErrAlreadyExists)
	}
	return nil
}

// RecordAssertions records every record with one statement. Outside a
// transaction it commits on its own, under Dialect.RelaxedCommit where the
// engine has it: this is on every certificate sign-in's path (one commit
// per batch of concurrent sign-ins, identity/replay.go), and a crash of
// the database server in the instant after a commit could forget an id,
// which lets that one assertion be replayed until it expires (minutes);
// every other write keeps the engine's full durability. Inside a
// transaction it is part of the caller's.
func (q *queries) RecordAssertions(ctx context.Context, now time.Time, records []*tokend.AssertionRecord) (err error) {
	defer q.done("RecordAssertions", time.Now(), &err)
	relax := !q.inTx && q.dialect.RelaxedCommit != ""
	err = q.inWriteTx(ctx, func(tx querier) error {
		if relax {
			if _, err := tx.ExecContext(ctx, q.dialect.RelaxedCommit); err != nil {
				return err
			}
		}
		return q.recordAssertions(ctx, tx, now, records)
	})
	if err != nil {
		return fmt.Errorf("record assertions: %w", q.classify(err))
	}
	return nil
}

// recordAssertions runs the batch's one statement on x. Of two nodes
// recording the same id at once, PostgreSQL makes the second wait for the
// first and then evaluates the WHERE on the row the first wrote, so
// exactly one gets the id back.
func (q *queries) recordAssertions(ctx context.Context, x querier, now time.Time, records []*tokend.AssertionRecord) error {
	// One statement for the batch (a round trip each would bound it on
	// PostgreSQL): the ids it returns are the ones recorded; the others
	// were recorded before and have not expired. A repeat within the
	// batch is a replay of its first occurrence (and could not be in one
	// INSERT ... ON CONFLICT DO UPDATE twice).
	first := make(map[string]bool, len(records))
	var sb strings.Builder
	args := make([]any, 0, 2*len(records)+1)
	args = append(args, toMicros(now))
	sb.WriteString(`INSERT INTO assertion_replays (id, expires_at) VALUES `)
	for _, r := range records {
		r.Replayed = true
		if first[r.ID] {
			continue
		}
		first[r.ID] = true
		if len(args) > 1 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "($%d, $%d)", len(args)+1, len(args)+2)
		args = append(args, r.ID, toMicros(r.ExpiresAt))
	}
	sb.WriteString(` ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE assertion_replays.expires_at <= $1 RETURNING id`)
	rows, err := x.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return fmt.Errorf("record assertions: %w", q.classify(err))
	}
	recorded := make(map[string]bool, len(first))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("record assertions: %w", err)
		}
		recorded[id] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("record assertions: %w", q.classify(err))
	}
	for _, r := range records {
		if recorded[r.ID] {
			r.Replayed = false
			delete(recorded, r.ID) // a repeat stays a replay
		}
	}
	return nil
}

// PurgeAssertions forgets assertion ids that expired before t.
func (q *queries) PurgeAssertions(ctx context.Context, before time.Time) (_ int, err error) {
	defer q.done("PurgeAssertions", time.Now(), &err)
	res, err := q.write.ExecContext(ctx, purgeAssertionsSQL, toMicros(before))
	if err != nil {
		return 0, fmt.Errorf("purge assertions: %w", q.classify(err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
