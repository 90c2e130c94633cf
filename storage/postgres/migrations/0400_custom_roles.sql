-- Custom role definitions (Microsoft.Authorization roleDefinitions made
-- by users). id is the role definition GUID in lower case; name_key the
-- lower-case name, unique because an assignment or a script may name a
-- role by name. permissions and assignable_scopes are JSON, read and
-- written whole (storage never queries into them).
CREATE TABLE custom_roles (
	id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	name              TEXT NOT NULL,
	name_key          TEXT COLLATE "C" NOT NULL UNIQUE,
	description       TEXT NOT NULL,
	permissions       TEXT NOT NULL,
	assignable_scopes TEXT NOT NULL,
	created_by        TEXT NOT NULL,
	updated_by        TEXT NOT NULL,
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);
