-- Users and interactive sign-in.
--
-- Public clients (native apps, no credential of their own) and the
-- redirect URIs the authorization endpoint may send a browser back to (a
-- JSON array, read and written whole).
ALTER TABLE clients ADD COLUMN public_client INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]';

-- Users: upn_key is the lower-case user principal name, unique in a
-- tenant; password_hash an argon2id PHC string.
CREATE TABLE users (
	object_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	tenant_id     TEXT NOT NULL,
	upn           TEXT NOT NULL,
	upn_key       TEXT COLLATE "C" NOT NULL,
	display_name  TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	UNIQUE (tenant_id, upn_key)
);

-- Consecutive failed sign-ins per sign-in name (lower case), kept for
-- names no user has too, so the throttle answers every name alike.
CREATE TABLE sign_in_failures (
	tenant_id TEXT NOT NULL,
	name      TEXT COLLATE "C" NOT NULL,
	failures  INTEGER NOT NULL,
	last_at   BIGINT NOT NULL,
	PRIMARY KEY (tenant_id, name)
);

-- Refresh token families: the tokens are sealed blobs naming their family
-- and generation; a family row says which generation is current. A user's
-- delete cascades to its families.
CREATE TABLE refresh_families (
	id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	tenant_id      TEXT NOT NULL,
	client_id      TEXT NOT NULL,
	user_object_id TEXT NOT NULL REFERENCES users (object_id) ON DELETE CASCADE,
	generation     BIGINT NOT NULL,
	rotated_at     BIGINT NOT NULL,
	revoked        INTEGER NOT NULL DEFAULT 0,
	created_at     BIGINT NOT NULL,
	expires_at     BIGINT NOT NULL
);
CREATE INDEX refresh_families_user ON refresh_families (user_object_id);
CREATE INDEX refresh_families_expiry ON refresh_families (expires_at);
