-- Client credentials beyond a secret, and managed identities. Keys compare
-- bytewise (COLLATE "C"), as SQLite's BINARY.
--
-- kind tells app registrations ('application') from managed identities
-- ('managedIdentity'); clients created before it are applications.
ALTER TABLE clients ADD COLUMN kind TEXT NOT NULL DEFAULT 'application';

-- Everything a client owns goes with it: DeleteClient removes one row of
-- clients and the foreign keys cascade to the rest. Each child table leads
-- an index with client_id, so a cascade seeks rather than scans.

-- Certificates for client assertions (private_key_jwt). thumbprint is the
-- SHA-1 of der in upper-case hex (x5t).
CREATE TABLE client_certificates (
	client_id         TEXT COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	thumbprint        TEXT COLLATE "C" NOT NULL,
	thumbprint_sha256 TEXT NOT NULL,
	der               BYTEA NOT NULL,
	not_before        BIGINT NOT NULL,
	not_after         BIGINT NOT NULL,
	created_at        BIGINT NOT NULL,
	PRIMARY KEY (client_id, thumbprint)
);

-- Workload identity federation: an external issuer's tokens with this
-- subject are this client's credential. audiences is a JSON array of
-- strings, kept as text (storage neither queries nor reorders it).
CREATE TABLE federated_credentials (
	client_id  TEXT COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	name       TEXT COLLATE "C" NOT NULL,
	issuer     TEXT NOT NULL,
	subject    TEXT NOT NULL,
	audiences  TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (client_id, name)
);

-- Application ID URIs ("api://name"), unique across clients without
-- regard to case: uri_key is the lower-case form, uri the one given, and
-- position keeps the order they were set in.
CREATE TABLE client_identifier_uris (
	uri_key   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	uri       TEXT NOT NULL,
	client_id TEXT COLLATE "C" NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	position  INTEGER NOT NULL
);

-- A client's URIs in order (GetClient, ListClients) and the cascade.
CREATE INDEX client_identifier_uris_client ON client_identifier_uris (client_id, position);

-- Ids (jti) of client assertions seen, until they expire, so that none is
-- accepted twice. Expired rows are purged a few at a time, oldest first.
CREATE TABLE assertion_replays (
	id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	expires_at BIGINT NOT NULL
);

CREATE INDEX assertion_replays_expires_at ON assertion_replays (expires_at);

-- Managed identities by name, each one client of kind 'managedIdentity'.
-- header_sealed is the identity header sealed under the key-encryption
-- key.
CREATE TABLE managed_identities (
	name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	client_id     TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES clients (id) ON DELETE CASCADE,
	header_sealed BYTEA NOT NULL,
	created_at    BIGINT NOT NULL
);
