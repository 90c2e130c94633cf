package playwrightworkspaces

import (
	"context"
	"net/http"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/wire"
)

// getBrowsers is Workspaces_GetBrowsers: 302 to the browsers endpoint,
// which is the same path over WebSocket (a plain GET is redirected, an
// upgrade request is the gateway), with the query as sent. os is required
// (Linux or Windows); runId, when given, is a GUID-like id.
func (s *Service) getBrowsers(_ context.Context, r *pipeline.Request) (*wire.Response, error) {
	q := r.HTTP.URL.Query()
	if err := playwright.CheckBrowsersQuery(q, true); err != nil {
		return nil, err
	}
	return wire.Empty(http.StatusFound).WithHeader("Location", playwright.BrowsersURL(r.BaseURL, r.HTTP.URL)), nil
}

// serveBrowsers runs a browser session through the gateway; sessions of a
// test run (runId) are counted in its summary.
func (s *Service) serveBrowsers(w http.ResponseWriter, r *pipeline.Request) {
	ws := playwright.ParentOf(r)
	s.cfg.Browsers.Serve(w, r, ws, playwright.Session{Check: s.tokens.ValidatePayload, StrictOS: true, Noun: "workspace",
		Opened: func(runID string) { s.runSessionOpened(ws, runID) },
		Closed: func(runID string) { s.runSessionClosed(ws, runID) },
	})
}
