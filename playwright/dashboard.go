package playwright

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// An account's dashboardUri is {tokend}/playwright/accounts/{accountId}:
// the same path as the data plane's Accounts_Get, told apart by what the
// request carries. The SDK always sends api-version and a bearer token; a
// browser or a curl following the link sends neither, and gets a minimal
// page (HTML for browsers, JSON otherwise) saying how to reach the data
// plane. The page shows only what the link already holds (the account id)
// and the endpoint, nothing of the account's resource or tokens.

var dashboardPage = template.Must(template.New("dashboard").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Playwright Testing account {{.ID}}</title></head>
<body>
<h1>Playwright Testing account</h1>
<p>Account id: <code>{{.ID}}</code></p>
<p>Data-plane endpoint: <code>{{.Endpoint}}</code> (api-version {{.APIVersion}})</p>
<p>Create an access token with a bearer token for <code>https://playwright.microsoft.com/.default</code>:</p>
<pre>PUT {{.Endpoint}}/accounts/{{.ID}}/access-tokens/{uuid}?api-version={{.APIVersion}}
{"name": "myToken", "expiryAt": "2030-01-01T00:00:00Z"}</pre>
</body></html>
`))

type dashboardInfo struct {
	ID         string `json:"accountId"`
	Endpoint   string `json:"dataPlaneEndpoint"`
	APIVersion string `json:"apiVersion"`
}

// isDashboardRequest tells a GET of an account's dashboardUri (no
// api-version, no credentials) from the data plane's Accounts_Get.
func isDashboardRequest(hr *http.Request) bool {
	return !hr.URL.Query().Has("api-version") && hr.Header.Get("Authorization") == ""
}

// serveDashboard answers a GET of an account's dashboardUri.
func (s *Service) serveDashboard(w http.ResponseWriter, r *pipeline.Request) {
	ctx, hr := r.HTTP.Context(), r.HTTP
	id := r.Param("accountId")
	if !accountIDPattern.MatchString(id) {
		wire.WriteError(w, wire.FamilyAzureCore, wire.Errorf(http.StatusNotFound, "AccountNotFound", "The account '"+wire.Clip(id)+"' was not found."))
		return
	}
	if _, err := s.store.GetPlaywrightAccount(ctx, id); err != nil {
		if errors.Is(err, tokend.ErrNotFound) {
			wire.WriteError(w, wire.FamilyAzureCore, wire.Errorf(http.StatusNotFound, "AccountNotFound", "The account '"+id+"' was not found."))
		} else {
			wire.WriteError(w, wire.FamilyAzureCore, wire.FromError(ctx, err, w, s.log))
		}
		return
	}
	info := dashboardInfo{ID: id, APIVersion: DataPlaneAPIVersions.Newest(),
		Endpoint: strings.TrimSuffix(r.BaseURL, "/") + "/" + MountPath}
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(hr.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = dashboardPage.Execute(w, info)
		return
	}
	wire.WriteResponse(w, hr.Method, wire.JSON(http.StatusOK, info))
}
