package containerapps_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/containerapps"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// exampleBody is the request body of the spec's CreateOrUpdate example.
func exampleBody(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(azurespec.Dir(t),
		"app/resource-manager/Microsoft.App/preview/2023-08-01-preview/examples/ContainerApps_CreateOrUpdate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Parameters struct {
			Envelope map[string]any `json:"containerAppEnvelope"`
		} `json:"parameters"`
	}
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return ex.Parameters.Envelope
}

func TestCreateGetReplace(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := appURL("rg", "testcontainerapp0")

		created := decode(t, e.expect(http.MethodPut, path, exampleBody(t), http.StatusCreated, "ContainerApp"))
		for _, c := range []struct {
			path []any
			want any
		}{
			{[]any{"id"}, "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.App/containerApps/testcontainerapp0"},
			{[]any{"name"}, "testcontainerapp0"},
			{[]any{"type"}, "Microsoft.App/containerApps"},
			{[]any{"location"}, "East US"},
			{[]any{"properties", "provisioningState"}, "Succeeded"},
			{[]any{"properties", "runningStatus"}, "Running"},
			{[]any{"properties", "workloadProfileName"}, "My-GP-01"},
			{[]any{"properties", "managedEnvironmentId"}, at(created, "properties", "environmentId")},
			{[]any{"properties", "configuration", "ingress", "customDomains", 1, "name"}, "www.my-other-name.com"},
			// A field the saved schema lacks is kept as sent.
			{[]any{"properties", "template", "serviceBinds", 0, "clientType"}, "dotnet"},
			{[]any{"systemData", "createdByType"}, "Application"},
		} {
			if got := at(created, c.path...); got != c.want {
				t.Errorf("%v = %v, want %v", c.path, got, c.want)
			}
		}
		rev, _ := at(created, "properties", "latestRevisionName").(string)
		if !strings.HasPrefix(rev, "testcontainerapp0--") {
			t.Errorf("latestRevisionName = %q", rev)
		}
		for _, f := range []string{"customDomainVerificationId", "eventStreamEndpoint", "outboundIpAddresses", "latestReadyRevisionName"} {
			if at(created, "properties", f) == nil {
				t.Errorf("properties.%s not assigned", f)
			}
		}

		// GET answers the same document, under any casing of the path.
		got := e.expect(http.MethodGet, strings.ToUpper(path[:len(path)-len("testcontainerapp0")])+"testcontainerapp0", nil, http.StatusOK, "ContainerApp")
		if at(decode(t, got), "id") != at(created, "id") {
			t.Errorf("GET id = %v", at(decode(t, got), "id"))
		}

		// Replace: 200, same revision while the template is unchanged, the
		// location compared in its normal form, read-only input ignored.
		body := exampleBody(t)
		body["location"] = "eastus"
		body["tags"] = map[string]any{"env": "test"}
		body["properties"].(map[string]any)["provisioningState"] = "Failed"
		replaced := decode(t, e.expect(http.MethodPut, path, body, http.StatusOK, "ContainerApp"))
		if at(replaced, "properties", "provisioningState") != "Succeeded" || at(replaced, "tags", "env") != "test" {
			t.Errorf("replace: %v", replaced)
		}
		if at(replaced, "properties", "latestRevisionName") != rev {
			t.Errorf("revision changed without a template change: %v", at(replaced, "properties", "latestRevisionName"))
		}
		if at(replaced, "systemData", "createdAt") != at(created, "systemData", "createdAt") {
			t.Error("replace changed createdAt")
		}

		// A template change makes a new revision.
		body["properties"].(map[string]any)["template"].(map[string]any)["revisionSuffix"] = "v2"
		changed := decode(t, e.expect(http.MethodPut, path, body, http.StatusOK, "ContainerApp"))
		if at(changed, "properties", "latestRevisionName") != "testcontainerapp0--v2" {
			t.Errorf("latestRevisionName = %v", at(changed, "properties", "latestRevisionName"))
		}

		// The location cannot change.
		body["location"] = "westeurope"
		b := e.expect(http.MethodPut, path, body, http.StatusConflict, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Code != "InvalidResourceLocation" || ae.Error.Target != "location" {
			t.Errorf("location change: %+v", ae.Error)
		}
		// Nor the environment.
		body = minimalApp("eastus")
		body["properties"].(map[string]any)["environmentId"] = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/other"
		b = e.expect(http.MethodPut, path, body, http.StatusBadRequest, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Target != "properties.environmentId" {
			t.Errorf("environment change: %+v", ae.Error)
		}
	})
}

