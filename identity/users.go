package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// Errors of a password sign-in, mapped by the endpoints to Entra's codes.
var (
	// ErrInvalidUserCredentials: no such user, or the wrong password
	// (AADSTS50126). The two are never told apart.
	ErrInvalidUserCredentials = errors.New("invalid username or password")
	// ErrInvalidUser is a user refused at creation; the message says why.
	ErrInvalidUser = errors.New("invalid user")
)

// LockedError is a sign-in refused because the name has failed too often
// lately (AADSTS50053): retry after RetryAfter.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string {
	return fmt.Sprintf("sign-in locked after repeated failures; retry in %s", e.RetryAfter.Round(time.Second))
}

// Sign-in throttling: a name's first lockoutThreshold-1 consecutive
// failures cost nothing, so one mistyped password never locks anyone
// out; from the lockoutThreshold-th on, each failure locks the name for
// twice as long as the one before (1 s, 2 s, 4 s, ...) up to maxLockout.
// Failures older than failureMemory are forgotten. The lock is per name
// and tenant, kept for names no user has as well, so its answers tell
// nobody which names exist.
const (
	lockoutThreshold = 5
	baseLockout      = time.Second
	maxLockout       = 15 * time.Minute
	failureMemory    = time.Hour
)

// lockoutFor is how long a name with count consecutive failures stays
// locked after the last one.
func lockoutFor(count int) time.Duration {
	if count < lockoutThreshold {
		return 0
	}
	d := baseLockout
	for i := lockoutThreshold; i < count && d < maxLockout; i++ {
		d *= 2
	}
	return min(d, maxLockout)
}

