package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/identity"
)

// cliStep is one run of the root command in a scenario: args may name
// values earlier steps saved as {key}; check sees the standard output and
// may save values for later steps. wantErr is a substring of the error a
// refused run must give.
type cliStep struct {
	name    string
	args    []string
	wantErr string
	check   func(t *testing.T, out string, v map[string]string)
}

// runSteps runs the steps in order on one data directory.
func runSteps(t *testing.T, steps []cliStep) {
	t.Helper()
	dir := t.TempDir()
	vars := map[string]string{"dir": dir}
	for _, s := range steps {
		args := make([]string, len(s.args))
		for i, a := range s.args {
			for k, v := range vars {
				a = strings.ReplaceAll(a, "{"+k+"}", v)
			}
			args[i] = a
		}
		out, err := execCLI(dir, args...)
		switch {
		case s.wantErr != "" && err == nil:
			t.Fatalf("%s: tokend %s succeeded, want an error with %q; output:\n%s", s.name, strings.Join(args, " "), s.wantErr, out)
		case s.wantErr != "" && !strings.Contains(err.Error(), s.wantErr):
			t.Fatalf("%s: tokend %s: error %q, want one with %q", s.name, strings.Join(args, " "), err, s.wantErr)
		case s.wantErr == "" && err != nil:
			t.Fatalf("%s: tokend %s: %v\n%s", s.name, strings.Join(args, " "), err, out)
		}
		if s.check != nil {
			s.check(t, out, vars)
		}
	}
}

// execCLI runs the root command and returns its standard output.
func execCLI(dataDir string, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append(args, "--data", dataDir, "--log-level", "error"))
	err := root.Execute()
	return out.String(), err
}

// decode unmarshals JSON output into v, failing the test when it does not.
func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("output is not JSON (%v):\n%s", err, out)
	}
}

// keysOf is the sorted key set of a JSON object.
func keysOf(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

func wantKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := keysOf(m); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: keys %v, want %v", what, got, want)
	}
}

// writeCert writes a self-signed certificate valid from notBefore to
// notAfter to dir/name and returns its path and DER.
func writeCert(t *testing.T, key *rsa.PrivateKey, dir, name string, notBefore, notAfter time.Time) (string, []byte) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, der
}

