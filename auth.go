package tokend

import (
	"context"
	"net/http"
	"time"
)

// Audience names the surface a bearer token must be meant for.
type Audience string

const (
	// AudienceManagement is Azure Resource Manager (management.azure.com and
	// its aliases).
	AudienceManagement Audience = "management"
	// AudiencePlaywright is the Playwright Testing data plane.
	AudiencePlaywright Audience = "playwright"
)

// Principal is an authenticated caller.
type Principal struct {
	ObjectID  string // "oid": whom role assignments name
	TenantID  string // "tid"
	ClientID  string // "appid"/"azp"
	Subject   string // "sub"
	Issuer    string // "iss"
	TokenID   string // "jti"
	Roles     []string
	ExpiresAt time.Time
	// Resource, when set, confines the principal to one resource: a
	// Playwright access token acts only on its own account.
	Resource string
}

// Authenticator turns a request's bearer token into a Principal.
// It returns an *AuthenticationError when the token is missing or bad.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request, aud Audience) (*Principal, error)
}

// Authorizer decides whether p may perform an action at scope (a canonical
// ARM scope key such as "/subscriptions/x/resourcegroups/rg"), from the
// principal's role assignments at that scope or above. It returns an
// *AuthorizationError when not.
type Authorizer interface {
	// Authorize checks a control-plane action
	// ("Microsoft.App/containerApps/write"), granted by a role's Actions.
	Authorize(ctx context.Context, p *Principal, action, scope string) error
	// AuthorizeData checks a data-plane action, granted only by a role's
	// DataActions: as in Azure, Owner's "*" does not reach data.
	AuthorizeData(ctx context.Context, p *Principal, dataAction, scope string) error
}

// AuthenticationError is a refused or missing credential (HTTP 401).
type AuthenticationError struct {
	Code      string // e.g. "InvalidAuthenticationToken"
	Message   string
	Challenge string // the WWW-Authenticate header value
}

func (e *AuthenticationError) Error() string { return e.Code + ": " + e.Message }

// AuthorizationError is a missing permission (HTTP 403).
type AuthorizationError struct {
	PrincipalID string
	Action      string
	Scope       string
}

func (e *AuthorizationError) Error() string {
	return "The client '" + e.PrincipalID + "' does not have authorization to perform action '" +
		e.Action + "' over scope '" + e.Scope + "' or the scope is invalid."
}
