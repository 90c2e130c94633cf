package playwrightworkspaces_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/pwwsclient"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// serviceURL is PLAYWRIGHT_SERVICE_URL for a workspace on e.
func (e *env) serviceURL(workspaceID string) string {
	return "wss://" + strings.TrimPrefix(e.srv.URL, "https://") + "/playwrightworkspaces/" + workspaceID + "/browsers"
}

// mintToken creates an access token as oid and returns its JWT.
func (e *env) mintToken(t testing.TB, oid, workspaceID, name string) (id, jwt string) {
	t.Helper()
	id = uuid.NewString()
	created, err := e.dataPlane("good-"+oid).CreateOrReplaceAccessToken(context.Background(), workspaceID, id,
		pwwsclient.AccessToken{Name: ptr(name), ExpiryAt: ptr(e.clock.Now().Add(30 * 24 * time.Hour))})
	if err != nil {
		t.Fatalf("create access token: %v", err)
	}
	if !created.Created || created.JWTToken == nil || *created.State != "Active" {
		t.Fatalf("created: %+v", created)
	}
	return id, *created.JWTToken
}

func TestWorkspaceAccessTokens(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		ws := e.createWorkspace(t, "rg", "ws-one", "Disabled")
		other := e.createWorkspace(t, "rg", "ws-two", "Enabled")
		tokenID, jwt := e.mintToken(t, contributor, ws, "ci-token-1")

		// The claims both npm packages check, by their own procedure.
		for _, claim := range []string{"pwid", "aid"} {
			if err := azuretest.PlaywrightPATCheck(e.serviceURL(ws), jwt, claim, e.clock.Now()); err != nil {
				t.Errorf("the package check (%s) refuses tokend's token: %v", claim, err)
			}
			if err := azuretest.PlaywrightPATCheck(e.serviceURL(other), jwt, claim, e.clock.Now()); err == nil {
				t.Errorf("the package check (%s) takes the token for another workspace", claim)
			}
		}
		if c := claims(t, jwt); c["pwid"] != ws || c["aid"] != ws || c["exp"] == nil {
			t.Errorf("claims: %v", c)
		}

		dp := e.dataPlane("good-" + contributor)
		got, err := dp.GetAccessToken(ctx, ws, strings.ToUpper(tokenID))
		if err != nil || got.JWTToken != nil || *got.Name != "ci-token-1" {
			t.Errorf("get: %v %+v", err, got)
		}
		var listed int
		for pager := dp.NewListAccessTokensPager(ws); pager.More(); {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			listed += len(page.Value)
		}
		if listed != 1 {
			t.Errorf("listed %d tokens", listed)
		}

		// localAuth Disabled (the default): the token is refused as Azure
		// refuses it; enabled, it works.
		meta := "/playwrightworkspaces/" + ws + "?api-version=2025-09-01"
		resp, body := e.do(t, http.MethodGet, meta, nil, jwt)
		if code, _ := errorCode(t, resp, body); resp.StatusCode != http.StatusForbidden || code != "AccessKeyBasedAuthNotSupported" {
			t.Errorf("localAuth Disabled: %d %s", resp.StatusCode, body)
		}
		if _, err := e.workspaces(owner, "").Update(ctx, "rg", "ws-one", pwwsclient.WorkspaceUpdate{
			Properties: &pwwsclient.WorkspaceUpdateProperties{LocalAuth: ptr(pwwsclient.EnablementStatusEnabled)}}); err != nil {
			t.Fatal(err)
		}
		resp, body = e.do(t, http.MethodGet, meta, nil, jwt)
		var md map[string]any
		_ = json.Unmarshal(body, &md)
		if resp.StatusCode != http.StatusOK || md["id"] != ws || md["name"] != "ws-one" || md["localAuth"] != "Enabled" ||
			md["subscriptionId"] != testSub || md["tenantId"] != testTenant || md["subscriptionState"] != "Registered" {
			t.Errorf("metadata: %d %s", resp.StatusCode, body)
		}

		tok := e.dataPlane(jwt)
		loc, err := tok.GetBrowsers(ctx, ws, "Linux", ptr("8c2b6e1e-2b0c-4f4e-9a9f-0d9d7c7e6b01"))
		u, perr := url.Parse(loc.Location)
		if err != nil || perr != nil || u.Scheme != "wss" || u.Host != strings.TrimPrefix(e.srv.URL, "https://") ||
			u.Path != "/playwrightworkspaces/"+ws+"/browsers" || u.Query().Get("os") != "Linux" || u.Query().Get("api-version") != "2025-09-01" {
			t.Errorf("GetBrowsers: %v %q", err, loc.Location)
		}
		// The token is for ws-one: ws-two refuses it in the packages' words.
		resp, body = e.do(t, http.MethodGet, "/playwrightworkspaces/"+other+"?api-version=2025-09-01", nil, jwt)
		if code, _ := errorCode(t, resp, body); resp.StatusCode != http.StatusForbidden || code != "InvalidAccessToken" {
			t.Errorf("another workspace: %d %s", resp.StatusCode, body)
		}
		// A token manages no tokens.
		if _, err := tok.GetAccessToken(ctx, ws, tokenID); statusOf(err) != http.StatusForbidden {
			t.Errorf("token reads tokens: %v", err)
		}

		// The creator's role is checked at every use: demoted to Reader,
		// the token reads but opens no browsers.
		e.roles.set(contributor, "Reader")
		if _, err := tok.GetBrowsers(ctx, ws, "Linux", nil); statusOf(err) != http.StatusForbidden {
			t.Errorf("a Reader's token opened browsers: %v", err)
		}
		if resp, _ := e.do(t, http.MethodGet, meta, nil, jwt); resp.StatusCode != http.StatusOK {
			t.Errorf("a Reader's token cannot read: %d", resp.StatusCode)
		}
		e.roles.set(contributor, "Contributor")
		// A Reader creates no tokens.
		if _, err := e.dataPlane("good-"+reader).CreateOrReplaceAccessToken(ctx, ws, uuid.NewString(),
			pwwsclient.AccessToken{Name: ptr("reader"), ExpiryAt: ptr(e.clock.Now().Add(time.Hour))}); statusOf(err) != http.StatusForbidden {
			t.Errorf("a Reader created a token: %v", err)
		}
		// An Entra token with the role works wherever an access token does.
		if _, err := e.dataPlane("good-"+owner).GetBrowsers(ctx, ws, "Windows", nil); err != nil {
			t.Errorf("an Entra token's GetBrowsers: %v", err)
		}

		// Deleted, the token stops at once.
		if err := dp.DeleteAccessToken(ctx, ws, tokenID); err != nil {
			t.Fatal(err)
		}
		if resp, _ := e.do(t, http.MethodGet, meta, nil, jwt); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("deleted token: %d", resp.StatusCode)
		}
		// And so do the tokens of a deleted workspace.
		_, jwt2 := e.mintToken(t, contributor, other, "second")
		if resp, _ := e.do(t, http.MethodGet, "/playwrightworkspaces/"+other+"?api-version=2025-09-01", nil, jwt2); resp.StatusCode != http.StatusOK {
			t.Fatalf("second token: %d", resp.StatusCode)
		}
		if resp, _ := e.do(t, http.MethodDelete, workspacePath("rg", "ws-two")+"?api-version=2025-10-01", nil, "good-"+owner); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete workspace: %d", resp.StatusCode)
		}
		if resp, _ := e.do(t, http.MethodGet, "/playwrightworkspaces/"+other+"?api-version=2025-09-01", nil, jwt2); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("token of a deleted workspace: %d", resp.StatusCode)
		}
	})
}