func TestClientsCLI(t *testing.T) {
	t.Parallel()
	runSteps(t, []cliStep{
		{name: "create json", args: []string{"clients", "create", "--name", "api", "--output", "json", "--identifier-uri", "api://orders"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "clients create", m, "clientId", "objectId", "tenantId", "displayName", "kind", "identifierUris", "public", "redirectUris", "secretHint", "createdAt", "updatedAt", "clientSecret")
				if identity.CheckSecretFormat(m["clientSecret"].(string)) != nil {
					t.Fatalf("clientSecret %v is not a secret", m["clientSecret"])
				}
				v["client"], v["secret"] = m["clientId"].(string), m["clientSecret"].(string)
			}},
		{name: "create json with role", args: []string{"clients", "create", "-o", "json", "--role", "Reader", "--scope", "/"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "clients create --role", m, "clientId", "objectId", "tenantId", "displayName", "kind", "identifierUris", "public", "redirectUris", "secretHint", "createdAt", "updatedAt", "clientSecret", "roleAssignment")
				ra := m["roleAssignment"].(map[string]any)
				wantKeys(t, "roleAssignment", ra, "id", "principalId", "role", "scope", "createdAt")
				if ra["role"] != "Reader" || ra["scope"] != "/" || ra["principalId"] != m["objectId"] {
					t.Fatalf("roleAssignment %v", ra)
				}
			}},
		{name: "create text unchanged", args: []string{"clients", "create", "--name", "txt"},
			check: func(t *testing.T, out string, _ map[string]string) {
				for _, l := range []string{"client id:     ", "object id:     ", "tenant id:     ", "client secret: "} {
					field(t, out, l)
				}
				if strings.Contains(out, "{") {
					t.Fatalf("text output holds JSON:\n%s", out)
				}
			}},
		{name: "identifier uri taken", args: []string{"clients", "create", "--identifier-uri", "api://orders"}, wantErr: "already used"},
		{name: "identifier uri invalid", args: []string{"clients", "create", "--identifier-uri", "orders"}, wantErr: "invalid credential: identifier URI \"orders\""},
		{name: "list json", args: []string{"clients", "list", "--output", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []map[string]any
				decode(t, out, &list)
				if len(list) != 3 { // the refused creates left no client behind
					t.Fatalf("%d clients listed, want 3:\n%s", len(list), out)
				}
				for _, c := range list {
					wantKeys(t, "clients list", c, "clientId", "objectId", "tenantId", "displayName", "kind", "identifierUris", "public", "redirectUris", "secretHint", "createdAt", "updatedAt")
					if c["kind"] != "application" {
						t.Fatalf("kind %v", c["kind"])
					}
					if c["clientId"] == v["client"] && !reflect.DeepEqual(c["identifierUris"], []any{"api://orders"}) {
						t.Fatalf("identifierUris %v", c["identifierUris"])
					}
				}
				if strings.Contains(out, v["secret"]) {
					t.Fatal("list shows a secret")
				}
			}},
		{name: "update", args: []string{"clients", "update", "{client}", "--identifier-uri", "api://a", "--identifier-uri", "https://b.example/x"}},
		{name: "list after update", args: []string{"clients", "list", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []map[string]any
				decode(t, out, &list)
				i := slices.IndexFunc(list, func(c map[string]any) bool { return c["clientId"] == v["client"] })
				if i < 0 || !reflect.DeepEqual(list[i]["identifierUris"], []any{"api://a", "https://b.example/x"}) {
					t.Fatalf("after update:\n%s", out)
				}
			}},
		{name: "update clears", args: []string{"clients", "update", "{client}", "--identifier-uri="}},
		{name: "list after clear", args: []string{"clients", "list", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []admin.ClientView
				decode(t, out, &list)
				for _, c := range list {
					if c.ClientID == v["client"] && len(c.IdentifierURIs) != 0 {
						t.Fatalf("identifier URIs not cleared: %v", c.IdentifierURIs)
					}
				}
			}},
		{name: "update needs a flag", args: []string{"clients", "update", "{client}"}, wantErr: "nothing to update"},
		{name: "reset-secret json", args: []string{"clients", "reset-secret", "{client}", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "reset-secret", m, "clientId", "clientSecret")
				if m["clientId"] != v["client"] || m["clientSecret"] == v["secret"] {
					t.Fatalf("reset-secret: %v", m)
				}
			}},
		{name: "unknown output", args: []string{"clients", "list", "--output", "yaml"}, wantErr: "want text or json"},
	})
}

