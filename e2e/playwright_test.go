package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/pwclient"
)

const pwARMVersion = "2024-12-01"

// pwValidate checks a response of the Playwright clients (ARM or data
// plane) against the official specs, before the client sees it.
func pwValidate(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	path := strings.ToLower(req.URL.Path)
	dataPlane := strings.HasPrefix(path, "/playwright/")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	last := segs[len(segs)-1]
	switch {
	case resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusAccepted:
		if len(bytes.TrimSpace(body)) > 0 {
			t.Errorf("%s %s: %d with a body: %s", req.Method, req.URL.Path, resp.StatusCode, body)
		}
	case !dataPlane && !strings.Contains(path, "/providers/microsoft.azureplaywrightservice"):
		// Not Playwright's (the identity endpoints, resource groups).
	case resp.StatusCode >= 400 && dataPlane:
		azurespec.Validate(t, azurespec.Playwright, "Azure.Core.Foundations.ErrorResponse", body)
	case resp.StatusCode >= 400:
		azurespec.Validate(t, commonTypesV5, "ErrorResponse", body)
	case dataPlane && len(segs) == 3:
		azurespec.Validate(t, azurespec.Playwright, "Microsoft.PlaywrightTesting.Shared.Account", body)
	case dataPlane && last == "access-tokens" && req.URL.Query().Get("$select") != "":
		// $select drops required properties by design: check the
		// selected ones against the AccessToken model and nothing else.
		var page struct {
			Value []map[string]json.RawMessage
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Errorf("$select page: %v", err)
		}
		sel := strings.Split(req.URL.Query().Get("$select"), ",")
		for _, item := range page.Value {
			full := map[string]any{"id": "00000000-0000-0000-0000-000000000000", "name": "placeholder",
				"createdAt": "2026-01-01T00:00:00Z", "expiryAt": "2026-01-01T00:00:00Z", "state": "Active"}
			keys := make([]string, 0, len(item))
			for k, v := range item {
				keys = append(keys, k)
				var x any
				_ = json.Unmarshal(v, &x)
				full[k] = x
			}
			slices.Sort(keys)
			want := slices.Clone(sel)
			slices.Sort(want)
			if !slices.Equal(keys, want) {
				t.Errorf("$select=%v item has %v", sel, keys)
			}
			b, _ := json.Marshal(full)
			azurespec.Validate(t, azurespec.Playwright, "AccessToken", b)
		}
	case dataPlane && last == "access-tokens":
		azurespec.Validate(t, azurespec.Playwright, "PagedAccessToken", body)
	case dataPlane:
		azurespec.Validate(t, azurespec.Playwright, "AccessToken", body)
	case len(segs) > 2 && segs[len(segs)-2] == "operationstatuses":
		azurespec.Validate(t, commonTypesV5, "OperationStatusResult", body)
	case last == "accounts":
		azurespec.Validate(t, azurespec.PlaywrightARM, "AccountListResult", body)
	default:
		azurespec.Validate(t, azurespec.PlaywrightARM, "Account", body)
	}
	if resp.StatusCode >= 400 && resp.Header.Get("x-ms-error-code") == "" {
		t.Errorf("%s %s: %d without x-ms-error-code", req.Method, req.URL.Path, resp.StatusCode)
	}
}

// pwOptions are azcore client options with every response validated.
func pwOptions(t testing.TB, tk *Tokend) azcore.ClientOptions {
	o := tk.ClientOptions()
	o.Transport = &azuretest.CheckingTransport{Inner: tk.HTTP, Check: func(req *http.Request, resp *http.Response, body []byte) {
		pwValidate(t, req, resp, body)
	}}
	return o
}

