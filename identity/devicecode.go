package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// The device authorization grant (RFC 8628) as Entra serves it: a device
// without a browser asks /{tenant}/oauth2/v2.0/devicecode for a device
// code and a user code, shows the user the message, and polls the token
// endpoint while the user enters the code on the verification page
// (devicecode_page.go) and signs in, or an administrator approves it with
// tokend device approve. The device code is a bearer secret: only its
// keyed hash is stored.
const (
	deviceCodeLifetime = 15 * time.Minute // Entra's expires_in: 900
	deviceCodeInterval = 5 * time.Second  // Entra's interval: 5
	// deviceAuthPath is the verification page under the tenant (Entra's
	// own page is /common/oauth2/deviceauth, behind microsoft.com/devicelogin).
	deviceAuthPath = "oauth2/deviceauth"
	userCodeLength = 9
	// userCodeAlphabet is upper-case letters and digits without the ones
	// people confuse (0/O, 1/I/L): 31 symbols, 9 of them ≈ 44.6 bits.
	userCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	deviceCodeBytes  = 32
)

// deviceCodeResponse is Entra's v2 device authorization response.
type deviceCodeResponse struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURI string `json:"verification_uri"`
	ExpiresIn       int    `json:"expires_in"`
	Interval        int    `json:"interval"`
	Message         string `json:"message"`
}

// deviceCodeResponseV1 is the v1 endpoint's (/oauth2/devicecode): ADAL's
// verification_url, and the numbers as strings, as Entra sends them.
type deviceCodeResponseV1 struct {
	UserCode        string `json:"user_code"`
	DeviceCode      string `json:"device_code"`
	VerificationURL string `json:"verification_url"`
	ExpiresIn       string `json:"expires_in"`
	Interval        string `json:"interval"`
	Message         string `json:"message"`
}

// deviceCodeMessage is Entra's message, word for word.
func deviceCodeMessage(uri, userCode string) string {
	return "To sign in, use a web browser to open the page " + uri + " and enter the code " + userCode + " to authenticate."
}

// serveDeviceCode starts a device-code sign-in: a public client by its
// client_id, or a confidential one with its credentials; the scopes are
// checked now, as the token endpoint will read them.
func (s *Service) serveDeviceCode(w http.ResponseWriter, r *http.Request, tenantID string) {
	form, ok := s.parseOAuthForm(w, r)
	if !ok {
		return
	}
	client, _, ok := s.authenticateGrantClient(w, r, tenantID, form)
	if !ok {
		return
	}
	v1 := isV1DeviceCodePath(r)
	scope, resource := form.Get("scope"), ""
	if v1 {
		resource = form.Get("resource")
	}
	if scope == "" && resource == "" {
		s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'scope'.")
		return
	}
	if _, gerr := s.parseDelegatedScopes(r, tenantID, scope, resource); gerr != nil {
		s.answerGrantError(w, r, gerr)
		return
	}
	deviceCode, d, err := s.createDeviceCode(r.Context(), tenantID, client.ID, scope, resource)
	if err != nil {
		s.oauthError(w, r, s.troubleStatus(w, r, "create device code", err), "temporarily_unavailable", 0,
			"The device code could not be issued; retry later.")
		return
	}
	uri := s.baseURL(r) + "/" + tenantID + "/" + deviceAuthPath
	secs := int(deviceCodeLifetime / time.Second)
	interval := int(deviceCodeInterval / time.Second)
	if v1 {
		writeJSON(w, http.StatusOK, deviceCodeResponseV1{UserCode: d.UserCode, DeviceCode: deviceCode, VerificationURL: uri,
			ExpiresIn: strconv.Itoa(secs), Interval: strconv.Itoa(interval), Message: deviceCodeMessage(uri, d.UserCode)})
		return
	}
	writeJSON(w, http.StatusOK, deviceCodeResponse{UserCode: d.UserCode, DeviceCode: deviceCode, VerificationURI: uri,
		ExpiresIn: secs, Interval: interval, Message: deviceCodeMessage(uri, d.UserCode)})
}

// createDeviceCode stores a new pending sign-in and returns its device
// code. A user code already taken by a pending sign-in (one chance in
// billions per pending code) is drawn again.
func (s *Service) createDeviceCode(ctx context.Context, tenantID, clientID, scope, resource string) (string, *tokend.DeviceCode, error) {
	now := s.cfg.Now()
	for range 5 {
		var raw [deviceCodeBytes]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return "", nil, err
		}
		code := base64.RawURLEncoding.EncodeToString(raw[:])
		d := &tokend.DeviceCode{
			ID: s.deviceCodeID(code), UserCode: newUserCode(), TenantID: tenantID, ClientID: clientID,
			Scope: scope, Resource: resource, Status: tokend.DeviceCodePending, Interval: deviceCodeInterval,
			CreatedAt: now, ExpiresAt: now.Add(deviceCodeLifetime),
		}
		err := s.cfg.Store.CreateDeviceCode(ctx, d)
		if errors.Is(err, tokend.ErrAlreadyExists) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		return code, d, nil
	}
	return "", nil, errors.New("no free user code after 5 draws")
}

