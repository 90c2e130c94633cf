-- Playwright Testing (Microsoft.AzurePlaywrightService). The accounts
-- themselves are generic rows in resources; these tables hold what the
-- data plane needs beyond them.
--
-- playwright_accounts resolves a data-plane account id ({location}_{uuid},
-- assigned by tokend on create: the ARM model has no field for it) to the
-- account's resource key, in one primary-key lookup per data-plane request.
CREATE TABLE playwright_accounts (
	account_id   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	resource_key TEXT COLLATE "C" NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL
);

-- One row per access token: its metadata and the SHA-256 of the issued
-- JWT's payload, never the token. Every text column that is compared,
-- ordered or ranged is COLLATE "C" (bytewise), as SQLite's BINARY: OData's
-- eq/lt/startswith are then case-sensitive and the keyset order of id and
-- name is the same on both engines.
CREATE TABLE playwright_access_tokens (
	account_id TEXT COLLATE "C" NOT NULL,
	id         TEXT COLLATE "C" NOT NULL,
	name       TEXT COLLATE "C" NOT NULL,
	token_hash BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	expiry_at  BIGINT NOT NULL,
	created_by TEXT NOT NULL,
	PRIMARY KEY (account_id, id)
);

-- List orders ($orderby name / expiryAt / createdAt, each with the id
-- tie-break) walk these in either direction without a sort, and seek to a
-- keyset position; filters on the leading field (eq, ranges, startswith,
-- state, which is expiry_at against the query's instant) narrow the walk.
CREATE INDEX playwright_access_tokens_name ON playwright_access_tokens (account_id, name, id);
CREATE INDEX playwright_access_tokens_expiry ON playwright_access_tokens (account_id, expiry_at, id);
CREATE INDEX playwright_access_tokens_created ON playwright_access_tokens (account_id, created_at, id);
