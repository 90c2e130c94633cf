// Package containerapps serves the Microsoft.App containerApps operation
// group: container apps kept as ARM resources (create or replace, get,
// merge-patch, delete, list, listSecrets, start, stop,
// listCustomHostNameAnalysis) and getAuthtoken, which mints a JWT signed
// with tokend's issuer keys and bound to one app and one incarnation of it.
//
// The package depends inward on the domain (tokend), on arm for the ARM
// pipeline and on seal for secrets at rest. It does not import identity:
// it needs only a Signer, and exposes Service.ValidateClaims for the issuer
// to run on every authentication and introspection (cmd/tokend wires both).
//
// See docs/containerapps.md for the token's claims and how an app checks it.
package containerapps
