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
	// its aliases). Providers declare the audiences of their own surfaces
	// (AudienceDefinition).
	AudienceManagement Audience = "management"
)

// AudienceDefinition is a surface's audience as a provider declares it:
// the resources a client may request tokens for (a scope's "/.default"
// prefix, or v1's resource parameter) and every aud value the surface
// accepts.
type AudienceDefinition struct {
	Name Audience
	// Resources are the requestable resources, matched without regard to
	// case or a trailing slash; a token requested for one carries it as
	// declared here in its aud.
	Resources []string
	// Accepted are the aud values the surface takes.
	Accepted []string
}

// ClaimResource is the private claim that binds a token to one resource
// (its canonical key): the authorizer confines such a principal to that
// resource, whatever its roles (Principal.Resource).
const ClaimResource = "xms_tkd_res"

// TokenValidator is a provider's check on a token's payload (its JSON
// claims), run on every authentication and introspection after the
// signature and times have been checked. An error refuses the token; its
// text reaches the client, so it must not carry secrets.
type TokenValidator func(ctx context.Context, payload []byte) error

// RoleDefinition is a role, shaped like Azure's: control-plane Actions
// minus NotActions, data-plane DataActions minus NotDataActions, with "*"
// wildcards compared without regard to case.
type RoleDefinition struct {
	Name           string
	ID             string // Azure's role definition GUID, where one exists
	Description    string
	Actions        []string
	NotActions     []string
	DataActions    []string
	NotDataActions []string
}

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
	// Resource, when set, confines the principal to one resource (a token
	// with ClaimResource, such as one a provider minted for one account).
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
