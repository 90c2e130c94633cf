-- Playwright Testing (Microsoft.AzurePlaywrightService). The accounts
-- themselves are generic rows in resources; these tables hold what the
-- data plane needs beyond them.
--
-- playwright_accounts resolves a data-plane account id ({location}_{uuid},
-- assigned by tokend on create: the ARM model has no field for it) to the
-- account's resource key, in one primary-key lookup per data-plane request.
CREATE TABLE playwright_accounts (
	account_id   TEXT NOT NULL PRIMARY KEY,
	resource_key TEXT NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per access token: its metadata and the SHA-256 of the issued
-- JWT's payload, never the token. Small rows looked up by primary key on
-- every use of a token: WITHOUT ROWID makes that one b-tree search, and the
-- secondary indexes carry the primary key (account_id, id) with them.
-- Text compares bytewise (BINARY), which makes OData's eq/lt/startswith
-- case-sensitive and the keyset order of id and name the same as on
-- PostgreSQL's COLLATE "C".
CREATE TABLE playwright_access_tokens (
	account_id TEXT NOT NULL,
	id         TEXT NOT NULL,
	name       TEXT NOT NULL,
	token_hash BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	expiry_at  INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	PRIMARY KEY (account_id, id)
) STRICT, WITHOUT ROWID;

-- List orders ($orderby name / expiryAt / createdAt, each with the id
-- tie-break) walk these in either direction without a sort, and seek to a
-- keyset position; filters on the leading field (eq, ranges, startswith,
-- state, which is expiry_at against the query's instant) narrow the walk.
CREATE INDEX playwright_access_tokens_name ON playwright_access_tokens (account_id, name, id);
CREATE INDEX playwright_access_tokens_expiry ON playwright_access_tokens (account_id, expiry_at, id);
CREATE INDEX playwright_access_tokens_created ON playwright_access_tokens (account_id, created_at, id);
