// Package identity is tokend's OAuth 2.0 / OpenID Connect issuer and its
// bearer-token gate: client registrations with hashed secrets, the signing
// key set and its rotation, the Entra-compatible endpoints (discovery, JWKS,
// token, introspection, revocation), the tokend.Authenticator that checks
// bearer tokens, and the tokend.Authorizer that evaluates Azure-style role
// assignments.
//
// It depends inward on the domain (package tokend) and on seal for secrets at
// rest; the HTTP edge (server, cmd/tokend) depends on it. Providers use
// Service.Sign and Service.Verify to mint and check their own tokens, and
// Service.AddValidator to refuse tokens whose resource is gone.
//
// See docs/identity.md for the endpoints, the built-in roles and how to trust
// an external issuer.
package identity