func TestCreateMinimalAndCanonicalEnums(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		body := minimalApp("eastus")
		body["properties"].(map[string]any)["configuration"] = map[string]any{
			"activeRevisionsMode": "single",
			"ingress":             map[string]any{"transport": "HTTP2", "external": true, "targetPort": 8080},
		}
		body["identity"] = map[string]any{"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": map[string]any{
			"/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1": map[string]any{},
		}}
		app := decode(t, e.expect(http.MethodPut, appURL("rg", "app-1"), body, http.StatusCreated, "ContainerApp"))
		if at(app, "properties", "configuration", "activeRevisionsMode") != "Single" ||
			at(app, "properties", "configuration", "ingress", "transport") != "http2" ||
			at(app, "identity", "type") != "SystemAssigned,UserAssigned" {
			t.Errorf("enums not canonical: %v", app["properties"])
		}
		if at(app, "identity", "principalId") == nil || at(app, "identity", "tenantId") != tenantID {
			t.Errorf("identity: %v", app["identity"])
		}
		for _, v := range at(app, "identity", "userAssignedIdentities").(map[string]any) {
			if at(v, "principalId") == nil || at(v, "clientId") == nil {
				t.Errorf("user-assigned identity ids not assigned: %v", v)
			}
		}
		// An update keeps the identity's ids.
		again := decode(t, e.expect(http.MethodPut, appURL("rg", "app-1"), body, http.StatusOK, "ContainerApp"))
		if at(again, "identity", "principalId") != at(app, "identity", "principalId") {
			t.Error("principalId changed on update")
		}
	})
}

