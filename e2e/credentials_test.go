package e2e

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/coreos/go-oidc/v3/oidc"
)

// Every non-interactive azidentity credential signs in at tokend's
// Entra-shaped issuer over TLS, and each token works on ARM: the official
// armresources client lists the subscription's resource groups with it.
//
// A note on the process-wide state these tests share: MSAL keeps managed
// identity tokens in a cache global to the process, keyed by identity (a
// client id, or "system-assigned") and resource, not by endpoint. Each
// managed-identity test below therefore uses an identity of its own, and only
// TestManagedIdentityCredential/imds asks as the system-assigned identity,
// for a resource unique to its tokend.

// certCredOptions are the options every confidential credential here uses.
func certCredOptions(tk *Tokend, chain bool) *azidentity.ClientCertificateCredentialOptions {
	return &azidentity.ClientCertificateCredentialOptions{ClientOptions: tk.ClientOptions(),
		DisableInstanceDiscovery: true, SendCertificateChain: chain}
}

func assertionCredOptions(tk *Tokend) *azidentity.ClientAssertionCredentialOptions {
	return &azidentity.ClientAssertionCredentialOptions{ClientOptions: tk.ClientOptions(), DisableInstanceDiscovery: true}
}

// ClientCertificateCredential with RSA-2048 certificates, self-signed and
// CA-issued (MSAL signs PS256 and names the certificate by x5t#S256), each
// also with SendCertificateChain (the x5c header, as subject name/issuer
// authentication sends it; Entra accepts it from a certificate registered
// by thumbprint too).
func TestClientCertificateCredential(t *testing.T) {
	t.Parallel()
	testClientCertificateCredential(t, Start(t))
}

func testClientCertificateCredential(t *testing.T, tk *Tokend) {
	seedGroup(t, tk)
	app := tk.CreateClientWith(t, "cert-app", "--role", "Reader")
	ca := newCert(t, newRSAKey(t), "tokend e2e CA", nil, true)
	cases := []struct {
		name  string
		chain bool
		cert  *testCert
	}{
		{"self-signed", false, newCert(t, newRSAKey(t), "cert-app", nil, false)},
		{"self-signed, SendCertificateChain", true, newCert(t, newRSAKey(t), "cert-app-x5c", nil, false)},
		{"CA-issued", false, newCert(t, newRSAKey(t), "cert-app-leaf", ca, false)},
		{"CA-issued, SendCertificateChain", true, newCert(t, newRSAKey(t), "cert-app-leaf-x5c", ca, false)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info := tk.AddCertificate(t, app.ClientID, c.cert.CertFile)
			if !strings.EqualFold(info.Thumbprint, c.cert.SHA1) || !strings.EqualFold(info.ThumbprintSHA256, c.cert.SHA256) ||
				!strings.EqualFold(info.ClientID, app.ClientID) {
				t.Errorf("add-certificate: %+v, want thumbprints %s / %s", info, c.cert.SHA1, c.cert.SHA256)
			}
			certs, key, err := azidentity.ParseCertificates(append(append([]byte{}, c.cert.CertPEM...), c.cert.KeyPEM...), nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 1, true: 2}[c.cert.Cert.Issuer.String() != c.cert.Cert.Subject.String()]; len(certs) != want {
				t.Fatalf("parsed %d certificates, want %d", len(certs), want)
			}
			cred, err := azidentity.NewClientCertificateCredential(tk.Boot.TenantID, app.ClientID, certs, key, certCredOptions(tk, c.chain))
			if err != nil {
				t.Fatal(err)
			}
			tok := getToken(t, cred, ARMScope)
			checkClaims(t, tok, map[string]string{"appid": app.ClientID, "azp": app.ClientID, "oid": app.ObjectID,
				"appidacr": "2", "azpacr": "2", "tid": tk.Boot.TenantID, "aud": "https://management.core.windows.net/"})
			if !tk.Introspect(t, tok) {
				t.Error("the token is not active")
			}
			useOnARM(t, tk, cred)
		})
	}

	// A removed certificate signs nothing in any more.
	t.Run("removed", func(t *testing.T) {
		c := cases[0].cert
		tk.CLI(t, "clients", "remove-certificate", app.ClientID, c.SHA1)
		certs, key, err := azidentity.ParseCertificates(append(append([]byte{}, c.CertPEM...), c.KeyPEM...), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Another process removed it: the server learns it from the
		// clients generation, within a second (as for a reset secret). A
		// new credential each try, since a credential caches its token.
		deadline := time.Now().Add(3 * time.Second)
		for {
			cred, cerr := azidentity.NewClientCertificateCredential(tk.Boot.TenantID, app.ClientID, certs, key, certCredOptions(tk, false))
			if cerr != nil {
				t.Fatal(cerr)
			}
			_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{ARMScope}})
			if err != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		checkAuthFailed(t, err, http.StatusUnauthorized, 700027)
	})
}

