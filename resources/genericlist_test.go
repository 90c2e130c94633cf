package resources_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/resources"
	"github.com/tokend-dev/tokend/wire"
)

const commonTypesV5 = "common-types/resource-management/v5/types.json"

// storedResource writes a resource row as a provider would have.
func storedResource(t *testing.T, store tokend.Store, id string, doc map[string]any) {
	t.Helper()
	parsed, err := arm.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	doc["id"], doc["name"], doc["type"] = id, parsed.Name(), parsed.Type()
	body, _ := json.Marshal(doc)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err = store.CreateResource(t.Context(), &tokend.Resource{Key: parsed.Key(), ID: id, Type: parsed.TypeKey(), Name: parsed.Name(),
		UID: uuid.NewString(), ETag: arm.NewETag(), Body: body, CreatedAt: created, UpdatedAt: created.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// widgetProvider serves GET of Microsoft.Test widgets from the resources
// table, as the real providers serve their types.
func widgetProvider(store tokend.Store) *pipeline.Provider {
	const widget = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Test/widgets/{widgetName}"
	get := func(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
		id := arm.ID{SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName"), Namespace: "Microsoft.Test",
			Types: []string{"widgets"}, Names: []string{r.Param("widgetName")}}
		res, err := store.GetResource(ctx, id.Key())
		if err != nil {
			return nil, err
		}
		return &wire.Response{Status: http.StatusOK, Body: json.RawMessage(res.Body)}, nil
	}
	return &pipeline.Provider{
		Namespace: "Microsoft.Test", Family: wire.FamilyARM, Versions: wire.NewAPIVersions("2024-01-01"),
		Routes: []pipeline.Route{
			pipeline.Op(http.MethodGet, widget, get),
			pipeline.Op(http.MethodPost, widget+"/listKeys", get),
		},
	}
}

type listEnv struct {
	t   *testing.T
	url string
}

func (e listEnv) do(who, method, path string) (int, []byte) {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.url + path
	}
	req, _ := http.NewRequest(method, u, nil)
	req.Header.Set("Authorization", "Bearer good-"+who)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type listPage struct {
	Value []struct {
		ID, Name, Type, Location string
		Tags                     map[string]string
		SKU                      map[string]any
		CreatedTime              string
		ChangedTime              string
		ProvisioningState        string
	}
	NextLink string
}

// list follows nextLinks from path and returns the names listed and the
// pages, each validated against ResourceListResult.
func (e listEnv) list(who, path string) ([]string, []listPage) {
	e.t.Helper()
	var names []string
	var pages []listPage
	for next := path; next != ""; {
		status, b := e.do(who, http.MethodGet, next)
		if status != http.StatusOK {
			e.t.Fatalf("GET %s: %d %s", next, status, b)
		}
		azurespec.Validate(e.t, azurespec.Resources, "ResourceListResult", b)
		var p listPage
		if err := json.Unmarshal(b, &p); err != nil {
			e.t.Fatal(err)
		}
		for _, v := range p.Value {
			names = append(names, v.Name)
		}
		pages = append(pages, p)
		next = p.NextLink
		if len(pages) > 50 {
			e.t.Fatal("nextLink does not end")
		}
	}
	return names, pages
}

// Resources_List and _ListByResourceGroup list every provider's top-level
// resources in a scope, filtered, expanded and paged as ARM does, and
// refuse what they do not serve in ARM's envelope naming the parameter.
func TestGenericResourceLists(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testGenericResourceLists)
}

func testGenericResourceLists(t *testing.T, store tokend.Store) {
	testkit.Subscription(t, store, subA, tenantA)
	testkit.Subscription(t, store, subB, tenantA)
	sub := "/subscriptions/" + subA
	for _, g := range []string{"rg-one", "rg-two"} {
		gid := arm.ID{SubscriptionID: subA, ResourceGroup: g}
		if err := store.CreateResource(t.Context(), arm.NewGroupResource(gid, "eastus", nil, "", "tester", time.Now())); err != nil {
			t.Fatal(err)
		}
	}
	app := func(name string, tags map[string]any) map[string]any {
		return map[string]any{"location": "eastus", "tags": tags, "identity": map[string]any{"type": "None"},
			"properties": map[string]any{"provisioningState": "Succeeded"}}
	}
	storedResource(t, store, sub+"/resourceGroups/rg-one/providers/Microsoft.App/containerApps/Web-Front", app("web", map[string]any{"env": "prod"}))
	storedResource(t, store, sub+"/resourceGroups/rg-one/providers/Microsoft.App/containerApps/worker", app("worker", map[string]any{"env": "dev"}))
	storedResource(t, store, sub+"/resourceGroups/rg-two/providers/Microsoft.ApiManagement/service/gateway",
		map[string]any{"location": "westeurope", "sku": map[string]any{"name": "Developer", "capacity": 1}, "tags": nil,
			"properties": map[string]any{"provisioningState": "Succeeded"}})
	storedResource(t, store, sub+"/resourceGroups/rg-two/providers/Microsoft.Test/widgets/webby", map[string]any{"location": "eastus"})
	// Not listed: a child resource, a subscription-level one, another
	// subscription's.
	storedResource(t, store, sub+"/resourceGroups/rg-two/providers/Microsoft.Test/widgets/webby/parts/p1", map[string]any{})
	storedResource(t, store, sub+"/providers/Microsoft.Test/locations/eastus/operationStatuses/op1", map[string]any{})
	storedResource(t, store, "/subscriptions/"+subB+"/resourceGroups/rg-one/providers/Microsoft.App/containerApps/elsewhere", app("x", nil))

	auth := &testkit.HeaderAuth{}
	reader := &testkit.Authorizer{Rule: func(p *tokend.Principal, action, _ string, _ bool) bool {
		return p.ObjectID != "reader" || strings.HasSuffix(strings.ToLower(action), "/read")
	}}
	srv := testkit.Stack{Store: store, Providers: []*pipeline.Provider{widgetProvider(store)},
		Options:   pipeline.Options{Authenticator: auth, Authorizer: reader},
		Resources: &resources.Config{ResourcePageSize: 2}}.ServePlain(t)
	e := listEnv{t: t, url: srv.URL}
	const v = "api-version=2025-04-01"
	q := func(kv ...string) string {
		vals := url.Values{"api-version": {"2025-04-01"}}
		for i := 0; i+1 < len(kv); i += 2 {
			vals.Set(kv[i], kv[i+1])
		}
		return "?" + vals.Encode()
	}

	for _, c := range []struct {
		name, path, want string
	}{
		{"subscription", sub + "/resources" + q(), "Web-Front,worker,gateway,webby"},
		{"group", sub + "/resourceGroups/RG-one/resources" + q(), "Web-Front,worker"},
		{"type, any case", sub + "/resources" + q("$filter", "resourceType eq 'microsoft.app/CONTAINERAPPS'"), "Web-Front,worker"},
		{"name", sub + "/resources" + q("$filter", "name eq 'web-front'"), "Web-Front"},
		{"substringof", sub + "/resources" + q("$filter", "substringof('WEB', name)"), "Web-Front,webby"},
		{"substringof and type", sub + "/resources" + q("$filter", "substringof('web', name) and resourceType eq 'Microsoft.Test/widgets'"), "webby"},
		{"tag name", sub + "/resources" + q("$filter", "tagName eq 'ENV'"), "Web-Front,worker"},
		{"tag name and value", sub + "/resources" + q("$filter", "tagName eq 'env' and tagValue eq 'dev'"), "worker"},
		{"resource group", sub + "/resources" + q("$filter", "resourceGroup eq 'rg-two'"), "gateway,webby"},
		{"group and other group", sub + "/resourceGroups/rg-one/resources" + q("$filter", "resourceGroup eq 'rg-two'"), ""},
		{"quoted quote", sub + "/resources" + q("$filter", "name eq 'it''s'"), ""},
		{"top across pages", sub + "/resources" + q("$top", "3"), "Web-Front,worker,gateway"},
	} {
		names, _ := e.list("reader", c.path)
		if got := strings.Join(names, ","); got != c.want {
			t.Errorf("%s: listed %q, want %q", c.name, got, c.want)
		}
	}

	// Items: GenericResourceExpanded, the expanded fields only on request.
	_, pages := e.list("reader", sub+"/resourceGroups/rg-two/resources"+q("$expand", "createdTime,changedTime,provisioningState"))
	gw := pages[0].Value[0]
	if gw.Type != "Microsoft.ApiManagement/service" || gw.Location != "westeurope" || gw.SKU["name"] != "Developer" || gw.Tags != nil ||
		gw.CreatedTime != "2026-01-02T03:04:05.0000000Z" || gw.ChangedTime != "2026-01-02T04:04:05.0000000Z" || gw.ProvisioningState != "Succeeded" {
		t.Errorf("expanded item: %+v", gw)
	}
	_, pages = e.list("reader", sub+"/resourceGroups/rg-two/resources"+q())
	if it := pages[0].Value[0]; it.CreatedTime != "" || it.ProvisioningState != "" {
		t.Errorf("unexpanded item shows expanded fields: %+v", it)
	}
	// Pages of ResourcePageSize, with nextLinks bound to the list.
	_, pages = e.list("reader", sub+"/resources"+q())
	if len(pages) != 2 || pages[0].NextLink == "" || pages[1].NextLink != "" {
		t.Fatalf("pages: %+v", pages)
	}
	token := mustQuery(t, pages[0].NextLink).Get("$skipToken")

	for _, c := range []struct {
		name, path   string
		status       int
		code, target string
	}{
		{"other property", sub + "/resources" + q("$filter", "location eq 'eastus'"), 400, "InvalidFilterInQueryString", "$filter"},
		{"unquoted value", sub + "/resources" + q("$filter", "name eq web"), 400, "InvalidFilterInQueryString", "$filter"},
		{"or", sub + "/resources" + q("$filter", "name eq 'a' or name eq 'b'"), 400, "InvalidFilterInQueryString", "$filter"},
		{"twice", sub + "/resources" + q("$filter", "name eq 'a' and name eq 'b'"), 400, "InvalidFilterInQueryString", "$filter"},
		{"tag value alone", sub + "/resources" + q("$filter", "tagValue eq 'b'"), 400, "InvalidFilterInQueryString", "$filter"},
		{"unclosed quote", sub + "/resources" + q("$filter", "name eq 'a"), 400, "InvalidFilterInQueryString", "$filter"},
		{"trailing and", sub + "/resources" + q("$filter", "name eq 'a' and"), 400, "InvalidFilterInQueryString", "$filter"},
		{"top zero", sub + "/resources" + q("$top", "0"), 400, "InvalidParameter", "$top"},
		{"top text", sub + "/resources" + q("$top", "ten"), 400, "InvalidParameter", "$top"},
		{"top too large", sub + "/resources" + q("$top", "1001"), 400, "InvalidParameter", "$top"},
		{"expand", sub + "/resources" + q("$expand", "properties"), 400, "InvalidExpandInQueryString", "$expand"},
		{"token garbage", sub + "/resources" + q("$skipToken", "nope"), 400, "InvalidSkipToken", "$skipToken"},
		{"token of another filter", sub + "/resources" + q("$skipToken", token, "$filter", "name eq 'x'"), 400, "InvalidSkipToken", "$skipToken"},
		{"token of another group", sub + "/resourceGroups/rg-two/resources" + q("$skipToken", token), 400, "InvalidSkipToken", "$skipToken"},
		{"missing group", sub + "/resourceGroups/nope/resources" + q(), 404, "ResourceGroupNotFound", ""},
		{"missing subscription", "/subscriptions/00000000-0000-4000-8000-0000000000ff/resources" + q(), 404, "SubscriptionNotFound", ""},
		{"move", sub + "/resourceGroups/rg-one/moveResources" + q(), 400, "MoveResourcesNotSupported", "resources"},
		{"validate move", sub + "/resourceGroups/rg-one/validateMoveResources" + q(), 400, "MoveResourcesNotSupported", "resources"},
		{"move from a missing group", sub + "/resourceGroups/nope/moveResources" + q(), 404, "ResourceGroupNotFound", ""},
	} {
		method := http.MethodGet
		if strings.Contains(c.path, "oveResources") {
			method = http.MethodPost
		}
		status, b := e.do("owner", method, c.path)
		var env struct {
			Error struct{ Code, Target, Message string }
		}
		if err := json.Unmarshal(b, &env); err != nil || status != c.status || env.Error.Code != c.code || env.Error.Target != c.target || env.Error.Message == "" {
			t.Errorf("%s: %d %s, want %d %s naming %q", c.name, status, b, c.status, c.code, c.target)
		}
	}

	// The actions are ARM's own; Reader holds them, and a caller denied
	// one is refused.
	auth.Deny("Microsoft.Resources/subscriptions/resources/read")
	auth.Deny("Microsoft.Resources/subscriptions/resourceGroups/resources/read")
	denied := testkit.Stack{Store: store, Options: pipeline.Options{Authenticator: auth, Authorizer: auth}}.ServePlain(t)
	de := listEnv{t: t, url: denied.URL}
	for _, path := range []string{sub + "/resources?" + v, sub + "/resourceGroups/rg-one/resources?" + v} {
		if status, b := de.do("x", http.MethodGet, path); status != http.StatusForbidden {
			t.Errorf("%s without its action: %d %s", path, status, b)
		}
	}
}

func mustQuery(t *testing.T, link string) url.Values {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// HEAD of any resource by id (Resources_CheckExistenceById) runs the GET
// its provider serves, with that provider's api-versions: 204 when it
// exists, 404 otherwise.
func TestCheckExistenceByID(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		testkit.Subscription(t, store, subA, tenantA)
		sub := "/subscriptions/" + subA
		storedResource(t, store, sub+"/resourceGroups/rg/providers/Microsoft.Test/widgets/w1", map[string]any{"location": "eastus"})
		if err := store.CreateResource(t.Context(), arm.NewGroupResource(arm.ID{SubscriptionID: subA, ResourceGroup: "rg"}, "eastus", nil, "", "", time.Now())); err != nil {
			t.Fatal(err)
		}
		srv := testkit.Stack{Store: store, Providers: []*pipeline.Provider{widgetProvider(store)},
			Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{}}}.ServePlain(t)
		e := listEnv{t: t, url: srv.URL}
		for _, c := range []struct {
			path   string
			status int
		}{
			{sub + "/resourceGroups/rg/providers/Microsoft.Test/widgets/w1?api-version=2024-01-01", 204},
			{sub + "/resourceGroups/RG/providers/microsoft.test/WIDGETS/W1?api-version=2024-01-01", 204},
			{sub + "/resourceGroups/rg/providers/Microsoft.Test/widgets/w2?api-version=2024-01-01", 404},
			{sub + "/resourceGroups/nope/providers/Microsoft.Test/widgets/w1?api-version=2024-01-01", 404},
			{sub + "/resourceGroups/rg/providers/Microsoft.Test/gadgets/w1?api-version=2024-01-01", 404},
			{sub + "/resourceGroups/rg/providers/Microsoft.Nope/widgets/w1?api-version=2024-01-01", 404},
			{sub + "/resourceGroups/rg/providers/Microsoft.Test/widgets/w1?api-version=2025-04-01", 400},
			{sub + "/resourceGroups/rg/providers/Microsoft.Test/widgets/w1", 400},
		} {
			if status, b := e.do("owner", http.MethodHead, c.path); status != c.status || len(b) != 0 {
				t.Errorf("HEAD %s: %d %q, want %d and no body", c.path, status, b, c.status)
			}
		}
		// The GET a HEAD borrows still answers GETs, and the path still
		// tells which methods it serves.
		if status, _ := e.do("owner", http.MethodGet, sub+"/resourceGroups/rg/providers/Microsoft.Test/widgets/w1?api-version=2024-01-01"); status != 200 {
			t.Errorf("GET: %d", status)
		}
		if status, _ := e.do("owner", http.MethodPut, sub+"/resourceGroups/rg/providers/Microsoft.Test/widgets/w1?api-version=2024-01-01"); status != 405 {
			t.Errorf("PUT: %d, want 405", status)
		}
	})
}

