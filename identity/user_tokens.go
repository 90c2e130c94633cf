package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// Grants of user tokens, as the audit log names them.
const (
	grantPassword          = "password"
	grantRefreshToken      = "refresh_token"
	grantAuthorizationCode = "authorization_code"
	grantImplicit          = "implicit"
	grantDeviceCode        = "device_code"
	grantOnBehalfOf        = "on_behalf_of"
)

// azpacr values: how the client authenticated ("0" a public client, "1"
// a secret, "2" a certificate or client assertion).
const acrPublic = "0"

// userAccessTokenClaims is an Entra access token for a user (delegated):
// scp instead of roles, idtyp user, the user's names. Entra's v1 claims
// (upn, unique_name, amr, appid) ride along, as the app-only token
// carries appid, for clients that read them.
type userAccessTokenClaims struct {
	Aud               string   `json:"aud"`
	Iss               string   `json:"iss"`
	Iat               int64    `json:"iat"`
	Nbf               int64    `json:"nbf"`
	Exp               int64    `json:"exp"`
	Amr               []string `json:"amr,omitempty"`
	Azp               string   `json:"azp"`
	Azpacr            string   `json:"azpacr"`
	Appid             string   `json:"appid"`
	Appidacr          string   `json:"appidacr"`
	Idtyp             string   `json:"idtyp"`
	Name              string   `json:"name"`
	Oid               string   `json:"oid"`
	PreferredUsername string   `json:"preferred_username"`
	Scp               string   `json:"scp"`
	Sub               string   `json:"sub"`
	Tid               string   `json:"tid"`
	UniqueName        string   `json:"unique_name"`
	Upn               string   `json:"upn"`
	Jti               string   `json:"jti"`
	Uti               string   `json:"uti"`
	Ver               string   `json:"ver"`
}

// idTokenClaims is an Entra v2 ID token (OpenID Connect Core §2).
type idTokenClaims struct {
	Aud               string `json:"aud"`
	Iss               string `json:"iss"`
	Iat               int64  `json:"iat"`
	Nbf               int64  `json:"nbf"`
	Exp               int64  `json:"exp"`
	AuthTime          int64  `json:"auth_time,omitempty"`
	Name              string `json:"name"`
	Nonce             string `json:"nonce,omitempty"`
	Oid               string `json:"oid"`
	PreferredUsername string `json:"preferred_username"`
	Sub               string `json:"sub"`
	Tid               string `json:"tid"`
	Uti               string `json:"uti"`
	Ver               string `json:"ver"`
	// CHash and AtHash bind an ID token issued beside a code or access
	// token by the authorization endpoint (OpenID Connect Core §3.3.2.11).
	CHash  string `json:"c_hash,omitempty"`
	AtHash string `json:"at_hash,omitempty"`
}

// userTokenRequest is what a user grant issues tokens from.
type userTokenRequest struct {
	base     string // the issuer's scheme and authority
	tenantID string
	client   *tokend.Client
	user     *tokend.User
	scopes   *delegatedScopes
	acr      string   // azpacr
	amr      []string // how the user authenticated: ["pwd"]
	nonce    string
	authTime time.Time
	// family continues a refresh token family at generation (a refresh,
	// or a family its grant has started); nil starts a new one when
	// offline_access is asked for.
	family     *refreshTokenClaims
	clientInfo bool
	// tokenID, when set, is the access token's jti (a code's tokens are
	// revocable by the code's id when it is replayed).
	tokenID string
}

// userTokens are a user grant's answer.
type userTokens struct {
	response tokenResponse
	access   *issuedToken
	familyID string
}

