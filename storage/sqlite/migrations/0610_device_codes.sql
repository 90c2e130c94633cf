-- Device-code sign-ins (RFC 8628), shared by every node: the device polls
-- one node while its user approves on another.
--
-- id is a keyed hash of the device code (the code itself is never
-- stored); user_code the short code a person types, unique so a lookup
-- finds one sign-in (an expired holder is deleted before a new code takes
-- its user code). status: pending, approved, declined, redeemed.
CREATE TABLE device_codes (
	id             TEXT NOT NULL PRIMARY KEY,
	user_code      TEXT NOT NULL UNIQUE,
	tenant_id      TEXT NOT NULL,
	client_id      TEXT NOT NULL,
	scope          TEXT NOT NULL,
	resource       TEXT NOT NULL,
	status         TEXT NOT NULL,
	user_object_id TEXT NOT NULL DEFAULT '',
	auth_time      INTEGER NOT NULL DEFAULT 0,
	interval_ms    INTEGER NOT NULL,
	polled_at      INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX device_codes_expiry ON device_codes (expires_at);
