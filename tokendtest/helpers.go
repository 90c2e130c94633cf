package tokendtest

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/tokend-dev/tokend/identity"
)

// Client is a client (application) registered in the server's tenant.
type Client struct {
	ID, ObjectID, Secret string
	// Credential signs in as the client.
	Credential azcore.TokenCredential
}

// CreateClient registers a client with no roles (give it some with
// AssignRole and its ObjectID).
func (s *Server) CreateClient(t testing.TB, name string) *Client {
	t.Helper()
	c, secret, err := s.app.Identity.Clients.Create(context.Background(), s.TenantID, name)
	if err != nil {
		t.Fatalf("tokendtest: create client %s: %v", name, err)
	}
	cred, err := s.credential(c.ID, secret)
	if err != nil {
		t.Fatalf("tokendtest: %v", err)
	}
	return &Client{ID: c.ID, ObjectID: c.ObjectID, Secret: secret, Credential: cred}
}

// AssignRole gives the principal (a client's or managed identity's object
// id) a role — a name such as "Reader" or "Contributor", or a role
// definition id — at scope: "/" for everything, or an ARM scope such as
// "/subscriptions/{id}/resourceGroups/{name}".
func (s *Server) AssignRole(t testing.TB, principalObjectID, role, scope string) {
	t.Helper()
	if _, err := s.app.Identity.Assignments.Assign(context.Background(), principalObjectID, role, scope); err != nil {
		t.Fatalf("tokendtest: assign %s at %s: %v", role, scope, err)
	}
}

// ManagedIdentity is a user-assigned managed identity and what its
// App Service endpoint needs.
type ManagedIdentity struct {
	Name, ClientID, PrincipalID string
	// Endpoint and Header are IDENTITY_ENDPOINT and IDENTITY_HEADER: a GET
	// of Endpoint?resource=...&api-version=2019-08-01 with the header
	// X-IDENTITY-HEADER answers a token.
	Endpoint, Header string
}

// CreateManagedIdentity creates a managed identity with no roles.
func (s *Server) CreateManagedIdentity(t testing.TB, name string) *ManagedIdentity {
	t.Helper()
	mi, err := s.app.Identity.ManagedIdentities.Create(context.Background(), s.TenantID, name)
	if err != nil {
		t.Fatalf("tokendtest: create managed identity %s: %v", name, err)
	}
	return &ManagedIdentity{Name: mi.Name, ClientID: mi.ClientID, PrincipalID: mi.PrincipalID,
		Endpoint: s.URL + identity.ManagedIdentityPath, Header: mi.Header}
}

// SetIdentifierURIs gives a client application ID URIs (api://orders):
// other clients then get tokens for it with scope "<uri>/.default".
func (s *Server) SetIdentifierURIs(t testing.TB, clientID string, uris ...string) {
	t.Helper()
	if err := s.app.Identity.Clients.SetIdentifierURIs(context.Background(), clientID, uris); err != nil {
		t.Fatalf("tokendtest: identifier URIs of %s: %v", clientID, err)
	}
}

// User is a user who signs in interactively (browser, device code,
// password).
type User struct {
	ObjectID, UserPrincipalName, Password string
}

// CreateUser creates a user (name@domain) with this password, or a made-up
// one when password is empty; give it roles with AssignRole and its
// ObjectID.
func (s *Server) CreateUser(t testing.TB, upn, password string) *User {
	t.Helper()
	u, pw, err := s.app.Identity.Users.Create(context.Background(), s.TenantID, upn, upn, password)
	if err != nil {
		t.Fatalf("tokendtest: create user %s: %v", upn, err)
	}
	if pw == "" {
		pw = password
	}
	return &User{ObjectID: u.ObjectID, UserPrincipalName: u.UserPrincipalName, Password: pw}
}
