package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// FederationAudience is the audience Entra's federated identity credentials
// expect by default (and what Kubernetes, GitHub and Azure DevOps are
// configured to put in tokens meant for Azure).
const FederationAudience = "api://AzureADTokenExchange"

// OIDCIssuer is an external OpenID Connect issuer for workload identity
// federation tests, as a Kubernetes cluster, GitHub Actions or Azure DevOps
// is to Entra: it serves its discovery document and JWKS over plain HTTP on
// 127.0.0.1 (tokend accepts loopback http issuers for local testing) and
// mints RS256 tokens with its key, named by kid.
type OIDCIssuer struct {
	// URL is the issuer identifier: http://127.0.0.1:PORT followed by the
	// path given to NewOIDCIssuer. Discovery is at URL +
	// "/.well-known/openid-configuration", the key set at URL + "/keys".
	URL string
	// Kid names the signing key in tokens and in the key set.
	Kid string

	key *rsa.PrivateKey
	srv *httptest.Server
	mux *http.ServeMux

	mu        sync.Mutex
	hits      map[string]int // path → GET count
	pipelines []PipelinesOIDCRequest
}

// PipelinesOIDCRequest is one request azidentity's AzurePipelinesCredential
// made to the Azure DevOps OIDC endpoint the issuer serves.
type PipelinesOIDCRequest struct {
	Method, APIVersion, ServiceConnectionID, Authorization string
}

// NewOIDCIssuer starts an issuer whose identifier is
// http://127.0.0.1:PORT{path} (path "" or "/github", "/<org-guid>", ...).
func NewOIDCIssuer(t testing.TB, path string) *OIDCIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	path = strings.TrimRight(path, "/")
	iss := &OIDCIssuer{Kid: "k8s-" + uuid.NewString()[:8], key: key, mux: http.NewServeMux(), hits: map[string]int{}}
	iss.srv = httptest.NewServer(iss.mux) // 127.0.0.1, plain HTTP
	t.Cleanup(iss.srv.Close)
	iss.URL = iss.srv.URL + path

	iss.mux.HandleFunc("GET "+path+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss.hit(r.URL.Path)
		writeTestJSON(w, http.StatusOK, map[string]any{
			"issuer":                                iss.URL,
			"jwks_uri":                              iss.URL + "/keys",
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	iss.mux.HandleFunc("GET "+path+"/keys", func(w http.ResponseWriter, r *http.Request) {
		iss.hit(r.URL.Path)
		pub := &iss.key.PublicKey
		writeTestJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": iss.Kid,
			"n": b64url(pub.N.Bytes()), "e": b64url(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	return iss
}

func (iss *OIDCIssuer) hit(path string) {
	iss.mu.Lock()
	iss.hits[path]++
	iss.mu.Unlock()
}

// DiscoveryHits is how often the discovery document was fetched.
func (iss *OIDCIssuer) DiscoveryHits() int {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	n := 0
	for p, c := range iss.hits {
		if strings.HasSuffix(p, "/.well-known/openid-configuration") {
			n += c
		}
	}
	return n
}

// Mint signs a token with the issuer's key. iss, iat, nbf, exp and jti
// default to this issuer, now, now, an hour from now and a fresh id; claims
// override them.
func (iss *OIDCIssuer) Mint(t testing.TB, claims map[string]any) string {
	t.Helper()
	now := time.Now()
	all := map[string]any{
		"iss": iss.URL, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": uuid.NewString(),
	}
	for k, v := range claims {
		all[k] = v
	}
	return signJWT(t, iss.key, map[string]any{"alg": "RS256", "typ": "JWT", "kid": iss.Kid}, all)
}

// ServeAzureDevOpsOIDC serves the Azure DevOps OIDC token endpoint, as
// SYSTEM_OIDCREQUESTURI names it in a pipeline job, and returns its URL.
// AzurePipelinesCredential POSTs to it with ?api-version=7.1 and
// serviceConnectionId, authenticated by the job's System.AccessToken as a
// bearer token, and expects {"oidcToken": "<jwt>"}: here a token of this
// issuer for subject with the federation audience. A wrong bearer is
// answered 401, another connection or API version 400, as Azure DevOps does.
func (iss *OIDCIssuer) ServeAzureDevOpsOIDC(t testing.TB, systemAccessToken, serviceConnectionID, subject string) string {
	t.Helper()
	path := "/org/" + uuid.NewString() + "/_apis/distributedtask/hubs/build/plans/" + uuid.NewString() +
		"/jobs/" + uuid.NewString() + "/oidctoken"
	iss.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		iss.mu.Lock()
		iss.pipelines = append(iss.pipelines, PipelinesOIDCRequest{Method: r.Method, APIVersion: q.Get("api-version"),
			ServiceConnectionID: q.Get("serviceConnectionId"), Authorization: r.Header.Get("Authorization")})
		iss.mu.Unlock()
		switch {
		case r.Method != http.MethodPost:
			writeTestJSON(w, http.StatusMethodNotAllowed, map[string]string{"message": "POST only"})
		case r.Header.Get("Authorization") != "Bearer "+systemAccessToken:
			writeTestJSON(w, http.StatusUnauthorized, map[string]string{"message": "TF400813: the user is not authorized"})
		case q.Get("api-version") != "7.1" || q.Get("serviceConnectionId") != serviceConnectionID:
			writeTestJSON(w, http.StatusBadRequest, map[string]string{"message": "unknown service connection or api-version"})
		default:
			tok := iss.Mint(t, map[string]any{"sub": subject, "aud": FederationAudience})
			writeTestJSON(w, http.StatusOK, map[string]string{"oidcToken": tok})
		}
	})
	return iss.srv.URL + path
}

// PipelinesRequests are the requests made to the Azure DevOps OIDC endpoint.
func (iss *OIDCIssuer) PipelinesRequests() []PipelinesOIDCRequest {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return append([]PipelinesOIDCRequest(nil), iss.pipelines...)
}

func writeTestJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signJWT makes a compact JWS of claims with header (whose "alg" is RS256,
// PS256 or ES256) signed by key: an RSA key for RS256 and PS256, an ECDSA
// P-256 key for ES256.
func signJWT(t testing.TB, key crypto.Signer, header, claims map[string]any) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64url(h) + "." + b64url(c)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg, _ := header["alg"].(string); alg {
	case "RS256":
		sig, err = rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, sum[:])
	case "PS256":
		sig, err = rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), crypto.SHA256, sum[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case "ES256":
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, key.(*ecdsa.PrivateKey), sum[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	default:
		t.Fatalf("signJWT: unsupported alg %q", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64url(sig)
}
