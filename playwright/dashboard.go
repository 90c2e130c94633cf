package playwright

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
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

// serveDashboard answers a GET of an account's dashboardUri that carries no
// api-version and no credentials, and reports whether it did.
func (s *Service) serveDashboard(w http.ResponseWriter, hr *http.Request, segs []string) bool {
	if hr.Method != http.MethodGet || len(segs) != 2 || !strings.EqualFold(segs[0], "accounts") ||
		hr.URL.Query().Has("api-version") || hr.Header.Get("Authorization") != "" {
		return false
	}
	ctx := hr.Context()
	arm.TraceFrom(ctx).Route = "playwright:dashboard"
	id := segs[1]
	if !accountIDPattern.MatchString(id) {
		arm.WriteError(w, arm.FamilyAzureCore, arm.Errorf(http.StatusNotFound, "AccountNotFound", "The account '"+clip(id)+"' was not found."))
		return true
	}
	if _, err := s.store.GetPlaywrightAccount(ctx, id); err != nil {
		if errors.Is(err, tokend.ErrNotFound) {
			arm.WriteError(w, arm.FamilyAzureCore, arm.Errorf(http.StatusNotFound, "AccountNotFound", "The account '"+id+"' was not found."))
		} else {
			arm.WriteError(w, arm.FamilyAzureCore, s.rt.AsError(ctx, err, w))
		}
		return true
	}
	info := dashboardInfo{ID: id, APIVersion: DataPlaneAPIVersions.Newest(),
		Endpoint: strings.TrimSuffix(arm.BaseURL(s.rt.Config().PublicURL, hr), "/") + "/" + MountPath}
	w.Header().Set("Cache-Control", "no-store")
	if strings.Contains(hr.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = dashboardPage.Execute(w, info)
		return true
	}
	writeData(w, hr.Method, arm.JSON(http.StatusOK, info))
	return true
}
