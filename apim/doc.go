// Package apim serves Microsoft.ApiManagement: the API Management service
// (the parent resource, just enough for clients to create, read, list and
// delete one) and its authorizationServers operation group, as the official
// armapimanagement clients (v2, api-version 2022-08-01; v3, 2024-05-01)
// call them.
//
// Authorization servers follow the 2022-08-01 spec
// (apimauthorizationservers.json): ETags on every read and write, If-Match
// optional on PUT and required on PATCH and DELETE (a stale one is 412), the
// client secret and the resource owner password sealed at rest and returned
// only by listSecrets, and ListByService filtering ($filter on name and
// displayName), counting and paging inside the database. Errors use APIM's
// envelope (wire.FamilyAPIM): code, message and field-level details, with
// code "ValidationError" for bad input.
//
// Documented choices where the spec is silent or its examples disagree:
//   - resourceOwnerPassword is treated as a secret like clientSecret (the
//     2023-03-01-preview examples echo it on GET; the operation's own
//     listSecrets returns it, and a password has no business in a listing);
//     resourceOwnerUsername is not secret and is returned, as the examples
//     show.
//   - A PUT that omits clientSecret or resourceOwnerPassword keeps the stored
//     value, so a read-modify-write through GET (which never returns them)
//     does not wipe the secret. Sending "" clears it.
//   - If-Match "*" on PUT creates or replaces; a specific ETag on PUT of a
//     server that does not exist is 412.
//   - $top is the page size (APIM answers $top=2 with two items and a
//     nextLink), at most maxPageSize; nextLink continues with an opaque
//     keyset $skipToken in place of $skip.
//   - Pages come in name order, bytewise ("Beta" before "alpha"), the order
//     of the index that also serves name filters; $filter comparisons are
//     case-sensitive and bytewise too, the same on SQLite and PostgreSQL.
//   - count is exact on every page: storage remembers it per filter with
//     the service's generation, which every write that can change it moves
//     in the same transaction, so a repeated list does not count again.
package apim