// issueUserTokens mints the access token for the requested resource, an
// ID token when openid was asked for, and a refresh token (a new family,
// or the next generation of req.family) when offline_access was.
func (s *Service) issueUserTokens(ctx context.Context, req *userTokenRequest) (*userTokens, error) {
	now := s.cfg.Now()
	exp := now.Add(s.cfg.TokenLifetime)
	id := req.tokenID
	if id == "" {
		id = newTokenID()
	}
	u, c := req.user, req.client
	amr := req.amr
	if len(amr) == 0 {
		amr = []string{"pwd"}
	}
	sub := s.pairwiseSubject(c.ID, u.ObjectID)
	payload, err := json.Marshal(&userAccessTokenClaims{
		Aud: req.scopes.aud, Iss: IssuerURL(req.base, req.tenantID),
		Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(), Amr: amr,
		Azp: c.ID, Azpacr: req.acr, Appid: c.ID, Appidacr: req.acr, Idtyp: "user",
		Name: u.DisplayName, Oid: u.ObjectID, PreferredUsername: u.UserPrincipalName, Scp: req.scopes.scp(),
		Sub: sub, Tid: req.tenantID, UniqueName: u.UserPrincipalName, Upn: u.UserPrincipalName,
		Jti: id, Uti: id, Ver: "2.0",
	})
	if err != nil {
		return nil, fmt.Errorf("encode access token: %w", err)
	}
	access, err := s.signPayload(ctx, payload, exp)
	if err != nil {
		return nil, err
	}
	secs := int64(s.cfg.TokenLifetime.Seconds())
	out := &userTokens{
		access: &issuedToken{token: access, id: id, expires: s.cfg.TokenLifetime, issuedAt: now},
		response: tokenResponse{
			TokenType: "Bearer", ExpiresIn: secs, ExtExpiresIn: secs, AccessToken: access,
			Scope: req.scopes.granted(),
		},
	}
	if req.scopes.openid {
		idt, err := s.signIDToken(ctx, req, now, sub, "", "")
		if err != nil {
			return nil, err
		}
		out.response.IDToken = idt
	}
	if req.clientInfo {
		ci, _ := json.Marshal(map[string]string{"uid": u.ObjectID, "utid": req.tenantID})
		out.response.ClientInfo = base64.RawURLEncoding.EncodeToString(ci)
	}
	if req.scopes.offline {
		rt, familyID, err := s.nextRefreshToken(ctx, req, now)
		if err != nil {
			return nil, err
		}
		out.response.RefreshToken = rt
		out.familyID = familyID
	}
	return out, nil
}

// signIDToken signs an ID token for req, with c_hash/at_hash when the
// authorization endpoint issues it beside a code or an access token.
func (s *Service) signIDToken(ctx context.Context, req *userTokenRequest, now time.Time, sub, cHash, atHash string) (string, error) {
	exp := now.Add(s.cfg.TokenLifetime)
	var authTime int64
	if !req.authTime.IsZero() {
		authTime = req.authTime.Unix()
	}
	payload, err := json.Marshal(&idTokenClaims{
		Aud: req.client.ID, Iss: IssuerURL(req.base, req.tenantID),
		Iat: now.Unix(), Nbf: now.Unix(), Exp: exp.Unix(), AuthTime: authTime,
		Name: req.user.DisplayName, Nonce: req.nonce, Oid: req.user.ObjectID,
		PreferredUsername: req.user.UserPrincipalName, Sub: sub, Tid: req.tenantID,
		Uti: newTokenID(), Ver: "2.0", CHash: cHash, AtHash: atHash,
	})
	if err != nil {
		return "", fmt.Errorf("encode ID token: %w", err)
	}
	return s.signPayload(ctx, payload, exp)
}

// pairwiseSubject is the sub of a user's tokens for one application, as
// Entra's: stable, different per application, revealing nothing of the
// object id. Keyed with the deployment's hashing key, so every node
// derives the same.
func (s *Service) pairwiseSubject(clientID, objectID string) string {
	sum := s.Clients.hasher.hash("pairwise-sub\x00" + strings.ToLower(clientID) + "\x00" + objectID)
	return base64.RawURLEncoding.EncodeToString(sum)
}

// newFamilyID names a refresh token family: a version 7 UUID, time-
// ordered, so new families are appended to the table's B-tree rather than
// scattered over it (see newAuthCodeID).
func newFamilyID() string { return uuid.Must(uuid.NewV7()).String() }

// v1Response adds the v1 endpoint's string fields to a token response.
func v1Response(resp *tokenResponse, tok *issuedToken, resource string) {
	secs := int64(tok.expires.Seconds())
	resp.ExpiresOn = strconv.FormatInt(tok.issuedAt.Unix()+secs, 10)
	resp.NotBefore = strconv.FormatInt(tok.issuedAt.Unix(), 10)
	resp.Resource = resource
}
