package playwright

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
)

// The data plane is not behind the ARM router: its paths are not ARM ids,
// its errors are Azure.Core's, its audience is Playwright's and its
// permissions are data actions on the account. This file is its small
// pipeline: route, api-version, authentication, account, authorization,
// body, handler.

// MountPath is the first path segment the data plane is served under:
// {tokend}/playwright is the data-plane endpoint.
const MountPath = "playwright"

// DataPlaneAPIVersions are the data-plane versions served.
var DataPlaneAPIVersions = arm.NewAPIVersions("2024-12-01")

// Data actions checked with AuthorizeData on the account's scope. The names
// are Azure's (the built-in Playwright Testing roles grant them).
const (
	actionReadAccount = Namespace + "/accounts/read"
	actionReadTokens  = Namespace + "/accounts/accessTokens/read"
	actionWriteTokens = Namespace + "/accounts/accessTokens/write"
	actionDeleteToken = Namespace + "/accounts/accessTokens/delete"
)

// accountIDPattern is the spec's accountId, anchored (the spec's pattern is
// not, but an id with anything around the match is not an id).
var accountIDPattern = regexp.MustCompile(`^[A-Za-z0-9]+(_[A-Za-z0-9]+)*(-[A-Za-z0-9]+)+$`)

// dataRequest is a data-plane request with its route matched and, by the
// time a handler sees it, its caller and account resolved.
type dataRequest struct {
	http       *http.Request
	accountID  string
	tokenID    string
	baseURL    string
	principal  *tokend.Principal
	account    *tokend.PlaywrightAccount
	body       []byte
	apiVersion string
}

// dataRoute is one operation of the data plane.
type dataRoute struct {
	method string
	// shape is the path below /playwright, with {accountId} and
	// {accessTokenId} as the parameters.
	shape   string
	action  string
	handler func(*Service, context.Context, *dataRequest) (*arm.Response, error)
	// manageTokens marks operations an access token may never perform: a
	// token cannot mint, list or delete tokens, only act on its account.
	manageTokens bool
}

var dataRoutes = []dataRoute{
	{http.MethodGet, "/accounts/{accountId}", actionReadAccount, (*Service).getDataPlaneAccount, false},
	{http.MethodGet, "/accounts/{accountId}/access-tokens", actionReadTokens, (*Service).listAccessTokens, true},
	{http.MethodGet, "/accounts/{accountId}/access-tokens/{accessTokenId}", actionReadTokens, (*Service).getAccessToken, true},
	{http.MethodPut, "/accounts/{accountId}/access-tokens/{accessTokenId}", actionWriteTokens, (*Service).putAccessToken, true},
	{http.MethodDelete, "/accounts/{accountId}/access-tokens/{accessTokenId}", actionDeleteToken, (*Service).deleteAccessToken, true},
}

// matchDataRoute finds the route for segs (the path below /playwright);
// literals match case-insensitively. It returns the methods the path allows
// when only the method is wrong.
func matchDataRoute(method string, segs []string) (*dataRoute, map[string]string, []string) {
	var allowed []string
	for i := range dataRoutes {
		rt := &dataRoutes[i]
		params, ok := matchShape(rt.shape, segs)
		if !ok {
			continue
		}
		if rt.method != method {
			allowed = append(allowed, rt.method)
			continue
		}
		return rt, params, nil
	}
	sort.Strings(allowed)
	return nil, nil, allowed
}

func matchShape(shape string, segs []string) (map[string]string, bool) {
	parts := strings.Split(strings.Trim(shape, "/"), "/")
	if len(parts) != len(segs) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			params[p[1:len(p)-1]] = segs[i]
			continue
		}
		if !strings.EqualFold(p, segs[i]) {
			return nil, false
		}
	}
	return params, true
}

// ServeHTTP serves the data plane under /playwright.
func (s *Service) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	ctx := hr.Context()
	trace := arm.TraceFrom(ctx)
	trace.Family = arm.FamilyAzureCore
	rest := hr.URL.Path
	if i := strings.IndexByte(strings.TrimPrefix(rest, "/"), '/'); i >= 0 {
		rest = strings.TrimPrefix(rest, "/")[i:]
	} else {
		rest = "/"
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	if s.serveDashboard(w, hr, segs) {
		return
	}
	route, params, allowed := matchDataRoute(hr.Method, segs)
	if route == nil {
		if len(allowed) > 0 {
			trace.Route = "playwright:method-not-allowed"
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			arm.WriteError(w, arm.FamilyAzureCore, arm.Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf(
				"The HTTP method '%s' is not supported for this resource. Supported methods: %s.", hr.Method, strings.Join(allowed, ", "))))
			return
		}
		trace.Route = "playwright:not-found"
		arm.WriteError(w, arm.FamilyAzureCore, arm.Errorf(http.StatusNotFound, "NotFound",
			"No Playwright data-plane operation matches '"+hr.URL.Path+"'."))
		return
	}
	trace.Route = "playwright:" + route.method + " " + route.shape
	resp, err := s.serveData(ctx, w, hr, route, params)
	if err != nil {
		arm.WriteError(w, arm.FamilyAzureCore, s.rt.AsError(ctx, err, w))
		return
	}
	writeData(w, hr.Method, resp)
}