func TestPatch(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := appURL("rg", "patched")
		body := minimalApp("eastus")
		body["tags"] = map[string]any{"a": "1", "b": "2"}
		body["properties"].(map[string]any)["configuration"] = map[string]any{
			"ingress": map[string]any{"external": true, "targetPort": 80},
			"dapr":    map[string]any{"enabled": true, "appId": "x"},
		}
		created := decode(t, e.expect(http.MethodPut, path, body, http.StatusCreated, "ContainerApp"))

		patched := decode(t, e.expect(http.MethodPatch, path, `{
			"tags": {"b": null, "c": "3"},
			"properties": {"configuration": {"ingress": {"targetPort": 8080}, "dapr": null}}
		}`, http.StatusOK, "ContainerApp"))
		want := map[string]any{"a": "1", "c": "3"}
		if got := at(patched, "tags").(map[string]any); len(got) != 2 || got["a"] != want["a"] || got["c"] != want["c"] {
			t.Errorf("tags = %v, want %v", got, want)
		}
		if at(patched, "properties", "configuration", "ingress", "targetPort") != float64(8080) ||
			at(patched, "properties", "configuration", "ingress", "external") != true {
			t.Errorf("ingress = %v", at(patched, "properties", "configuration", "ingress"))
		}
		if at(patched, "properties", "configuration", "dapr") != nil {
			t.Error("dapr not removed by null")
		}
		if at(patched, "properties", "template", "containers", 0, "image") != "mcr.microsoft.com/k8se/quickstart:latest" {
			t.Error("untouched template lost")
		}
		if at(patched, "systemData", "createdAt") != at(created, "systemData", "createdAt") {
			t.Error("patch changed createdAt")
		}
		// The SDK's BeginUpdate sends the whole model it was given, location included.
		e.expect(http.MethodPatch, path, map[string]any{"location": "East US", "tags": map[string]any{}}, http.StatusOK, "ContainerApp")

		// The result must still be a valid ContainerApp.
		b := e.expect(http.MethodPatch, path, `{"properties":{"configuration":{"ingress":{"transport":"carrier-pigeon"}}}}`, http.StatusBadRequest, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Target != "properties.configuration.ingress.transport" {
			t.Errorf("invalid patch: %+v", ae.Error)
		}
		b = e.expect(http.MethodPatch, path, `{"location":"westus"}`, http.StatusConflict, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Code != "InvalidResourceLocation" {
			t.Errorf("location patch: %+v", ae.Error)
		}
		b = e.expect(http.MethodPatch, path, `{"location":null}`, http.StatusBadRequest, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Code != "LocationRequired" {
			t.Errorf("location removed by patch: %+v", ae.Error)
		}
		e.expect(http.MethodPatch, appURL("rg", "missing"), `{}`, http.StatusNotFound, "DefaultErrorResponse")
	})
}

func TestDelete(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := appURL("rg", "doomed")
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
		e.expect(http.MethodDelete, path, nil, http.StatusOK, "")
		b := e.expect(http.MethodGet, path, nil, http.StatusNotFound, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Code != "ResourceNotFound" || !strings.Contains(ae.Error.Message, "doomed") {
			t.Errorf("get after delete: %+v", ae.Error)
		}
		e.expect(http.MethodDelete, path, nil, http.StatusNoContent, "")
		// A missing group is a 404 for every operation but PUT.
		b = e.expect(http.MethodDelete, appURL("nogroup", "doomed"), nil, http.StatusNotFound, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Code != "ResourceGroupNotFound" {
			t.Errorf("delete in missing group: %+v", ae.Error)
		}
		// A new app under the old name is a new incarnation.
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
	})
}

func TestList(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, withPageSize(2))
		names := []string{"a1", "a2", "a3", "a4", "a5"}
		for _, n := range names {
			e.expect(http.MethodPut, appURL("rg1", n), minimalApp("eastus"), http.StatusCreated, "ContainerApp")
		}
		e.expect(http.MethodPut, appURL("rg2", "b1"), minimalApp("eastus"), http.StatusCreated, "ContainerApp")

		collect := func(first string) []string {
			var got []string
			next := first
			for pages := 0; next != ""; pages++ {
				if pages > 10 {
					t.Fatal("paging does not end")
				}
				b := e.expect(http.MethodGet, next, nil, http.StatusOK, "ContainerAppCollection")
				var page struct {
					Value    []map[string]any `json:"value"`
					NextLink string           `json:"nextLink"`
				}
				if err := json.Unmarshal(b, &page); err != nil {
					t.Fatal(err)
				}
				for _, v := range page.Value {
					got = append(got, v["name"].(string))
				}
				next = page.NextLink
				if next != "" && !strings.Contains(next, "api-version="+apiV3) {
					t.Errorf("nextLink lacks api-version: %s", next)
				}
			}
			return got
		}
		byGroup := collect("/subscriptions/" + sub + "/resourceGroups/rg1/providers/Microsoft.App/containerApps?api-version=" + apiV3)
		if strings.Join(byGroup, ",") != strings.Join(names, ",") {
			t.Errorf("list by group = %v", byGroup)
		}
		bySub := collect("/subscriptions/" + sub + "/providers/Microsoft.App/containerApps?api-version=" + apiV3)
		if len(bySub) != 6 {
			t.Errorf("list by subscription = %v", bySub)
		}
		empty := e.expect(http.MethodGet, "/subscriptions/"+sub+"/resourceGroups/rg1/providers/Microsoft.App/containerApps?api-version="+apiV3+"&$top=1", nil, http.StatusOK, "ContainerAppCollection")
		if v := at(decode(t, empty), "value").([]any); len(v) != 1 {
			t.Errorf("$top=1 gave %d items", len(v))
		}
		b := e.expect(http.MethodGet, "/subscriptions/"+sub+"/resourceGroups/nogroup/providers/Microsoft.App/containerApps", nil, http.StatusNotFound, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Code != "ResourceGroupNotFound" {
			t.Errorf("list in missing group: %+v", ae.Error)
		}
	})
}

func TestStartStop(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := appURL("rg", "switch")
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
		stopped := decode(t, e.expect(http.MethodPost, path+"/stop", nil, http.StatusOK, "ContainerApp"))
		if at(stopped, "properties", "runningStatus") != "Stopped" {
			t.Errorf("after stop: %v", at(stopped, "properties", "runningStatus"))
		}
		// A replace keeps the running status.
		replaced := decode(t, e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusOK, "ContainerApp"))
		if at(replaced, "properties", "runningStatus") != "Stopped" {
			t.Errorf("after replace: %v", at(replaced, "properties", "runningStatus"))
		}
		started := decode(t, e.expect(http.MethodPost, path+"/start", nil, http.StatusOK, "ContainerApp"))
		if at(started, "properties", "runningStatus") != "Running" {
			t.Errorf("after start: %v", at(started, "properties", "runningStatus"))
		}
		e.expect(http.MethodPost, appURL("rg", "nothere")+"/start", nil, http.StatusNotFound, "DefaultErrorResponse")
		b := e.expect(http.MethodPost, appURL("rg", "bad%20name")+"/stop", nil, http.StatusBadRequest, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Target != "containerAppName" {
			t.Errorf("stop with a name off the pattern: %+v", ae.Error)
		}
	})
}