// ClientAssertionCredential with assertions the test signs itself: RS256,
// PS256 and ES256, naming the certificate by x5t or x5t#S256, for the v2
// and the v1 token endpoint, a fresh jti each call.
func TestClientAssertionCredential(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	seedGroup(t, tk)
	app := tk.CreateClientWith(t, "assertion-app", "--role", "Reader")
	rsaCert := newCert(t, newRSAKey(t), "assertion-rsa", nil, false)
	ecCert := newCert(t, newECKey(t), "assertion-ec", nil, false)
	tk.AddCertificate(t, app.ClientID, rsaCert.CertFile)
	tk.AddCertificate(t, app.ClientID, ecCert.CertFile)
	v1 := tk.Boot.Authority + tk.Boot.TenantID + "/oauth2/token"

	for _, c := range []struct {
		name, alg, thumb, aud string
		cert                  *testCert
	}{
		{"RS256 x5t", "RS256", "x5t", tk.TokenEndpoint(), rsaCert},
		{"RS256 x5t#S256", "RS256", "x5t#S256", tk.TokenEndpoint(), rsaCert},
		{"PS256 x5t#S256", "PS256", "x5t#S256", tk.TokenEndpoint(), rsaCert},
		{"ES256 x5t#S256", "ES256", "x5t#S256", tk.TokenEndpoint(), ecCert},
		{"ES256 x5t", "ES256", "x5t", tk.TokenEndpoint(), ecCert},
		{"RS256 v1 audience", "RS256", "x5t", v1, rsaCert},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			jtis := map[string]bool{}
			cred, err := azidentity.NewClientAssertionCredential(tk.Boot.TenantID, app.ClientID, func(context.Context) (string, error) {
				jti := newUUID()
				mu.Lock()
				jtis[jti] = true
				mu.Unlock()
				return certAssertion(t, c.cert, c.alg, c.thumb, app.ClientID, c.aud, jti, 5*time.Minute), nil
			}, assertionCredOptions(tk))
			if err != nil {
				t.Fatal(err)
			}
			tok := getToken(t, cred, ARMScope)
			checkClaims(t, tok, map[string]string{"appid": app.ClientID, "appidacr": "2", "aud": "https://management.core.windows.net/"})
			// Another scope is another token request, with a new assertion:
			// tokend's own base URL, which it takes for ARM.
			tok2 := getToken(t, cred, tk.Boot.Authority+".default")
			checkClaims(t, tok2, map[string]string{"appid": app.ClientID, "aud": "https://management.core.windows.net/"})
			if len(jtis) != 2 {
				t.Errorf("%d assertions made, want 2 (one per token request)", len(jtis))
			}
			useOnARM(t, tk, cred)
		})
	}
}

// Workload identity federation: a Kubernetes service-account token read
// from a file by WorkloadIdentityCredential, a GitHub Actions token handed
// to ClientAssertionCredential, and a credential with an audience of its
// own. tokend discovers the test issuers' keys over loopback HTTP.
func TestWorkloadIdentityFederation(t *testing.T) {
	t.Parallel()
	testWorkloadIdentityFederation(t, Start(t))
}

