package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// tokenCert is client-credentials issuance with a certificate assertion
// (private_key_jwt), as ClientCertificateCredential signs in: every request
// carries a fresh assertion, so the server verifies one signature, records
// one jti and signs one token. The assertions are ES256 (an RSA-2048
// signature costs the generator ~1 ms; tokend's RS256 verification is as
// cheap as its ES256 one), and signed before the run: signing them during
// it took the load generator 0.5–0.6 of this machine's 2 cores, which the
// server then lacked (docs/performance.md). The server's work per request
// is the same either way.
type tokenCert struct {
	url, clientID, x5tS256 string
	key                    *ecdsa.PrivateKey
	seq                    atomic.Uint64
	// forms are request bodies signed ahead, each used once; next is the
	// index of the next unused one. Past the end, bodies are signed on
	// the fly.
	forms []string
	next  atomic.Int64
}

// preSignRate is the sign-in rate the bodies signed ahead are sized for:
// above anything this scenario reaches on a small machine (its ceiling is
// a few thousand per core).
const preSignRate = 12000

func (*tokenCert) Name() string   { return "token-cert" }
func (*tokenCert) Target() string { return "≥ 5,000 tokens/s" }
func (*tokenCert) Bound() Bound   { return BoundVerifySign }

func (s *tokenCert) Setup(ctx context.Context, env *Env) error {
	out, err := env.Target.CLI(ctx, "clients", "create", "--name", "bench-cert", "--role", "Reader", "--scope", "/", "--output", "json")
	if err != nil {
		return err
	}
	var created struct {
		ClientID string `json:"clientId"`
	}
	if err := json.Unmarshal(out, &created); err != nil {
		return fmt.Errorf("clients create: %w", err)
	}
	s.clientID = created.ClientID
	if s.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "tokend bench"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &s.key.PublicKey, s.key)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(der)
	s.x5tS256 = base64.RawURLEncoding.EncodeToString(sum[:])
	dir, err := os.MkdirTemp("", "tokend-bench-cert-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	if _, err := env.Target.CLI(ctx, "clients", "add-certificate", s.clientID, "--cert", file); err != nil {
		return err
	}
	s.url = env.BaseURL + "/" + env.Target.Boot.TenantID + "/oauth2/v2.0/token"
	// One request through the same path, so a refusal fails here with its
	// answer rather than as a wall of errors.
	if err := checkOnce(ctx, env, s); err != nil {
		return err
	}
	return s.signAhead(ctx, int(env.Window.Seconds()*preSignRate))
}

// signAhead signs n request bodies on every core, before the run.
func (s *tokenCert) signAhead(ctx context.Context, n int) error {
	forms := make([]string, n)
	err := parallel(ctx, n, runtime.GOMAXPROCS(0), func(_ context.Context, i int) error {
		form, err := s.form()
		forms[i] = form
		return err
	})
	if err != nil {
		return fmt.Errorf("sign assertions ahead: %w", err)
	}
	s.forms = forms
	return nil
}

// form is a token request body with a fresh assertion.
func (s *tokenCert) form() (string, error) {
	a, err := s.assertion()
	if err != nil {
		return "", err
	}
	return url.Values{
		"grant_type": {"client_credentials"}, "client_id": {s.clientID}, "scope": {armScope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a},
	}.Encode(), nil
}

func (s *tokenCert) assertion() (string, error) {
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss": s.clientID, "sub": s.clientID, "aud": s.url, "jti": strconv.FormatUint(s.seq.Add(1), 36) + "-" + strconv.FormatInt(now.UnixNano(), 36),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	})
	hdr, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "x5t#S256": s.x5tS256})
	input := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(input))
	r, ss, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func (s *tokenCert) Next(ctx context.Context, _ int) (*http.Request, error) {
	var form string
	if i := s.next.Add(1) - 1; i < int64(len(s.forms)) {
		form, s.forms[i] = s.forms[i], "" // used once; let it go
	} else {
		var err error
		if form, err = s.form(); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// tokenMI is a managed identity's token from the App Service endpoint
// (IDENTITY_ENDPOINT with X-IDENTITY-HEADER), as ManagedIdentityCredential
// asks for it in a container app: every request signs one token.
type tokenMI struct {
	url, header string
}

func (*tokenMI) Name() string   { return "token-mi" }
func (*tokenMI) Target() string { return "≥ 10,000 tokens/s" }
func (*tokenMI) Bound() Bound   { return BoundSign }

func (s *tokenMI) Setup(ctx context.Context, env *Env) error {
	out, err := env.Target.CLI(ctx, "managed-identities", "create", "bench-identity", "--role", "Reader", "--scope", "/", "--output", "json")
	if err != nil {
		return err
	}
	var mi struct {
		Header string `json:"identityHeader"`
	}
	if err := json.Unmarshal(out, &mi); err != nil || mi.Header == "" {
		return fmt.Errorf("managed-identities create: %s", out)
	}
	s.header = mi.Header
	s.url = env.BaseURL + "/msi/token?" + url.Values{"api-version": {"2019-08-01"}, "resource": {"https://management.azure.com"}}.Encode()
	return checkOnce(ctx, env, s)
}

func (s *tokenMI) Next(ctx context.Context, _ int) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-IDENTITY-HEADER", s.header)
	return req, nil
}
