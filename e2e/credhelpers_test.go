package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/google/uuid"
	"github.com/tokend-dev/tokend/internal/azuretest"
)

// ARMScope is the management-plane scope the SDKs ask for.
const ARMScope = "https://management.core.windows.net//.default"

// --- the CLI --------------------------------------------------------------

// dbArgs is the --database part of tk.Args (tk.Args also holds serve-only
// flags such as --imds-addr, which the other subcommands do not take).
func (tk *Tokend) dbArgs() []string {
	for i, a := range tk.Args {
		if a == "--database" && i+1 < len(tk.Args) {
			return []string{"--database", tk.Args[i+1]}
		}
		if strings.HasPrefix(a, "--database=") {
			return []string{a}
		}
	}
	return nil
}

// CLI runs `tokend args...` on this instance's data directory (and
// database), as a user would next to the running server, and returns what
// it printed on stdout; it fails the test when the command fails.
func (tk *Tokend) CLI(t testing.TB, args ...string) []byte {
	t.Helper()
	out, errOut, err := tk.runCLI(args...)
	if err != nil {
		t.Fatalf("tokend %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func (tk *Tokend) runCLI(args ...string) (stdout, stderr []byte, err error) {
	// The data directory and database first (root flags), so that a
	// command's own arguments may end with "--" and a value that starts
	// with a dash (a key id).
	full := append(append([]string{"--data", tk.DataDir}, tk.dbArgs()...), args...)
	cmd := exec.Command(binary, full...)
	cmd.Env = append(os.Environ(), "TOKEND_LOG_LEVEL=warn")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

// cliJSON runs a command with --output json and decodes what it printed.
func (tk *Tokend) cliJSON(t testing.TB, into any, args ...string) {
	t.Helper()
	// Before a "--" that ends the flags, if there is one.
	at := slices.Index(args, "--")
	if at < 0 {
		at = len(args)
	}
	out := tk.CLI(t, slices.Concat(args[:at], []string{"--output", "json"}, args[at:])...)
	if err := json.Unmarshal(out, into); err != nil {
		t.Fatalf("tokend %s --output json printed no JSON (%v):\n%s", strings.Join(args, " "), err, out)
	}
}

// ClientInfo is `tokend clients create --output json`.
type ClientInfo struct {
	ClientID     string `json:"clientId"`
	ObjectID     string `json:"objectId"`
	TenantID     string `json:"tenantId"`
	ClientSecret string `json:"clientSecret"`
}

// CreateClientWith registers a client through the CLI; extra are more
// flags (--role, --scope, --identifier-uri).
func (tk *Tokend) CreateClientWith(t testing.TB, name string, extra ...string) ClientInfo {
	t.Helper()
	var c ClientInfo
	tk.cliJSON(t, &c, append([]string{"clients", "create", "--name", name}, extra...)...)
	if c.ClientID == "" || c.ObjectID == "" || c.TenantID != tk.Boot.TenantID {
		t.Fatalf("clients create --output json: %+v (tenant %s)", c, tk.Boot.TenantID)
	}
	return c
}

// CertificateInfo is `tokend clients add-certificate --output json`.
type CertificateInfo struct {
	ClientID         string `json:"clientId"`
	Thumbprint       string `json:"thumbprint"`
	ThumbprintSHA256 string `json:"thumbprintSha256"`
}

// AddCertificate registers the certificate in certFile (PEM) for clientID's
// assertions.
func (tk *Tokend) AddCertificate(t testing.TB, clientID, certFile string) CertificateInfo {
	t.Helper()
	var c CertificateInfo
	tk.cliJSON(t, &c, "clients", "add-certificate", clientID, "--cert", certFile)
	return c
}

// AddFederatedCredential trusts tokens of issuer for subject (extra: e.g.
// --audience A) as clientID's credential.
func (tk *Tokend) AddFederatedCredential(t testing.TB, clientID, name, issuer, subject string, extra ...string) {
	t.Helper()
	tk.CLI(t, append([]string{"clients", "add-federated-credential", clientID, "--name", name,
		"--issuer", issuer, "--subject", subject}, extra...)...)
}

// ManagedIdentityInfo is `tokend managed-identities create --output json`.
type ManagedIdentityInfo struct {
	Name             string `json:"name"`
	ClientID         string `json:"clientId"`
	PrincipalID      string `json:"principalId"`
	TenantID         string `json:"tenantId"`
	IdentityEndpoint string `json:"identityEndpoint"`
	IdentityHeader   string `json:"identityHeader"`
}

// CreateManagedIdentity makes a managed identity through the CLI; extra
// are more flags (--role, --scope).
func (tk *Tokend) CreateManagedIdentity(t testing.TB, name string, extra ...string) ManagedIdentityInfo {
	t.Helper()
	var mi ManagedIdentityInfo
	tk.cliJSON(t, &mi, append([]string{"managed-identities", "create", name}, extra...)...)
	if mi.ClientID == "" || mi.PrincipalID == "" || mi.IdentityHeader == "" {
		t.Fatalf("managed-identities create --output json: %+v", mi)
	}
	return mi
}

// ManagedIdentityEnv is what `tokend managed-identities env NAME` exports,
// as a map.
func (tk *Tokend) ManagedIdentityEnv(t testing.TB, name string) map[string]string {
	t.Helper()
	out := tk.CLI(t, "managed-identities", "env", name)
	env := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			t.Fatalf("managed-identities env: unexpected line %q in:\n%s", line, out)
		}
		if len(v) >= 2 && (v[0] == '\'' && v[len(v)-1] == '\'' || v[0] == '"' && v[len(v)-1] == '"') {
			if v[0] == '"' {
				if u, err := strconv.Unquote(v); err == nil {
					v = u
				} else {
					v = v[1 : len(v)-1]
				}
			} else {
				v = v[1 : len(v)-1]
			}
		}
		env[strings.TrimSpace(k)] = v
	}
	return env
}

// --- certificates ---------------------------------------------------------

// testCert is a certificate with its key and PEM files.
type testCert struct {
	Cert     *x509.Certificate
	Key      crypto.Signer
	CertPEM  []byte // the certificate, then its issuers (if any)
	KeyPEM   []byte // PKCS #8
	CertFile string // the certificate alone, for add-certificate
	SHA1     string // thumbprint, upper-case hex as Entra and az show it
	SHA256   string
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newCert makes a certificate for key named cn: self-signed when parent is
// nil, else issued by parent (whose certificate follows in CertPEM).
func newCert(t testing.TB, key crypto.Signer, cn string, parent *testCert, isCA bool) *testCert {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.ExtKeyUsage = nil
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.Cert, parent.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCert{Cert: cert, Key: key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})}
	c.CertFile = filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(c.CertFile, c.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if parent != nil {
		c.CertPEM = append(c.CertPEM, parent.CertPEM...)
	}
	s1, s256 := sha1.Sum(der), sha256.Sum256(der)
	c.SHA1, c.SHA256 = strings.ToUpper(hex.EncodeToString(s1[:])), strings.ToUpper(hex.EncodeToString(s256[:]))
	return c
}

// x5t is the certificate's SHA-1 thumbprint as the x5t header carries it.
func (c *testCert) x5t() string {
	s := sha1.Sum(c.Cert.Raw)
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// x5tS256 is the x5t#S256 header value.
func (c *testCert) x5tS256() string {
	s := sha256.Sum256(c.Cert.Raw)
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// certAssertion is a client assertion for clientID signed with c under alg,
// naming c by the thumbprint header thumb ("x5t" or "x5t#S256"), for aud,
// valid from now for lifetime (negative: already expired), with jti.
func certAssertion(t testing.TB, c *testCert, alg, thumb, clientID, aud, jti string, lifetime time.Duration) string {
	t.Helper()
	h := map[string]any{"alg": alg, "typ": "JWT"}
	switch thumb {
	case "x5t":
		h["x5t"] = c.x5t()
	case "x5t#S256":
		h["x5t#S256"] = c.x5tS256()
	default:
		t.Fatalf("thumbprint header %q", thumb)
	}
	now := time.Now()
	nbf := now
	if lifetime < 0 {
		nbf = now.Add(2 * lifetime)
	}
	return signJWT(t, c.Key, h, map[string]any{
		"iss": clientID, "sub": clientID, "aud": aud, "jti": jti,
		"iat": nbf.Unix(), "nbf": nbf.Unix(), "exp": now.Add(lifetime).Unix(),
	})
}

// TokenEndpoint is the v2 token endpoint of the bootstrap tenant, as a
// client assertion's aud names it.
func (tk *Tokend) TokenEndpoint() string {
	return tk.Boot.Authority + tk.Boot.TenantID + "/oauth2/v2.0/token"
}

// --- raw token requests and errors -----------------------------------------

// PostToken sends a form to the v2 token endpoint.
func (tk *Tokend) PostToken(t testing.TB, form url.Values) (*http.Response, []byte) {
	t.Helper()
	return tk.Do(t, http.MethodPost, "/"+tk.Boot.TenantID+"/oauth2/v2.0/token", form.Encode(), "",
		"Content-Type", "application/x-www-form-urlencoded")
}

// assertionForm is a client-credentials request authenticated by a client
// assertion.
func assertionForm(clientID, assertion, scope string) url.Values {
	f := url.Values{"grant_type": {"client_credentials"}, "scope": {scope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	if clientID != "" {
		f.Set("client_id", clientID)
	}
	return f
}

// entraError is Entra's token error body (and what a token response must
// not have on failure).
type entraError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	ErrorCodes  []int  `json:"error_codes"`
	AccessToken string `json:"access_token"`
}

// checkEntraError asserts a refusal in Entra's shape: status, error,
// error_codes = [aadsts] (0: none expected), the code in the description,
// and no token.
func checkEntraError(t testing.TB, resp *http.Response, body []byte, status int, code string, aadsts int) {
	t.Helper()
	var e entraError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("status %d, body not JSON (%v): %s", resp.StatusCode, err, body)
		return
	}
	if resp.StatusCode != status || e.Error != code || e.AccessToken != "" {
		t.Errorf("got %d error=%q, want %d %q: %s", resp.StatusCode, e.Error, status, code, body)
	}
	if aadsts != 0 && (len(e.ErrorCodes) != 1 || e.ErrorCodes[0] != aadsts ||
		!strings.HasPrefix(e.Description, fmt.Sprintf("AADSTS%d:", aadsts))) {
		t.Errorf("error_codes %v, want [%d] (and the description to start with AADSTS%d): %s", e.ErrorCodes, aadsts, aadsts, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

// checkAuthFailed asserts that azidentity failed with tokend's refusal:
// status and AADSTS code.
func checkAuthFailed(t testing.TB, err error, status, aadsts int) {
	t.Helper()
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) {
		t.Fatalf("want an AuthenticationFailedError, got %T: %v", err, err)
	}
	if afe.RawResponse == nil || afe.RawResponse.StatusCode != status {
		t.Errorf("want status %d: %v", status, err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("AADSTS%d", aadsts)) {
		t.Errorf("want AADSTS%d: %v", aadsts, err)
	}
}

// --- tokens and ARM --------------------------------------------------------

// getToken is cred.GetToken for one scope, failing the test on error.
func getToken(t testing.TB, cred azcore.TokenCredential, scope string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		t.Fatalf("GetToken(%s): %v", scope, err)
	}
	if tok.Token == "" || tok.ExpiresOn.Before(time.Now()) {
		t.Fatalf("GetToken(%s): empty or expired token %+v", scope, tok)
	}
	return tok.Token
}

// checkClaims asserts string claims of a token.
func checkClaims(t testing.TB, token string, want map[string]string) {
	t.Helper()
	c := azuretest.JWTClaims(t, token)
	for k, v := range want {
		if got, _ := c[k].(string); !strings.EqualFold(got, v) {
			t.Errorf("claim %s = %v, want %s", k, c[k], v)
		}
	}
}

// SeedGroup is the resource group every credential test lists.
const SeedGroup = "credentials-e2e"

// seedGroup creates SeedGroup as the bootstrap client.
func seedGroup(t testing.TB, tk *Tokend) {
	t.Helper()
	groups, err := armresources.NewResourceGroupsClient(tk.Boot.SubscriptionID, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groups.CreateOrUpdate(context.Background(), SeedGroup, armresources.ResourceGroup{Location: to.Ptr("westeurope")}, nil); err != nil {
		t.Fatalf("create %s: %v", SeedGroup, err)
	}
}

// useOnARM lists the subscription's resource groups with the official
// armresources client signed in by cred, and expects SeedGroup among them.
func useOnARM(t testing.TB, tk *Tokend, cred azcore.TokenCredential) {
	t.Helper()
	groups, err := armresources.NewResourceGroupsClient(tk.Boot.SubscriptionID, cred, tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	found := false
	for pager := groups.NewListPager(nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("list resource groups: %v", err)
		}
		for _, g := range page.Value {
			found = found || *g.Name == SeedGroup
		}
	}
	if !found {
		t.Errorf("resource group %s not listed", SeedGroup)
	}
}

// staticToken is a credential that always answers one token: a token
// obtained some other way, used on ARM.
type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// --- environment -----------------------------------------------------------

// azureEnv is every variable azidentity's environment-driven credentials
// (and MSAL's managed-identity source detection) read.
var azureEnv = []string{
	"AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
	"AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "AZURE_USERNAME", "AZURE_PASSWORD",
	"AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_TOKEN_CREDENTIALS", "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
	"AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_REGIONAL_AUTHORITY_NAME",
	"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET",
	"DEFAULT_IDENTITY_CLIENT_ID", "SYSTEM_OIDCREQUESTURI",
}

// clearAzureEnv unsets azureEnv for the rest of the test (restored after),
// so only what the test sets is seen. Not for parallel tests.
func clearAzureEnv(t *testing.T) {
	t.Helper()
	for _, k := range azureEnv {
		t.Setenv(k, "") // registers the restore
		_ = os.Unsetenv(k)
	}
}

// freePort is a TCP port free on 127.0.0.1 a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// imdsRoute is the network route a VM has for 169.254.169.254: requests
// for the IMDS address go to addr (tokend --imds-addr) over plain HTTP,
// everything else through next.
type imdsRoute struct {
	addr string
	next policy.Transporter
	hits int
}

func (r *imdsRoute) Do(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "169.254.169.254" || req.URL.Host == "169.254.169.254:80" {
		r.hits++
		req = req.Clone(req.Context())
		req.URL.Host = r.addr
		req.Host = ""
		return http.DefaultTransport.RoundTrip(req)
	}
	return r.next.Do(req)
}

// newUUID is a random id for names that must be unique.
func newUUID() string { return uuid.NewString() }