func testWorkloadIdentityFederation(t *testing.T, tk *Tokend) {
	seedGroup(t, tk)
	k8s := NewOIDCIssuer(t, "")
	gh := NewOIDCIssuer(t, "/github")
	app := tk.CreateClientWith(t, "federated-app", "--role", "Reader")
	const (
		saSubject     = "system:serviceaccount:ns:sa"
		customSubject = "system:serviceaccount:ns:custom"
		ghSubject     = "repo:org/repo:ref:refs/heads/main"
	)
	tk.AddFederatedCredential(t, app.ClientID, "aks-ns-sa", k8s.URL, saSubject)
	tk.AddFederatedCredential(t, app.ClientID, "aks-custom-aud", k8s.URL, customSubject, "--audience", "api://tokend-e2e")
	tk.AddFederatedCredential(t, app.ClientID, "github-main", gh.URL, ghSubject)

	k8sClaims := func(sub, aud string) map[string]any {
		return map[string]any{"sub": sub, "aud": []string{aud}, "kubernetes.io": map[string]any{
			"namespace": "ns", "serviceaccount": map[string]string{"name": sub[strings.LastIndex(sub, ":")+1:], "uid": newUUID()},
		}}
	}
	ghClaims := map[string]any{"sub": ghSubject, "aud": FederationAudience, "repository": "org/repo",
		"ref": "refs/heads/main", "job_workflow_ref": "org/repo/.github/workflows/ci.yml@refs/heads/main", "event_name": "push"}

	for _, c := range []struct {
		name string
		iss  *OIDCIssuer
		// file: through WorkloadIdentityCredential's token file; else a
		// ClientAssertionCredential minting a token per call.
		file   bool
		claims map[string]any
	}{
		{"kubernetes service account", k8s, true, k8sClaims(saSubject, FederationAudience)},
		{"kubernetes custom audience", k8s, true, k8sClaims(customSubject, "api://tokend-e2e")},
		{"github actions", gh, false, ghClaims},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cred azcore.TokenCredential
			var err error
			if c.file {
				file := filepath.Join(t.TempDir(), "azure-identity-token")
				if err := os.WriteFile(file, []byte(c.iss.Mint(t, c.claims)), 0o600); err != nil {
					t.Fatal(err)
				}
				cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
					ClientOptions: tk.ClientOptions(), DisableInstanceDiscovery: true,
					ClientID: app.ClientID, TenantID: tk.Boot.TenantID, TokenFilePath: file})
			} else {
				cred, err = azidentity.NewClientAssertionCredential(tk.Boot.TenantID, app.ClientID, func(context.Context) (string, error) {
					return c.iss.Mint(t, c.claims), nil
				}, assertionCredOptions(tk))
			}
			if err != nil {
				t.Fatal(err)
			}
			tok := getToken(t, cred, ARMScope)
			checkClaims(t, tok, map[string]string{"appid": app.ClientID, "oid": app.ObjectID, "tid": tk.Boot.TenantID})
			// ARM asks for a CAE token, a second token request: with the
			// token file, the same external token again (it is not a
			// one-time assertion).
			useOnARM(t, tk, cred)
		})
	}
	if k8s.DiscoveryHits() == 0 || gh.DiscoveryHits() == 0 {
		t.Errorf("tokend fetched discovery %d (k8s) and %d (github) times; want both", k8s.DiscoveryHits(), gh.DiscoveryHits())
	}
}

