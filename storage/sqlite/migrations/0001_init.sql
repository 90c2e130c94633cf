-- The first schema. Times are INTEGER unix microseconds UTC; text keys use
-- SQLite's default BINARY (bytewise) collation, which the scope range of
-- ListResources depends on. STRICT tables reject a value of the wrong type
-- instead of storing it.

CREATE TABLE tenants (
	id           TEXT NOT NULL PRIMARY KEY,
	display_name TEXT NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE subscriptions (
	id           TEXT NOT NULL PRIMARY KEY,
	tenant_id    TEXT NOT NULL,
	display_name TEXT NOT NULL,
	state        TEXT NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;

-- A rowid table rather than WITHOUT ROWID: bodies can be several KiB, and
-- SQLite keeps large rows better out of the key b-tree.
CREATE TABLE resources (
	key        TEXT NOT NULL PRIMARY KEY,
	id         TEXT NOT NULL,
	type       TEXT NOT NULL,
	name       TEXT NOT NULL,
	uid        TEXT NOT NULL,
	etag       TEXT NOT NULL,
	body       BLOB NOT NULL,
	secrets    BLOB,
	sort_name  TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	updated_by TEXT NOT NULL
) STRICT;

-- ListResources: one type, a key range, in key order.
CREATE INDEX resources_type_key ON resources (type, key);

CREATE TABLE clients (
	id           TEXT NOT NULL PRIMARY KEY,
	tenant_id    TEXT NOT NULL,
	object_id    TEXT NOT NULL,
	display_name TEXT NOT NULL,
	secret_hash  BLOB NOT NULL,
	secret_hint  TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE role_assignments (
	id           TEXT NOT NULL PRIMARY KEY,
	principal_id TEXT NOT NULL,
	role         TEXT NOT NULL,
	scope        TEXT NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX role_assignments_principal ON role_assignments (principal_id);

CREATE TABLE signing_keys (
	id          TEXT NOT NULL PRIMARY KEY,
	algorithm   TEXT NOT NULL,
	public_jwk  BLOB NOT NULL,
	private     BLOB NOT NULL,
	created_at  INTEGER NOT NULL,
	activate_at INTEGER NOT NULL,
	retire_at   INTEGER NOT NULL,
	expire_at   INTEGER NOT NULL
) STRICT;

-- Small rows looked up by key on every token check: WITHOUT ROWID makes
-- that one b-tree search instead of two.
CREATE TABLE revocations (
	token_id   TEXT NOT NULL PRIMARY KEY,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX revocations_revoked_at ON revocations (revoked_at);
CREATE INDEX revocations_expires_at ON revocations (expires_at);

CREATE TABLE meta (
	key   TEXT NOT NULL PRIMARY KEY,
	value BLOB NOT NULL
) STRICT, WITHOUT ROWID;