func TestClientCertificatesCLI(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemDir := t.TempDir()
	now := time.Now()
	good, der := writeCert(t, key, pemDir, "good", now.Add(-time.Hour), now.Add(24*time.Hour))
	expired, _ := writeCert(t, key, pemDir, "expired", now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	s1, s256 := sha1.Sum(der), sha256.Sum256(der)
	thumb, thumb256 := strings.ToUpper(hex.EncodeToString(s1[:])), strings.ToUpper(hex.EncodeToString(s256[:]))
	missing := filepath.Join(pemDir, "missing.pem")

	runSteps(t, []cliStep{
		{name: "create", args: []string{"clients", "create", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var c admin.CreatedClientView
				decode(t, out, &c)
				v["client"] = c.ClientID
			}},
		{name: "add-certificate text", args: []string{"clients", "add-certificate", "{client}", "--cert", good},
			check: func(t *testing.T, out string, _ map[string]string) {
				if strings.TrimSpace(out) != thumb {
					t.Fatalf("printed %q, want the SHA-1 thumbprint %s", out, thumb)
				}
			}},
		{name: "same certificate again", args: []string{"clients", "add-certificate", "{client}", "--cert", good}, wantErr: thumb},
		{name: "expired", args: []string{"clients", "add-certificate", "{client}", "--cert", expired}, wantErr: "invalid credential: the certificate expired at"},
		{name: "missing file", args: []string{"clients", "add-certificate", "{client}", "--cert", missing}, wantErr: "--cert " + missing + ": open "},
		{name: "not a certificate", args: []string{"clients", "add-certificate", "{client}", "--cert", filepath.Join("{dir}", "master.key")}, wantErr: "no PEM CERTIFICATE"},
		{name: "unknown client", args: []string{"clients", "add-certificate", "00000000-0000-4000-8000-000000000000", "--cert", good}, wantErr: "not found"},
		{name: "list text", args: []string{"clients", "list-certificates", "{client}"},
			check: func(t *testing.T, out string, _ map[string]string) {
				if !strings.Contains(out, thumb) || !strings.Contains(out, thumb256) {
					t.Fatalf("list-certificates:\n%s", out)
				}
			}},
		{name: "list json", args: []string{"clients", "list-certificates", "{client}", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []map[string]any
				decode(t, out, &list)
				if len(list) != 1 {
					t.Fatalf("list-certificates:\n%s", out)
				}
				wantKeys(t, "certificate", list[0], "clientId", "thumbprint", "thumbprintSha256", "notBefore", "notAfter")
				if list[0]["thumbprint"] != thumb || list[0]["thumbprintSha256"] != thumb256 || list[0]["clientId"] != v["client"] {
					t.Fatalf("certificate %v", list[0])
				}
			}},
		{name: "remove (lower case, colons)", args: []string{"clients", "remove-certificate", "{client}", colonHex(strings.ToLower(thumb))}},
		{name: "remove again", args: []string{"clients", "remove-certificate", "{client}", thumb}, wantErr: "not found"},
		{name: "add-certificate json", args: []string{"clients", "add-certificate", "{client}", "--cert", good, "--output", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var c admin.CertificateView
				decode(t, out, &c)
				if c.Thumbprint != thumb || c.ThumbprintSHA256 != thumb256 || c.ClientID != v["client"] ||
					!c.NotAfter.Equal(now.Add(24*time.Hour).Truncate(time.Second)) {
					t.Fatalf("add-certificate json: %+v", c)
				}
			}},
	})
}

// colonHex writes hex as colon-separated pairs, as openssl prints
// fingerprints.
func colonHex(h string) string {
	var pairs []string
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return strings.Join(pairs, ":")
}

func TestFederatedCredentialsCLI(t *testing.T) {
	t.Parallel()
	const gh = "https://token.actions.githubusercontent.com"
	runSteps(t, []cliStep{
		{name: "create", args: []string{"clients", "create", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var c admin.CreatedClientView
				decode(t, out, &c)
				v["client"] = c.ClientID
			}},
		{name: "add default audience", args: []string{"clients", "add-federated-credential", "{client}", "--name", "gh-main",
			"--issuer", gh, "--subject", "repo:org/repo:ref:refs/heads/main", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "federated credential", m, "clientId", "name", "issuer", "subject", "audiences")
				if m["clientId"] != v["client"] || m["issuer"] != gh || !reflect.DeepEqual(m["audiences"], []any{"api://AzureADTokenExchange"}) {
					t.Fatalf("add-federated-credential: %v", m)
				}
			}},
		{name: "add loopback http, two audiences", args: []string{"clients", "add-federated-credential", "{client}", "--name", "local",
			"--issuer", "http://127.0.0.1:9999", "--subject", "system:serviceaccount:ns:sa", "--audience", "a1", "--audience", "a2"},
			check: func(t *testing.T, out string, _ map[string]string) {
				if !strings.Contains(out, "local") || !strings.Contains(out, "a1,a2") {
					t.Fatalf("add-federated-credential text:\n%s", out)
				}
			}},
		{name: "http non-loopback refused", args: []string{"clients", "add-federated-credential", "{client}", "--name", "remote",
			"--issuer", "http://issuer.example.com", "--subject", "s"}, wantErr: "loopback"},
		{name: "bad name refused", args: []string{"clients", "add-federated-credential", "{client}", "--name", "x",
			"--issuer", gh, "--subject", "s"}, wantErr: "invalid credential: the name"},
		{name: "subject required", args: []string{"clients", "add-federated-credential", "{client}", "--name", "nosub", "--issuer", gh}, wantErr: "subject"},
		{name: "list json", args: []string{"clients", "list-federated-credentials", "{client}", "--output", "json"},
			check: func(t *testing.T, out string, _ map[string]string) {
				var list []admin.FederatedCredentialView
				decode(t, out, &list)
				names := []string{}
				for _, f := range list {
					names = append(names, f.Name)
				}
				sort.Strings(names)
				if !reflect.DeepEqual(names, []string{"gh-main", "local"}) {
					t.Fatalf("list-federated-credentials: %s", out)
				}
			}},
		{name: "remove", args: []string{"clients", "remove-federated-credential", "{client}", "gh-main"}},
		{name: "remove again", args: []string{"clients", "remove-federated-credential", "{client}", "gh-main"}, wantErr: "not found"},
		{name: "list text", args: []string{"clients", "list-federated-credentials", "{client}"},
			check: func(t *testing.T, out string, _ map[string]string) {
				if strings.Contains(out, "gh-main") || !strings.Contains(out, "http://127.0.0.1:9999") {
					t.Fatalf("after remove:\n%s", out)
				}
			}},
	})
}