func (s *Service) serveData(ctx context.Context, w http.ResponseWriter, hr *http.Request, route *dataRoute, params map[string]string) (*arm.Response, error) {
	cfg := s.rt.Config()
	r := &dataRequest{http: hr, accountID: params["accountId"], tokenID: params["accessTokenId"], baseURL: arm.BaseURL(cfg.PublicURL, hr)}
	version, verr := DataPlaneAPIVersions.Resolve(hr.URL.Query().Get("api-version"), cfg.AnyAPIVersion)
	if verr != nil {
		return nil, verr
	}
	r.apiVersion = version

	if authn := s.authenticator(); authn != nil {
		p, err := authn.Authenticate(ctx, hr, tokend.AudiencePlaywright)
		if err != nil {
			return nil, err
		}
		r.principal = p
		arm.TraceFrom(ctx).Caller = p.ObjectID
	}
	if len(r.accountID) > 64 || !accountIDPattern.MatchString(r.accountID) {
		return nil, arm.BadRequest("InvalidParameter", "accountId", "The account id '"+clip(r.accountID)+
			"' is invalid: it must be at most 64 letters and digits in '_' and '-' separated groups, such as 'eastus_00000000-0000-0000-0000-000000000000'.")
	}
	acct, err := s.store.GetPlaywrightAccount(ctx, r.accountID)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, arm.Errorf(http.StatusNotFound, "AccountNotFound", "The account '"+clip(r.accountID)+"' was not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("resolve account %s: %w", r.accountID, err)
	}
	r.account = acct

	if p := r.principal; p != nil && p.Resource != "" {
		// A resource-bound principal: a Playwright access token. The
		// issuer already checked its row and hash (ValidatePayload runs on
		// every authentication, cache hits included), so a deleted token
		// never gets here; it never manages tokens.
		if route.manageTokens {
			return nil, arm.Errorf(http.StatusForbidden, "AuthorizationFailed",
				"An access token cannot be used to manage access tokens; sign in with Microsoft Entra ID to do that.")
		}
	}
	if authz := s.authorizer(); authz != nil && r.principal != nil {
		if err := authz.AuthorizeData(ctx, r.principal, route.action, acct.ResourceKey); err != nil {
			return nil, err
		}
	}

	body, berr := readBody(w, hr, cfg.MaxBodyBytes)
	if berr != nil {
		return nil, berr
	}
	r.body = body
	return route.handler(s, ctx, r)
}

// clip shortens client text echoed in an error message: a hostile
// 60 KiB path segment need not come back in full.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	for i := max; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}

// readBody reads a request body under the size limit and checks that a
// non-empty one is JSON.
func readBody(w http.ResponseWriter, hr *http.Request, limit int64) ([]byte, *arm.Error) {
	if hr.Body == nil || hr.Method == http.MethodGet || hr.Method == http.MethodDelete {
		return nil, nil
	}
	if limit <= 0 {
		limit = 1 << 20
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, hr.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, arm.Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
				fmt.Sprintf("The request content exceeds the maximum of %d bytes.", limit))
		}
		return nil, arm.Errorf(http.StatusBadRequest, "InvalidRequestContent", "The request body could not be read.")
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil, nil
	}
	if ct := hr.Header.Get("Content-Type"); ct != "" && !arm.IsJSONMediaType(ct) {
		return nil, arm.Errorf(http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			"The content media type '"+ct+"' is not supported. Only 'application/json' is supported.")
	}
	return b, nil
}

func writeData(w http.ResponseWriter, method string, resp *arm.Response) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	if resp.Body == nil {
		w.WriteHeader(resp.Status)
		return
	}
	b, err := json.Marshal(resp.Body)
	if err != nil {
		panic("playwright: response body does not marshal: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(resp.Status)
	if method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

func (s *Service) getDataPlaneAccount(ctx context.Context, r *dataRequest) (*arm.Response, error) {
	res, err := s.store.GetResource(ctx, r.account.ResourceKey)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, arm.Errorf(http.StatusNotFound, "AccountNotFound", "The account '"+r.accountID+"' was not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("load account %s: %w", r.account.ResourceKey, err)
	}
	doc, err := decodeAccount(res)
	if err != nil {
		return nil, err
	}
	id, err := arm.ParseID(doc.ID)
	if err != nil {
		return nil, fmt.Errorf("stored account id %q: %w", doc.ID, err)
	}
	sub, err := s.store.GetSubscription(ctx, strings.ToLower(id.SubscriptionID))
	if err != nil {
		return nil, fmt.Errorf("load subscription of account %s: %w", doc.ID, err)
	}
	return arm.JSON(http.StatusOK, renderDataPlane(doc, sub)), nil
}
