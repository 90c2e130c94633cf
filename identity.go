package tokend

import "time"

// Client is an OAuth 2.0 confidential client: an Entra-style application with
// its service principal.
type Client struct {
	ID          string // client (application) id, a UUID: the "appid"/"azp" claim
	TenantID    string
	ObjectID    string // service principal object id: the "oid" and "sub" claims
	DisplayName string
	// SecretHash is a keyed hash (HMAC-SHA256 under the server's hashing key)
	// of the current secret; the secret itself is never stored.
	SecretHash []byte
	// SecretHint is a short, non-secret prefix shown in listings.
	SecretHint string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// RoleAssignment grants a role to a principal at a scope and everything
// below it.
type RoleAssignment struct {
	ID          string // a UUID
	PrincipalID string // the principal's object id
	Role        string // built-in role name, e.g. "Contributor"
	Scope       string // canonical scope key: "/", "/subscriptions/x", ...
	CreatedAt   time.Time
}

// SigningKey is one key of the issuer's key set. Its life: published in JWKS
// from CreatedAt, signs between ActivateAt and RetireAt, and stays published
// until ExpireAt (when every token it signed has expired).
type SigningKey struct {
	ID         string // kid
	Algorithm  string // ES256, RS256 or EdDSA
	PublicJWK  []byte // the public key as a JWK (JSON)
	Private    []byte // the private key, sealed under the key-encryption key
	CreatedAt  time.Time
	ActivateAt time.Time
	RetireAt   time.Time
	ExpireAt   time.Time
}

// Revocation records a revoked token until it would have expired anyway.
type Revocation struct {
	TokenID   string // jti
	ExpiresAt time.Time
	RevokedAt time.Time
}
