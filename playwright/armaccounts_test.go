package playwright_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
)

type armAccount struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	SystemData struct {
		CreatedBy string `json:"createdBy"`
	} `json:"systemData"`
	Properties struct {
		DashboardURI      string `json:"dashboardUri"`
		RegionalAffinity  string `json:"regionalAffinity"`
		ScalableExecution string `json:"scalableExecution"`
		Reporting         string `json:"reporting"`
		LocalAuth         string `json:"localAuth"`
		ProvisioningState string `json:"provisioningState"`
	} `json:"properties"`
}

func decodeAccount(t *testing.T, body []byte) armAccount {
	t.Helper()
	var a armAccount
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("decode account: %v: %s", err, body)
	}
	return a
}

var accountIDShape = regexp.MustCompile(`^eastus_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestAccountLifecycle(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := accountPath("rg1", "myPlaywrightAccount") + "?api-version=" + armVersion
		tok := "good-" + owner

		resp, body := e.do(t, http.MethodPut, path, `{"location":"East US","tags":{"Team":"Dev Exp"},"properties":{"regionalAffinity":"disabled"}}`, tok)
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Retry-After") != "0" {
			t.Fatalf("create: %d (Retry-After %q) %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		a := decodeAccount(t, body)
		if a.Name != "myPlaywrightAccount" || a.Type != "Microsoft.AzurePlaywrightService/accounts" || a.Location != "eastus" ||
			a.Tags["Team"] != "Dev Exp" || a.SystemData.CreatedBy != owner || a.ID != accountPath("rg1", "myPlaywrightAccount") {
			t.Errorf("created account: %+v", a)
		}
		p := a.Properties
		if p.ProvisioningState != "Succeeded" || p.RegionalAffinity != "Disabled" || p.ScalableExecution != "Enabled" ||
			p.Reporting != "Enabled" || p.LocalAuth != "Disabled" {
			t.Errorf("properties: %+v", p)
		}
		prefix := e.srv.URL + "/playwright/accounts/"
		accountID := strings.TrimPrefix(p.DashboardURI, prefix)
		if !strings.HasPrefix(p.DashboardURI, prefix) || !accountIDShape.MatchString(accountID) {
			t.Fatalf("dashboardUri %q: want %s{location}_{uuid}", p.DashboardURI, prefix)
		}

		// GET, in another casing of the name: ids are case-insensitive.
		resp, body = e.do(t, http.MethodGet, accountPath("RG1", "MYPLAYWRIGHTACCOUNT")+"?api-version="+armVersion, nil, tok)
		if resp.StatusCode != http.StatusOK || decodeAccount(t, body).Properties.DashboardURI != p.DashboardURI {
			t.Fatalf("get: %d %s", resp.StatusCode, body)
		}

		// PUT replaces: flags not sent return to their defaults, tags are the
		// ones sent; the data-plane id stays.
		resp, body = e.do(t, http.MethodPut, path, `{"location":"eastus","properties":{"localAuth":"Enabled"}}`, tok)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("update: %d %s", resp.StatusCode, body)
		}
		a = decodeAccount(t, body)
		if a.Properties.RegionalAffinity != "Enabled" || a.Properties.LocalAuth != "Enabled" || len(a.Tags) != 0 || a.Properties.DashboardURI != p.DashboardURI {
			t.Errorf("after PUT: %+v", a)
		}

		// PATCH changes only what it names.
		resp, body = e.do(t, http.MethodPatch, path, `{"tags":{"Division":"LT"},"properties":{"reporting":"Disabled"}}`, tok)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("patch: %d %s", resp.StatusCode, body)
		}
		a = decodeAccount(t, body)
		if a.Tags["Division"] != "LT" || a.Properties.Reporting != "Disabled" || a.Properties.LocalAuth != "Enabled" || a.Location != "eastus" {
			t.Errorf("after PATCH: %+v", a)
		}

		// The data plane mirrors the flags.
		acct, err := e.client(tok).GetAccount(context.Background(), accountID)
		if err != nil {
			t.Fatal(err)
		}
		if *acct.Reporting != "Disabled" || *acct.LocalAuth != "Enabled" || *acct.Name != "myPlaywrightAccount" ||
			*acct.ResourceID != a.ID || *acct.TenantID != testTenant || *acct.SubscriptionID != testSub ||
			*acct.SubscriptionState != "Registered" || *acct.State != "Active" || *acct.Location != "eastus" || *acct.ID != accountID {
			t.Errorf("data-plane account: %+v", acct.Account)
		}

		// The location is fixed at creation.
		resp, body = e.do(t, http.MethodPut, path, `{"location":"westus"}`, tok)
		if code, target, _ := errorCode(t, resp, body); resp.StatusCode != http.StatusConflict || code != "InvalidResourceLocation" || target != "location" {
			t.Errorf("PUT in another location: %d %s", resp.StatusCode, body)
		}

		// DELETE: 202 with a Location whose status is real, then gone.
		resp, body = e.do(t, http.MethodDelete, path, nil, tok)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Retry-After") != "0" || !strings.HasPrefix(loc, e.srv.URL+"/subscriptions/"+testSub+"/providers/Microsoft.AzurePlaywrightService/locations/eastus/operationStatuses/") {
			t.Fatalf("delete: %d Location %q %s", resp.StatusCode, loc, body)
		}
		resp, body = e.do(t, http.MethodGet, loc, nil, tok)
		var op struct{ Status, ResourceID string }
		_ = json.Unmarshal(body, &op)
		if resp.StatusCode != http.StatusOK || op.Status != "Succeeded" || op.ResourceID != a.ID {
			t.Errorf("operation status: %d %s", resp.StatusCode, body)
		}
		resp, body = e.do(t, http.MethodGet, path, nil, tok)
		if code, _, _ := errorCode(t, resp, body); resp.StatusCode != http.StatusNotFound || code != "ResourceNotFound" {
			t.Errorf("get after delete: %d %s", resp.StatusCode, body)
		}
		resp, _ = e.do(t, http.MethodDelete, path, nil, tok)
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("second delete: %d, want 204", resp.StatusCode)
		}
		if _, err := e.client(tok).GetAccount(context.Background(), accountID); statusOf(err) != http.StatusNotFound {
			t.Errorf("data-plane account after delete: %v", err)
		}
		resp, body = e.do(t, http.MethodGet, strings.Replace(loc, "operationStatuses/", "operationStatuses/0", 1), nil, tok)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown operation: %d %s", resp.StatusCode, body)
		}

		// Created again under the same name, it is a new account with a new id.
		again := e.createAccount(t, "rg1", "myPlaywrightAccount")
		if again == accountID {
			t.Error("an account created again kept the deleted one's data-plane id")
		}
	})
}

func statusOf(err error) int {
	if re, ok := err.(*azcore.ResponseError); ok {
		return re.StatusCode
	}
	return 0
}

func TestAccountValidation(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		tok := "good-" + owner
		// The group exists, so the 404s below are about the account.
		if resp, b := e.do(t, "PUT", "/subscriptions/"+testSub+"/resourceGroups/rg?api-version=2021-04-01", `{"location":"eastus"}`, tok); resp.StatusCode != 201 {
			t.Fatalf("create group: %d %s", resp.StatusCode, b)
		}
		cases := []struct {
			name, method, account, body string
			status                      int
			code, target                string
		}{
			{"name too short", "PUT", "ab", `{"location":"eastus"}`, 400, "InvalidResourceName", "accountName"},
			{"name starts with a digit", "PUT", "1abc", `{"location":"eastus"}`, 400, "InvalidResourceName", "accountName"},
			{"name with a dash", "PUT", "my-account", `{"location":"eastus"}`, 400, "InvalidResourceName", "accountName"},
			{"name too long", "PUT", "a" + strings.Repeat("b", 64), `{"location":"eastus"}`, 400, "InvalidResourceName", "accountName"},
			{"location missing", "PUT", "acct1", `{"tags":{}}`, 400, "LocationRequired", "location"},
			{"location with punctuation", "PUT", "acct1", `{"location":"east-us"}`, 400, "LocationNotAvailableForResourceType", "location"},
			{"flag not an enum value", "PUT", "acct1", `{"location":"eastus","properties":{"localAuth":"Maybe"}}`, 400, "InvalidRequestContent", "properties.localAuth"},
			{"flag of the wrong type", "PUT", "acct1", `{"location":"eastus","properties":{"reporting":true}}`, 400, "InvalidRequestContent", "properties.reporting"},
			{"syntax error", "PUT", "acct1", `{"location":`, 400, "InvalidRequestContent", "body"},
			{"no body", "PUT", "acct1", ``, 400, "InvalidRequestContent", "body"},
			{"too many tags", "PUT", "acct1", `{"location":"eastus","tags":{` + manyTags(51) + `}}`, 400, "InvalidTag", "tags"},
			{"patch missing", "PATCH", "acct2", `{"tags":{}}`, 404, "ResourceNotFound", ""},
			{"get missing", "GET", "acct2", ``, 404, "ResourceNotFound", ""},
			{"get invalid name", "GET", "a_b", ``, 400, "InvalidResourceName", "accountName"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var body any
				if c.body != "" {
					body = c.body
				}
				resp, b := e.do(t, c.method, accountPath("rg", c.account)+"?api-version="+armVersion, body, tok)
				code, target, _ := errorCode(t, resp, b)
				if resp.StatusCode != c.status || code != c.code || target != c.target {
					t.Errorf("%d %s (target %q), want %d %s (target %q): %s", resp.StatusCode, code, target, c.status, c.code, c.target, b)
				}
			})
		}
		// A PATCH with a bad flag leaves the account as it was.
		e.createAccount(t, "rg", "acct3")
		resp, b := e.do(t, http.MethodPatch, accountPath("rg", "acct3")+"?api-version="+armVersion, `{"properties":{"scalableExecution":"On"}}`, tok)
		if code, target, _ := errorCode(t, resp, b); resp.StatusCode != 400 || target != "properties.scalableExecution" {
			t.Errorf("bad PATCH: %d %s %s", resp.StatusCode, code, b)
		}
		resp, b = e.do(t, http.MethodGet, accountPath("rg", "acct3")+"?api-version="+armVersion, nil, tok)
		if decodeAccount(t, b).Properties.ScalableExecution != "Enabled" {
			t.Errorf("a rejected PATCH changed the account: %s", b)
		}
		// api-version is required, and must be a registered one.
		resp, b = e.do(t, http.MethodGet, accountPath("rg", "acct3"), nil, tok)
		if code, _, _ := errorCode(t, resp, b); resp.StatusCode != 400 || code != "MissingApiVersionParameter" {
			t.Errorf("no api-version: %d %s", resp.StatusCode, b)
		}
		resp, b = e.do(t, http.MethodGet, accountPath("rg", "acct3")+"?api-version=2020-01-01", nil, tok)
		if code, _, msg := errorCode(t, resp, b); resp.StatusCode != 400 || code != "InvalidApiVersionParameter" || !strings.Contains(msg, "2024-12-01") {
			t.Errorf("unknown api-version: %d %s", resp.StatusCode, b)
		}
		for _, v := range []string{"2023-10-01-preview", "2024-02-01-preview", "2024-08-01-preview"} {
			if resp, b := e.do(t, http.MethodGet, accountPath("rg", "acct3")+"?api-version="+v, nil, tok); resp.StatusCode != 200 {
				t.Errorf("api-version %s: %d %s", v, resp.StatusCode, b)
			}
		}
	})
}

func manyTags(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, `"t`+strings.Repeat("x", i)+`":"v"`)
	}
	return strings.Join(parts, ",")
}

func TestAccountAuthorization(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		e.createAccount(t, "rg", "acct1")
		path := accountPath("rg", "acct1") + "?api-version=" + armVersion
		if resp, b := e.do(t, http.MethodGet, path, nil, "good-"+reader); resp.StatusCode != 200 {
			t.Errorf("reader GET: %d %s", resp.StatusCode, b)
		}
		for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
			resp, b := e.do(t, m, path, `{"location":"eastus"}`, "good-"+reader)
			if code, _, _ := errorCode(t, resp, b); resp.StatusCode != 403 || code != "AuthorizationFailed" {
				t.Errorf("reader %s: %d %s", m, resp.StatusCode, b)
			}
		}
		resp, b := e.do(t, http.MethodGet, path, nil, "")
		if code, _, _ := errorCode(t, resp, b); resp.StatusCode != 401 || code != "AuthenticationFailed" || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("anonymous GET: %d %s", resp.StatusCode, b)
		}
	})
}

func TestAccountLists(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		tok := "good-" + owner
		e.createAccount(t, "rg1", "alpha")
		e.createAccount(t, "rg1", "beta")
		e.createAccount(t, "rg2", "gamma")
		names := func(path string) []string {
			t.Helper()
			resp, body := e.do(t, http.MethodGet, path, nil, tok)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
			}
			var l struct{ Value []armAccount }
			_ = json.Unmarshal(body, &l)
			var out []string
			for _, a := range l.Value {
				out = append(out, a.Name)
			}
			return out
		}
		base := "/subscriptions/" + testSub
		if got := names(base + "/resourceGroups/rg1/providers/Microsoft.AzurePlaywrightService/accounts?api-version=" + armVersion); strings.Join(got, ",") != "alpha,beta" {
			t.Errorf("list by group: %v", got)
		}
		if got := names(base + "/providers/Microsoft.AzurePlaywrightService/accounts?api-version=" + armVersion); strings.Join(got, ",") != "alpha,beta,gamma" {
			t.Errorf("list by subscription: %v", got)
		}
		resp, body := e.do(t, http.MethodGet, base+"/resourceGroups/rg3/providers/Microsoft.AzurePlaywrightService/accounts?api-version="+armVersion, nil, tok)
		if code, _, _ := errorCode(t, resp, body); resp.StatusCode != 404 || code != "ResourceGroupNotFound" {
			t.Errorf("list of a missing group: %d %s", resp.StatusCode, body)
		}
		// $top is the total number of results, as ARM lists define it (paging
		// with nextLink is covered by the arm package's tests).
		resp, body = e.do(t, http.MethodGet, base+"/providers/Microsoft.AzurePlaywrightService/accounts?api-version="+armVersion+"&$top=2", nil, tok)
		var page struct {
			Value    []armAccount
			NextLink string
		}
		_ = json.Unmarshal(body, &page)
		if resp.StatusCode != 200 || len(page.Value) != 2 || page.NextLink != "" {
			t.Fatalf("$top=2: %s", body)
		}
	})
}

func TestCheckNameAvailability(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		e.createAccount(t, "rg", "takenName")
		path := "/subscriptions/" + testSub + "/providers/Microsoft.AzurePlaywrightService/checkNameAvailability?api-version=" + armVersion
		cases := []struct {
			body      string
			available bool
			reason    string
		}{
			{`{"name":"freeName","type":"Microsoft.AzurePlaywrightService/Accounts"}`, true, ""},
			{`{"name":"TAKENNAME","type":"Microsoft.AzurePlaywrightService/accounts"}`, false, "AlreadyExists"},
			{`{"name":"no-dashes"}`, false, "Invalid"},
			{`{"name":""}`, false, "Invalid"},
		}
		for _, c := range cases {
			resp, b := e.do(t, http.MethodPost, path, c.body, "good-"+owner)
			var out struct {
				NameAvailable bool
				Reason        string
				Message       string
			}
			_ = json.Unmarshal(b, &out)
			if resp.StatusCode != 200 || out.NameAvailable != c.available || out.Reason != c.reason || (!c.available && out.Message == "") {
				t.Errorf("%s: %d %s", c.body, resp.StatusCode, b)
			}
		}
		resp, b := e.do(t, http.MethodPost, path, `{"name":"x","type":"Microsoft.App/containerApps"}`, "good-"+owner)
		if code, target, _ := errorCode(t, resp, b); resp.StatusCode != 400 || target != "type" {
			t.Errorf("other type: %d %s %s", resp.StatusCode, code, b)
		}
		resp, b = e.do(t, http.MethodGet, "/providers/Microsoft.AzurePlaywrightService/operations?api-version="+armVersion, nil, "good-"+owner)
		if resp.StatusCode != 200 || !strings.Contains(string(b), "accessTokens/write") {
			t.Errorf("operations: %d %s", resp.StatusCode, b)
		}
	})
}

// The SDK's long-running-operation pollers complete on tokend's answers:
// PUT through the body poller (201 reads Succeeded), DELETE through the
// Location poller (202, then the operation status).
func TestAccountLROPollers(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		pl := runtime.NewPipeline("armplaywrighttesting", "v1.0.0", runtime.PipelineOptions{
			PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(staticCredential("good-"+owner), []string{"https://management.core.windows.net//.default"}, nil)},
		}, &policy.ClientOptions{Transport: validating(t, e.srv.Client()), Retry: policy.RetryOptions{MaxRetries: -1}})
		ctx := context.Background()
		u := e.srv.URL + accountPath("rg", "polled") + "?api-version=" + armVersion

		req, _ := runtime.NewRequest(ctx, http.MethodPut, u)
		if err := runtime.MarshalAsJSON(req, map[string]any{"location": "westus"}); err != nil {
			t.Fatal(err)
		}
		resp, err := pl.Do(req)
		if err != nil || !runtime.HasStatusCode(resp, 200, 201) {
			t.Fatalf("PUT: %v %v", err, resp)
		}
		put, err := runtime.NewPoller[map[string]any](resp, pl, &runtime.NewPollerOptions[map[string]any]{FinalStateVia: runtime.FinalStateViaAzureAsyncOp})
		if err != nil {
			t.Fatal(err)
		}
		res, err := put.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Second})
		if err != nil || res["name"] != "polled" {
			t.Fatalf("PUT poller: %v %v", err, res)
		}

		req, _ = runtime.NewRequest(ctx, http.MethodDelete, u)
		resp, err = pl.Do(req)
		if err != nil || !runtime.HasStatusCode(resp, 202, 204) {
			t.Fatalf("DELETE: %v %v", err, resp)
		}
		del, err := runtime.NewPoller[struct{}](resp, pl, &runtime.NewPollerOptions[struct{}]{FinalStateVia: runtime.FinalStateViaLocation})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := del.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Second}); err != nil {
			t.Fatalf("DELETE poller: %v", err)
		}
		resp, b := e.do(t, http.MethodGet, accountPath("rg", "polled")+"?api-version="+armVersion, nil, "good-"+owner)
		if resp.StatusCode != 404 {
			t.Errorf("after the DELETE poller: %d %s", resp.StatusCode, b)
		}
	})
}
