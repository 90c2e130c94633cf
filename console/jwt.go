package console

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// decodedJWT is what the decoder shows of a token: its parts pretty-
// printed, and whether the tenant's JWKS verifies its signature.
type decodedJWT struct {
	Header, Payload string
	Verified        bool
	Verdict         string
	Expiry          string
	Expired         bool
}

type jwk struct {
	Kty, Kid, Crv, X, Y, N, E string
}

// decodeAndVerify decodes token and checks its signature against the
// tenant's JWKS, fetched through the API like any relying party would.
func (c *Console) decodeAndVerify(ctx context.Context, v *view, token string) (*decodedJWT, string) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return nil, "That is not a JWT: a JWT is three base64url parts separated by dots."
	}
	var raw [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return nil, "That is not a JWT: a part is not base64url."
		}
		raw[i] = b
	}
	var hdr struct{ Alg, Kid string }
	var claims map[string]any
	if json.Unmarshal(raw[0], &hdr) != nil || json.Unmarshal(raw[1], &claims) != nil {
		return nil, "That is not a JWT: its header or payload is not a JSON object."
	}
	d := &decodedJWT{Header: pretty(raw[0]), Payload: pretty(raw[1])}
	if exp, ok := claims["exp"].(float64); ok {
		t := time.Unix(int64(exp), 0)
		d.Expiry, d.Expired = t.UTC().Format(time.RFC3339), c.cfg.Now().After(t)
	}
	var set struct{ Keys []jwk }
	if err := c.do(ctx, v.r, http.MethodGet, "/"+url.PathEscape(v.s.Tenant)+"/discovery/v2.0/keys", nil, nil, &set); err != nil {
		d.Verdict = "The tenant's keys could not be read: " + apiMessage(err)
		return d, ""
	}
	var key *jwk
	for i := range set.Keys {
		if set.Keys[i].Kid == hdr.Kid {
			key = &set.Keys[i]
		}
	}
	if key == nil {
		d.Verdict = "Not signed by this tenant: no key in its JWKS has the token's kid '" + hdr.Kid + "'."
		return d, ""
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	d.Verified = verifySignature(hdr.Alg, key, sum[:], raw[2])
	if d.Verified {
		d.Verdict = "The signature is valid: key '" + key.Kid + "' of the tenant's JWKS (" + hdr.Alg + ")."
	} else {
		d.Verdict = "The signature does NOT verify with key '" + key.Kid + "' (" + hdr.Alg + ")."
	}
	return d, ""
}

func verifySignature(alg string, k *jwk, digest, sig []byte) bool {
	b64 := func(s string) *big.Int {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return nil
		}
		return new(big.Int).SetBytes(b)
	}
	switch {
	case alg == "ES256" && k.Kty == "EC" && k.Crv == "P-256":
		x, y := b64(k.X), b64(k.Y)
		if x == nil || y == nil || len(sig) != 64 {
			return false
		}
		pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
		return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case alg == "RS256" && k.Kty == "RSA":
		n, e := b64(k.N), b64(k.E)
		if n == nil || e == nil || !e.IsInt64() {
			return false
		}
		return rsa.VerifyPKCS1v15(&rsa.PublicKey{N: n, E: int(e.Int64())}, crypto.SHA256, digest, sig) == nil
	}
	return false
}

func pretty(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

type jwtData struct {
	Token   string
	Decoded *decodedJWT
}

func (c *Console) jwtPage(_ context.Context, v *view) error {
	v.Title, v.Active, v.Template = "JWT decoder", "jwt", "jwt.html"
	v.Data = &jwtData{}
	return nil
}

// decodeJWT is the decoder's POST: a token pasted in the form (it is
// not sent anywhere but this server, and not logged).
func (c *Console) decodeJWT(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "JWT decoder", "jwt", "jwt.html"
	d := &jwtData{Token: strings.TrimSpace(v.r.PostFormValue("token"))}
	v.Data = d
	dec, msg := c.decodeAndVerify(ctx, v, d.Token)
	d.Decoded, v.Error = dec, msg
	return nil
}