func TestManagedIdentitiesCLI(t *testing.T) {
	t.Parallel()
	const base = "https://tokend.test:8443"
	const endpoint = base + "/msi/token"
	envLines := func(withMSI bool) func(t *testing.T, out string, v map[string]string) {
		return func(t *testing.T, out string, v map[string]string) {
			t.Helper()
			want := "export IDENTITY_ENDPOINT='" + endpoint + "'\n" +
				"export IDENTITY_HEADER='" + v["header"] + "'\n" +
				"export AZURE_CLIENT_ID='" + v["client"] + "'\n"
			if withMSI {
				want += "export MSI_ENDPOINT='" + endpoint + "'\n"
			}
			if out != want {
				t.Fatalf("env printed:\n%s\nwant:\n%s", out, want)
			}
		}
	}
	runSteps(t, []cliStep{
		{name: "create json with role", args: []string{"managed-identities", "create", "mi-one", "--role", "Reader", "--url", base, "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "managed-identities create", m, "name", "clientId", "principalId", "tenantId", "createdAt", "identityEndpoint", "identityHeader", "roleAssignment")
				if m["name"] != "mi-one" || m["identityEndpoint"] != endpoint || m["identityHeader"] == "" {
					t.Fatalf("create: %v", m)
				}
				if ra := m["roleAssignment"].(map[string]any); ra["principalId"] != m["principalId"] || !strings.HasPrefix(ra["scope"].(string), "/subscriptions/") {
					t.Fatalf("roleAssignment: %v", ra)
				}
				v["client"], v["principal"], v["header"] = m["clientId"].(string), m["principalId"].(string), m["identityHeader"].(string)
			}},
		{name: "bad name", args: []string{"managed-identities", "create", "x"}, wantErr: "invalid credential: the managed identity name"},
		{name: "env, the only one", args: []string{"managed-identities", "env", "mi-one", "--url", base}, check: envLines(true)},
		{name: "create another", args: []string{"managed-identities", "create", "mi-two", "--url", base},
			check: func(t *testing.T, out string, v map[string]string) {
				if field(t, out, "name:") != "mi-two" || field(t, out, "identity endpoint:") != endpoint {
					t.Fatalf("create text:\n%s", out)
				}
				v["client2"], v["header2"] = field(t, out, "client id:"), field(t, out, "identity header:")
			}},
		{name: "env, one of two", args: []string{"managed-identities", "env", "mi-one", "--url", base, "--imds-identity="}, check: envLines(false)},
		{name: "env, --default", args: []string{"managed-identities", "env", "mi-one", "--url", base, "--default"}, check: envLines(true)},
		{name: "env, --imds-identity names another", args: []string{"managed-identities", "env", "mi-one", "--url", base, "--imds-identity", "mi-two"}, check: envLines(false)},
		{name: "env, --imds-identity names it", args: []string{"managed-identities", "env", "mi-one", "--url", base, "--imds-identity", "MI-ONE"}, check: envLines(true)},
		{name: "env json", args: []string{"managed-identities", "env", "mi-two", "--url", base, "--imds-identity", "mi-two", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]string
				decode(t, out, &m)
				want := map[string]string{"name": "mi-two", "identityEndpoint": endpoint, "identityHeader": v["header2"], "clientId": v["client2"], "msiEndpoint": endpoint}
				if !reflect.DeepEqual(m, want) {
					t.Fatalf("env json: %v, want %v", m, want)
				}
			}},
		{name: "env unknown", args: []string{"managed-identities", "env", "nope"}, wantErr: "not found"},
		{name: "list json", args: []string{"managed-identities", "list", "--output", "json"},
			check: func(t *testing.T, out string, _ map[string]string) {
				var list []map[string]any
				decode(t, out, &list)
				if len(list) != 2 {
					t.Fatalf("list:\n%s", out)
				}
				for _, m := range list {
					wantKeys(t, "managed-identities list", m, "name", "clientId", "principalId", "tenantId", "createdAt")
				}
			}},
		{name: "clients list shows the kind", args: []string{"clients", "list", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []admin.ClientView
				decode(t, out, &list)
				i := slices.IndexFunc(list, func(c admin.ClientView) bool { return c.ClientID == v["client"] })
				if i < 0 || list[i].Kind != "managedIdentity" {
					t.Fatalf("clients list:\n%s", out)
				}
			}},
		{name: "delete", args: []string{"managed-identities", "delete", "mi-one"}},
		{name: "list text after delete", args: []string{"managed-identities", "list"},
			check: func(t *testing.T, out string, v map[string]string) {
				if strings.Contains(out, "mi-one") || !strings.Contains(out, "mi-two") || strings.Contains(out, v["header2"]) {
					t.Fatalf("list after delete (headers must not show):\n%s", out)
				}
			}},
		{name: "its assignments went with it", args: []string{"roles", "list", "--principal", "{principal}", "-o", "json"},
			check: func(t *testing.T, out string, _ map[string]string) {
				if strings.TrimSpace(out) != "[]" {
					t.Fatalf("roles of a deleted identity:\n%s", out)
				}
			}},
		{name: "now the only one", args: []string{"managed-identities", "env", "mi-two", "--url", base, "--imds-identity="},
			check: func(t *testing.T, out string, _ map[string]string) {
				if !strings.Contains(out, "export MSI_ENDPOINT='"+endpoint+"'") {
					t.Fatalf("env of the only identity:\n%s", out)
				}
			}},
	})
}