func TestWorkspaceDataPlaneBadInput(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ws := e.createWorkspace(t, "rg", "ws-main", "Enabled")
		base := "/playwrightworkspaces/" + ws
		tok := "/access-tokens/" + uuid.NewString() + "?api-version=2025-09-01"
		expiry := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			code, target       string
		}{
			{"browsers without os", "GET", base + "/browsers?api-version=2025-09-01", nil, 400, "InvalidParameter", "os"},
			{"browsers on Mac", "GET", base + "/browsers?api-version=2025-09-01&os=Mac", nil, 400, "InvalidParameter", "os"},
			{"browsers with a bad runId", "GET", base + "/browsers?api-version=2025-09-01&os=Linux&runId=x", nil, 400, "InvalidParameter", "runId"},
			{"bad workspace id", "GET", "/playwrightworkspaces/not_a_guid?api-version=2025-09-01", nil, 400, "InvalidParameter", "workspaceId"},
			{"unknown workspace", "GET", "/playwrightworkspaces/" + uuid.NewString() + "?api-version=2025-09-01", nil, 404, "WorkspaceNotFound", ""},
			{"token name with underscore", "PUT", base + tok, map[string]any{"name": "a_b", "expiryAt": expiry}, 400, "InvalidRequestContent", "name"},
			{"token name too long", "PUT", base + tok, map[string]any{"name": strings.Repeat("a", 25), "expiryAt": expiry}, 400, "InvalidRequestContent", "name"},
			{"token id too long", "PUT", base + "/access-tokens/" + strings.Repeat("a-", 19) + "?api-version=2025-09-01", map[string]any{"name": "abc", "expiryAt": expiry}, 400, "InvalidParameter", "accessTokenId"},
			{"token in the past", "PUT", base + tok, map[string]any{"name": "abc", "expiryAt": "2020-01-01T00:00:00Z"}, 400, "InvalidRequestContent", "expiryAt"},
			{"run with a bad id", "PATCH", base + "/test-runs/x?api-version=2025-09-01", map[string]any{}, 400, "InvalidParameter", "runId"},
			{"run with 0 workers", "PATCH", base + "/test-runs/" + uuid.NewString() + "?api-version=2025-09-01", map[string]any{"config": map[string]any{"maxWorkers": 0}}, 400, "InvalidRequestContent", "config.maxWorkers"},
			{"run in an unknown language", "PATCH", base + "/test-runs/" + uuid.NewString() + "?api-version=2025-09-01", map[string]any{"config": map[string]any{"sdkLanguage": "COBOL"}}, 400, "InvalidRequestContent", "config.sdkLanguage"},
			{"old api-version", "GET", base + "?api-version=2024-12-01", nil, 400, "", ""},
			{"no token", "GET", base + "?api-version=2025-09-01", nil, 401, "", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				token := "good-" + owner
				if tc.status == 401 {
					token = ""
				}
				resp, body := e.do(t, tc.method, tc.path, tc.body, token)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				code, target := errorCode(t, resp, body)
				if tc.code != "" && (code != tc.code || target != tc.target) {
					t.Errorf("error %s on %q, want %s on %q", code, target, tc.code, tc.target)
				}
			})
		}
	})
}

