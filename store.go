package tokend

import (
	"context"
	"time"
)

// Store is durable storage. Every engine (storage/sqlite, storage/postgres)
// implements it and passes storage/conformance.
type Store interface {
	Queries
	// InTx runs fn in one transaction: all of its writes commit together, or
	// none does when fn returns an error.
	InTx(ctx context.Context, fn func(q Queries) error) error
	// Ping reports whether the engine answers (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// Queries is what can be done inside or outside a transaction.
type Queries interface {
	TenantStore
	SubscriptionStore
	ResourceStore
	AuthorizationServerStore
	AccessTokenStore
	ClientStore
	ClientCredentialStore
	ManagedIdentityStore
	RoleAssignmentStore
	CustomRoleStore
	UserStore
	RefreshFamilyStore
	DeviceCodeStore
	SigningKeyStore
	RevocationStore
	MetaStore
	AuditStore
	// Lock takes a named lock held until the surrounding transaction ends,
	// serializing that section across every node sharing the database. It is
	// an error outside InTx.
	Lock(ctx context.Context, name string) error
}

type TenantStore interface {
	CreateTenant(ctx context.Context, t *Tenant) error // ErrAlreadyExists
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	ListTenants(ctx context.Context) ([]*Tenant, error)
}

type SubscriptionStore interface {
	CreateSubscription(ctx context.Context, s *Subscription) error // ErrAlreadyExists
	GetSubscription(ctx context.Context, id string) (*Subscription, error)
	ListSubscriptions(ctx context.Context) ([]*Subscription, error)
}

type ResourceStore interface {
	GetResource(ctx context.Context, key string) (*Resource, error)
	// CreateResource inserts r; ErrAlreadyExists when r.Key is taken.
	CreateResource(ctx context.Context, r *Resource) error
	// UpdateResource replaces the stored resource with key r.Key. When
	// ifETag is not empty the stored ETag must equal it, or
	// ErrPreconditionFailed. The caller sets r.ETag to the new value.
	UpdateResource(ctx context.Context, r *Resource, ifETag string) error
	// DeleteResource removes one resource (ErrNotFound, ErrPreconditionFailed
	// as for UpdateResource).
	DeleteResource(ctx context.Context, key string, ifETag string) error
	// DeleteResourcesUnder removes every resource strictly below the scope
	// key (a resource group's contents, a service's children).
	DeleteResourcesUnder(ctx context.Context, scope string) (int, error)
	ListResources(ctx context.Context, q ResourceQuery) ([]*Resource, error)
	// ListResourcesUnder pages through the resources of every type strictly
	// below q.Scope (required) in key order, or of q.Type when it is set:
	// the generic lists of Microsoft.Resources, which filter the rest. A
	// row carries what such a list shows: Key, ID, Type, Name, Body,
	// CreatedAt and UpdatedAt (the rest is left empty; GetResource has it).
	ListResourcesUnder(ctx context.Context, q ResourceQuery) ([]*Resource, error)
	// ResourceGeneration is the generation of the resources of one
	// subscription (its key, "/subscriptions/{id}" in lower case): a number
	// that moves, in the same transaction, with every committed write of a
	// resource below it, as every node sharing the database sees; 0 before
	// the first. What was read from the subscription's resources at one
	// generation holds as long as the generation has not moved.
	ResourceGeneration(ctx context.Context, subscriptionKey string) (int64, error)
}

type ClientStore interface {
	CreateClient(ctx context.Context, c *Client) error
	GetClient(ctx context.Context, id string) (*Client, error)
	ListClients(ctx context.Context) ([]*Client, error)
	UpdateClient(ctx context.Context, c *Client) error
	DeleteClient(ctx context.Context, id string) error
}

// ClientCredentialStore keeps what else than a secret signs a client in,
// and the resource identifiers it answers to.
type ClientCredentialStore interface {
	// AddClientCertificate stores a certificate; ErrAlreadyExists when the
	// client has one with that thumbprint.
	AddClientCertificate(ctx context.Context, c *ClientCertificate) error
	ListClientCertificates(ctx context.Context, clientID string) ([]*ClientCertificate, error)
	// DeleteClientCertificate removes one by thumbprint (SHA-1 hex, any
	// case); ErrNotFound when the client has none.
	DeleteClientCertificate(ctx context.Context, clientID, thumbprint string) error

	// CreateFederatedCredential stores one; ErrAlreadyExists when the
	// client has one of that name.
	CreateFederatedCredential(ctx context.Context, f *FederatedCredential) error
	ListFederatedCredentials(ctx context.Context, clientID string) ([]*FederatedCredential, error)
	DeleteFederatedCredential(ctx context.Context, clientID, name string) error // ErrNotFound

	// SetIdentifierURIs replaces a client's identifier URIs;
	// ErrAlreadyExists when another client has one of them (compared
	// without regard to case), ErrNotFound when the client is missing.
	SetIdentifierURIs(ctx context.Context, clientID string, uris []string) error
	// ClientByIdentifierURI finds the client an identifier URI names
	// (without regard to case); ErrNotFound.
	ClientByIdentifierURI(ctx context.Context, uri string) (*Client, error)

	// RecordAssertion remembers a client assertion's id until it expires;
	// ErrAlreadyExists when it was recorded before and has not expired
	// (a replay).
	RecordAssertion(ctx context.Context, id string, expiresAt, now time.Time) error
	// RecordAssertions records many at once (a group commit of concurrent
	// sign-ins: outside a transaction it commits on its own), setting each
	// record's Replayed instead of answering ErrAlreadyExists.
	RecordAssertions(ctx context.Context, now time.Time, records []*AssertionRecord) error
	// PurgeAssertions forgets assertion ids expired before t.
	PurgeAssertions(ctx context.Context, before time.Time) (int, error)
}

// AssertionRecord is one client assertion id to remember until it
// expires; Replayed is set when it was recorded before and has not expired.
type AssertionRecord struct {
	ID        string
	ExpiresAt time.Time
	Replayed  bool
}

// UserStore keeps users and their failed sign-ins.
type UserStore interface {
	// CreateUser stores u; ErrAlreadyExists when its object id, or its user
	// principal name in its tenant (without regard to case), is taken.
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, objectID string) (*User, error) // ErrNotFound
	// GetUserByName finds a user of a tenant by user principal name,
	// without regard to case; ErrNotFound.
	GetUserByName(ctx context.Context, tenantID, upn string) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUser replaces the display name, password hash and UpdatedAt of
	// user u.ObjectID; ErrNotFound.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes a user and its refresh token families;
	// ErrNotFound.
	DeleteUser(ctx context.Context, objectID string) error

	// AddSignInFailure counts one more failed sign-in for a name of a
	// tenant (lower case) at time at, and returns the count so far.
	AddSignInFailure(ctx context.Context, tenantID, name string, at time.Time) (SignInFailures, error)
	// GetSignInFailures returns the count; zero when there is none.
	GetSignInFailures(ctx context.Context, tenantID, name string) (SignInFailures, error)
	// ClearSignInFailures forgets a name's failures (a good sign-in).
	ClearSignInFailures(ctx context.Context, tenantID, name string) error
	// PurgeSignInFailures forgets failures last seen before t.
	PurgeSignInFailures(ctx context.Context, before time.Time) (int, error)
}