// upnPattern is a user principal name: name@domain, with the characters
// Entra allows in the name and DNS labels in the domain (no verified-
// domain rule: any domain will do).
var upnPattern = regexp.MustCompile(`^[A-Za-z0-9'._!#^~+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// Users manages users and checks their passwords.
type Users struct {
	store  tokend.Store
	hasher *passwordHasher
	now    func() time.Time
	// dummyHash is verified against when no user has the name, so an
	// unknown name costs the time a wrong password does.
	dummyHash string
	// onDelete drops this node's authorization cache (a deleted user's
	// role assignments go with it).
	onDelete func()
}

// NewUsers opens the user directory with the given hash parameters (zero:
// DefaultPasswordParams).
func NewUsers(ctx context.Context, store tokend.Store, params PasswordParams, now func() time.Time) (*Users, error) {
	if now == nil {
		now = time.Now
	}
	h := newPasswordHasher(params)
	dummy, err := h.hash(ctx, uuid.NewString())
	if err != nil {
		return nil, fmt.Errorf("prepare password hashing: %w", err)
	}
	return &Users{store: store, hasher: h, now: now, dummyHash: dummy, onDelete: func() {}}, nil
}

// Create adds a user to tenantID. An empty password makes one up, which
// is returned (and shown once); otherwise the returned password is empty.
func (u *Users) Create(ctx context.Context, tenantID, upn, displayName, password string) (*tokend.User, string, error) {
	upn = strings.TrimSpace(upn)
	if len(upn) > 113 || !upnPattern.MatchString(upn) {
		return nil, "", &FieldError{Kind: ErrInvalidUser, Field: "userPrincipalName",
			Reason: fmt.Sprintf("%q is not a user principal name of the form name@domain (at most 64 characters before the @)", upn)}
	}
	if displayName == "" {
		displayName, _, _ = strings.Cut(upn, "@")
	}
	if len(displayName) > 256 {
		return nil, "", &FieldError{Kind: ErrInvalidUser, Field: "displayName", Reason: "the display name is longer than 256 characters"}
	}
	var generated string
	if password == "" {
		generated = NewPassword()
		password = generated
	} else if err := checkPasswordPolicy(password); err != nil {
		return nil, "", err
	}
	hash, err := u.hasher.hash(ctx, password)
	if err != nil {
		return nil, "", err
	}
	now := u.now().UTC()
	user := &tokend.User{
		ObjectID: uuid.NewString(), TenantID: tenantID, UserPrincipalName: upn, DisplayName: displayName,
		PasswordHash: hash, CreatedAt: now, UpdatedAt: now,
	}
	if err := u.store.CreateUser(ctx, user); err != nil {
		if errors.Is(err, tokend.ErrAlreadyExists) {
			return nil, "", fmt.Errorf("%w: a user named %s %w in tenant %s", ErrInvalidUser, upn, tokend.ErrAlreadyExists, tenantID)
		}
		return nil, "", err
	}
	return user, generated, nil
}

// Get finds a user by object id or user principal name (in tenantID).
func (u *Users) Get(ctx context.Context, tenantID, idOrName string) (*tokend.User, error) {
	var user *tokend.User
	var err error
	if _, perr := uuid.Parse(idOrName); perr == nil {
		user, err = u.store.GetUser(ctx, strings.ToLower(idOrName))
	} else {
		user, err = u.store.GetUserByName(ctx, tenantID, idOrName)
	}
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, fmt.Errorf("%w: no user is named %s (tokend users list shows them)", tokend.ErrNotFound, idOrName)
	}
	return user, err
}

// List returns every user.
func (u *Users) List(ctx context.Context) ([]*tokend.User, error) {
	list, err := u.store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return list, nil
}

// Delete removes a user with its role assignments and refresh tokens.
// Access tokens already issued stay valid until they expire, as in Entra.
func (u *Users) Delete(ctx context.Context, tenantID, idOrName string) (*tokend.User, error) {
	user, err := u.Get(ctx, tenantID, idOrName)
	if err != nil {
		return nil, err
	}
	err = u.store.InTx(ctx, func(q tokend.Queries) error {
		assignments, err := q.ListRoleAssignments(ctx, user.ObjectID)
		if err != nil {
			return err
		}
		for _, a := range assignments {
			if err := q.DeleteRoleAssignment(ctx, a.ID); err != nil {
				return err
			}
		}
		if err := q.DeleteUser(ctx, user.ObjectID); err != nil {
			return err
		}
		return bumpRBACGeneration(ctx, q)
	})
	u.onDelete()
	if err != nil {
		return nil, fmt.Errorf("delete user %s: %w", user.UserPrincipalName, err)
	}
	return user, nil
}

// ResetPassword sets a user's password (an empty one makes one up, which
// is returned) and revokes every refresh token the user holds, as Entra
// does on a password change.
func (u *Users) ResetPassword(ctx context.Context, tenantID, idOrName, password string) (*tokend.User, string, error) {
	var generated string
	if password == "" {
		generated = NewPassword()
		password = generated
	} else if err := checkPasswordPolicy(password); err != nil {
		return nil, "", err
	}
	user, err := u.Get(ctx, tenantID, idOrName)
	if err != nil {
		return nil, "", err
	}
	hash, err := u.hasher.hash(ctx, password)
	if err != nil {
		return nil, "", err
	}
	user.PasswordHash = hash
	user.UpdatedAt = u.now().UTC()
	err = u.store.InTx(ctx, func(q tokend.Queries) error {
		if err := q.UpdateUser(ctx, user); err != nil {
			return err
		}
		if _, err := q.RevokeUserRefreshFamilies(ctx, user.ObjectID); err != nil {
			return err
		}
		return q.ClearSignInFailures(ctx, user.TenantID, strings.ToLower(user.UserPrincipalName))
	})
	if err != nil {
		return nil, "", fmt.Errorf("reset password of %s: %w", user.UserPrincipalName, err)
	}
	return user, generated, nil
}

// SignIn checks a user's password: the user, ErrInvalidUserCredentials
// (unknown name and wrong password alike, in the same time), or a
// *LockedError while the name is locked after repeated failures.
func (u *Users) SignIn(ctx context.Context, tenantID, name, password string) (*tokend.User, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	if key == "" || len(key) > 256 || len(password) > 4*maxPasswordLen {
		return nil, ErrInvalidUserCredentials
	}
	now := u.now()
	failures, err := u.store.GetSignInFailures(ctx, tenantID, key)
	if err != nil {
		return nil, err
	}
	if now.Sub(failures.Last) > failureMemory {
		failures.Count = 0
	}
	if until := failures.Last.Add(lockoutFor(failures.Count)); failures.Count >= lockoutThreshold && now.Before(until) {
		return nil, &LockedError{RetryAfter: until.Sub(now)}
	}
	user, err := u.store.GetUserByName(ctx, tenantID, key)
	hash := u.dummyHash
	switch {
	case err == nil:
		hash = user.PasswordHash
	case !errors.Is(err, tokend.ErrNotFound):
		return nil, err
	}
	ok, verr := u.hasher.verify(ctx, password, hash)
	if verr != nil && err == nil {
		return nil, fmt.Errorf("user %s: %w", user.ObjectID, verr)
	}
	if err != nil || !ok {
		if failures.Count == 0 && now.Sub(failures.Last) > failureMemory && !failures.Last.IsZero() {
			// Forgotten failures start the count again.
			if cerr := u.store.ClearSignInFailures(ctx, tenantID, key); cerr != nil {
				return nil, cerr
			}
		}
		if _, ferr := u.store.AddSignInFailure(ctx, tenantID, key, now); ferr != nil {
			return nil, ferr
		}
		return nil, ErrInvalidUserCredentials
	}
	if failures.Count > 0 || !failures.Last.IsZero() {
		if err := u.store.ClearSignInFailures(ctx, tenantID, key); err != nil {
			return nil, err
		}
	}
	return user, nil
}

// passwordAlphabet avoids characters that are easily confused (0/O, 1/l/I)
// or awkward in shells.
const passwordAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

// NewPassword makes up a 20-character password (~116 bits).
func NewPassword() string {
	b := make([]byte, 20)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("identity: no randomness: " + err.Error())
		}
		b[i] = passwordAlphabet[n.Int64()]
	}
	return string(b)
}