func TestOutputJSON(t *testing.T) {
	t.Parallel()
	runSteps(t, []cliStep{
		{name: "client", args: []string{"clients", "create", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var c admin.CreatedClientView
				decode(t, out, &c)
				v["client"], v["object"] = c.ClientID, c.ObjectID
			}},
		{name: "roles assign json", args: []string{"roles", "assign", "--principal", "{client}", "--role", "Contributor", "--scope", "/Subscriptions/ABC/", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "roles assign", m, "id", "principalId", "role", "scope", "createdAt")
				if m["principalId"] != v["object"] || m["scope"] != "/subscriptions/abc" {
					t.Fatalf("assign: %v", m)
				}
				v["assignment"] = m["id"].(string)
			}},
		{name: "roles list json", args: []string{"roles", "list", "--output", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []map[string]any
				decode(t, out, &list)
				if len(list) != 1 || list[0]["id"] != v["assignment"] || list[0]["role"] != "Contributor" {
					t.Fatalf("roles list:\n%s", out)
				}
				wantKeys(t, "roles list", list[0], "id", "principalId", "role", "scope", "createdAt")
			}},
		{name: "roles definitions json", args: []string{"roles", "definitions", "-o", "json"},
			check: func(t *testing.T, out string, _ map[string]string) {
				var list []roleDefinitionJSON
				decode(t, out, &list)
				if !slices.ContainsFunc(list, func(r roleDefinitionJSON) bool {
					return r.Name == "Reader" && r.ID == "acdd72a7-3385-48ef-bd42-f606fba81ae7" && slices.Contains(r.Actions, "*/read")
				}) {
					t.Fatalf("definitions:\n%s", out)
				}
			}},
		{name: "subscriptions create json", args: []string{"subscriptions", "create", "--name", "Second", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "subscriptions create", m, "subscriptionId", "tenantId", "displayName", "state")
				v["sub"] = m["subscriptionId"].(string)
			}},
		{name: "subscriptions list json", args: []string{"subscriptions", "list", "--output", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []map[string]any
				decode(t, out, &list)
				if len(list) != 2 {
					t.Fatalf("subscriptions list:\n%s", out)
				}
				names := map[any]any{}
				for _, s := range list {
					wantKeys(t, "subscriptions list", s, "subscriptionId", "tenantId", "displayName", "state")
					if s["state"] != "Enabled" {
						t.Fatalf("state %v", s["state"])
					}
					names[s["displayName"]] = s["subscriptionId"]
				}
				if names["Default Subscription"] == nil || names["Second"] != v["sub"] {
					t.Fatalf("subscriptions list:\n%s", out)
				}
			}},
		{name: "subscriptions list text unchanged", args: []string{"subscriptions", "list"},
			check: func(t *testing.T, out string, v map[string]string) {
				if !strings.Contains(out, v["sub"]+"\t") || !strings.Contains(out, "\tSecond\n") {
					t.Fatalf("subscriptions list:\n%s", out)
				}
			}},
		{name: "keys rotate json", args: []string{"keys", "rotate", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "keys rotate", m, "kid", "algorithm", "state", "createdAt", "activateAt", "retireAt", "expireAt")
				if m["state"] != "active" || m["algorithm"] != "ES256" {
					t.Fatalf("keys rotate: %v", m)
				}
				v["kid"] = m["kid"].(string)
			}},
		{name: "keys list json", args: []string{"keys", "list", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []map[string]any
				decode(t, out, &list)
				if !slices.ContainsFunc(list, func(k map[string]any) bool { return k["kid"] == v["kid"] && k["state"] == "active" }) {
					t.Fatalf("keys list:\n%s", out)
				}
			}},
	})
}