// TestTestRuns: the merge-patch @azure/playwright sends at the start of a
// run, stored and listed.
func TestTestRuns(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		ws := e.createWorkspace(t, "rg", "ws-main", "Enabled")
		_, jwt := e.mintToken(t, contributor, ws, "runner")
		runID := uuid.NewString()
		// As the package sends it: application/merge-patch+json, nulls
		// for CI fields it could not find.
		resp, body := e.do(t, http.MethodPatch, "/playwrightworkspaces/"+ws+"/test-runs/"+runID+"?api-version=2025-09-01",
			`{"displayName":"`+runID+`","config":{"framework":{"name":"Playwright","version":"1.57.0","runnerName":"Playwright"},"sdkLanguage":"JAVASCRIPT","maxWorkers":4},"ciConfig":{"providerName":"GitHub","branch":"main","author":null,"commitId":"abc123","revisionUrl":null}}`,
			jwt, "Content-Type", "application/merge-patch+json")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("create run: %d %s", resp.StatusCode, body)
		}
		dp := e.dataPlane(jwt)
		run, err := dp.CreateOrUpdateTestRun(ctx, ws, runID, pwwsclient.TestRunCreateOrUpdate{DisplayName: ptr("nightly")})
		if err != nil || *run.DisplayName != "nightly" || *run.CreatorID != contributor || *run.Summary.Status != "RUNNING" ||
			*run.Config.MaxWorkers != 4 || *run.CIConfig.Branch != "main" || run.CIConfig.Author != nil {
			t.Fatalf("update run: %v %+v", err, run)
		}
		if _, err := dp.CreateOrUpdateTestRun(ctx, ws, runID, pwwsclient.TestRunCreateOrUpdate{Config: &pwwsclient.RunConfig{MaxWorkers: ptr(int64(8))}}); statusOf(err) != http.StatusBadRequest {
			t.Errorf("config changed after create: %v", err)
		}
		second := uuid.NewString()
		if _, err := dp.CreateOrUpdateTestRun(ctx, ws, second, pwwsclient.TestRunCreateOrUpdate{}); err != nil {
			t.Fatal(err)
		}
		var runs []*pwwsclient.TestRun
		for pager := dp.NewListTestRunsPager(ws); pager.More(); {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, page.Value...)
		}
		if len(runs) != 2 {
			t.Fatalf("listed %d runs", len(runs))
		}
		for _, r := range runs {
			if *r.ID == second && *r.DisplayName != second {
				t.Errorf("a run created without a name is named %q", *r.DisplayName)
			}
		}
		// A Reader reads runs but writes none.
		if _, err := e.dataPlane("good-"+reader).CreateOrUpdateTestRun(ctx, ws, uuid.NewString(), pwwsclient.TestRunCreateOrUpdate{}); statusOf(err) != http.StatusForbidden {
			t.Errorf("a Reader wrote a run: %v", err)
		}
		if pager := e.dataPlane("good-" + reader).NewListTestRunsPager(ws); pager.More() {
			if _, err := pager.NextPage(ctx); err != nil {
				t.Errorf("a Reader's list: %v", err)
			}
		}
		// Runs go with their workspace (and are not top-level resources).
		if resp, _ := e.do(t, http.MethodDelete, workspacePath("rg", "ws-main")+"?api-version=2025-10-01", nil, "good-"+owner); resp.StatusCode != http.StatusNoContent {
			t.Fatal("delete")
		}
		left, err := store.ListResourcesUnder(ctx, tokend.ResourceQuery{Scope: "/subscriptions/" + testSub})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range left {
			if strings.Contains(r.Type, "testruns") {
				t.Errorf("a run outlived its workspace: %s", r.ID)
			}
		}
	})
}

func TestOperationsList(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		resp, body := e.do(t, http.MethodGet, "/providers/Microsoft.LoadTestService/operations?api-version=2025-10-01", nil, "good-"+reader)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		for _, want := range []string{"Microsoft.LoadTestService/playwrightWorkspaces/write", "Microsoft.LoadTestService/playwrightWorkspaces/browsers/action",
			"Microsoft.LoadTestService/playwrightWorkspaces/accessTokens/write", "Microsoft.LoadTestService/checkNameAvailability/action"} {
			if !strings.Contains(string(body), `"`+want+`"`) {
				t.Errorf("Operations_List lacks %s", want)
			}
		}
	})
}
