-- The first schema. Times are BIGINT unix microseconds UTC. Keys compare
-- bytewise (COLLATE "C") whatever the database's default collation: a
-- linguistic collation such as en_US.UTF-8 ignores punctuation at its first
-- level, which would break both key order and the scope range of
-- ListResources ('/' and '0' must sort as bytes).

CREATE TABLE tenants (
	id           TEXT COLLATE "C" PRIMARY KEY,
	display_name TEXT NOT NULL,
	created_at   BIGINT NOT NULL
);

CREATE TABLE subscriptions (
	id           TEXT COLLATE "C" PRIMARY KEY,
	tenant_id    TEXT NOT NULL,
	display_name TEXT NOT NULL,
	state        TEXT NOT NULL,
	created_at   BIGINT NOT NULL
);

-- Body is BYTEA, not JSONB: storage returns the provider's document byte for
-- byte (JSONB would reorder keys and drop duplicates).
CREATE TABLE resources (
	key        TEXT COLLATE "C" PRIMARY KEY,
	id         TEXT NOT NULL,
	type       TEXT COLLATE "C" NOT NULL,
	name       TEXT NOT NULL,
	uid        TEXT NOT NULL,
	etag       TEXT NOT NULL,
	body       BYTEA NOT NULL,
	secrets    BYTEA,
	sort_name  TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	created_by TEXT NOT NULL,
	updated_by TEXT NOT NULL
);

-- ListResources: one type, a key range, in key order.
CREATE INDEX resources_type_key ON resources (type, key);

CREATE TABLE clients (
	id           TEXT COLLATE "C" PRIMARY KEY,
	tenant_id    TEXT NOT NULL,
	object_id    TEXT NOT NULL,
	display_name TEXT NOT NULL,
	secret_hash  BYTEA NOT NULL,
	secret_hint  TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);

CREATE TABLE role_assignments (
	id           TEXT COLLATE "C" PRIMARY KEY,
	principal_id TEXT NOT NULL,
	role         TEXT NOT NULL,
	scope        TEXT COLLATE "C" NOT NULL,
	created_at   BIGINT NOT NULL
);

CREATE INDEX role_assignments_principal ON role_assignments (principal_id);

CREATE TABLE signing_keys (
	id          TEXT COLLATE "C" PRIMARY KEY,
	algorithm   TEXT NOT NULL,
	public_jwk  BYTEA NOT NULL,
	private     BYTEA NOT NULL,
	created_at  BIGINT NOT NULL,
	activate_at BIGINT NOT NULL,
	retire_at   BIGINT NOT NULL,
	expire_at   BIGINT NOT NULL
);

CREATE TABLE revocations (
	token_id   TEXT COLLATE "C" PRIMARY KEY,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL
);

CREATE INDEX revocations_revoked_at ON revocations (revoked_at);
CREATE INDEX revocations_expires_at ON revocations (expires_at);

CREATE TABLE meta (
	key   TEXT COLLATE "C" PRIMARY KEY,
	value BYTEA NOT NULL
);
