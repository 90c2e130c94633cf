package tokend

import "time"

// User is a person who signs in interactively (an Entra member user): the
// principal of delegated tokens, named by role assignments through its
// object id, as clients are.
type User struct {
	ObjectID string // the "oid" claim; a UUID
	TenantID string
	// UserPrincipalName is the sign-in name (name@domain), unique in the
	// tenant without regard to case, kept as given.
	UserPrincipalName string
	DisplayName       string
	// PasswordHash is an argon2id hash in the PHC string format, its
	// parameters recorded in it; the password is never stored.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// SignInFailures counts consecutive failed password sign-ins for one
// sign-in name of a tenant, whether or not a user has that name (so the
// throttle tells nobody which names exist).
type SignInFailures struct {
	Count int
	Last  time.Time
}

// RefreshFamily is the server-side state of one chain of rotating refresh
// tokens, born at one sign-in. The tokens themselves are sealed blobs that
// name their family and generation: the family holds which generation is
// current, so a token is good once, and reusing an older one revokes the
// whole family.
type RefreshFamily struct {
	ID           string
	TenantID     string
	ClientID     string
	UserObjectID string
	// Generation is the generation of the current token; RotatedAt when it
	// was issued (the previous one was used).
	Generation int64
	RotatedAt  time.Time
	Revoked    bool
	CreatedAt  time.Time
	// ExpiresAt is the absolute end of the family, whatever its use.
	ExpiresAt time.Time
}

// RefreshFamilyCreation is one family to store in a batch
// (CreateRefreshFamilies) and its outcome: Err is nil when it was stored,
// ErrAlreadyExists when a family of its id exists, ErrNotFound when its
// user does not.
type RefreshFamilyCreation struct {
	Family RefreshFamily
	Err    error
}

// RefreshRotation is one redemption of a refresh token: its family and
// the generation it was; Rotated is set when it moved the family on.
type RefreshRotation struct {
	FamilyID   string
	Generation int64
	Rotated    bool
}
