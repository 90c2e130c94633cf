package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/containerapps"
)

func newVerifyCmd(g *globalFlags) *cobra.Command {
	var audience string
	var skew time.Duration
	cmd := &cobra.Command{
		Use:   "verify <token>",
		Short: "Check a token tokend issued and print its claims, or why it is refused",
		Long: `verify checks a JWT against this data directory, offline and read-only: the
signature (with the published key its kid names, under that key's
algorithm), the issuer (one of tokend's tenants), exp and nbf (allowing
--skew), revocation, and for a container app token (getAuthtoken) that the
app still exists as the incarnation the token was issued for. With
--audience the aud claim must also contain that value. It prints the
verified claims; a refused token exits with status 1 and says why. Pass "-"
to read the token from standard input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := readTokenArg(args[0], cmd.InOrStdin())
			if err != nil {
				return err
			}
			a, err := openWorkspace(cmd.Context(), g, nil)
			if err != nil {
				return err
			}
			defer a.close()
			v, err := verifyToken(cmd.Context(), a.store, token, time.Now(), skew)
			if err == nil && audience != "" && !v.audience.contains(audience) {
				err = fmt.Errorf("its audience %v is not %q", []string(v.audience), audience)
			}
			if err != nil {
				if v != nil && len(v.payload) > 0 {
					fmt.Fprintf(cmd.ErrOrStderr(), "claims (NOT verified):\n%s\n", indentJSON(v.payload))
				}
				return fmt.Errorf("token refused: %w", err)
			}
			printVerified(cmd.OutOrStdout(), v, time.Now())
			return nil
		},
	}
	cmd.Flags().StringVar(&audience, "audience", "", "require this audience (for a container app token: its resource ID in lower case)")
	cmd.Flags().DurationVar(&skew, "skew", time.Minute, "clock skew allowed on exp and nbf, as the issuer allows")
	return cmd
}

func readTokenArg(arg string, stdin io.Reader) (string, error) {
	if arg != "-" {
		return strings.TrimSpace(arg), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read token from stdin: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// verifiedToken is what verifyToken learned; payload is set as soon as the
// token parses, so a refusal can still show what the token claims.
type verifiedToken struct {
	keyID, algorithm string
	payload          []byte
	audience         audienceClaim
	claims           struct {
		Issuer   string `json:"iss"`
		Subject  string `json:"sub"`
		TenantID string `json:"tid"`
		ID       string `json:"jti"`
		Expires  int64  `json:"exp"`
		NotBef   int64  `json:"nbf"`
		App      string `json:"xms_tkd_app"`
		AppUID   string `json:"xms_tkd_uid"`
	}
}

// audienceClaim is aud: a string or an array of strings.
type audienceClaim []string

func (a *audienceClaim) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audienceClaim{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

func (a audienceClaim) contains(s string) bool {
	for _, v := range a {
		if v == s {
			return true
		}
	}
	return false
}

var tokenAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA}

// verifyToken checks token as the issuer does, from storage alone: it
// never writes (no key is created or rotated), so it is safe next to a
// running server.
func verifyToken(ctx context.Context, store tokend.Store, token string, now time.Time, skew time.Duration) (*verifiedToken, error) {
	jws, err := jose.ParseSigned(token, tokenAlgorithms)
	if err != nil {
		return nil, errors.New("it is not a compact JWS signed with ES256, RS256 or EdDSA")
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("it does not carry exactly one signature")
	}
	v := &verifiedToken{keyID: jws.Signatures[0].Header.KeyID, algorithm: jws.Signatures[0].Header.Algorithm}
	v.payload = jws.UnsafePayloadWithoutVerification()
	keys, err := store.ListSigningKeys(ctx)
	if err != nil {
		return v, fmt.Errorf("list signing keys: %w", err)
	}
	var key *tokend.SigningKey
	for _, k := range keys {
		if k.ID == v.keyID {
			key = k
		}
	}
	if key == nil {
		return v, fmt.Errorf("it was signed by key %q, which this tokend does not publish (a token of another tokend, or its key has expired)", v.keyID)
	}
	if key.Algorithm != v.algorithm {
		return v, fmt.Errorf("its algorithm %s is not its key's (%s)", v.algorithm, key.Algorithm)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(key.PublicJWK); err != nil {
		return v, fmt.Errorf("stored public key %s: %w", key.ID, err)
	}
	if _, err := jws.Verify(jwk); err != nil {
		return v, errors.New("its signature is invalid")
	}
	if err := json.Unmarshal(v.payload, &v.claims); err != nil {
		return v, errors.New("its payload is not a JSON object of claims")
	}
	var aud struct {
		Aud audienceClaim `json:"aud"`
	}
	if err := json.Unmarshal(v.payload, &aud); err != nil {
		return v, err
	}
	v.audience = aud.Aud
	c := v.claims
	if err := checkIssuer(ctx, store, c.Issuer); err != nil {
		return v, err
	}
	switch {
	case c.Expires == 0:
		return v, errors.New("it has no expiry (exp)")
	case now.After(time.Unix(c.Expires, 0).Add(skew)):
		return v, fmt.Errorf("it expired at %s", time.Unix(c.Expires, 0).UTC().Format(time.RFC3339))
	case c.NotBef != 0 && now.Add(skew).Before(time.Unix(c.NotBef, 0)):
		return v, fmt.Errorf("it is not valid before %s", time.Unix(c.NotBef, 0).UTC().Format(time.RFC3339))
	}
	if c.ID != "" {
		revoked, err := store.IsRevoked(ctx, c.ID)
		if err != nil {
			return v, fmt.Errorf("check revocation: %w", err)
		}
		if revoked {
			return v, errors.New("it has been revoked")
		}
	}
	if err := containerapps.CheckBinding(ctx, store, v.payload); err != nil {
		return v, err
	}
	return v, nil
}

// checkIssuer accepts {any base}/{tenant}/v2.0 for a tenant of this tokend,
// as the issuer does (it answers under several host names).
func checkIssuer(ctx context.Context, store tokend.TenantStore, iss string) error {
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("its issuer %q is not an http(s) URL", iss)
	}
	rest, ok := strings.CutSuffix(strings.TrimRight(u.Path, "/"), "/v2.0")
	if !ok {
		return fmt.Errorf("its issuer %q is not a tokend tenant's", iss)
	}
	tenant := rest[strings.LastIndex(rest, "/")+1:]
	if _, err := store.GetTenant(ctx, strings.ToLower(tenant)); err != nil {
		if errors.Is(err, tokend.ErrNotFound) {
			return fmt.Errorf("its issuer %q names no tenant of this tokend", iss)
		}
		return fmt.Errorf("look up tenant %s: %w", tenant, err)
	}
	return nil
}

func printVerified(w io.Writer, v *verifiedToken, now time.Time) {
	c := v.claims
	exp := time.Unix(c.Expires, 0).UTC()
	fmt.Fprintf(w, "valid:    signed by key %s (%s), issued by %s\n", v.keyID, v.algorithm, c.Issuer)
	fmt.Fprintf(w, "subject:  %s (tenant %s)\n", c.Subject, c.TenantID)
	fmt.Fprintf(w, "audience: %s\n", strings.Join(v.audience, ", "))
	fmt.Fprintf(w, "expires:  %s (in %s)\n", exp.Format(time.RFC3339), exp.Sub(now).Round(time.Second))
	if c.AppUID != "" {
		fmt.Fprintf(w, "app:      %s (incarnation %s, current)\n", c.App, c.AppUID)
	}
	fmt.Fprintf(w, "claims:\n%s\n", indentJSON(v.payload))
}

func indentJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}