func pwDataClient(t testing.TB, tk *Tokend, cred azcore.TokenCredential) *pwclient.Client {
	t.Helper()
	c, err := pwclient.NewClient(tk.URL+"/playwright", cred, &pwclient.ClientOptions{ClientOptions: pwOptions(t, tk)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bearer is a credential that hands out one token: a Playwright access
// token, used as test runners use it.
type bearer string

func (b bearer) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(b), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func pwStatus(err error) (int, string) {
	if re := responseError(err); re != nil {
		return re.StatusCode, re.ErrorCode
	}
	return 0, ""
}

func TestPlaywright(t *testing.T) { testPlaywright(t, Start(t)) }

// The same flow with PostgreSQL as the store (skipped without a server).
func TestPlaywrightPostgres(t *testing.T) {
	testPlaywright(t, Start(t, "--database", PostgresURL(t)))
}

func testPlaywright(t *testing.T, tk *Tokend) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sub := tk.Boot.SubscriptionID
	cred := tk.Credential(t)

	// The account, through an ARM pipeline as the generated
	// armplaywrighttesting client builds it, with its LRO poller.
	armc, err := azarm.NewClient("armplaywrighttesting", "v1.0.0", cred, &azarm.ClientOptions{ClientOptions: pwOptions(t, tk)})
	if err != nil {
		t.Fatal(err)
	}
	accountURL := runtime.JoinPaths(armc.Endpoint(), "/subscriptions/"+sub+"/resourceGroups/rg-pw-e2e/providers/Microsoft.AzurePlaywrightService/accounts/myPlaywrightAccount") + "?api-version=" + pwARMVersion
	req, err := runtime.NewRequest(ctx, http.MethodPut, accountURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := runtime.MarshalAsJSON(req, map[string]any{"location": "eastus", "tags": map[string]string{"Team": "Dev Exp"}}); err != nil {
		t.Fatal(err)
	}
	resp, err := armc.Pipeline().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if !runtime.HasStatusCode(resp, http.StatusOK, http.StatusCreated) {
		t.Fatalf("create account: %v", runtime.NewResponseError(resp))
	}
	poller, err := runtime.NewPoller[map[string]any](resp, armc.Pipeline(), &runtime.NewPollerOptions[map[string]any]{FinalStateVia: runtime.FinalStateViaAzureAsyncOp})
	if err != nil {
		t.Fatal(err)
	}
	account, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dashboard, _ := account["properties"].(map[string]any)["dashboardUri"].(string)
	if !strings.HasPrefix(dashboard, tk.URL+"/playwright/accounts/eastus_") {
		t.Fatalf("dashboardUri %q", dashboard)
	}
	acct := dashboard[strings.LastIndexByte(dashboard, '/')+1:]

	// The CLI prints the same dashboardUri.
	out, err := exec.Command(binary, append([]string{"playwright", "accounts", "list", "--data", tk.DataDir}, tk.Args...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), dashboard) || !strings.Contains(string(out), "myPlaywrightAccount") {
		t.Errorf("tokend playwright accounts list: %v\n%s", err, out)
	}

	// The data plane, through the generated-style client with the bearer
	// policy for https://playwright.microsoft.com/.default.
	dp := pwDataClient(t, tk, cred)
	got, err := dp.GetAccount(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	if *got.Name != "myPlaywrightAccount" || *got.SubscriptionID != sub || *got.TenantID != tk.Boot.TenantID || *got.ID != acct {
		t.Errorf("data-plane account: %+v", got.Account)
	}

	// The client's request id comes back, as Azure.Core operations declare.
	const clientRequestID = "6b7c9a2e-5a43-4c1e-9d55-0f3d2a1b8c7e"
	r, b := tk.Do(t, http.MethodGet, "/playwright/accounts/"+acct+"?api-version=2024-12-01", nil, tk.Token(t, pwclient.Scope), "x-ms-client-request-id", clientRequestID)
	pwValidate(t, r.Request, r, b)
	if r.StatusCode != 200 || r.Header.Get("x-ms-client-request-id") != clientRequestID {
		t.Errorf("x-ms-client-request-id: %d %q", r.StatusCode, r.Header.Get("x-ms-client-request-id"))
	}

	// Without a token: 401 with a challenge.
	r, b = tk.Do(t, http.MethodGet, "/playwright/accounts/"+acct+"/access-tokens?api-version=2024-12-01", nil, "")
	pwValidate(t, r.Request, r, b)
	if r.StatusCode != 401 || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("list without a token: %d %s", r.StatusCode, b)
	}

	// 13 tokens, as SDK-REQUESTS.md creates them.
	now := time.Now().UTC().Truncate(time.Second)
	var ids, names []string
	var jwts []string
	for i := 1; i <= 13; i++ {
		id := fmt.Sprintf("%08x-3370-43d6-a6e7-3957d810225a", 0x03c3b22e+i)
		name := fmt.Sprintf("hzd0c5e1t%02d", i)
		exp := now.Add(time.Duration(24*(i+1)) * time.Hour)
		created, err := dp.CreateOrReplace(ctx, acct, id, pwclient.AccessToken{Name: &name, ExpiryAt: &exp})
		if err != nil {
			t.Fatalf("create token %d: %v", i, err)
		}
		if !created.Created || created.JWTToken == nil || !created.ExpiryAt.Equal(exp) || *created.State != pwclient.AccessTokenStateActive {
			t.Fatalf("created token %d: %+v", i, created)
		}
		ids, names, jwts = append(ids, id), append(names, name), append(jwts, *created.JWTToken)
	}
	// The SDK's invalid create: 400 naming the field.
	bad := "1-bad name"
	exp := now.Add(24 * time.Hour)
	_, err = dp.CreateOrReplace(ctx, acct, "e0d2b38d-73c1-45c4-a3a6-1794aacf4641", pwclient.AccessToken{Name: &bad, ExpiryAt: &exp})
	if status, code := pwStatus(err); status != 400 || code != "InvalidRequestContent" {
		t.Errorf("invalid name: %v", err)
	}
	tok, err := dp.Get(ctx, acct, ids[0])
	if err != nil || tok.JWTToken != nil || *tok.Name != names[0] {
		t.Errorf("get: %v %+v", err, tok)
	}
	if _, err := dp.Get(ctx, acct, "d05db7c1-1bf4-4fe9-95dd-cc1e818dd036"); !isStatus(err, 404) {
		t.Errorf("get unknown: %v", err)
	}

	list := func(o *pwclient.ListOptions) (all []*pwclient.AccessToken, pages []int) {
		t.Helper()
		pager := dp.NewListPager(acct, o)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			all = append(all, page.Value...)
			pages = append(pages, len(page.Value))
		}
		return all, pages
	}
	nameList := func(items []*pwclient.AccessToken) []string {
		var out []string
		for _, it := range items {
			out = append(out, *it.Name)
		}
		return out
	}
	// Default page size 10, then the nextLink.
	all, pages := list(nil)
	if !slices.Equal(pages, []int{10, 3}) {
		t.Errorf("default paging: %v", pages)
	}
	if got := nameList(all); !slices.Equal(got, names) {
		t.Errorf("all tokens: %v", got)
	}
	_, pages = list(&pwclient.ListOptions{Top: ptrTo[int32](3)})
	if !slices.Equal(pages, []int{3}) {
		t.Errorf("$top=3: %v", pages)
	}
	all, _ = list(&pwclient.ListOptions{Orderby: ptrTo("name desc")})
	want := slices.Clone(names)
	slices.Reverse(want)
	if got := nameList(all); !slices.Equal(got, want) {
		t.Errorf("$orderby=name desc: %v", got)
	}
	all, _ = list(&pwclient.ListOptions{Filter: ptrTo("name eq 'hzd0c5e1t07'")})
	if got := nameList(all); !slices.Equal(got, []string{"hzd0c5e1t07"}) {
		t.Errorf("$filter=name eq: %v", got)
	}
	all, pages = list(&pwclient.ListOptions{Select: []string{"id", "name"}})
	if len(all) != 13 || !slices.Equal(pages, []int{10, 3}) || all[0].ExpiryAt != nil || all[0].ID == nil {
		t.Errorf("$select=id,name: %d items, pages %v", len(all), pages)
	}
	all, _ = list(&pwclient.ListOptions{Filter: ptrTo("state eq 'Active' and startswith(name,'hzd0c5e1t1')"), Orderby: ptrTo("expiryAt desc"), Top: ptrTo[int32](2)})
	if got := nameList(all); !slices.Equal(got, []string{"hzd0c5e1t13", "hzd0c5e1t12"}) {
		t.Errorf("active hzd0c5e1t1* by expiry: %v", got)
	}
	_, err = dp.NewListPager(acct, &pwclient.ListOptions{Filter: ptrTo("name eq")}).NextPage(ctx)
	if re := responseError(err); re == nil || re.StatusCode != 400 || !strings.Contains(re.Error(), "$filter") {
		t.Errorf("malformed $filter: %v", err)
	}

	// An access token is a bearer token for its account, but not for
	// managing tokens; introspection calls it active.
	if !tk.Introspect(t, jwts[1]) {
		t.Error("introspection: a live access token is inactive")
	}
	runner := pwDataClient(t, tk, bearer(jwts[1]))
	if _, err := runner.GetAccount(ctx, acct); err != nil {
		t.Errorf("GET account with an access token: %v", err)
	}
	if _, err := runner.NewListPager(acct, nil).NextPage(ctx); !isStatus(err, 403) {
		t.Errorf("list tokens with an access token: %v, want 403", err)
	}

	// DELETE: 204, GET 404, and the deleted token is refused at once.
	if _, err := dp.Delete(ctx, acct, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := dp.Get(ctx, acct, ids[1]); !isStatus(err, 404) {
		t.Errorf("get after delete: %v", err)
	}
	if _, err := runner.GetAccount(ctx, acct); !isStatus(err, 401) {
		t.Errorf("deleted access token: %v, want 401", err)
	}
	// Introspection agrees with the data plane.
	if tk.Introspect(t, jwts[1]) {
		t.Error("introspection: a deleted access token is active")
	}

	// A client without a Playwright data role: 403.
	clientID, secret := tk.CreateClient(t, "pw-outsider", "Contributor")
	outsider := pwDataClient(t, tk, tk.CredentialFor(t, clientID, secret))
	if _, err := outsider.GetAccount(ctx, acct); !isStatus(err, 403) {
		t.Errorf("GET account without a data role: %v, want 403", err)
	}

	// The remaining tokens, then the account: its tokens die with it.
	for i, id := range ids {
		if i == 1 {
			continue
		}
		if _, err := dp.Delete(ctx, acct, id); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
	all, _ = list(nil)
	if len(all) != 0 {
		t.Errorf("after deleting all: %v", nameList(all))
	}
	exp = now.Add(time.Hour)
	last, err := dp.CreateOrReplace(ctx, acct, ids[0], pwclient.AccessToken{Name: ptrTo("lastToken"), ExpiryAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	req, _ = runtime.NewRequest(ctx, http.MethodDelete, accountURL)
	resp, err = armc.Pipeline().Do(req)
	if err != nil || !runtime.HasStatusCode(resp, http.StatusAccepted, http.StatusNoContent) {
		t.Fatalf("delete account: %v %v", err, resp)
	}
	del, err := runtime.NewPoller[struct{}](resp, armc.Pipeline(), &runtime.NewPollerOptions[struct{}]{FinalStateVia: runtime.FinalStateViaLocation})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Second}); err != nil {
		t.Fatalf("delete poller: %v", err)
	}
	if _, err := pwDataClient(t, tk, bearer(*last.JWTToken)).GetAccount(ctx, acct); !isStatus(err, 401) && !isStatus(err, 404) {
		t.Errorf("token of a deleted account: %v", err)
	}
	if _, err := dp.GetAccount(ctx, acct); !isStatus(err, 404) {
		t.Errorf("deleted account: %v", err)
	}
}

func isStatus(err error, status int) bool {
	re := responseError(err)
	return re != nil && re.StatusCode == status
}

func ptrTo[T any](v T) *T { return &v }
