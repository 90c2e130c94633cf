-- Resources_List remembers the pages it rendered (package resources). A
-- page can only change when a resource of its subscription is written, and
-- each such write moves the subscription's generation in the same
-- transaction (these triggers), so a page remembered with the generation
-- it was read at is exact as long as the generation has not moved, on
-- every node sharing the database. A key outside any subscription counts
-- under '/'. Rows are never deleted: a subscription emptied and filled
-- again continues its generations, so no remembered page can match.
CREATE TABLE resource_generations (
	scope      TEXT NOT NULL PRIMARY KEY,
	generation INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The subscription key ('/subscriptions/{id}') of a resource key: its
-- first two segments ('/subscriptions/' is 15 bytes; the id runs to the
-- next '/' or the end). Virtual: computed only where the triggers read it.
ALTER TABLE resources ADD COLUMN generation_scope TEXT GENERATED ALWAYS AS (
	CASE WHEN substr(key, 1, 15) = '/subscriptions/'
	THEN substr(key, 1, 14 + instr(substr(key, 16) || '/', '/')) ELSE '/' END) VIRTUAL;

CREATE TRIGGER resources_insert_generation
AFTER INSERT ON resources
BEGIN
	INSERT INTO resource_generations (scope, generation) VALUES (NEW.generation_scope, 1)
	ON CONFLICT (scope) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER resources_delete_generation
AFTER DELETE ON resources
BEGIN
	INSERT INTO resource_generations (scope, generation) VALUES (OLD.generation_scope, 1)
	ON CONFLICT (scope) DO UPDATE SET generation = generation + 1;
END;

-- An update moves the generation of the row's old key and, should the key
-- itself change (tokend never does that), of its new one.
CREATE TRIGGER resources_update_generation
AFTER UPDATE ON resources
BEGIN
	INSERT INTO resource_generations (scope, generation) VALUES (OLD.generation_scope, 1)
	ON CONFLICT (scope) DO UPDATE SET generation = generation + 1;
	INSERT INTO resource_generations (scope, generation)
	SELECT NEW.generation_scope, 1 WHERE NEW.generation_scope IS NOT OLD.generation_scope
	ON CONFLICT (scope) DO UPDATE SET generation = generation + 1;
END;
