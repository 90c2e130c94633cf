// Package wire is what every HTTP surface of tokend shares on the wire:
// the per-request trace (ids, route label, caller), the error families and
// their envelopes, the mapping of domain errors to statuses, request bodies
// read under a limit, JSON answers written with their length, api-version
// negotiation and continuation-token paging. It knows no surface and no
// provider: server, identity, the pipeline and every provider import it,
// and it imports only the domain.
package wire