func TestUsersCLI(t *testing.T) {
	t.Parallel()
	runSteps(t, []cliStep{
		{name: "create json", args: []string{"users", "create", "ada@contoso.example", "--display-name", "Ada Lovelace", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "users create", m, "objectId", "userPrincipalName", "displayName", "tenantId", "createdAt", "updatedAt", "password")
				if pw, _ := m["password"].(string); len(pw) != 20 {
					t.Fatalf("generated password %q", pw)
				}
				v["user"] = m["objectId"].(string)
			}},
		{name: "duplicate", args: []string{"users", "create", "ADA@contoso.example"}, wantErr: "already exists"},
		{name: "not a UPN", args: []string{"users", "create", "ada"}, wantErr: "name@domain"},
		{name: "assign by name", args: []string{"roles", "assign", "--principal", "ada@contoso.example", "--role", "Reader", "--scope", "/"}},
		{name: "assign to nobody", args: []string{"roles", "assign", "--principal", "nobody@contoso.example", "--role", "Reader"}, wantErr: "no user is named"},
		{name: "list json", args: []string{"users", "list", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var list []map[string]any
				decode(t, out, &list)
				if len(list) != 1 || list[0]["objectId"] != v["user"] || list[0]["password"] != nil {
					t.Fatalf("users list = %v", list)
				}
			}},
		{name: "reset", args: []string{"users", "reset-password", "{user}", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				if pw, _ := m["password"].(string); len(pw) != 20 {
					t.Fatalf("reset-password answered %v", m)
				}
			}},
		{name: "delete", args: []string{"users", "delete", "ada@contoso.example"}},
		{name: "delete again", args: []string{"users", "delete", "ada@contoso.example"}, wantErr: "no user is named"},
		{name: "public client", args: []string{"clients", "create", "--public", "--redirect-uri", "http://localhost", "-o", "json"},
			check: func(t *testing.T, out string, v map[string]string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "clients create --public", m, "clientId", "objectId", "tenantId", "displayName", "kind", "identifierUris", "public", "redirectUris", "secretHint", "createdAt", "updatedAt")
			}},
		{name: "bad redirect URI", args: []string{"clients", "create", "--redirect-uri", "http://app.example/cb"}, wantErr: "only for localhost"},
	})
}
