package identity

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// The managed-identity endpoints, as Azure's hosts serve them to workloads:
//
//   - App Service / Container Apps / Functions: GET {IDENTITY_ENDPOINT}
//     (here /msi/token) with X-IDENTITY-HEADER, api-version 2019-08-01,
//     resource, and optionally client_id, principal_id or mi_res_id;
//   - Cloud Shell (what az login --identity uses with MSI_ENDPOINT): POST
//     /msi/token, Metadata: true, a form with resource; the default
//     identity;
//   - IMDS: GET /metadata/identity/oauth2/token, Metadata: true,
//     api-version 2018-02-01, resource, and optionally client_id,
//     object_id or msi_res_id; the default identity otherwise.
//
// Tokens are the identity's, issued by tokend's issuer (not the host the
// workload called), and work with RBAC like any client's.

// ManagedIdentityPath is the IDENTITY_ENDPOINT (and MSI_ENDPOINT) path.
const ManagedIdentityPath = "/msi/token"

// IMDSPath is the IMDS token path.
const IMDSPath = "/metadata/identity/oauth2/token"

// ManagedIdentitySurface is the surface the managed-identity endpoints are
// served on: anonymous (the identity header or the Metadata header is the
// credential, checked by each endpoint), answering in the OAuth error
// shape those protocols use.
func (s *Service) ManagedIdentitySurface() pipeline.Surface {
	return pipeline.Surface{Name: "msi", Family: wire.FamilyARM, WriteError: s.writeMSIError}
}

// ManagedIdentityRoutes are the managed-identity endpoints. IMDS and Cloud
// Shell hand out the default identity's token to whoever asks with
// `Metadata: true` — on Azure only the host itself can reach them — so with
// loopbackOnly (tokend's main listener, which may face a network) they
// answer only requests from a loopback address; the IMDS listener of its
// own (--imds-addr) serves whoever its address lets in.
func (s *Service) ManagedIdentityRoutes(loopbackOnly bool) []pipeline.Route {
	imds, cloudShell := s.serveIMDSToken, s.serveCloudShellToken
	if loopbackOnly {
		imds, cloudShell = fromLoopback(imds), fromLoopback(cloudShell)
	}
	return []pipeline.Route{
		{Method: http.MethodGet, Pattern: ManagedIdentityPath, Label: "msi:app-service", Serve: s.serveAppServiceToken},
		{Method: http.MethodPost, Pattern: ManagedIdentityPath, Label: "msi:cloud-shell", Serve: cloudShell},
		{Method: http.MethodGet, Pattern: IMDSPath, Label: "msi:imds", Serve: imds},
	}
}

// fromLoopback refuses requests that do not come from a loopback address.
func fromLoopback(serve func(http.ResponseWriter, *pipeline.Request)) func(http.ResponseWriter, *pipeline.Request) {
	return func(w http.ResponseWriter, r *pipeline.Request) {
		host, _, err := net.SplitHostPort(r.HTTP.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			msiError(w, http.StatusForbidden, "invalid_request",
				"This endpoint answers only the host itself (a loopback address); serve IMDS to other hosts with --imds-addr.")
			return
		}
		serve(w, r)
	}
}

func (s *Service) writeMSIError(w http.ResponseWriter, r *http.Request, _ wire.Family, e *wire.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", wire.RetryAfterValue(e.RetryAfter))
	}
	msiError(w, e.Status, "invalid_request", e.Message)
}

