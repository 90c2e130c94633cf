-- ListByService pages in name order, which is as stable as key order (a
-- service's names are unique: the key is their lower-case form) but lets
-- a name filter seek: startswith(name,'test') used to walk every key
-- before the first 'test' one. One index now serves the order, every
-- name predicate and, as it carries display_name, the displayName
-- predicates of a page; the two it replaces go.
DROP INDEX apim_authorization_servers_service_key;
DROP INDEX apim_authorization_servers_service_name;
CREATE INDEX apim_authorization_servers_service_name ON apim_authorization_servers (service_key, name, display_name);

-- The collection's count changes only when a server of the service is
-- added, removed or renamed in display; each such write moves the
-- service's generation in the same transaction (these triggers), so a
-- count remembered with the generation it was read at is exact as long as
-- the generation has not moved, on every node sharing the database. The
-- upsert locks the service's row until commit, so generations follow the
-- commit order of the writes they count.
-- Rows are never deleted: a service deleted and created again continues
-- its generations, so no remembered count can match a new service.
CREATE TABLE apim_service_generations (
	service_key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	generation  BIGINT NOT NULL
);

CREATE FUNCTION apim_bump_service_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		INSERT INTO apim_service_generations AS g (service_key, generation) VALUES (OLD.service_key, 1)
		ON CONFLICT (service_key) DO UPDATE SET generation = g.generation + 1;
	END IF;
	IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.service_key IS DISTINCT FROM OLD.service_key) THEN
		INSERT INTO apim_service_generations AS g (service_key, generation) VALUES (NEW.service_key, 1)
		ON CONFLICT (service_key) DO UPDATE SET generation = g.generation + 1;
	END IF;
	RETURN NULL;
END;
$$;

CREATE TRIGGER apim_authorization_servers_generation
AFTER INSERT OR DELETE ON apim_authorization_servers
FOR EACH ROW EXECUTE FUNCTION apim_bump_service_generation();

CREATE TRIGGER apim_authorization_servers_update_generation
AFTER UPDATE ON apim_authorization_servers
FOR EACH ROW
WHEN (OLD.service_key IS DISTINCT FROM NEW.service_key OR OLD.name IS DISTINCT FROM NEW.name OR OLD.display_name IS DISTINCT FROM NEW.display_name)
EXECUTE FUNCTION apim_bump_service_generation();
