-- The audit log (docs/audit.md): one hash chain per node. line is the
-- JSON line exactly as hashed (its prev field names the hash of the node's
-- previous line); time, request_id, principal, action and result are
-- copied out of it for queries. The primary key (node, seq) keeps two
-- writers of one chain from both succeeding.
CREATE TABLE audit_events (
	node       TEXT COLLATE "C" NOT NULL,
	seq        BIGINT NOT NULL,
	time       BIGINT NOT NULL,
	request_id TEXT NOT NULL,
	principal  TEXT COLLATE "C" NOT NULL,
	action     TEXT COLLATE "C" NOT NULL,
	result     TEXT NOT NULL,
	line       BYTEA NOT NULL,
	hash       TEXT NOT NULL,
	PRIMARY KEY (node, seq)
);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_principal ON audit_events (principal, time);