// AzurePipelinesCredential: azidentity asks the Azure DevOps OIDC endpoint
// (SYSTEM_OIDCREQUESTURI, served by the test issuer) for the service
// connection's token with the job's access token, then exchanges it at
// tokend. Sets the environment: not parallel.
func TestAzurePipelinesCredential(t *testing.T) {
	tk := Start(t)
	seedGroup(t, tk)
	org := newUUID()
	iss := NewOIDCIssuer(t, "/"+org) // as https://vstoken.dev.azure.com/<org-guid>
	const subject = "sc://org/project/connection"
	connection, access := newUUID(), "system-access-token-"+newUUID()
	oidcURI := iss.ServeAzureDevOpsOIDC(t, access, connection, subject)
	app := tk.CreateClientWith(t, "pipelines-app", "--role", "Reader")
	tk.AddFederatedCredential(t, app.ClientID, "azure-pipelines", iss.URL, subject)

	clearAzureEnv(t)
	t.Setenv("SYSTEM_OIDCREQUESTURI", oidcURI)
	cred, err := azidentity.NewAzurePipelinesCredential(tk.Boot.TenantID, app.ClientID, connection, access,
		&azidentity.AzurePipelinesCredentialOptions{ClientOptions: tk.ClientOptions(), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	tok := getToken(t, cred, ARMScope)
	checkClaims(t, tok, map[string]string{"appid": app.ClientID, "oid": app.ObjectID})
	useOnARM(t, tk, cred)
	// One OIDC request per token request: the one above, and ARM's (the
	// ARM client asks for a CAE token, which azidentity caches apart).
	reqs := iss.PipelinesRequests()
	if len(reqs) != 2 {
		t.Errorf("%d OIDC endpoint requests, want 2: %+v", len(reqs), reqs)
	}
	for _, r := range reqs {
		if r.Method != http.MethodPost || r.APIVersion != "7.1" || r.ServiceConnectionID != connection || r.Authorization != "Bearer "+access {
			t.Errorf("OIDC endpoint request: %+v", r)
		}
	}
}

// ManagedIdentityCredential through the App Service protocol (the
// environment `tokend managed-identities env` prints) and through IMDS
// (`serve --imds-addr`). Sets the environment: not parallel.
func TestManagedIdentityCredential(t *testing.T) {
	t.Run("app service", func(t *testing.T) {
		tk := Start(t)
		seedGroup(t, tk)
		mi := tk.CreateManagedIdentity(t, "app-mi", "--role", "Reader", "--scope", "/subscriptions/"+tk.Boot.SubscriptionID)
		env := tk.ManagedIdentityEnv(t, "app-mi")
		for k, want := range map[string]string{"IDENTITY_ENDPOINT": mi.IdentityEndpoint, "IDENTITY_HEADER": mi.IdentityHeader,
			"AZURE_CLIENT_ID": mi.ClientID, "MSI_ENDPOINT": mi.IdentityEndpoint} {
			if env[k] != want || want == "" {
				t.Errorf("managed-identities env: %s=%q, want %q (create printed %+v)", k, env[k], want, mi)
			}
		}
		if want := tk.URL + "/msi/token"; mi.IdentityEndpoint != want {
			t.Errorf("identityEndpoint %q, want %q", mi.IdentityEndpoint, want)
		}
		clearAzureEnv(t)
		for k, v := range env { // as `eval "$(tokend managed-identities env app-mi)"`
			t.Setenv(k, v)
		}
		// azidentity calls IDENTITY_ENDPOINT with the credential's transport:
		// tk.ClientOptions trusts tokend's CA.
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: tk.ClientOptions(), ID: azidentity.ClientID(mi.ClientID)})
		if err != nil {
			t.Fatal(err)
		}
		tok := getToken(t, cred, ARMScope)
		checkClaims(t, tok, map[string]string{"appid": mi.ClientID, "oid": mi.PrincipalID, "tid": tk.Boot.TenantID,
			"aud": "https://management.core.windows.net/", "iss": tk.URL + "/" + tk.Boot.TenantID + "/v2.0"})
		if !tk.Introspect(t, tok) {
			t.Error("the token is not active")
		}
		useOnARM(t, tk, cred)
	})

	t.Run("imds", func(t *testing.T) {
		addr := "127.0.0.1:" + freePort(t)
		tk := Start(t, "--imds-addr", addr, "--imds-identity", "vm-mi")
		seedGroup(t, tk)
		mi := tk.CreateManagedIdentity(t, "vm-mi", "--role", "Reader", "--scope", "/subscriptions/"+tk.Boot.SubscriptionID)
		other := tk.CreateManagedIdentity(t, "vm-other-mi", "--role", "Reader", "--scope", "/subscriptions/"+tk.Boot.SubscriptionID)

		// The IMDS listener answers; without Metadata: true it refuses (400).
		imdsURL := "http://" + addr + "/metadata/identity/oauth2/token?" +
			Query("api-version", "2018-02-01", "resource", "https://management.azure.com/")
		resp, body := waitIMDS(t, imdsURL)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"error"`) || strings.Contains(string(body), "access_token") {
			t.Errorf("IMDS without Metadata: %d %s", resp.StatusCode, body)
		}

		clearAzureEnv(t)
		// What the brief for this test asked for; azidentity v1.15 (MSAL
		// 1.10) declares but never reads it, and always calls
		// 169.254.169.254 — which imdsRoute routes to --imds-addr, as a
		// VM's network does.
		t.Setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://"+addr)
		for _, c := range []struct {
			name string
			id   azidentity.ManagedIDKind
			want ManagedIdentityInfo
			// scope: the system-assigned case asks for tokend's own base
			// URL (ARM), a resource unique to this instance, as MSAL's
			// process-wide cache would otherwise answer a later run (-count)
			// with this one's token.
			scope string
		}{
			{"default identity (--imds-identity)", nil, mi, tk.Boot.Authority + ".default"},
			{"user-assigned by client id", azidentity.ClientID(other.ClientID), other, ARMScope},
			{"user-assigned by object id", azidentity.ObjectID(mi.PrincipalID), mi, ARMScope},
		} {
			t.Run(c.name, func(t *testing.T) {
				opts := tk.ClientOptions()
				route := &imdsRoute{addr: addr, next: tk.HTTP}
				opts.Transport = route
				cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts, ID: c.id})
				if err != nil {
					t.Fatal(err)
				}
				tok := getToken(t, cred, c.scope)
				if route.hits == 0 {
					t.Error("the credential did not call IMDS")
				}
				checkClaims(t, tok, map[string]string{"appid": c.want.ClientID, "oid": c.want.PrincipalID,
					"iss": tk.URL + "/" + tk.Boot.TenantID + "/v2.0", "aud": "https://management.core.windows.net/"})
				if c.scope == ARMScope {
					useOnARM(t, tk, cred)
				} else {
					useOnARM(t, tk, staticToken(tok))
				}
			})
		}
	})
}

// waitIMDS GETs url (no Metadata header) until the IMDS listener, started
// beside the main one, answers.
func waitIMDS(t testing.TB, u string) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		resp, err := c.Do(req)
		if err == nil {
			b := make([]byte, 0, 512)
			buf := make([]byte, 512)
			for {
				n, rerr := resp.Body.Read(buf)
				b = append(b, buf[:n]...)
				if rerr != nil {
					break
				}
			}
			_ = resp.Body.Close()
			return resp, b
		}
		if time.Now().After(deadline) {
			t.Fatalf("IMDS listener not answering: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// DefaultAzureCredential as a workload sees it: narrowed by
// AZURE_TOKEN_CREDENTIALS (which azidentity v1.15 supports) to workload
// identity (the webhook's environment, with AZURE_AUTHORITY_HOST) or to
// managed identity (the App Service environment). Sets the environment:
// not parallel.
func TestDefaultAzureCredential(t *testing.T) {
	tk := Start(t)
	seedGroup(t, tk)
	// Made before any managed-identity request (see the note at the top).
	mi := tk.CreateManagedIdentity(t, "dac-mi", "--role", "Reader", "--scope", "/subscriptions/"+tk.Boot.SubscriptionID)

	t.Run("workload identity", func(t *testing.T) {
		iss := NewOIDCIssuer(t, "")
		const subject = "system:serviceaccount:default:dac"
		app := tk.CreateClientWith(t, "dac-workload", "--role", "Reader")
		tk.AddFederatedCredential(t, app.ClientID, "aks-default-dac", iss.URL, subject)
		file := filepath.Join(t.TempDir(), "azure-identity-token")
		if err := os.WriteFile(file, []byte(iss.Mint(t, map[string]any{"sub": subject, "aud": []string{FederationAudience}})), 0o600); err != nil {
			t.Fatal(err)
		}
		clearAzureEnv(t)
		for k, v := range map[string]string{
			"AZURE_TOKEN_CREDENTIALS": "WorkloadIdentityCredential",
			"AZURE_TENANT_ID":         tk.Boot.TenantID, "AZURE_CLIENT_ID": app.ClientID,
			"AZURE_FEDERATED_TOKEN_FILE": file, "AZURE_AUTHORITY_HOST": tk.Boot.Authority,
		} {
			t.Setenv(k, v)
		}
		// No cloud configuration: the authority comes from
		// AZURE_AUTHORITY_HOST; the transport trusts tokend's CA.
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions:            azcore.ClientOptions{Transport: tk.HTTP, Retry: policy.RetryOptions{MaxRetries: -1}},
			DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		tok := getToken(t, cred, ARMScope)
		checkClaims(t, tok, map[string]string{"appid": app.ClientID, "oid": app.ObjectID})
		useOnARM(t, tk, cred)
	})

	t.Run("managed identity", func(t *testing.T) {
		env := tk.ManagedIdentityEnv(t, "dac-mi")
		clearAzureEnv(t)
		for k, v := range env {
			t.Setenv(k, v)
		}
		t.Setenv("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential")
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: tk.ClientOptions()})
		if err != nil {
			t.Fatal(err)
		}
		tok := getToken(t, cred, ARMScope)
		checkClaims(t, tok, map[string]string{"appid": mi.ClientID, "oid": mi.PrincipalID})
		useOnARM(t, tk, cred)
	})
}

// Refusals, each in Entra's shape with its AADSTS code and no token.
func TestCredentialRefusals(t *testing.T) {
	t.Parallel()
	testCredentialRefusals(t, Start(t))
}

func testCredentialRefusals(t *testing.T, tk *Tokend) {
	app := tk.CreateClientWith(t, "refusals-app", "--role", "Reader")
	registered := newCert(t, newRSAKey(t), "registered", nil, false)
	unregistered := newCert(t, newRSAKey(t), "unregistered", nil, false)
	tk.AddCertificate(t, app.ClientID, registered.CertFile)
	trusted := NewOIDCIssuer(t, "")
	untrusted := NewOIDCIssuer(t, "/untrusted")
	const subject = "system:serviceaccount:ns:sa"
	tk.AddFederatedCredential(t, app.ClientID, "trusted-sa", trusted.URL, subject)

	assertion := func(c *testCert, aud string, lifetime time.Duration) string {
		return certAssertion(t, c, "PS256", "x5t#S256", app.ClientID, aud, newUUID(), lifetime)
	}
	secretForm := func(id, secret, scope string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {scope}}
	}
	for _, c := range []struct {
		name   string
		form   url.Values
		status int
		code   string
		aadsts int
	}{
		{"certificate not registered", assertionForm(app.ClientID, assertion(unregistered, tk.TokenEndpoint(), 5*time.Minute), ARMScope),
			http.StatusUnauthorized, "invalid_client", 700027},
		{"expired assertion", assertionForm(app.ClientID, assertion(registered, tk.TokenEndpoint(), -time.Hour), ARMScope),
			http.StatusUnauthorized, "invalid_client", 700024},
		{"assertion for another audience", assertionForm(app.ClientID,
			assertion(registered, "https://login.microsoftonline.com/"+tk.Boot.TenantID+"/oauth2/v2.0/token", 5*time.Minute), ARMScope),
			http.StatusUnauthorized, "invalid_client", 700023},
		{"federated token for another subject", assertionForm(app.ClientID,
			trusted.Mint(t, map[string]any{"sub": "system:serviceaccount:ns:other", "aud": FederationAudience}), ARMScope),
			http.StatusUnauthorized, "invalid_client", 700213},
		{"federated token of an untrusted issuer", assertionForm(app.ClientID,
			untrusted.Mint(t, map[string]any{"sub": subject, "aud": FederationAudience}), ARMScope),
			http.StatusUnauthorized, "invalid_client", 700211},
		{"unknown client (secret)", secretForm(newUUID(), "not-a-secret", ARMScope),
			http.StatusBadRequest, "unauthorized_client", 700016},
		{"unknown client (assertion)", assertionForm("", certAssertion(t, registered, "RS256", "x5t", newUUID(),
			tk.TokenEndpoint(), newUUID(), 5*time.Minute), ARMScope),
			http.StatusBadRequest, "unauthorized_client", 700016},
		{"unknown resource", secretForm(tk.Boot.ClientID, tk.Boot.ClientSecret, "api://no-such-api/.default"),
			http.StatusBadRequest, "invalid_resource", 500011},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := tk.PostToken(t, c.form)
			checkEntraError(t, resp, body, c.status, c.code, c.aadsts)
		})
	}

	// The same assertion twice: the second is a replay.
	t.Run("replayed assertion", func(t *testing.T) {
		a := assertion(registered, tk.TokenEndpoint(), 5*time.Minute)
		resp, body := tk.PostToken(t, assertionForm(app.ClientID, a, ARMScope))
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"access_token"`) {
			t.Fatalf("first use: %d %s", resp.StatusCode, body)
		}
		resp, body = tk.PostToken(t, assertionForm(app.ClientID, a, ARMScope))
		checkEntraError(t, resp, body, http.StatusUnauthorized, "invalid_client", 50013)
	})

	// A certificate not registered, through the SDK: azidentity reports
	// tokend's refusal.
	t.Run("certificate not registered (azidentity)", func(t *testing.T) {
		cred, err := azidentity.NewClientCertificateCredential(tk.Boot.TenantID, app.ClientID,
			[]*x509.Certificate{unregistered.Cert}, crypto.PrivateKey(unregistered.Key), certCredOptions(tk, false))
		if err != nil {
			t.Fatal(err)
		}
		_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{ARMScope}})
		checkAuthFailed(t, err, http.StatusUnauthorized, 700027)
	})

	// The managed-identity endpoints answer in their own shape ("error",
	// "error_description"; no error_codes, as Azure's hosts answer).
	for _, c := range []struct {
		name, path string
		headers    []string
		status     int
	}{
		{"IMDS without Metadata: true", "/metadata/identity/oauth2/token?" +
			Query("api-version", "2018-02-01", "resource", "https://management.azure.com/"), nil, http.StatusBadRequest},
		{"App Service with a wrong identity header", "/msi/token?" +
			Query("api-version", "2019-08-01", "resource", "https://management.azure.com/"),
			[]string{"X-IDENTITY-HEADER", "not-the-header-" + newUUID()}, http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := tk.Do(t, http.MethodGet, c.path, nil, "", c.headers...)
			var e entraError
			if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != c.status || e.Error == "" || e.AccessToken != "" {
				t.Errorf("got %d %s, want %d with an error", resp.StatusCode, body, c.status)
			}
		})
	}
}

