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