// RefreshFamilyStore keeps the state of refresh token families.
type RefreshFamilyStore interface {
	// CreateRefreshFamily stores f (generation f.Generation);
	// ErrAlreadyExists, ErrNotFound when its user is missing.
	CreateRefreshFamily(ctx context.Context, f *RefreshFamily) error
	// CreateRefreshFamilies stores many families at once (the sign-ins of
	// a moment: one statement, committed on its own outside a
	// transaction), setting each record's Err instead of failing the
	// batch for one family. Of several records with one id, only the first
	// can be stored.
	CreateRefreshFamilies(ctx context.Context, records []*RefreshFamilyCreation) error
	GetRefreshFamily(ctx context.Context, id string) (*RefreshFamily, error) // ErrNotFound
	// RotateRefreshFamilies moves each family from its record's generation
	// to the next at now, when it is at that generation, not revoked and
	// not expired, and sets Rotated on the records that moved it (many
	// redemptions at once: one statement, committed on its own outside a
	// transaction). Of several records for one family, only the first can
	// rotate it, so concurrent uses of one token cannot both succeed.
	RotateRefreshFamilies(ctx context.Context, now time.Time, rotations []*RefreshRotation) error
	// RevokeRefreshFamily revokes one family; ErrNotFound.
	RevokeRefreshFamily(ctx context.Context, id string) error
	// RevokeUserRefreshFamilies revokes every family of a user (a password
	// reset) and reports how many.
	RevokeUserRefreshFamilies(ctx context.Context, userObjectID string) (int, error)
	// PurgeRefreshFamilies deletes families that expired before t.
	PurgeRefreshFamilies(ctx context.Context, before time.Time) (int, error)
}

