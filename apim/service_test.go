package apim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestServiceLifecycle(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		path := e.servicePath("apim1")
		r := e.do(http.MethodPut, path, serviceBody())
		e.expect(r, http.StatusCreated, defService)
		var s struct {
			Etag       string
			Properties map[string]any
		}
		r.decode(t, &s)
		if s.Etag == "" || r.header.Get("ETag") != s.Etag {
			t.Errorf("etag %q, header %q", s.Etag, r.header.Get("ETag"))
		}
		created := s.Properties["createdAtUtc"]

		e.expect(e.do(http.MethodGet, path, nil), http.StatusOK, defService)
		body := serviceBody()
		body["tags"] = map[string]string{"env": "test"}
		body["properties"].(map[string]any)["provisioningState"] = "Failed" // read-only: ignored
		r = e.do(http.MethodPut, path, body)
		e.expect(r, http.StatusOK, defService)
		r.decode(t, &s)
		if s.Properties["provisioningState"] != "Succeeded" || s.Properties["createdAtUtc"] != created {
			t.Errorf("read-only properties changed: %v", s.Properties)
		}

		r = e.do(http.MethodPatch, path, `{"sku":{"name":"premium","capacity":2},"properties":{"publisherName":"Fabrikam"}}`)
		e.expect(r, http.StatusOK, defService)
		if !strings.Contains(string(r.body), `"sku":{"name":"Premium","capacity":2}`) || !strings.Contains(string(r.body), `"publisherName":"Fabrikam"`) ||
			!strings.Contains(string(r.body), `"env":"test"`) {
			t.Errorf("PATCH did not merge: %s", r.body)
		}

		e.createService("apim2")
		other := *e // another group
		other.group = "rg2"
		other.createService("apim3")
		for _, c := range []struct {
			path string
			want []string
		}{
			{"/subscriptions/" + e.sub + "/resourceGroups/rg1/providers/Microsoft.ApiManagement/service", []string{"apim1", "apim2"}},
			{"/subscriptions/" + e.sub + "/providers/Microsoft.ApiManagement/service", []string{"apim1", "apim2", "apim3"}},
		} {
			r := e.do(http.MethodGet, c.path, nil)
			if r.status != http.StatusOK {
				t.Fatalf("list %s: %d %s", c.path, r.status, r.body)
			}
			var page struct {
				Value []json.RawMessage
			}
			r.decode(t, &page)
			var names []string
			for _, v := range page.Value {
				validate(t, response{body: v}, defService)
				var it struct{ Name string }
				_ = json.Unmarshal(v, &it)
				names = append(names, it.Name)
			}
			if strings.Join(names, ",") != strings.Join(c.want, ",") {
				t.Errorf("list %s = %v, want %v", c.path, names, c.want)
			}
		}

		e.expect(e.do(http.MethodDelete, path, nil), http.StatusOK, "")
		e.expect(e.do(http.MethodDelete, path, nil), http.StatusNoContent, "")
		e.expectError(e.do(http.MethodGet, path, nil), http.StatusNotFound, "ResourceNotFound")
	})
}

func TestServiceValidation(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		edit := func(f func(b map[string]any)) map[string]any {
			b := serviceBody()
			f(b)
			return b
		}
		props := func(b map[string]any) map[string]any { return b["properties"].(map[string]any) }
		cases := []struct {
			name    string
			method  string
			service string
			body    any
			status  int
			code    string
			targets []string
		}{
			{"no location", http.MethodPut, "new", edit(func(b map[string]any) { delete(b, "location") }), 400, "ValidationError", []string{"location"}},
			{"no sku", http.MethodPut, "new", edit(func(b map[string]any) { delete(b, "sku") }), 400, "ValidationError", []string{"sku"}},
			{"bad sku", http.MethodPut, "new", edit(func(b map[string]any) { b["sku"] = map[string]any{"name": "Gold", "capacity": 1} }), 400, "ValidationError", []string{"sku.name[0]"}},
			{"consumption capacity", http.MethodPut, "new", edit(func(b map[string]any) { b["sku"] = map[string]any{"name": "Consumption", "capacity": 1} }), 400, "ValidationError", []string{"sku.capacity"}},
			{"no capacity", http.MethodPut, "new", edit(func(b map[string]any) { b["sku"] = map[string]any{"name": "Developer"} }), 400, "ValidationError", []string{"sku.capacity"}},
			{"no publisher", http.MethodPut, "new", edit(func(b map[string]any) { delete(props(b), "publisherEmail"); delete(props(b), "publisherName") }), 400, "ValidationError", []string{"publisherEmail", "publisherName"}},
			{"bad email", http.MethodPut, "new", edit(func(b map[string]any) { props(b)["publisherEmail"] = "nobody" }), 400, "ValidationError", []string{"publisherEmail"}},
			{"no properties", http.MethodPut, "new", edit(func(b map[string]any) { delete(b, "properties") }), 400, "ValidationError", []string{"properties"}},
			{"bad name", http.MethodPut, "-bad", serviceBody(), 400, "ValidationError", []string{"serviceName"}},
			{"move", http.MethodPut, "apim1", edit(func(b map[string]any) { b["location"] = "East US" }), 400, "InvalidResourceLocation", []string{"location"}},
			{"patch missing", http.MethodPatch, "nosuch", `{"tags":{}}`, 404, "ResourceNotFound", nil},
			{"patch bad sku", http.MethodPatch, "apim1", `{"sku":{"name":"Gold","capacity":1}}`, 400, "ValidationError", []string{"sku.name[0]"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := *e
				e.t = t
				e.expectError(e.do(tc.method, e.servicePath(tc.service), tc.body), tc.status, tc.code, tc.targets...)
			})
		}
	})
}