// Operations_List is derived from each served provider's routes: every
// action once, data actions marked, valid as common-types' result; any
// signed-in caller may read it, with the namespace's own api-versions.
func TestOperationsList(t *testing.T) {
	t.Parallel()
	store := testkit.Engines()[0].Open(t)
	dataPlane := pipeline.DataPlane{Segment: "widgetdata", Surface: pipeline.Surface{Authorization: pipeline.DataActions},
		Routes: []pipeline.Route{
			{Method: http.MethodGet, Pattern: "/widgetdata/{id}/things", Action: "Microsoft.Test/widgets/things/read"},
			{Method: http.MethodGet, Pattern: "/widgetdata/{id}/again", Action: "Microsoft.Test/widgets/things/read"},
			{Method: http.MethodGet, Pattern: "/widgetdata/{id}", Action: "Microsoft.Test/widgets/read"},
			{Method: http.MethodGet, Pattern: "/widgetdata/page", Anonymous: true},
		}}
	widgets := widgetProvider(store)
	widgets.DataPlanes = []pipeline.DataPlane{dataPlane}
	auth := &testkit.HeaderAuth{}
	nobody := &testkit.Authorizer{Rule: func(*tokend.Principal, string, string, bool) bool { return false }}
	srv := testkit.Stack{Store: store, Providers: []*pipeline.Provider{widgets},
		Options: pipeline.Options{Authenticator: auth, Authorizer: nobody}}.ServePlain(t)
	e := listEnv{t: t, url: srv.URL}

	status, b := e.do("anyone", http.MethodGet, "/providers/microsoft.test/operations?api-version=2024-01-01")
	if status != 200 {
		t.Fatalf("operations: %d %s", status, b)
	}
	azurespec.Validate(t, commonTypesV5, "OperationListResult", b)
	var list struct {
		Value []struct {
			Name         string
			IsDataAction bool
			Display      struct{ Provider, Resource, Operation, Description string }
		}
	}
	_ = json.Unmarshal(b, &list)
	var names []string
	for _, op := range list.Value {
		names = append(names, op.Name)
		if op.Display.Provider != "Microsoft.Test" || op.Display.Operation == "" {
			t.Errorf("operation %+v", op)
		}
		if op.IsDataAction {
			names[len(names)-1] += " (data)"
		}
	}
	want := []string{"Microsoft.Test/widgets/listKeys/action", "Microsoft.Test/widgets/read", "Microsoft.Test/widgets/read (data)", "Microsoft.Test/widgets/things/read (data)"}
	if !slices.Equal(names, want) {
		t.Errorf("operations %v, want %v", names, want)
	}
	status, b = e.do("anyone", http.MethodGet, "/providers/Microsoft.Resources/operations?api-version=2025-04-01")
	if status != 200 || !strings.Contains(string(b), `"Microsoft.Resources/subscriptions/resources/read"`) ||
		!strings.Contains(string(b), `"Microsoft.Resources/subscriptions/resourceGroups/moveResources/action"`) {
		t.Errorf("Microsoft.Resources operations: %d %s", status, b)
	}
	for _, c := range []struct {
		path, code string
		status     int
	}{
		{"/providers/Microsoft.Nope/operations?api-version=2024-01-01", "InvalidResourceNamespace", 404},
		{"/providers/Microsoft.Test/operations?api-version=2025-04-01", "InvalidApiVersionParameter", 400},
	} {
		status, b := e.do("anyone", http.MethodGet, c.path)
		if status != c.status || !strings.Contains(string(b), c.code) {
			t.Errorf("%s: %d %s, want %d %s", c.path, status, b, c.status, c.code)
		}
	}
}

