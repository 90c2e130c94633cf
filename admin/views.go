package admin

import (
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
)

// The views below are the JSON shapes of the management API and of the
// CLI's --output json alike (cmd/tokend prints them): one spelling of each
// field, camelCase, so a script moves between the two unchanged. None
// carries a stored secret; the created and reset views carry the secret,
// password or header made just now, shown this once.

// ClientView is a client as lists and reads show it: its secret's hint,
// never the secret.
type ClientView struct {
	ClientID       string    `json:"clientId"`
	ObjectID       string    `json:"objectId"`
	TenantID       string    `json:"tenantId"`
	DisplayName    string    `json:"displayName"`
	Kind           string    `json:"kind"`
	IdentifierURIs []string  `json:"identifierUris"`
	Public         bool      `json:"public"`
	RedirectURIs   []string  `json:"redirectUris"`
	SecretHint     string    `json:"secretHint"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// ToClientView is c's view.
func ToClientView(c *tokend.Client) ClientView {
	kind := string(c.Kind)
	if kind == "" {
		kind = string(tokend.ClientApplication)
	}
	return ClientView{ClientID: c.ID, ObjectID: c.ObjectID, TenantID: c.TenantID, DisplayName: c.DisplayName,
		Kind: kind, IdentifierURIs: nonNil(c.IdentifierURIs), Public: c.Public, RedirectURIs: nonNil(c.RedirectURIs),
		SecretHint: c.SecretHint, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// CreatedClientView is a client just registered, with its secret (none
// for a public client): the only time the secret is shown.
type CreatedClientView struct {
	ClientView
	ClientSecret   string              `json:"clientSecret,omitempty"`
	RoleAssignment *RoleAssignmentView `json:"roleAssignment,omitempty"`
	// RoleAssignmentError says why the role asked for was not assigned
	// (the management API; the CLI fails instead).
	RoleAssignmentError string `json:"roleAssignmentError,omitempty"`
}

// SecretView is a client's new secret, shown once.
type SecretView struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	SecretHint   string `json:"secretHint,omitempty"`
}

// CertificateView is a client's certificate credential.
type CertificateView struct {
	ClientID         string    `json:"clientId"`
	Thumbprint       string    `json:"thumbprint"`
	ThumbprintSHA256 string    `json:"thumbprintSha256"`
	NotBefore        time.Time `json:"notBefore"`
	NotAfter         time.Time `json:"notAfter"`
}

// ToCertificateView is c's view.
func ToCertificateView(c *tokend.ClientCertificate) CertificateView {
	return CertificateView{ClientID: c.ClientID, Thumbprint: c.Thumbprint, ThumbprintSHA256: c.ThumbprintSHA256,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC()}
}

// FederatedCredentialView is a client's federated identity credential.
type FederatedCredentialView struct {
	ClientID  string   `json:"clientId"`
	Name      string   `json:"name"`
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// ToFederatedCredentialView is f's view.
func ToFederatedCredentialView(f *tokend.FederatedCredential) FederatedCredentialView {
	return FederatedCredentialView{ClientID: f.ClientID, Name: f.Name, Issuer: f.Issuer, Subject: f.Subject, Audiences: nonNil(f.Audiences)}
}

// UserView is a user; the password is never shown.
type UserView struct {
	ObjectID          string    `json:"objectId"`
	UserPrincipalName string    `json:"userPrincipalName"`
	DisplayName       string    `json:"displayName"`
	TenantID          string    `json:"tenantId"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
}

