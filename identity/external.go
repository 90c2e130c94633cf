package identity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TrustedIssuer is an external OpenID Connect issuer whose tokens tokend
// accepts (a real Entra tenant, a CI system's workload identity issuer).
type TrustedIssuer struct {
	// Issuer is the exact iss value; its keys are found through
	// {Issuer}/.well-known/openid-configuration.
	Issuer string
	// Audiences are accepted from this issuer on the management surface in
	// addition to ARM's own audiences. Tokens on a provider's own surface
	// must carry that surface's audience whatever their issuer.
	Audiences []string
}

// externalIssuer caches one trusted issuer's keys. An unknown kid triggers
// a refetch, at most once per minInterval, so a token naming a made-up kid
// cannot turn tokend into a request amplifier against the issuer.
type externalIssuer struct {
	cfg         TrustedIssuer
	client      *http.Client
	now         func() time.Time
	minInterval time.Duration

	mu        sync.Mutex
	keys      map[string]externalKey
	fetchedAt time.Time
}

type externalKey struct {
	alg string
	pub crypto.PublicKey
}

func newExternalIssuer(cfg TrustedIssuer, client *http.Client, now func() time.Time) *externalIssuer {
	return &externalIssuer{cfg: cfg, client: client, now: now, minInterval: time.Minute}
}

// key returns the issuer's key kid, fetching the key set when needed.
func (e *externalIssuer) key(ctx context.Context, kid string) (externalKey, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if k, ok := e.keys[kid]; ok {
		return k, nil
	}
	if !e.fetchedAt.IsZero() && e.now().Sub(e.fetchedAt) < e.minInterval {
		return externalKey{}, errors.New("unknown signing key")
	}
	e.fetchedAt = e.now()
	keys, err := e.fetch(ctx)
	if err != nil {
		return externalKey{}, err
	}
	e.keys = keys
	if k, ok := e.keys[kid]; ok {
		return k, nil
	}
	return externalKey{}, errors.New("unknown signing key")
}

// fetch runs discovery and reads the JWKS. It runs under e.mu, on a
// detached context with its own timeout, so one canceled request does not
// fail the fetch for everyone waiting on it.
func (e *externalIssuer) fetch(ctx context.Context) (map[string]externalKey, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := e.getJSON(ctx, strings.TrimRight(e.cfg.Issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return nil, fmt.Errorf("discover %s: %w", e.cfg.Issuer, err)
	}
	if doc.Issuer != e.cfg.Issuer {
		return nil, fmt.Errorf("discover %s: the document names issuer %q", e.cfg.Issuer, doc.Issuer)
	}
	if !strings.HasPrefix(doc.JWKSURI, "https://") && !strings.HasPrefix(e.cfg.Issuer, "http://") {
		return nil, fmt.Errorf("discover %s: jwks_uri %q is not https", e.cfg.Issuer, doc.JWKSURI)
	}
	var set jose.JSONWebKeySet
	if err := e.getJSON(ctx, doc.JWKSURI, &set); err != nil {
		return nil, fmt.Errorf("read JWKS of %s: %w", e.cfg.Issuer, err)
	}
	keys := map[string]externalKey{}
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" || !k.Valid() || !k.IsPublic() || !validKeyID(k.KeyID) {
			continue
		}
		alg := k.Algorithm
		if alg == "" {
			alg = inferAlg(k.Key)
		}
		if alg == "" || !keyFitsAlg(k.Key, alg) {
			continue
		}
		keys[k.KeyID] = externalKey{alg: alg, pub: k.Key}
	}
	return keys, nil
}

func (e *externalIssuer) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// inferAlg picks the algorithm for a JWK that does not state one: the
// conventional one for its key type.
func inferAlg(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return AlgRS256
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return AlgES256
		case elliptic.P384():
			return "ES384"
		}
	case ed25519.PublicKey:
		return AlgEdDSA
	}
	return ""
}