// A filter that matches little ends a page after reading its budget of
// rows, with a nextLink at the last row read, rather than walk the whole
// scope in one request; following the links finds what there is.
func TestResourceListScanBudget(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		testkit.Subscription(t, store, subA, tenantA)
		gid := arm.ID{SubscriptionID: subA, ResourceGroup: "big"}
		now := time.Now()
		err := store.InTx(t.Context(), func(q tokend.Queries) error {
			if err := q.CreateResource(t.Context(), arm.NewGroupResource(gid, "eastus", nil, "", "", now)); err != nil {
				return err
			}
			for i := range 6000 {
				id := gid.Child("Microsoft.Test", "widgets", fmt.Sprintf("w-%05d", i))
				body := `{"location":"eastus"}`
				if i == 5500 {
					body = `{"location":"eastus","tags":{"rare":"yes"}}`
				}
				if err := q.CreateResource(t.Context(), &tokend.Resource{Key: id.Key(), ID: id.String(), Type: id.TypeKey(), Name: id.Name(),
					UID: uuid.NewString(), ETag: arm.NewETag(), Body: []byte(body), CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		srv := testkit.Stack{Store: store, Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{}}}.ServePlain(t)
		e := listEnv{t: t, url: srv.URL}
		names, pages := e.list("owner", "/subscriptions/"+subA+"/resources?"+url.Values{"api-version": {"2025-04-01"}, "$filter": {"tagName eq 'rare'"}}.Encode())
		if strings.Join(names, ",") != "w-05500" || len(pages) != 2 || len(pages[0].Value) != 0 || pages[0].NextLink == "" {
			t.Errorf("listed %v over %d pages; want w-05500 on the second page, after an empty first", names, len(pages))
		}
	})
}
