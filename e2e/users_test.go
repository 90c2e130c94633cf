package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/tokend-dev/tokend/internal/azuretest"
)

// UserInfo is `tokend users create --output json`.
type UserInfo struct {
	ObjectID          string `json:"objectId"`
	UserPrincipalName string `json:"userPrincipalName"`
	TenantID          string `json:"tenantId"`
	Password          string `json:"password"`
}

// CreateUser creates a user through the CLI with a made-up password;
// extra are more flags (--role, --scope, --display-name).
func (tk *Tokend) CreateUser(t testing.TB, upn string, extra ...string) UserInfo {
	t.Helper()
	var u UserInfo
	tk.cliJSON(t, &u, append([]string{"users", "create", upn}, extra...)...)
	if u.ObjectID == "" || u.Password == "" || u.TenantID != tk.Boot.TenantID {
		t.Fatalf("users create --output json: %+v", u)
	}
	return u
}

// azureCLIClientID is the Azure CLI's application id: a first-party
// public client present in every tenant, as in Entra.
const azureCLIClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// A user signs in with azidentity's UsernamePasswordCredential (MSAL's
// UserRealm lookup, then the password grant) through the Azure CLI's
// first-party client, uses ARM with a role assigned to the user, and gets
// a token for a second resource from the same sign-in's refresh token.
func TestUsernamePasswordCredential(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	seedGroup(t, tk)
	user := tk.CreateUser(t, "ada@contoso.example", "--display-name", "Ada Lovelace",
		"--role", "Reader", "--scope", "/subscriptions/"+tk.Boot.SubscriptionID)
	opts := &azidentity.UsernamePasswordCredentialOptions{ClientOptions: tk.ClientOptions(), DisableInstanceDiscovery: true}
	cred, err := azidentity.NewUsernamePasswordCredential(tk.Boot.TenantID, azureCLIClientID, user.UserPrincipalName, user.Password, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Authenticate needs an ID token and client_info MSAL accepts.
	rec, err := cred.Authenticate(ctx, &policy.TokenRequestOptions{Scopes: []string{ARMScope}})
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if !strings.EqualFold(rec.Username, user.UserPrincipalName) || rec.TenantID != tk.Boot.TenantID ||
		rec.HomeAccountID != user.ObjectID+"."+tk.Boot.TenantID {
		t.Errorf("authentication record %+v", rec)
	}
	tok := getToken(t, cred, ARMScope)
	checkClaims(t, tok, map[string]string{"oid": user.ObjectID, "idtyp": "user", "scp": "user_impersonation",
		"upn": user.UserPrincipalName, "name": "Ada Lovelace", "appid": azureCLIClientID, "tid": tk.Boot.TenantID})
	useOnARM(t, tk, cred)

	// Another resource: MSAL redeems the sign-in's refresh token.
	const playwrightScope = "https://playwright.microsoft.com/.default"
	pw := getToken(t, cred, playwrightScope)
	if aud := azuretest.JWTClaims(t, pw)["aud"]; aud != "https://playwright.microsoft.com" {
		t.Errorf("second resource's token has aud %v", aud)
	}
	checkClaims(t, pw, map[string]string{"oid": user.ObjectID})

	// A wrong password is refused in Entra's words.
	bad, err := azidentity.NewUsernamePasswordCredential(tk.Boot.TenantID, azureCLIClientID, user.UserPrincipalName, "not the password", opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope}}); err == nil || !strings.Contains(err.Error(), "AADSTS50126") {
		t.Fatalf("wrong password: %v", err)
	}
}

// A web API (a confidential client with an identifier URI) receives a
// user's token for itself and calls ARM on the user's behalf with
// azidentity's OnBehalfOfCredential: the user's identity and roles carry
// through, the API's own do not.
func TestOnBehalfOfCredential(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	seedGroup(t, tk)
	api := tk.CreateClientWith(t, "orders-api", "--identifier-uri", "api://orders")
	user := tk.CreateUser(t, "bob@contoso.example", "--role", "Reader", "--scope", "/subscriptions/"+tk.Boot.SubscriptionID)
	userCred, err := azidentity.NewUsernamePasswordCredential(tk.Boot.TenantID, azureCLIClientID, user.UserPrincipalName, user.Password,
		&azidentity.UsernamePasswordCredentialOptions{ClientOptions: tk.ClientOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	userToken := getToken(t, userCred, "api://orders/.default")
	checkClaims(t, userToken, map[string]string{"aud": api.ClientID, "oid": user.ObjectID})

	obo, err := azidentity.NewOnBehalfOfCredentialWithSecret(tk.Boot.TenantID, api.ClientID, userToken, api.ClientSecret,
		&azidentity.OnBehalfOfCredentialOptions{ClientOptions: tk.ClientOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	tok := getToken(t, obo, ARMScope)
	checkClaims(t, tok, map[string]string{"oid": user.ObjectID, "azp": api.ClientID, "idtyp": "user", "aud": "https://management.core.windows.net/"})
	useOnARM(t, tk, obo)

	// The API cannot trade a token that was not issued to it.
	armToken := getToken(t, userCred, ARMScope)
	stolen, err := azidentity.NewOnBehalfOfCredentialWithSecret(tk.Boot.TenantID, api.ClientID, armToken, api.ClientSecret,
		&azidentity.OnBehalfOfCredentialOptions{ClientOptions: tk.ClientOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := stolen.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope}}); err == nil || !strings.Contains(err.Error(), "AADSTS50013") {
		t.Fatalf("on-behalf-of with a token for ARM: %v", err)
	}
}