func TestListCustomHostNameAnalysis(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := appURL("rg", "testcontainerapp0")
		e.expect(http.MethodPut, path, exampleBody(t), http.StatusCreated, "ContainerApp")
		b := e.expect(http.MethodPost, path+"/listCustomHostNameAnalysis?api-version="+apiV3+"&customHostname=www.my-name.com", nil, http.StatusOK, "CustomHostnameAnalysisResult")
		if m := decode(t, b); m["isHostnameAlreadyVerified"] != true || m["hostName"] != "www.my-name.com" {
			t.Errorf("bound hostname: %v", m)
		}
		b = e.expect(http.MethodPost, path+"/listCustomHostNameAnalysis?api-version="+apiV3+"&customHostname=other.example", nil, http.StatusOK, "CustomHostnameAnalysisResult")
		if m := decode(t, b); m["isHostnameAlreadyVerified"] != false || m["customDomainVerificationTest"] != "Skipped" {
			t.Errorf("unbound hostname: %v", m)
		}
	})
}

// Every version the official clients send, and the seed's, serves the
// whole group.
func TestAPIVersions(t *testing.T) {
	t.Parallel()
	if got := containerapps.Versions.List(); len(got) != 21 {
		t.Errorf("%d versions registered: %v", len(got), got)
	}
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		for _, v := range []string{"2025-01-01", "2024-03-01", "2023-05-01", "2023-08-01-preview", "2022-06-01-preview", "2026-07-01"} {
			path := appURL("rg", "v"+strings.ReplaceAll(v, "-", ""))
			q := "?api-version=" + v
			e.expect(http.MethodPut, path+q, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
			e.expect(http.MethodGet, path+q, nil, http.StatusOK, "ContainerApp")
			e.expect(http.MethodPost, path+"/getAuthtoken"+q, nil, http.StatusOK, "ContainerAppAuthToken")
		}
	})
}

// Each operation checks its own action, once, as a control-plane action
// at the app's scope.
func TestRouteActions(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		var mu sync.Mutex
		var checked []string // "action @ scope", or "data action @ scope"
		authz := &testkit.Authorizer{Rule: func(_ *tokend.Principal, action, scope string, data bool) bool {
			mu.Lock()
			defer mu.Unlock()
			if data {
				action = "data " + action
			}
			checked = append(checked, action+" @ "+scope)
			return true
		}}
		e := newEnv(t, store, withAuth(&testkit.HeaderAuth{}, authz))
		e.token = "good-caller"
		path := appURL("rg", "app")
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
		scope := strings.ToLower(path)
		for _, c := range []struct{ method, suffix, action string }{
			{http.MethodGet, "", "Microsoft.App/containerApps/read"},
			{http.MethodPatch, "", "Microsoft.App/containerApps/write"},
			{http.MethodPost, "/listSecrets", "Microsoft.App/containerApps/listSecrets/action"},
			{http.MethodPost, "/start", "Microsoft.App/containerApps/start/action"},
			{http.MethodPost, "/stop", "Microsoft.App/containerApps/stop/action"},
			{http.MethodPost, "/listCustomHostNameAnalysis", "Microsoft.App/containerApps/listCustomHostNameAnalysis/action"},
			{http.MethodPost, "/getAuthtoken", "Microsoft.App/containerApps/getAuthToken/action"},
			{http.MethodPut, "", "Microsoft.App/containerApps/write"},
			{http.MethodDelete, "", "Microsoft.App/containerApps/delete"},
		} {
			mu.Lock()
			checked = nil
			mu.Unlock()
			var body any
			switch c.method {
			case http.MethodPatch:
				body = `{}`
			case http.MethodPut:
				body = minimalApp("eastus")
			}
			if st, _, b := e.do(c.method, path+c.suffix, body); st/100 != 2 {
				t.Errorf("%s %s: %d %s", c.method, c.suffix, st, b)
			}
			mu.Lock()
			got := strings.Join(checked, ", ")
			mu.Unlock()
			if want := c.action + " @ " + scope; got != want {
				t.Errorf("%s %s checked %q, want %q", c.method, c.suffix, got, want)
			}
		}
	})
}

