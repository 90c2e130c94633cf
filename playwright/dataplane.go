package playwright

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// The data plane is a surface of its own: its paths are not ARM ids, its
// errors are Azure.Core's, its audience is Playwright's and its permissions
// are data actions on the account. This file configures its pipeline.

// MountPath is the first path segment the data plane is served under:
// {tokend}/playwright is the data-plane endpoint.
const MountPath = "playwright"

// DataPlaneAPIVersions are the data-plane versions served.
var DataPlaneAPIVersions = wire.NewAPIVersions("2024-12-01")

// accountIDPattern is the spec's accountId, anchored (the spec's pattern is
// not, but an id with anything around the match is not an id).
var accountIDPattern = regexp.MustCompile(`^[A-Za-z0-9]+(_[A-Za-z0-9]+)*(-[A-Za-z0-9]+)+$`)

// dataPlane is the data plane's surface: the Playwright audience, data
// actions on the account's scope, the account resolved before
// authorization, Azure.Core's error envelope.
func (s *Service) dataPlane() pipeline.DataPlane {
	const account = "/" + MountPath + "/accounts/{accountId}"
	const token = account + "/access-tokens/{accessTokenId}"
	route := func(method, pattern, action string, h pipeline.Handler, guard func(*pipeline.Request) error) pipeline.Route {
		return pipeline.Route{Method: method, Pattern: pattern, Action: action, Handler: h, Guard: guard,
			Versions: DataPlaneAPIVersions, Family: wire.FamilyAzureCore}
	}
	return pipeline.DataPlane{
		Segment: MountPath,
		Surface: pipeline.Surface{
			Name: MountPath, Audience: SurfaceAudience, Authorization: pipeline.DataActions,
			Scope: accountScope{s}, Family: wire.FamilyAzureCore, NotFound: dataPlaneNotFound,
		},
		Routes: []pipeline.Route{
			// The dashboard link shares Accounts_Get's path (dashboard.go).
			{Method: http.MethodGet, Pattern: account, Anonymous: true, When: isDashboardRequest,
				Serve: s.serveDashboard, Family: wire.FamilyAzureCore, Label: MountPath + ":dashboard"},
			route(http.MethodGet, account, actionReadAccount, s.getDataPlaneAccount, nil),
			route(http.MethodGet, account+"/access-tokens", actionReadTokens, s.listAccessTokens, refuseAccessTokens),
			route(http.MethodGet, token, actionReadTokens, s.getAccessToken, refuseAccessTokens),
			route(http.MethodPut, token, actionWriteTokens, s.putAccessToken, refuseAccessTokens),
			route(http.MethodDelete, token, actionDeleteToken, s.deleteAccessToken, refuseAccessTokens),
		},
	}
}

func dataPlaneNotFound(path string, _ []string) (wire.Family, *wire.Error) {
	return wire.FamilyAzureCore, wire.Errorf(http.StatusNotFound, "NotFound",
		"No Playwright data-plane operation matches '"+wire.Clip(path)+"'.")
}

// refuseAccessTokens guards the operations an access token may never
// perform: a token cannot mint, list or delete tokens, only act on its
// account. An access token is a resource-bound principal; the issuer
// already checked its row and hash (ValidatePayload runs on every
// authentication, cache hits included), so a deleted token never gets here.
func refuseAccessTokens(r *pipeline.Request) error {
	if p := r.Principal; p != nil && p.Resource != "" {
		return wire.Errorf(http.StatusForbidden, "AuthorizationFailed",
			"An access token cannot be used to manage access tokens; sign in with Microsoft Entra ID to do that.")
	}
	return nil
}

// accountScope resolves the account a data-plane request addresses; its
// resource key is the scope data actions are authorized at.
type accountScope struct{ s *Service }

func (a accountScope) Resolve(ctx context.Context, r *pipeline.Request) (string, error) {
	id := r.Param("accountId")
	if len(id) > 64 || !accountIDPattern.MatchString(id) {
		return "", wire.BadRequest("InvalidParameter", "accountId", "The account id '"+wire.Clip(id)+
			"' is invalid: it must be at most 64 letters and digits in '_' and '-' separated groups, such as 'eastus_00000000-0000-0000-0000-000000000000'.")
	}
	acct, err := a.s.store.GetPlaywrightAccount(ctx, id)
	if errors.Is(err, tokend.ErrNotFound) {
		return "", wire.Errorf(http.StatusNotFound, "AccountNotFound", "The account '"+wire.Clip(id)+"' was not found.")
	}
	if err != nil {
		return "", fmt.Errorf("resolve account %s: %w", id, err)
	}
	r.Resolved = acct
	return acct.ResourceKey, nil
}

func (accountScope) Finish(_ context.Context, _ *pipeline.Request, resp *wire.Response, err error) (*wire.Response, error) {
	return resp, err
}

// accountOf is the account a data-plane request addresses (accountScope).
func accountOf(r *pipeline.Request) *tokend.PlaywrightAccount {
	return r.Resolved.(*tokend.PlaywrightAccount)
}

func (s *Service) getDataPlaneAccount(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	acct := accountOf(r)
	res, err := s.store.GetResource(ctx, acct.ResourceKey)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, wire.Errorf(http.StatusNotFound, "AccountNotFound", "The account '"+acct.ID+"' was not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("load account %s: %w", acct.ResourceKey, err)
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
	return wire.JSON(http.StatusOK, renderDataPlane(doc, sub)), nil
}
