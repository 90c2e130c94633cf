// Package pipeline is tokend's one request pipeline. Every HTTP surface —
// Azure Resource Manager, a provider's data plane, the identity endpoints —
// is a Router configured by a Surface: which bearer audience it demands,
// whether it authorizes control-plane actions or data actions, how it
// resolves (and checks) the scope a request addresses, and which error
// family answers for it. Routes add their api-versions, action and handler.
//
// A request runs: route match (case-insensitive literals; 404 and 405 in
// the surface's terms) → admission hook → api-version → authentication →
// scope resolution → guard → authorization → body under the limit →
// handler → scope finish → answer with Content-Length. The Hooks are where
// throttling, audit events and security headers plug in.
//
// Providers describe themselves to the composition (package app) with a
// Provider: namespace, error family, api-versions, routes, data planes,
// the resource-group delete hook, token validators, roles and audiences.
package pipeline
