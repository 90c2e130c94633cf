// Package tokend holds the domain of the token service: the entities it keeps
// (subscriptions, resources, OAuth clients, role assignments, signing keys,
// revocations) and the interfaces through which the HTTP edge and the storage
// engines meet. It imports nothing from the rest of the module but odata, a
// leaf library whose parsed $filter the list queries carry, so every other
// package depends inward on it and never on each other's internals.
//
// See docs/architecture.md for the package map and the path of a request.
package tokend
