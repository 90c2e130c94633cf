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
			route(http.MethodGet, account+"/browsers", actionRunTests, s.getBrowsers, nil),
			route(http.MethodGet, account+"/access-tokens", actionReadTokens, s.tokens.List, RefuseAccessTokens),
			route(http.MethodGet, token, actionReadTokens, s.tokens.Get, RefuseAccessTokens),
			route(http.MethodPut, token, actionWriteTokens, s.tokens.Put, RefuseAccessTokens),
			route(http.MethodDelete, token, actionDeleteToken, s.tokens.Delete, RefuseAccessTokens),
		},
	}
}

func dataPlaneNotFound(path string, _ []string) (wire.Family, *wire.Error) {
	return wire.FamilyAzureCore, wire.Errorf(http.StatusNotFound, "NotFound",
		"No Playwright data-plane operation matches '"+wire.Clip(path)+"'.")
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
	acct := ParentOf(r)
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