// DeviceCodeStore keeps pending device-code sign-ins, shared by every
// node: the device may poll any node, the user approve on any other.
type DeviceCodeStore interface {
	// CreateDeviceCode stores d; ErrAlreadyExists when its id, or its user
	// code among codes not expired at d.CreatedAt, is taken (an expired
	// code holding the user code gives it up).
	CreateDeviceCode(ctx context.Context, d *DeviceCode) error
	GetDeviceCode(ctx context.Context, id string) (*DeviceCode, error) // ErrNotFound
	// GetDeviceCodeByUserCode finds a code by its user code (exact, upper
	// case); ErrNotFound.
	GetDeviceCodeByUserCode(ctx context.Context, userCode string) (*DeviceCode, error)
	// DecideDeviceCode moves the pending code with userCode, unexpired at
	// now, to status (approved or declined) by user at authTime; it
	// reports whether it did. One statement: of two decisions one wins.
	DecideDeviceCode(ctx context.Context, userCode string, status DeviceCodeStatus, userObjectID string, authTime, now time.Time) (bool, error)
	// PollDeviceCode records a poll of code id at now unless the last
	// recorded poll was after notBefore (the device polls too fast); it
	// reports whether it recorded it.
	PollDeviceCode(ctx context.Context, id string, now, notBefore time.Time) (bool, error)
	// RedeemDeviceCode moves the approved code id, unexpired at now, to
	// redeemed; it reports whether it did, so one poll alone gets tokens.
	RedeemDeviceCode(ctx context.Context, id string, now time.Time) (bool, error)
	// PurgeDeviceCodes deletes codes that expired before t.
	PurgeDeviceCodes(ctx context.Context, before time.Time) (int, error)
}

// ManagedIdentityStore keeps managed identities by name.
type ManagedIdentityStore interface {
	CreateManagedIdentity(ctx context.Context, m *ManagedIdentity) error // ErrAlreadyExists
	GetManagedIdentity(ctx context.Context, name string) (*ManagedIdentity, error)
	ListManagedIdentities(ctx context.Context) ([]*ManagedIdentity, error)
	DeleteManagedIdentity(ctx context.Context, name string) error // ErrNotFound
}

type RoleAssignmentStore interface {
	CreateRoleAssignment(ctx context.Context, a *RoleAssignment) error
	GetRoleAssignment(ctx context.Context, id string) (*RoleAssignment, error) // ErrNotFound
	DeleteRoleAssignment(ctx context.Context, id string) error
	// ListRoleAssignments lists every assignment, or one principal's when
	// principalID is not empty.
	ListRoleAssignments(ctx context.Context, principalID string) ([]*RoleAssignment, error)
}

// CustomRoleStore keeps custom role definitions.
type CustomRoleStore interface {
	// PutCustomRole creates the role r.ID or replaces it (keeping its
	// CreatedAt and CreatedBy); ErrAlreadyExists when another custom role
	// has r.Name (compared without regard to case).
	PutCustomRole(ctx context.Context, r *CustomRole) error
	GetCustomRole(ctx context.Context, id string) (*CustomRole, error) // ErrNotFound
	ListCustomRoles(ctx context.Context) ([]*CustomRole, error)        // by name
	DeleteCustomRole(ctx context.Context, id string) error             // ErrNotFound
}

type SigningKeyStore interface {
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	ListSigningKeys(ctx context.Context) ([]*SigningKey, error)
	UpdateSigningKey(ctx context.Context, k *SigningKey) error
	DeleteSigningKey(ctx context.Context, id string) error
}

type RevocationStore interface {
	// RevokeToken records a revocation; revoking twice is not an error.
	RevokeToken(ctx context.Context, r *Revocation) error
	IsRevoked(ctx context.Context, tokenID string) (bool, error)
	// ListRevocationsSince returns revocations made at or after since, for
	// nodes that keep an in-memory deny list in step.
	ListRevocationsSince(ctx context.Context, since time.Time) ([]*Revocation, error)
	// PurgeRevocations forgets revocations of tokens expired before t.
	PurgeRevocations(ctx context.Context, before time.Time) (int, error)
}

// MetaStore keeps small named values: server settings, bootstrap markers,
// sealed server keys.
type MetaStore interface {
	GetMeta(ctx context.Context, key string) ([]byte, error) // ErrNotFound
	// CreateMeta inserts a value, ErrAlreadyExists when the key is taken, so
	// nodes racing to initialize agree on one value.
	CreateMeta(ctx context.Context, key string, value []byte) error
	PutMeta(ctx context.Context, key string, value []byte) error
}
