// Package identity is tokend's OAuth 2.0 / OpenID Connect issuer and its
// bearer-token gate: client registrations with hashed secrets,
// certificates, federated identity credentials and identifier URIs; managed
// identities and the endpoints workloads reach them through (App Service,
// IMDS, Cloud Shell); the signing key set and its rotation; the
// Entra-compatible endpoints (discovery, JWKS, token, introspection,
// revocation); the tokend.Authenticator that checks bearer tokens; and the
// tokend.Authorizer that evaluates Azure-style role assignments over a
// RoleCatalog.
//
// It depends inward on the domain (package tokend), on wire and pipeline
// (its endpoints are surfaces of the shared pipeline), and on seal for
// secrets at rest. It names no provider: roles, audiences and token
// validators come from the provider descriptors through package app.
// Providers sign with ClaimsSigner and check with Verify.
//
// See docs/identity.md for the endpoints, the credentials, the built-in
// roles and how to trust an external issuer.
package identity
