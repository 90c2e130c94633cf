package identity

import (
	"context"
	"errors"
	"net/http"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// Authenticate checks the request's bearer token for surface aud
// (tokend.Authenticator). A refusal is an *tokend.AuthenticationError whose
// challenge points at this server's authorize endpoint, as ARM's points at
// login.microsoftonline.com.
func (s *Service) Authenticate(ctx context.Context, r *http.Request, aud tokend.Audience) (*tokend.Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return nil, s.authError(r, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
	}
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, s.authError(r, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.")
	}
	c, err := s.verifier.verify(ctx, token)
	if err != nil {
		var te *tokenError
		if errors.As(err, &te) {
			return nil, s.authError(r, te.code, te.message)
		}
		return nil, err
	}
	if !s.audienceAccepted(c, aud) {
		return nil, s.authError(r, "InvalidAuthenticationTokenAudience",
			"The access token has been obtained for wrong audience or resource '"+sanitizeMessage(strings.Join(c.Audience, ","))+
				"'. It should exactly match with one of the allowed audiences '"+strings.Join(s.audiences.accepted[aud], "','")+"'."+
				audienceHint(s.audiences.accepted[aud]))
	}
	return principalOf(c), nil
}

func (s *Service) audienceAccepted(c *Claims, aud tokend.Audience) bool {
	for _, a := range s.audiences.accepted[aud] {
		if c.Audience.Contains(a) {
			return true
		}
	}
	if c.External && aud == tokend.AudienceManagement {
		for _, a := range s.trusted[c.Issuer].Audiences {
			if c.Audience.Contains(a) {
				return true
			}
		}
	}
	return false
}

func principalOf(c *Claims) *tokend.Principal {
	return &tokend.Principal{
		ObjectID:  strings.ToLower(c.PrincipalID()),
		TenantID:  c.TenantID,
		ClientID:  c.ClientID(),
		Subject:   c.Subject,
		Issuer:    c.Issuer,
		TokenID:   c.ID,
		Roles:     c.Roles,
		ExpiresAt: c.Expiry(),
		Resource:  c.Resource,
	}
}

// authError builds the 401 with ARM's challenge shape.
func (s *Service) authError(r *http.Request, code, message string) *tokend.AuthenticationError {
	base := wire.BaseURL(s.cfg.PublicURL, r)
	return &tokend.AuthenticationError{
		Code:    code,
		Message: message,
		Challenge: `Bearer authorization_uri="` + base + "/" + s.cfg.DefaultTenantID + `/oauth2/authorize", error="invalid_token", error_description="` +
			strings.ReplaceAll(message, `"`, "'") + `"`,
	}
}

// audienceHint says which scope gets a token this surface accepts: a
// token minted for something else (a container app's, say) is no
// credential here.
func audienceHint(accepted []string) string {
	if len(accepted) == 0 {
		return ""
	}
	return " Request a token with scope '" + strings.TrimRight(accepted[0], "/") + "/.default' (with the client's credentials) for this API."
}
