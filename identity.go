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
	// Kind is ClientApplication (an app registration with its service
	// principal) or ClientManagedIdentity (a service principal without a
	// visible secret, reached through the managed-identity endpoints).
	Kind ClientKind
	// IdentifierURIs are the app's application ID URIs ("api://name"): a
	// scope "{uri}/.default" (or "{clientId}/.default") asks for a token
	// whose aud is this client's id.
	IdentifierURIs []string
	// Public marks a public client (a native or single-page app: the Azure
	// CLI, a desktop tool), which signs users in without any credential of
	// its own, so PKCE is required of it.
	Public bool
	// RedirectURIs are where the authorization endpoint may send the
	// browser back; for a public client, http://localhost and
	// http://127.0.0.1 match any port, as Entra allows native apps.
	RedirectURIs []string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ClientKind tells application registrations from managed identities.
type ClientKind string

const (
	ClientApplication     ClientKind = "application"
	ClientManagedIdentity ClientKind = "managedIdentity"
)

// ClientCertificate is a certificate a client signs its client assertions
// with (RFC 7523 private_key_jwt), found by its thumbprint (x5t).
type ClientCertificate struct {
	ClientID string
	// Thumbprint is the SHA-1 of the DER certificate, upper-case hex, as
	// Entra and az show it; ThumbprintSHA256 the SHA-256 (x5t#S256).
	Thumbprint       string
	ThumbprintSHA256 string
	DER              []byte
	NotBefore        time.Time
	NotAfter         time.Time
	CreatedAt        time.Time
}

// FederatedCredential trusts tokens of an external issuer, with one
// subject and audience, as this client's credential (workload identity
// federation: GitHub Actions, Kubernetes, Azure Pipelines).
type FederatedCredential struct {
	ClientID  string
	Name      string
	Issuer    string
	Subject   string
	Audiences []string
	CreatedAt time.Time
}

// ManagedIdentity is a named service principal (a Client of kind
// ClientManagedIdentity) that workloads reach through the
// managed-identity endpoints, presenting its identity header.
type ManagedIdentity struct {
	Name     string
	ClientID string
	// HeaderSealed is the identity header (IDENTITY_HEADER) sealed under
	// the key-encryption key: recoverable for `managed-identities env`,
	// never stored in clear.
	HeaderSealed []byte
	CreatedAt    time.Time
}

// RoleAssignment grants a role to a principal at a scope and everything
// below it.
type RoleAssignment struct {
	ID          string // a UUID
	PrincipalID string // the principal's object id
	// Role names the role: a built-in role by name ("Contributor"), a
	// custom role by its id (a custom role's name may change).
	Role      string
	Scope     string // canonical scope key: "/", "/subscriptions/x", ...
	CreatedAt time.Time
}

// CustomRole is a role definition made through Microsoft.Authorization
// (an Azure custom role). Its ID is the role definition GUID (lower case);
// its name is unique among every role, built-in and custom, without regard
// to case.
type CustomRole struct {
	RoleDefinition
	// AssignableScopes are the canonical scopes (subscriptions, groups,
	// resources; never "/") at and below which it may be assigned.
	AssignableScopes []string
	CreatedBy        string // object id of the principal that created it
	UpdatedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
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