// Token audiences: tokend's own base URL is ARM; an application's client id
// or identifier URI gives a token for that application, verifiable with
// go-oidc against tokend's discovery and JWKS, and refused by ARM.
func TestTokenAudiences(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	seedGroup(t, tk)
	ctx := context.Background()

	t.Run("base URL is ARM", func(t *testing.T) {
		tok := tk.Token(t, tk.Boot.Authority+".default")
		checkClaims(t, tok, map[string]string{"aud": "https://management.core.windows.net/", "appid": tk.Boot.ClientID})
		useOnARM(t, tk, staticToken(tok))
	})

	api := tk.CreateClientWith(t, "orders-api", "--identifier-uri", "api://orders")
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, tk.HTTP), tk.URL+"/"+tk.Boot.TenantID+"/v2.0")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: api.ClientID})
	for _, scope := range []string{api.ClientID + "/.default", "api://orders/.default"} {
		t.Run(scope, func(t *testing.T) {
			tok := tk.Token(t, scope)
			idt, err := verifier.Verify(oidc.ClientContext(ctx, tk.HTTP), tok)
			if err != nil {
				t.Fatalf("go-oidc: %v", err)
			}
			if len(idt.Audience) != 1 || idt.Audience[0] != api.ClientID {
				t.Errorf("aud %v, want [%s]", idt.Audience, api.ClientID)
			}
			checkClaims(t, tok, map[string]string{"appid": tk.Boot.ClientID, "tid": tk.Boot.TenantID})
			// Not a management token.
			resp, body := tk.Do(t, http.MethodGet, "/subscriptions/"+tk.Boot.SubscriptionID+"/resourcegroups?api-version=2021-04-01", nil, tok)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("ARM with a token for %s: %d %s", api.ClientID, resp.StatusCode, body)
			}
		})
	}
	t.Run("ARM token is not the API's", func(t *testing.T) {
		if _, err := verifier.Verify(oidc.ClientContext(ctx, tk.HTTP), tk.ARMToken(t)); err == nil {
			t.Error("go-oidc accepted a management token for the orders API")
		}
	})
}

// The stored parts of credentials (certificates, federated credentials,
// the assertion replay record) on PostgreSQL.
func TestCredentialsOnPostgres(t *testing.T) {
	t.Parallel()
	tk := Start(t, "--database", PostgresURL(t))
	t.Run("certificate", func(t *testing.T) { testClientCertificateCredential(t, tk) })
	t.Run("federated", func(t *testing.T) { testWorkloadIdentityFederation(t, tk) })
	t.Run("refusals", func(t *testing.T) { testCredentialRefusals(t, tk) })
}
