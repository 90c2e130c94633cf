package identity

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// grantTypeDeviceCodeShort is the device code grant as MSAL names it
// (grant_type=device_code); Entra takes it besides RFC 8628's URN.
const grantTypeDeviceCodeShort = "device_code"

// Polling answers of the device code grant, as Entra gives them: 400 with
// the RFC 8628 error and Entra's AADSTS code. MSAL keeps polling on
// authorization_pending and slow_down and stops on anything else.
var (
	errDevicePending = newGrantError(http.StatusBadRequest, "authorization_pending", 70016,
		"The provided request has not yet been authorized by the user. The user must input their code.")
	errDeviceSlowDown = newGrantError(http.StatusBadRequest, "slow_down", 70016,
		"The device polled faster than the interval it was given: wait the interval between polls.")
	errDeviceExpired = newGrantError(http.StatusBadRequest, "expired_token", 70020,
		"The provided value for the input parameter 'device_code' is not valid. This device code has expired.")
	errDeviceDeclined = newGrantError(http.StatusBadRequest, "authorization_declined", 65004,
		"User declined to consent to access the app.")
	errDeviceBadCode = newGrantError(http.StatusBadRequest, "bad_verification_code", 70018,
		"The provided value for the input parameter 'device_code' is not valid.")
	errDeviceRedeemed = invalidGrant(70000,
		"The provided value for the input parameter 'device_code' is not valid. It was already redeemed.")
)

// serveDeviceCodeGrant answers a device's poll: pending, too fast,
// declined, expired, or — once, when the user approved — the user's
// tokens. Redemption is one conditional update, so of concurrent polls
// (on any nodes) one gets the tokens and the others are refused.
func (s *Service) serveDeviceCodeGrant(w http.ResponseWriter, r *http.Request, tenantID string, form url.Values) {
	if !s.requireFormParams(w, r, form, "device_code") {
		return
	}
	code := form.Get("device_code")
	client, acr, ok := s.authenticateGrantClient(w, r, tenantID, form)
	if !ok {
		return
	}
	ctx := r.Context()
	now := s.cfg.Now()
	d, err := s.cfg.Store.GetDeviceCode(ctx, s.deviceCodeID(code))
	switch {
	case errors.Is(err, tokend.ErrNotFound):
		s.refuseGrant(w, r, client.ID, errDeviceBadCode)
		return
	case err != nil:
		s.answerGrantError(w, r, unavailableGrant(err))
		return
	}
	// A device code is good only for the client and tenant it was issued to.
	if !strings.EqualFold(d.ClientID, client.ID) || !strings.EqualFold(d.TenantID, tenantID) {
		s.refuseGrant(w, r, client.ID, errDeviceBadCode)
		return
	}
	if d.Status == tokend.DeviceCodeRedeemed {
		s.refuseGrant(w, r, client.ID, errDeviceRedeemed)
		return
	}
	if !now.Before(d.ExpiresAt) {
		s.answerGrantError(w, r, errDeviceExpired)
		return
	}
	switch d.Status {
	case tokend.DeviceCodePending:
		// Only a pending code is rate-checked: once decided, the next poll,
		// however soon, gets the answer.
		kept, err := s.cfg.Store.PollDeviceCode(ctx, d.ID, now, now.Add(-d.Interval))
		if err != nil {
			s.answerGrantError(w, r, unavailableGrant(err))
			return
		}
		if !kept {
			s.answerGrantError(w, r, errDeviceSlowDown)
			return
		}
		s.answerGrantError(w, r, errDevicePending)
		return
	case tokend.DeviceCodeDeclined:
		s.answerGrantError(w, r, errDeviceDeclined)
		return
	}
	scopes, gerr := s.parseDelegatedScopes(r, tenantID, d.Scope, d.Resource)
	if gerr != nil {
		s.answerGrantError(w, r, gerr)
		return
	}
	user, gerr := s.grantUser(ctx, d.UserObjectID)
	if gerr != nil {
		s.answerGrantError(w, r, gerr)
		return
	}
	won, err := s.cfg.Store.RedeemDeviceCode(ctx, d.ID, now)
	if err != nil {
		s.answerGrantError(w, r, unavailableGrant(err))
		return
	}
	if !won {
		s.refuseGrant(w, r, client.ID, errDeviceRedeemed)
		return
	}
	s.writeUserTokens(w, r, &userTokenRequest{
		base: s.baseURL(r), tenantID: tenantID, client: client, user: user, scopes: scopes, acr: acr,
		amr: []string{"pwd"}, authTime: d.AuthTime, clientInfo: form.Get("client_info") == "1",
	}, grantDeviceCode)
}

// grantUser is the user a grant was given to: gone is Entra's answer to a
// grant of a deleted user (AADSTS50173).
func (s *Service) grantUser(ctx context.Context, objectID string) (*tokend.User, *grantError) {
	user, err := s.cfg.Store.GetUser(ctx, objectID)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, invalidGrant(50173, "The provided grant has been revoked: the user no longer exists.")
	}
	if err != nil {
		return nil, unavailableGrant(err)
	}
	return user, nil
}