// Bad input of every kind is a 4xx in the DefaultErrorResponse shape that
// names the problem, never a 500.
func TestValidation(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, withMaxBody(64<<10))
		withConfig := func(cfg map[string]any) map[string]any {
			b := minimalApp("eastus")
			b["properties"].(map[string]any)["configuration"] = cfg
			return b
		}
		withTemplate := func(tpl map[string]any) map[string]any {
			b := minimalApp("eastus")
			b["properties"].(map[string]any)["template"] = tpl
			return b
		}
		probeApp := func(probe map[string]any) map[string]any {
			return withTemplate(map[string]any{"containers": []any{map[string]any{"name": "c", "image": "i", "probes": []any{probe}}}})
		}
		ingress := func(in map[string]any) map[string]any { return withConfig(map[string]any{"ingress": in}) }
		tooManyTags := map[string]any{}
		for i := range 51 {
			tooManyTags["t"+strings.Repeat("x", i)] = "v"
		}
		noLocation := minimalApp("eastus")
		delete(noLocation, "location")

		for _, c := range []struct {
			name    string
			path    string // default: appURL("rg", "valid-name")
			query   string // default: ?api-version=apiV3
			ctype   string // default: application/json
			body    any
			status  int
			code    string
			target  string
			message string // a substring of the message
		}{
			{name: "missing location", body: noLocation, status: 400, code: "LocationRequired", target: "location"},
			{name: "empty location", body: minimalApp(" "), status: 400, code: "LocationRequired", target: "location"},
			{name: "location not a string", body: `{"location": 5}`, status: 400, code: "InvalidRequestContent", target: "location", message: "must be a string"},
			{name: "invalid JSON", body: "{\n  \"location\": \"eastus\",\n  oops\n}", status: 400, code: "InvalidRequestContent", message: "line 3"},
			{name: "truncated JSON", body: `{"location": "eastus"`, status: 400, code: "InvalidRequestContent"},
			{name: "empty body", body: "", status: 400, code: "InvalidRequestContent", target: "body"},
			{name: "array body", body: `[]`, status: 400, code: "InvalidRequestContent", target: "body", message: "JSON object"},
			{name: "unknown api-version", query: "?api-version=1999-01-01", body: minimalApp("eastus"), status: 400, code: "InvalidApiVersionParameter", target: "api-version", message: "2025-01-01"},
			{name: "missing api-version", query: "?", body: minimalApp("eastus"), status: 400, code: "MissingApiVersionParameter", target: "api-version"},
			{name: "name too long", path: appURL("rg", strings.Repeat("a", 33)), body: minimalApp("eastus"), status: 400, code: "ContainerAppInvalidName", target: "containerAppName"},
			{name: "name too short", path: appURL("rg", "a"), body: minimalApp("eastus"), status: 400, code: "ContainerAppInvalidName"},
			{name: "name upper case", path: appURL("rg", "MyApp"), body: minimalApp("eastus"), status: 400, code: "ContainerAppInvalidName"},
			{name: "name with double dash", path: appURL("rg", "my--app"), body: minimalApp("eastus"), status: 400, code: "ContainerAppInvalidName"},
			{name: "name starting with a digit", path: appURL("rg", "1app"), body: minimalApp("eastus"), status: 400, code: "ContainerAppInvalidName"},
			{name: "name ending with a dash", path: appURL("rg", "app-"), body: minimalApp("eastus"), status: 400, code: "ContainerAppInvalidName"},
			{name: "body too large", body: `{"location":"eastus","tags":{"x":"` + strings.Repeat("x", 64<<10) + `"}}`, status: 413, code: "RequestEntityTooLarge"},
			{name: "not JSON media type", ctype: "text/plain", body: `{"location":"eastus"}`, status: 415, code: "UnsupportedMediaType"},
			{name: "activeRevisionsMode", body: withConfig(map[string]any{"activeRevisionsMode": "Sometimes"}), status: 400, code: "InvalidRequestContent", target: "properties.configuration.activeRevisionsMode", message: "'Multiple', 'Single'"},
			{name: "transport", body: ingress(map[string]any{"transport": "udp"}), status: 400, target: "properties.configuration.ingress.transport"},
			{name: "clientCertificateMode", body: ingress(map[string]any{"clientCertificateMode": "maybe"}), status: 400, target: "properties.configuration.ingress.clientCertificateMode"},
			{name: "stickySessions affinity", body: ingress(map[string]any{"stickySessions": map[string]any{"affinity": "glue"}}), status: 400, target: "properties.configuration.ingress.stickySessions.affinity"},
			{name: "bindingType", body: ingress(map[string]any{"customDomains": []any{map[string]any{"name": "a.example", "bindingType": "Sni"}}}), status: 400, target: "properties.configuration.ingress.customDomains[0].bindingType"},
			{name: "customDomains name required", body: ingress(map[string]any{"customDomains": []any{map[string]any{"bindingType": "Disabled"}}}), status: 400, target: "properties.configuration.ingress.customDomains[0].name", message: "required"},
			{name: "ipSecurityRestrictions action", body: ingress(map[string]any{"ipSecurityRestrictions": []any{map[string]any{"name": "r", "ipAddressRange": "10.0.0.0/8", "action": "Maybe"}}}), status: 400, target: "properties.configuration.ingress.ipSecurityRestrictions[0].action"},
			{name: "ipSecurityRestrictions required", body: ingress(map[string]any{"ipSecurityRestrictions": []any{map[string]any{"name": "r"}}}), status: 400, code: "InvalidRequestContent", target: "properties.configuration.ingress.ipSecurityRestrictions[0].ipAddressRange", message: "2 problems"},
			{name: "corsPolicy allowedOrigins required", body: ingress(map[string]any{"corsPolicy": map[string]any{"maxAge": 5}}), status: 400, target: "properties.configuration.ingress.corsPolicy.allowedOrigins"},
			{name: "additionalPortMappings required", body: ingress(map[string]any{"additionalPortMappings": []any{map[string]any{"external": true}}}), status: 400, target: "properties.configuration.ingress.additionalPortMappings[0].targetPort"},
			{name: "targetPort a string", body: ingress(map[string]any{"targetPort": "80"}), status: 400, target: "properties.configuration.ingress.targetPort", message: "must be an integer"},
			{name: "targetPort fractional", body: ingress(map[string]any{"targetPort": 80.5}), status: 400, target: "properties.configuration.ingress.targetPort", message: "32-bit integer"},
			{name: "targetPort over int32", body: ingress(map[string]any{"targetPort": 1 << 40}), status: 400, target: "properties.configuration.ingress.targetPort"},
			{name: "external a string", body: ingress(map[string]any{"external": "yes"}), status: 400, target: "properties.configuration.ingress.external", message: "must be a boolean"},
			{name: "dapr appProtocol", body: withConfig(map[string]any{"dapr": map[string]any{"appProtocol": "smtp"}}), status: 400, target: "properties.configuration.dapr.appProtocol"},
			{name: "dapr logLevel", body: withConfig(map[string]any{"dapr": map[string]any{"logLevel": "verbose"}}), status: 400, target: "properties.configuration.dapr.logLevel"},
			{name: "service type required", body: withConfig(map[string]any{"service": map[string]any{}}), status: 400, target: "properties.configuration.service.type"},
			{name: "secret without a name", body: withConfig(map[string]any{"secrets": []any{map[string]any{"value": "v"}}}), status: 400, target: "properties.configuration.secrets[0].name"},
			{name: "secret without a value", body: withConfig(map[string]any{"secrets": []any{map[string]any{"name": "s"}}}), status: 400, target: "properties.configuration.secrets[0].value"},
			{name: "duplicate secret", body: withConfig(map[string]any{"secrets": []any{map[string]any{"name": "s", "value": "1"}, map[string]any{"name": "s", "value": "2"}}}), status: 400, target: "properties.configuration.secrets[1].name"},
			{name: "identity type", body: func() map[string]any {
				b := minimalApp("eastus")
				b["identity"] = map[string]any{"type": "Everything"}
				return b
			}(), status: 400, target: "identity.type"},
			{name: "identity type required", body: func() map[string]any {
				b := minimalApp("eastus")
				b["identity"] = map[string]any{}
				return b
			}(), status: 400, target: "identity.type", message: "required"},
			{name: "extendedLocation type", body: func() map[string]any {
				b := minimalApp("eastus")
				b["extendedLocation"] = map[string]any{"type": "EdgeZone"}
				return b
			}(), status: 400, target: "extendedLocation.type"},
			{name: "probe type", body: probeApp(map[string]any{"type": "Sometimes"}), status: 400, target: "properties.template.containers[0].probes[0].type"},
			{name: "probe scheme", body: probeApp(map[string]any{"httpGet": map[string]any{"port": 80, "scheme": "FTP"}}), status: 400, target: "properties.template.containers[0].probes[0].httpGet.scheme"},
			{name: "probe port required", body: probeApp(map[string]any{"tcpSocket": map[string]any{"host": "h"}}), status: 400, target: "properties.template.containers[0].probes[0].tcpSocket.port"},
			{name: "probe header value required", body: probeApp(map[string]any{"httpGet": map[string]any{"port": 80, "httpHeaders": []any{map[string]any{"name": "h"}}}}), status: 400, target: "properties.template.containers[0].probes[0].httpGet.httpHeaders[0].value"},
			{name: "storageType", body: withTemplate(map[string]any{"volumes": []any{map[string]any{"name": "v", "storageType": "Floppy"}}}), status: 400, target: "properties.template.volumes[0].storageType"},
			{name: "containers not an array", body: withTemplate(map[string]any{"containers": map[string]any{"name": "c"}}), status: 400, target: "properties.template.containers", message: "must be an array"},
			{name: "cpu a string", body: withTemplate(map[string]any{"containers": []any{map[string]any{"resources": map[string]any{"cpu": "0.5"}}}}), status: 400, target: "properties.template.containers[0].resources.cpu", message: "must be a number"},
			{name: "scale metadata values", body: withTemplate(map[string]any{"scale": map[string]any{"rules": []any{map[string]any{"name": "r", "http": map[string]any{"metadata": map[string]any{"n": 5}}}}}}), status: 400, target: "properties.template.scale.rules[0].http.metadata['n']"},
			{name: "tag value a number", body: `{"location":"eastus","tags":{"a":1}}`, status: 400, target: "tags['a']", message: "must be a string"},
			{name: "too many tags", body: map[string]any{"location": "eastus", "tags": tooManyTags}, status: 400, code: "InvalidTag", target: "tags"},
			{name: "tag value too long", body: map[string]any{"location": "eastus", "tags": map[string]any{"a": strings.Repeat("v", 257)}}, status: 400, code: "InvalidTag"},
			{name: "properties not an object", body: `{"location":"eastus","properties":[]}`, status: 400, target: "properties", message: "must be an object"},
		} {
			t.Run(c.name, func(t *testing.T) {
				path := c.path
				if path == "" {
					path = appURL("rg", "valid-name")
				}
				query := c.query
				if query == "" {
					query = "?api-version=" + apiV3
				}
				var body string
				switch b := c.body.(type) {
				case string:
					body = b
				default:
					j, err := json.Marshal(b)
					if err != nil {
						t.Fatal(err)
					}
					body = string(j)
				}
				req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, e.srv.URL+path+query, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				ctype := c.ctype
				if ctype == "" {
					ctype = "application/json"
				}
				req.Header.Set("Content-Type", ctype)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var b []byte
				b, err = io.ReadAll(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != c.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, b)
				}
				validate(t, "DefaultErrorResponse", b)
				ae := azuretest.DecodeError(t, b)
				if c.code != "" && ae.Error.Code != c.code {
					t.Errorf("code %q, want %q (%s)", ae.Error.Code, c.code, ae.Error.Message)
				}
				if c.code == "" && ae.Error.Code != "InvalidRequestContent" {
					t.Errorf("code %q, want InvalidRequestContent", ae.Error.Code)
				}
				if c.target != "" && ae.Error.Target != c.target {
					t.Errorf("target %q, want %q (%s)", ae.Error.Target, c.target, ae.Error.Message)
				}
				if !strings.Contains(ae.Error.Message, c.message) {
					t.Errorf("message %q does not say %q", ae.Error.Message, c.message)
				}
				if resp.Header.Get("x-ms-error-code") != ae.Error.Code {
					t.Errorf("x-ms-error-code %q", resp.Header.Get("x-ms-error-code"))
				}
			})
		}
		// None of the refused requests created an app.
		items, err := e.store.ListResources(context.Background(), tokend.ResourceQuery{Scope: "/subscriptions/" + sub, Type: "microsoft.app/containerapps"})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 0 {
			t.Errorf("%d apps stored after refused requests", len(items))
		}
	})
}