// msiError is the error body of the managed-identity protocols.
func msiError(w http.ResponseWriter, status int, code, description string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// miToken issues a token for identity mi at resource, as of tokend's
// issuer URL.
func (s *Service) miToken(ctx context.Context, r *http.Request, mi *ManagedIdentity, resource string) (*issuedToken, string, error) {
	aud, err := s.resourceAudience(r, mi.TenantID, resource)
	if err != nil {
		return nil, "", err
	}
	tok, err := s.issueAccessToken(ctx, s.BaseURL(), mi.TenantID, mi.ClientID, mi.PrincipalID, aud, acrAssertion)
	if err != nil {
		return nil, "", err
	}
	if err := s.record(ctx, r, s.issuedEvent(mi.PrincipalID, mi.ClientID, grantManagedIdentity, aud, tok)); err != nil {
		return nil, "", err
	}
	return tok, aud, nil
}

// answerMIFailure answers what miToken or an identity lookup refused.
func (s *Service) answerMIFailure(w http.ResponseWriter, r *http.Request, resource string, err error, what string) {
	switch {
	case errors.Is(err, tokend.ErrNotFound) && what == "resource":
		msiError(w, http.StatusBadRequest, "invalid_resource", "AADSTS500011: The resource principal named "+sanitize(resource)+" was not found in the tenant.")
	case errors.Is(err, tokend.ErrNotFound):
		msiError(w, http.StatusBadRequest, "invalid_request", "Identity not found: "+what)
	case errors.Is(err, audit.ErrUnavailable):
		s.log.ErrorContext(r.Context(), "audit event not recorded; answering 503", "request_id", wire.TraceFrom(r.Context()).RequestID, "err", err.Error())
		w.Header().Set("Retry-After", "1")
		msiError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The request could not be recorded in the audit log; retry later.")
	default:
		msiError(w, s.troubleStatus(w, r, "managed identity token", err), "temporarily_unavailable", "The token could not be issued; retry later.")
	}
}

func (s *Service) serveAppServiceToken(w http.ResponseWriter, pr *pipeline.Request) {
	r := pr.HTTP
	q := r.URL.Query()
	header := r.Header.Get("X-IDENTITY-HEADER")
	if header == "" {
		msiError(w, http.StatusBadRequest, "invalid_request", "The X-IDENTITY-HEADER header is required: set it to IDENTITY_HEADER.")
		return
	}
	if v := q.Get("api-version"); v != "2019-08-01" {
		msiError(w, http.StatusBadRequest, "invalid_request", "api-version '"+sanitize(v)+"' is not supported; use 2019-08-01.")
		return
	}
	resource := q.Get("resource")
	if resource == "" {
		msiError(w, http.StatusBadRequest, "invalid_request", "The resource parameter is required.")
		return
	}
	mi, err := s.ManagedIdentities.byHeaderValue(r.Context(), header)
	if errors.Is(err, tokend.ErrNotFound) {
		if aerr := s.record(r.Context(), r, &audit.Event{Principal: "anonymous", Action: audit.ActionAuthnFailure, Target: r.URL.Path,
			Result: audit.Failure, Status: http.StatusUnauthorized, Reason: "unauthorized_client: unknown X-IDENTITY-HEADER"}); aerr != nil {
			s.answerMIFailure(w, r, resource, aerr, "")
			return
		}
		msiError(w, http.StatusUnauthorized, "unauthorized_client", "The X-IDENTITY-HEADER is not the identity header of any managed identity.")
		return
	}
	if err != nil {
		s.answerMIFailure(w, r, resource, err, "")
		return
	}
	for _, sel := range []struct{ param, want string }{{"client_id", mi.ClientID}, {"principal_id", mi.PrincipalID}, {"object_id", mi.PrincipalID}} {
		if v := q.Get(sel.param); v != "" && !strings.EqualFold(v, sel.want) {
			msiError(w, http.StatusBadRequest, "invalid_request", "Identity not found: the "+sel.param+" '"+sanitize(v)+"' is not the identity of this identity header.")
			return
		}
	}
	if v := q.Get("mi_res_id"); v != "" && !strings.EqualFold(lastSegment(v), mi.Name) {
		msiError(w, http.StatusBadRequest, "invalid_request", "Identity not found: the mi_res_id '"+sanitize(v)+"' is not the identity of this identity header.")
		return
	}
	tok, aud, err := s.miToken(r.Context(), r, mi, resource)
	if err != nil {
		s.answerMIFailure(w, r, resource, err, "resource")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": tok.token, "expires_on": strconv.FormatInt(tok.issuedAt.Add(tok.expires).Unix(), 10),
		"resource": aud, "token_type": "Bearer", "client_id": mi.ClientID,
	})
}

// requireMetadataHeader is IMDS's guard against server-side request
// forgery: a request a browser or a proxied fetch could make lacks it.
func requireMetadataHeader(w http.ResponseWriter, r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Metadata"), "true") {
		msiError(w, http.StatusBadRequest, "invalid_request", "Required metadata header not specified")
		return false
	}
	if r.Header.Get("X-Forwarded-For") != "" {
		msiError(w, http.StatusBadRequest, "invalid_request", "Requests through a proxy (X-Forwarded-For) are refused.")
		return false
	}
	return true
}

func (s *Service) serveIMDSToken(w http.ResponseWriter, pr *pipeline.Request) {
	r := pr.HTTP
	if !requireMetadataHeader(w, r) {
		return
	}
	q := r.URL.Query()
	if v := q.Get("api-version"); v == "" {
		msiError(w, http.StatusBadRequest, "invalid_request", "Required query variable 'api-version' is missing")
		return
	}
	resource := q.Get("resource")
	if resource == "" {
		msiError(w, http.StatusBadRequest, "invalid_request", "Required query variable 'resource' is missing")
		return
	}
	mi, err := s.ManagedIdentities.selectIdentity(r.Context(), q.Get("client_id"), q.Get("object_id"), q.Get("msi_res_id"), s.cfg.IMDSIdentity)
	if err != nil {
		s.answerMIFailure(w, r, resource, err, "no managed identity matches the request (name one with client_id, object_id or msi_res_id, or start tokend with --imds-identity)")
		return
	}
	s.writeIMDSToken(w, r, mi, resource)
}

func (s *Service) serveCloudShellToken(w http.ResponseWriter, pr *pipeline.Request) {
	r := pr.HTTP
	if !requireMetadataHeader(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		msiError(w, http.StatusBadRequest, "invalid_request", "The request body could not be parsed as a form.")
		return
	}
	resource := r.PostForm.Get("resource")
	if resource == "" {
		resource = r.URL.Query().Get("resource")
	}
	if resource == "" {
		msiError(w, http.StatusBadRequest, "invalid_request", "Required parameter 'resource' is missing")
		return
	}
	mi, err := s.ManagedIdentities.selectIdentity(r.Context(), r.PostForm.Get("client_id"), "", "", s.cfg.IMDSIdentity)
	if err != nil {
		s.answerMIFailure(w, r, resource, err, "no default managed identity (start tokend with --imds-identity)")
		return
	}
	s.writeIMDSToken(w, r, mi, resource)
}

// writeIMDSToken answers as IMDS does: every value a string.
func (s *Service) writeIMDSToken(w http.ResponseWriter, r *http.Request, mi *ManagedIdentity, resource string) {
	tok, aud, err := s.miToken(r.Context(), r, mi, resource)
	if err != nil {
		s.answerMIFailure(w, r, resource, err, "resource")
		return
	}
	secs := strconv.FormatInt(int64(tok.expires.Seconds()), 10)
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": tok.token, "client_id": mi.ClientID,
		"expires_in": secs, "ext_expires_in": secs,
		"expires_on": strconv.FormatInt(tok.issuedAt.Add(tok.expires).Unix(), 10),
		"not_before": strconv.FormatInt(tok.issuedAt.Unix(), 10),
		"resource":   aud, "token_type": "Bearer",
	})
}