// ToUserView is u's view.
func ToUserView(u *tokend.User) UserView {
	return UserView{ObjectID: u.ObjectID, UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName,
		TenantID: u.TenantID, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

// CreatedUserView is a user just created or whose password was just set.
type CreatedUserView struct {
	UserView
	// Password is set only when tokend made it up: shown this once.
	Password            string              `json:"password,omitempty"`
	RoleAssignment      *RoleAssignmentView `json:"roleAssignment,omitempty"`
	RoleAssignmentError string              `json:"roleAssignmentError,omitempty"`
}

// ManagedIdentityView is a managed identity as lists show it: no header.
type ManagedIdentityView struct {
	Name        string    `json:"name"`
	ClientID    string    `json:"clientId"`
	PrincipalID string    `json:"principalId"`
	TenantID    string    `json:"tenantId"`
	CreatedAt   time.Time `json:"createdAt"`
}

// ToManagedIdentityView is mi's view.
func ToManagedIdentityView(mi *identity.ManagedIdentity) ManagedIdentityView {
	return ManagedIdentityView{Name: mi.Name, ClientID: mi.ClientID, PrincipalID: mi.PrincipalID, TenantID: mi.TenantID,
		CreatedAt: mi.CreatedAt.UTC()}
}

// CreatedManagedIdentityView is a managed identity just created, with
// what its workload needs: the endpoint and the identity header.
type CreatedManagedIdentityView struct {
	Name                string              `json:"name"`
	ClientID            string              `json:"clientId"`
	PrincipalID         string              `json:"principalId"`
	TenantID            string              `json:"tenantId"`
	CreatedAt           time.Time           `json:"createdAt"`
	IdentityEndpoint    string              `json:"identityEndpoint"`
	IdentityHeader      string              `json:"identityHeader"`
	RoleAssignment      *RoleAssignmentView `json:"roleAssignment,omitempty"`
	RoleAssignmentError string              `json:"roleAssignmentError,omitempty"`
}

// ToCreatedManagedIdentityView is mi, just created, with its endpoint at
// baseURL.
func ToCreatedManagedIdentityView(mi *identity.ManagedIdentity, baseURL string) CreatedManagedIdentityView {
	return CreatedManagedIdentityView{Name: mi.Name, ClientID: mi.ClientID, PrincipalID: mi.PrincipalID, TenantID: mi.TenantID,
		CreatedAt: mi.CreatedAt.UTC(), IdentityEndpoint: strings.TrimRight(baseURL, "/") + identity.ManagedIdentityPath,
		IdentityHeader: mi.Header}
}

// EnvironmentView is a workload's environment for a managed identity
// (the variables `tokend managed-identities env` exports).
type EnvironmentView struct {
	Name             string `json:"name"`
	IdentityEndpoint string `json:"identityEndpoint"`
	IdentityHeader   string `json:"identityHeader"`
	ClientID         string `json:"clientId"`
	MSIEndpoint      string `json:"msiEndpoint,omitempty"`
}

// ToEnvironmentView is e's view.
func ToEnvironmentView(e *identity.Environment) EnvironmentView {
	return EnvironmentView{Name: e.Name, IdentityEndpoint: e.IdentityEndpoint, IdentityHeader: e.IdentityHeader,
		ClientID: e.ClientID, MSIEndpoint: e.MSIEndpoint}
}

// SigningKeyView is a signing key: no key material, only where the key is
// in its life.
type SigningKeyView struct {
	Kid        string    `json:"kid"`
	Algorithm  string    `json:"algorithm"`
	State      string    `json:"state"`
	CreatedAt  time.Time `json:"createdAt"`
	ActivateAt time.Time `json:"activateAt"`
	RetireAt   time.Time `json:"retireAt"`
	ExpireAt   time.Time `json:"expireAt"`
}

// ToSigningKeyView is k's view at now.
func ToSigningKeyView(k *tokend.SigningKey, now time.Time) SigningKeyView {
	return SigningKeyView{Kid: k.ID, Algorithm: k.Algorithm, State: identity.KeyState(k, now),
		CreatedAt: k.CreatedAt.UTC(), ActivateAt: k.ActivateAt.UTC(), RetireAt: k.RetireAt.UTC(), ExpireAt: k.ExpireAt.UTC()}
}

// RoleAssignmentView is a role assignment made with a create.
type RoleAssignmentView struct {
	ID          string    `json:"id"`
	PrincipalID string    `json:"principalId"`
	Role        string    `json:"role"`
	Scope       string    `json:"scope"`
	CreatedAt   time.Time `json:"createdAt"`
}

// ToRoleAssignmentView is ra's view (nil for none).
func ToRoleAssignmentView(ra *tokend.RoleAssignment) *RoleAssignmentView {
	if ra == nil {
		return nil
	}
	return &RoleAssignmentView{ID: ra.ID, PrincipalID: ra.PrincipalID, Role: ra.Role, Scope: ra.Scope, CreatedAt: ra.CreatedAt.UTC()}
}

// nonNil makes a nil list print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
