-- API Management authorization servers
-- (Microsoft.ApiManagement/service/authorizationServers). The APIM services
-- themselves are generic rows in resources; their authorization servers get
-- a table of their own so that ListByService can filter on name and
-- displayName, count and page inside the database with indexes.
--
-- key is the canonical (lower-case) ARM id, service_key the parent
-- service's; both compare bytewise (BINARY), as the keyset paging and the
-- scope ranges of deletes require. name and display_name keep the client's
-- casing and compare bytewise too, which makes OData's eq/lt/startswith
-- case-sensitive, the same on SQLite and PostgreSQL.
CREATE TABLE apim_authorization_servers (
	key          TEXT NOT NULL PRIMARY KEY,
	service_key  TEXT NOT NULL,
	id           TEXT NOT NULL,
	name         TEXT NOT NULL,
	display_name TEXT NOT NULL,
	uid          TEXT NOT NULL,
	etag         TEXT NOT NULL,
	body         BLOB NOT NULL,
	secrets      BLOB,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	created_by   TEXT NOT NULL,
	updated_by   TEXT NOT NULL
) STRICT;

-- ListByService walks this index in key order (the keyset) and evaluates
-- the $filter on the name and display_name it carries, so a page reads the
-- table only for the rows it returns, however selective the filter: at
-- most one index pass over the service, never a sort.
CREATE INDEX apim_authorization_servers_service_key ON apim_authorization_servers (service_key, key, name, display_name);
-- COUNT(*) for eq, ranges and startswith on name / displayName seeks here;
-- the substring functions scan one of these (narrower than the table).
CREATE INDEX apim_authorization_servers_service_name ON apim_authorization_servers (service_key, name);
CREATE INDEX apim_authorization_servers_service_display_name ON apim_authorization_servers (service_key, display_name);