// deviceCodeID is the stored keyed hash of a device code.
func (s *Service) deviceCodeID(code string) string {
	return base64.RawURLEncoding.EncodeToString(s.Clients.hasher.hash("device-code\x00" + code))
}

// newUserCode draws a user code uniformly from userCodeAlphabet.
func newUserCode() string {
	const n = len(userCodeAlphabet)
	limit := byte(256 - 256%n) // reject the bytes that would bias the draw
	out := make([]byte, 0, userCodeLength)
	var buf [16]byte
	for len(out) < userCodeLength {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("identity: no randomness: " + err.Error())
		}
		for _, b := range buf {
			if b < limit && len(out) < userCodeLength {
				out = append(out, userCodeAlphabet[int(b)%n])
			}
		}
	}
	return string(out)
}

// normalizeUserCode reads a user code as people type it: any case, with
// spaces or dashes; ok false when it cannot be one.
func normalizeUserCode(s string) (string, bool) {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(s))
	if len(s) != userCodeLength {
		return "", false
	}
	for _, c := range s {
		if !strings.ContainsRune(userCodeAlphabet, c) {
			return "", false
		}
	}
	return s, true
}

func isV1DeviceCodePath(r *http.Request) bool {
	return strings.HasSuffix(strings.TrimRight(strings.ToLower(r.URL.Path), "/"), "/oauth2/devicecode")
}

// ErrDeviceCodeNotPending is returned when a user code names no sign-in
// waiting for a decision: unknown, expired, or already approved or
// declined.
var ErrDeviceCodeNotPending = errors.New("no pending device-code sign-in has this code (unknown, expired, or already decided)")

// DeviceSignIn is a pending device-code sign-in, as a decision sees it.
type DeviceSignIn struct {
	UserCode  string
	TenantID  string
	ClientID  string
	Scope     string
	ExpiresAt time.Time
}

// pendingDeviceCode is the pending, unexpired sign-in with userCode (as
// typed) in tenantID ("" for any tenant); ErrDeviceCodeNotPending.
func pendingDeviceCode(ctx context.Context, store tokend.Store, userCode, tenantID string, now time.Time) (*tokend.DeviceCode, error) {
	code, ok := normalizeUserCode(userCode)
	if !ok {
		return nil, ErrDeviceCodeNotPending
	}
	d, err := store.GetDeviceCodeByUserCode(ctx, code)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, ErrDeviceCodeNotPending
	}
	if err != nil {
		return nil, err
	}
	if d.Status != tokend.DeviceCodePending || !now.Before(d.ExpiresAt) || tenantID != "" && !strings.EqualFold(d.TenantID, tenantID) {
		return nil, ErrDeviceCodeNotPending
	}
	return d, nil
}

// DecideDeviceCode approves (or declines) the pending device-code sign-in
// with userCode for user, who signed in at authTime, as the verification
// page does once the user has signed in; tokend device approve|deny uses
// it for headless approval (authTime: now). ErrDeviceCodeNotPending when
// there is no such sign-in, or the user is of another tenant.
func DecideDeviceCode(ctx context.Context, store tokend.Store, userCode string, user *tokend.User, approve bool, authTime, now time.Time) (*DeviceSignIn, error) {
	tenantID := ""
	if user != nil {
		tenantID = user.TenantID
	}
	d, err := pendingDeviceCode(ctx, store, userCode, tenantID, now)
	if err != nil {
		return nil, err
	}
	status, who := tokend.DeviceCodeDeclined, ""
	if approve {
		if user == nil {
			return nil, errors.New("approving a device code needs a user")
		}
		status = tokend.DeviceCodeApproved
	}
	if user != nil {
		who = user.ObjectID
	}
	ok, err := store.DecideDeviceCode(ctx, d.UserCode, status, who, authTime, now)
	if err != nil {
		return nil, fmt.Errorf("decide device code: %w", err)
	}
	if !ok {
		return nil, ErrDeviceCodeNotPending
	}
	return &DeviceSignIn{UserCode: d.UserCode, TenantID: d.TenantID, ClientID: d.ClientID, Scope: d.Scope, ExpiresAt: d.ExpiresAt}, nil
}
