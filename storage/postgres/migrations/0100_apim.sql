-- API Management authorization servers
-- (Microsoft.ApiManagement/service/authorizationServers). The APIM services
-- themselves are generic rows in resources; their authorization servers get
-- a table of their own so that ListByService can filter on name and
-- displayName, count and page inside the database with indexes.
--
-- Every text column that is compared, ordered or ranged is COLLATE "C"
-- (bytewise), as SQLite's BINARY: the keyset paging on key, the scope ranges
-- of deletes, and OData's case-sensitive eq/lt/startswith on name and
-- display_name then give the same answers on both engines.
CREATE TABLE apim_authorization_servers (
	key          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	service_key  TEXT COLLATE "C" NOT NULL,
	id           TEXT NOT NULL,
	name         TEXT COLLATE "C" NOT NULL,
	display_name TEXT COLLATE "C" NOT NULL,
	uid          TEXT NOT NULL,
	etag         TEXT NOT NULL,
	body         BYTEA NOT NULL,
	secrets      BYTEA,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	created_by   TEXT NOT NULL,
	updated_by   TEXT NOT NULL
);

-- ListByService walks this index in key order (the keyset) and evaluates
-- the $filter on the name and display_name it carries, so a page reads the
-- table only for the rows it returns, however selective the filter: at
-- most one index pass over the service, never a sort.
CREATE INDEX apim_authorization_servers_service_key ON apim_authorization_servers (service_key, key, name, display_name);
-- COUNT(*) for eq, ranges and startswith on name / displayName seeks here;
-- the substring functions scan one of these (narrower than the table).
CREATE INDEX apim_authorization_servers_service_name ON apim_authorization_servers (service_key, name);
CREATE INDEX apim_authorization_servers_service_display_name ON apim_authorization_servers (service_key, display_name);
