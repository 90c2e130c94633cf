package playwright

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// LegacyBrowsersSegment is the first path segment of the accounts' browsers
// endpoint, wss://{tokend}/accounts/{accountId}/browsers: at the root,
// since @azure/microsoft-playwright-testing takes the account id from the
// fourth "/"-separated part of PLAYWRIGHT_SERVICE_URL.
const LegacyBrowsersSegment = "accounts"

// getBrowsers is Accounts_GetBrowsers: 302 to the account's browsers
// endpoint, with the query as sent (os defaults to Linux).
func (s *Service) getBrowsers(_ context.Context, r *pipeline.Request) (*wire.Response, error) {
	if err := CheckBrowsersQuery(r.HTTP.URL.Query(), false); err != nil {
		return nil, err
	}
	target := &url.URL{Path: "/" + LegacyBrowsersSegment + "/" + url.PathEscape(ParentOf(r).ID) + "/browsers", RawQuery: r.HTTP.URL.RawQuery}
	return wire.Empty(http.StatusFound).WithHeader("Location", BrowsersURL(r.BaseURL, target)), nil
}

// BrowsersURL is the WebSocket URL of the path and query u holds on a
// tokend reached at base (https becomes wss, http ws).
func BrowsersURL(base string, u *url.URL) string {
	ws := strings.TrimSuffix(base, "/")
	switch {
	case strings.HasPrefix(ws, "https://"):
		ws = "wss://" + ws[len("https://"):]
	case strings.HasPrefix(ws, "http://"):
		ws = "ws://" + ws[len("http://"):]
	}
	if u.RawQuery == "" {
		return ws + u.EscapedPath()
	}
	return ws + u.EscapedPath() + "?" + u.RawQuery
}

// browsersPlane is the accounts' browsers endpoint at the root,
// {tokend}/accounts/{accountId}/browsers: a surface of its own (its first
// segment is not the data plane's), with the data plane's audience,
// actions and account scope. A WebSocket upgrade is a browser session
// through the gateway; anything else is told to upgrade.
func (s *Service) browsersPlane() pipeline.DataPlane {
	const browsers = "/" + LegacyBrowsersSegment + "/{accountId}/browsers"
	return pipeline.DataPlane{
		Segment: LegacyBrowsersSegment,
		Surface: pipeline.Surface{
			Name: LegacyBrowsersSegment, Audience: SurfaceAudience, Authorization: pipeline.DataActions,
			Scope: accountScope{s}, Family: wire.FamilyAzureCore, NotFound: dataPlaneNotFound,
		},
		Routes: []pipeline.Route{
			{Method: http.MethodGet, Pattern: browsers, Action: actionRunTests, When: IsUpgrade, Guard: ownAccountToken,
				Serve: s.serveBrowsers, Streaming: true, Family: wire.FamilyAzureCore, Label: LegacyBrowsersSegment + ":session"},
			{Method: http.MethodGet, Pattern: browsers, Action: actionRunTests, Handler: upgradeRequired, Family: wire.FamilyAzureCore},
		},
	}
}

// serveBrowsers runs an account's browser session.
func (s *Service) serveBrowsers(w http.ResponseWriter, r *pipeline.Request) {
	s.cfg.Browsers.Serve(w, r, ParentOf(r), Session{Check: s.tokens.ValidatePayload, Noun: "account"})
}

// ownAccountToken refuses an access token of another account in the words
// @azure/microsoft-playwright-testing maps (403 InvalidAccessToken).
func ownAccountToken(r *pipeline.Request) error {
	if IsAccessToken(r.Principal) && r.Principal.Resource != ParentOf(r).ResourceKey {
		return wire.Errorf(http.StatusForbidden, "InvalidAccessToken",
			"The access token was issued for another account than '"+ParentOf(r).ID+"'.")
	}
	return nil
}

// upgradeRequired answers a plain request on a browsers endpoint.
func upgradeRequired(context.Context, *pipeline.Request) (*wire.Response, error) {
	return nil, wire.Errorf(http.StatusUpgradeRequired, "UpgradeRequired",
		"This is a browsers endpoint: connect to it with a WebSocket (Playwright's connect), with the access token as a bearer token.")
}
