package playwrightworkspaces

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/wire"
)

// The workspace data plane is a surface of its own under
// {dataplaneUri}/playwrightworkspaces: Azure.Core errors, access tokens
// or Entra tokens, actions checked at the workspace.
//
// Authorization: Azure documents Playwright Workspaces' access with the
// general roles — Reader reads (and cannot create tokens or run tests),
// Contributor and Owner also manage their tokens and run tests — so the
// surface checks control-plane actions at the workspace, which those roles
// grant: */read covers the reads, and creating tokens, opening browsers
// and writing test runs need more. An access token acts with its
// creator's roles, confined to its workspace, checked at every use.

// MountPath is the data plane's first path segment.
const MountPath = "playwrightworkspaces"

// DataPlaneAPIVersions are the data-plane versions served.
var DataPlaneAPIVersions = wire.NewAPIVersions("2025-09-01")

// SurfaceAudience names the data plane's surface to the authenticator.
const SurfaceAudience tokend.Audience = "playwrightworkspaces"

// AudienceDefinition is the data plane's audience: tokens for
// https://playwright.microsoft.com (access tokens, and Entra tokens for
// it) or for Resource Manager (what @azure/playwright requests) are both
// accepted. It declares no resource: tokens for both are issued already.
var AudienceDefinition = tokend.AudienceDefinition{
	Name: SurfaceAudience,
	Accepted: []string{
		playwright.Audience, playwright.Audience + "/",
		"https://management.core.windows.net/", "https://management.core.windows.net",
		"https://management.azure.com/", "https://management.azure.com",
	},
}

// Actions the data plane checks at the workspace.
const (
	actionRead          = Namespace + "/playwrightWorkspaces/read"
	actionReadTokens    = Namespace + "/playwrightWorkspaces/accessTokens/read"
	actionWriteTokens   = Namespace + "/playwrightWorkspaces/accessTokens/write"
	actionDeleteToken   = Namespace + "/playwrightWorkspaces/accessTokens/delete"
	actionBrowsers      = Namespace + "/playwrightWorkspaces/browsers/action"
	actionReadTestRuns  = Namespace + "/playwrightWorkspaces/testRuns/read"
	actionWriteTestRuns = Namespace + "/playwrightWorkspaces/testRuns/write"
)

// guidPattern is the spec's id pattern ("[A-Za-z0-9]+(-[A-Za-z0-9]+)+",
// 3 to 36 characters) anchored: workspace, token and run ids.
var guidPattern = regexp.MustCompile(`^[A-Za-z0-9]+(-[A-Za-z0-9]+)+$`)

func validID(id string) bool { return len(id) >= 3 && len(id) <= 36 && guidPattern.MatchString(id) }

// tokenKind is the workspaces' access tokens: names as the 2025-09-01
// spec's ^[a-zA-Z0-9-]{3,24}$, ids at most 36 characters.
var tokenKind = playwright.TokenKind{
	Parent: "workspace", ParentParam: "workspaceId", ResourceType: workspaceType,
	Name:        regexp.MustCompile(`^[a-zA-Z0-9-]{3,24}$`),
	NameRule:    "3 to 24 letters, digits and hyphens (^[a-zA-Z0-9-]{3,24}$)",
	MaxIDLength: 36,
}

func (s *Service) dataPlane() pipeline.DataPlane {
	const ws = "/" + MountPath + "/{workspaceId}"
	const token = ws + "/access-tokens/{accessTokenId}"
	route := func(method, pattern, action string, h pipeline.Handler, guard func(*pipeline.Request) error) pipeline.Route {
		return pipeline.Route{Method: method, Pattern: pattern, Action: action, Handler: h, Guard: guard,
			Versions: DataPlaneAPIVersions, Family: wire.FamilyAzureCore}
	}
	return pipeline.DataPlane{
		Segment: MountPath,
		Surface: pipeline.Surface{
			Name: MountPath, Audience: SurfaceAudience, Authorization: pipeline.Actions,
			Scope: workspaceScope{s}, Family: wire.FamilyAzureCore, NotFound: dataPlaneNotFound,
		},
		Routes: []pipeline.Route{
			route(http.MethodGet, ws, actionRead, s.getMetadata, nil),
			route(http.MethodGet, ws+"/access-tokens", actionReadTokens, s.tokens.List, playwright.RefuseAccessTokens),
			route(http.MethodGet, token, actionReadTokens, s.tokens.Get, playwright.RefuseAccessTokens),
			route(http.MethodPut, token, actionWriteTokens, s.tokens.Put, playwright.RefuseAccessTokens),
			route(http.MethodDelete, token, actionDeleteToken, s.tokens.Delete, playwright.RefuseAccessTokens),
			// The browsers path: an upgrade is a session through the
			// gateway, a plain GET the contract's 302 to it.
			{Method: http.MethodGet, Pattern: ws + "/browsers", Action: actionBrowsers, When: playwright.IsUpgrade,
				Serve: s.serveBrowsers, Streaming: true, Family: wire.FamilyAzureCore, Label: MountPath + ":session"},
			route(http.MethodGet, ws+"/browsers", actionBrowsers, s.getBrowsers, nil),
			route(http.MethodGet, ws+"/test-runs", actionReadTestRuns, s.listTestRuns, nil),
			route(http.MethodPatch, ws+"/test-runs/{runId}", actionWriteTestRuns, s.patchTestRun, nil),
		},
	}
}

