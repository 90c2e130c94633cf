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
-- the generation has not moved, on every node sharing the database.
-- Rows are never deleted: a service deleted and created again continues
-- its generations, so no remembered count can match a new service.
CREATE TABLE apim_service_generations (
	service_key TEXT NOT NULL PRIMARY KEY,
	generation  INTEGER NOT NULL
) STRICT;

CREATE TRIGGER apim_authorization_servers_insert_generation
AFTER INSERT ON apim_authorization_servers
BEGIN
	INSERT INTO apim_service_generations (service_key, generation) VALUES (NEW.service_key, 1)
	ON CONFLICT (service_key) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER apim_authorization_servers_delete_generation
AFTER DELETE ON apim_authorization_servers
BEGIN
	INSERT INTO apim_service_generations (service_key, generation) VALUES (OLD.service_key, 1)
	ON CONFLICT (service_key) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER apim_authorization_servers_update_generation
AFTER UPDATE ON apim_authorization_servers
WHEN OLD.service_key IS NOT NEW.service_key OR OLD.name IS NOT NEW.name OR OLD.display_name IS NOT NEW.display_name
BEGIN
	INSERT INTO apim_service_generations (service_key, generation) VALUES (OLD.service_key, 1)
	ON CONFLICT (service_key) DO UPDATE SET generation = generation + 1;
	INSERT INTO apim_service_generations (service_key, generation) VALUES (NEW.service_key, 1)
	ON CONFLICT (service_key) DO UPDATE SET generation = generation + 1;
END;
