// Package sqlstore implements tokend.Store once, over database/sql, for every
// SQL engine tokend supports. The engines (storage/sqlite, storage/postgres)
// open their connection pools, run their own migrations and hand both pools
// to New together with a Dialect that says what really differs between them.
//
// The SQL is written once with $1-style placeholders, which both
// modernc.org/sqlite and pgx accept. Schemas must agree on table and column
// names; types may differ per engine (BLOB/BYTEA, INTEGER/BIGINT).
//
// Conventions every engine's schema follows:
//   - times are BIGINT unix microseconds UTC; the zero time.Time is stored as
//     0 and read back as the zero time.Time;
//   - text keys compare bytewise (SQLite's default BINARY collation,
//     COLLATE "C" on PostgreSQL), which is what makes key order and the
//     scope range of ListResources portable;
//   - creates are INSERT ... ON CONFLICT DO NOTHING and report
//     ErrAlreadyExists from the affected-row count, so a collision never
//     aborts a PostgreSQL transaction the caller wants to continue;
//   - rows owned by another (a client's certificates, federated credentials,
//     identifier URIs, managed identity) reference it with ON DELETE
//     CASCADE, and their writes check that the owner exists first, for the
//     same reason: a missing owner is ErrNotFound, not a foreign-key
//     violation (SQLite enforces foreign keys on its writer connection,
//     the only one that writes).
package sqlstore