func dataPlaneNotFound(path string, _ []string) (wire.Family, *wire.Error) {
	return wire.FamilyAzureCore, wire.Errorf(http.StatusNotFound, "NotFound",
		"No Playwright Workspaces data-plane operation matches '"+wire.Clip(path)+"'.")
}

// workspaceScope resolves the workspace a request addresses; its resource
// key is the scope actions are checked at. An access token is checked
// here against what only the workspace knows: that it was issued for
// this workspace, and that the workspace takes access tokens at all.
type workspaceScope struct{ s *Service }

func (w workspaceScope) Resolve(ctx context.Context, r *pipeline.Request) (string, error) {
	ws, err := w.s.resolveWorkspace(ctx, r.Param("workspaceId"))
	if err != nil {
		return "", err
	}
	if err := w.s.checkLocalAuth(ctx, r.Principal, ws); err != nil {
		return "", err
	}
	r.Resolved = ws
	return ws.ResourceKey, nil
}

func (workspaceScope) Finish(_ context.Context, _ *pipeline.Request, resp *wire.Response, err error) (*wire.Response, error) {
	return resp, err
}

// resolveWorkspace looks a workspace id up in the index.
func (s *Service) resolveWorkspace(ctx context.Context, id string) (*tokend.PlaywrightAccount, error) {
	if !validID(id) {
		return nil, wire.BadRequest("InvalidParameter", "workspaceId", "The workspace id '"+wire.Clip(id)+
			"' is invalid: it must be a GUID, such as '00000000-0000-0000-0000-000000000000'.")
	}
	ws, err := s.store.GetPlaywrightAccount(ctx, strings.ToLower(id))
	if err == nil && !isWorkspaceKey(ws.ResourceKey) {
		err = tokend.ErrNotFound
	}
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, wire.Errorf(http.StatusNotFound, "WorkspaceNotFound", "The workspace '"+wire.Clip(id)+"' was not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("resolve workspace %s: %w", id, err)
	}
	return ws, nil
}

// isWorkspaceKey tells a workspace's resource key from an account's: both
// kinds share the id index.
func isWorkspaceKey(key string) bool {
	return strings.Contains(key, "/providers/"+workspaceType+"/")
}

// checkLocalAuth refuses an access token issued for another workspace
// (403 InvalidAccessToken) or presented to a workspace whose local
// authentication is off (403 AccessKeyBasedAuthNotSupported): the codes
// the Playwright packages map to their own messages. Entra tokens pass.
func (s *Service) checkLocalAuth(ctx context.Context, p *tokend.Principal, ws *tokend.PlaywrightAccount) error {
	if !playwright.IsAccessToken(p) {
		return nil
	}
	if p.Resource != ws.ResourceKey {
		return wire.Errorf(http.StatusForbidden, "InvalidAccessToken",
			"The access token was issued for another workspace than '"+ws.ID+"'.")
	}
	doc, err := s.workspaceDoc(ctx, ws)
	if err != nil {
		return err
	}
	if doc.Properties.LocalAuth != enabled {
		return wire.Errorf(http.StatusForbidden, "AccessKeyBasedAuthNotSupported",
			"Access tokens are disabled for workspace '"+ws.ID+"' (localAuth is Disabled): enable local authentication on the workspace or sign in with Microsoft Entra ID.")
	}
	return nil
}

// workspaceDoc loads the workspace the index row points at.
func (s *Service) workspaceDoc(ctx context.Context, ws *tokend.PlaywrightAccount) (*workspaceDocument, error) {
	res, err := s.store.GetResource(ctx, ws.ResourceKey)
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, wire.Errorf(http.StatusNotFound, "WorkspaceNotFound", "The workspace '"+ws.ID+"' was not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("load workspace %s: %w", ws.ResourceKey, err)
	}
	return decodeWorkspace(res)
}
