package identity

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// firstPartyClients are Microsoft's well-known public clients, present in
// every Entra tenant without registration: azidentity's
// InteractiveBrowserCredential and DeviceCodeCredential and `az login`
// use the Azure CLI's id when given none. They sign users in from
// localhost redirect URIs (any port) and hold no secret.
var firstPartyClients = map[string]string{
	"04b07795-8ddb-461a-bbee-02f9e1bf7b46": "Microsoft Azure CLI",
	"1950a258-227b-4e31-a9cf-717495945fc2": "Microsoft Azure PowerShell",
	"aebc6443-996d-45c2-90f0-388ff96faa56": "Visual Studio Code",
	"04f0c124-f2bc-4f59-8241-bf6df9866bbd": "Visual Studio",
	ConsoleClientID:                        "tokend console",
}

// ConsoleClientID is tokend's own web console (package console), a public
// client present in every tenant like Microsoft's: it signs people in
// with the authorization code and PKCE, and its redirect URIs are on
// tokend's own origin (consoleRedirectURIs), so nobody has to register it.
const ConsoleClientID = "7f3c2a9e-6b1d-4e58-9c0a-2d4f8e1b5a63"

// Console paths the console client may be sent back to.
const (
	ConsoleCallbackPath  = "/console/callback"
	ConsoleSignedOutPath = "/console/signedout"
)

// AzureCLIClientID is the Azure CLI's application id.
const AzureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// firstPartyNamespace derives a first-party client's service principal
// object id in a tenant: stable on every node, different per tenant, as a
// service principal is.
var firstPartyNamespace = uuid.MustParse("9f1c7a52-5a43-4a0e-9d55-7c6e0b3c2f10")

// firstPartyClient is the first-party client id in tenantID, or nil when
// id is none of them.
func firstPartyClient(tenantID, id string) *tokend.Client {
	id = strings.ToLower(id)
	name, ok := firstPartyClients[id]
	if !ok {
		return nil
	}
	redirects := []string{"http://localhost", "http://127.0.0.1", "https://login.microsoftonline.com/common/oauth2/nativeclient"}
	if id == ConsoleClientID {
		// Filled per request with tokend's own origin (withConsoleRedirects).
		redirects = nil
	}
	return &tokend.Client{
		ID: id, TenantID: tenantID, DisplayName: name, Kind: tokend.ClientApplication,
		ObjectID:     uuid.NewSHA1(firstPartyNamespace, []byte(strings.ToLower(tenantID)+"/"+id)).String(),
		Public:       true,
		RedirectURIs: redirects,
	}
}

// withConsoleRedirects gives the console client its redirect URIs on the
// origin r reached tokend at (the public URL when configured): the console
// is served by the same server, so the authorization endpoint sends the
// browser back to the host it came from and to no other.
func (s *Service) withConsoleRedirects(c *tokend.Client, r *http.Request) *tokend.Client {
	if c == nil || c.ID != ConsoleClientID {
		return c
	}
	cp := *c
	base := s.baseURL(r)
	cp.RedirectURIs = []string{base + ConsoleCallbackPath, base + ConsoleSignedOutPath}
	return &cp
}

// IsFirstPartyClient reports whether id is one of Microsoft's first-party
// public clients, which exist in every tenant and cannot be registered.
func IsFirstPartyClient(id string) bool {
	_, ok := firstPartyClients[strings.ToLower(id)]
	return ok
}
