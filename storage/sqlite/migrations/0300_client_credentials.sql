-- Client credentials beyond a secret, and managed identities.
--
-- kind tells app registrations ('application') from managed identities
-- ('managedIdentity'); clients created before it are applications.
ALTER TABLE clients ADD COLUMN kind TEXT NOT NULL DEFAULT 'application';

-- Everything a client owns goes with it: DeleteClient removes one row of
-- clients and the foreign keys (enforced on the writer connection, which
-- opens with _foreign_keys=1) cascade to the rest. Each child table leads
-- an index with client_id, so a cascade seeks rather than scans.

-- Certificates for client assertions (private_key_jwt). thumbprint is the
-- SHA-1 of der in upper-case hex (x5t); a rowid table, as a DER
-- certificate is too large a row for a WITHOUT ROWID b-tree.
CREATE TABLE client_certificates (
	client_id         TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	thumbprint        TEXT NOT NULL,
	thumbprint_sha256 TEXT NOT NULL,
	der               BLOB NOT NULL,
	not_before        INTEGER NOT NULL,
	not_after         INTEGER NOT NULL,
	created_at        INTEGER NOT NULL,
	PRIMARY KEY (client_id, thumbprint)
) STRICT;

-- Workload identity federation: an external issuer's tokens with this
-- subject are this client's credential. audiences is a JSON array of
-- strings.
CREATE TABLE federated_credentials (
	client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	issuer     TEXT NOT NULL,
	subject    TEXT NOT NULL,
	audiences  TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (client_id, name)
) STRICT;

-- Application ID URIs ("api://name"), unique across clients without
-- regard to case: uri_key is the lower-case form, uri the one given, and
-- position keeps the order they were set in. Looked up by key on token
-- requests for "{uri}/.default": WITHOUT ROWID makes that one search.
CREATE TABLE client_identifier_uris (
	uri_key   TEXT NOT NULL PRIMARY KEY,
	uri       TEXT NOT NULL,
	client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	position  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A client's URIs in order (GetClient, ListClients) and the cascade.
CREATE INDEX client_identifier_uris_client ON client_identifier_uris (client_id, position);

-- Ids (jti) of client assertions seen, until they expire, so that none is
-- accepted twice. Expired rows are purged a few at a time, oldest first.
CREATE TABLE assertion_replays (
	id         TEXT NOT NULL PRIMARY KEY,
	expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX assertion_replays_expires_at ON assertion_replays (expires_at);

-- Managed identities by name, each one client of kind 'managedIdentity'.
-- header_sealed is the identity header sealed under the key-encryption
-- key.
CREATE TABLE managed_identities (
	name          TEXT NOT NULL PRIMARY KEY,
	client_id     TEXT NOT NULL UNIQUE REFERENCES clients (id) ON DELETE CASCADE,
	header_sealed BLOB NOT NULL,
	created_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
