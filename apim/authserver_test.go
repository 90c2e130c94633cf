package apim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
)

func TestAuthServerLifecycle(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		path := e.serverPath("apim1", "as1")

		r := e.do(http.MethodPut, path, serverBody("One"))
		e.expect(r, http.StatusCreated, defContract)
		etag1 := r.header.Get("ETag")
		var c struct {
			ID, Name, Type string
			Properties     map[string]any
		}
		r.decode(t, &c)
		if c.Type != "Microsoft.ApiManagement/service/authorizationServers" || c.Name != "as1" ||
			c.ID != "/subscriptions/"+e.sub+"/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apim1/authorizationServers/as1" {
			t.Errorf("envelope id=%s name=%s type=%s", c.ID, c.Name, c.Type)
		}
		if c.Properties["useInTestConsole"] != true || c.Properties["useInApiDocumentation"] != false {
			t.Errorf("defaults not applied: %v", c.Properties)
		}
		for _, k := range []string{"systemData", "location", "tags"} {
			if bytes.Contains(r.body, []byte(`"`+k+`"`)) {
				t.Errorf("ProxyResource v2 has no %s: %s", k, r.body)
			}
		}
		if !strings.HasPrefix(etag1, `"`) || !strings.HasSuffix(etag1, `"`) || len(etag1) < 4 {
			t.Errorf("ETag %q is not a quoted opaque tag", etag1)
		}

		r = e.do(http.MethodGet, path, nil)
		e.expect(r, http.StatusOK, defContract)
		if r.header.Get("ETag") != etag1 {
			t.Errorf("GET ETag %q, want %q", r.header.Get("ETag"), etag1)
		}
		r = e.do(http.MethodHead, path, nil)
		e.expect(r, http.StatusOK, "")
		if r.header.Get("ETag") != etag1 {
			t.Errorf("HEAD ETag %q, want %q", r.header.Get("ETag"), etag1)
		}

		// Replace (200): a new ETag; If-Match with the current one is accepted.
		r = e.do(http.MethodPut, path, serverBody("One again"), "If-Match", etag1)
		e.expect(r, http.StatusOK, defContract)
		etag2 := r.header.Get("ETag")
		if etag2 == etag1 || etag2 == "" {
			t.Errorf("ETag did not change on PUT: %q", etag2)
		}

		// PATCH with the current ETag, unquoted (some clients drop the quotes).
		r = e.do(http.MethodPatch, path, `{"properties":{"description":"patched","grantTypes":["implicit"]}}`, "If-Match", strings.Trim(etag2, `"`))
		e.expect(r, http.StatusOK, defContract)
		etag3 := r.header.Get("ETag")
		if etag3 == etag2 {
			t.Error("ETag did not change on PATCH")
		}
		r.decode(t, &c)
		if c.Properties["description"] != "patched" || c.Properties["displayName"] != "One again" ||
			fmt.Sprint(c.Properties["grantTypes"]) != "[implicit]" || c.Properties["tokenEndpoint"] != "https://login.example.com/oauth2/token" {
			t.Errorf("PATCH did not merge: %v", c.Properties)
		}

		// PATCH with *.
		r = e.do(http.MethodPatch, path, `{"properties":{"defaultScope":"read"}}`, "If-Match", "*")
		e.expect(r, http.StatusOK, defContract)
		etag4 := r.header.Get("ETag")

		r = e.do(http.MethodPost, path+"/listSecrets", nil)
		e.expect(r, http.StatusOK, defSecrets)
		if r.header.Get("ETag") != etag4 {
			t.Errorf("listSecrets ETag %q, want %q", r.header.Get("ETag"), etag4)
		}

		e.expect(e.do(http.MethodDelete, path, nil, "If-Match", etag4), http.StatusOK, "")
		e.expectError(e.do(http.MethodGet, path, nil), http.StatusNotFound, "ResourceNotFound")
		r = e.do(http.MethodHead, path, nil)
		if r.status != http.StatusNotFound {
			t.Errorf("HEAD after delete: %d", r.status)
		}
		e.expect(e.do(http.MethodDelete, path, nil, "If-Match", "*"), http.StatusNoContent, "")
	})
}

func TestAuthServerSecrets(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		path := e.serverPath("apim1", "as1")
		r := e.do(http.MethodPut, path, serverBody("One"))
		e.expect(r, http.StatusCreated, defContract)
		noSecrets := func(what string, body []byte) {
			t.Helper()
			for _, s := range []string{"s3cret-", "pw-One", "clientSecret", "resourceOwnerPassword"} {
				if bytes.Contains(body, []byte(s)) {
					t.Errorf("%s reveals %q: %s", what, s, body)
				}
			}
		}
		noSecrets("PUT", r.body)
		r = e.do(http.MethodGet, path, nil)
		noSecrets("GET", r.body)
		if !bytes.Contains(r.body, []byte(`"resourceOwnerUsername":"owner"`)) {
			t.Errorf("resourceOwnerUsername is not secret and must be returned: %s", r.body)
		}
		r = e.do(http.MethodGet, e.servicePath("apim1")+"/authorizationServers", nil)
		e.expect(r, http.StatusOK, defCollection)
		noSecrets("list", r.body)

		// At rest: sealed, not in the body, not in plaintext.
		stored, err := e.store.GetAuthorizationServer(t.Context(), strings.ToLower(e.serverPath("apim1", "as1")))
		if err != nil {
			t.Fatal(err)
		}
		noSecrets("stored body", stored.Body)
		if len(stored.Secrets) == 0 || bytes.Contains(stored.Secrets, []byte("s3cret")) || bytes.Contains(stored.Secrets, []byte("pw-One")) {
			t.Errorf("secrets are not sealed at rest: %q", stored.Secrets)
		}

		secrets := func() map[string]string {
			t.Helper()
			r := e.do(http.MethodPost, path+"/listSecrets", nil)
			e.expect(r, http.StatusOK, defSecrets)
			var m map[string]string
			r.decode(t, &m)
			return m
		}
		if m := secrets(); m["clientSecret"] != "s3cret-One" || m["resourceOwnerPassword"] != "pw-One" || m["resourceOwnerUsername"] != "owner" {
			t.Errorf("listSecrets = %v", m)
		}

		// PATCH replaces one secret and keeps the other.
		r = e.do(http.MethodPatch, path, `{"properties":{"clientSecret":"rotated"}}`, "If-Match", "*")
		e.expect(r, http.StatusOK, defContract)
		noSecrets("PATCH", r.body)
		if m := secrets(); m["clientSecret"] != "rotated" || m["resourceOwnerPassword"] != "pw-One" {
			t.Errorf("after PATCH listSecrets = %v", m)
		}

		// A PUT without secrets (a GET-modify-PUT) keeps them; "" clears one.
		body := serverBody("One")
		props := body["properties"].(map[string]any)
		delete(props, "clientSecret")
		delete(props, "resourceOwnerPassword")
		e.expect(e.do(http.MethodPut, path, body), http.StatusOK, defContract)
		if m := secrets(); m["clientSecret"] != "rotated" || m["resourceOwnerPassword"] != "pw-One" {
			t.Errorf("after PUT without secrets listSecrets = %v", m)
		}
		props["resourceOwnerPassword"] = ""
		e.expect(e.do(http.MethodPut, path, body), http.StatusOK, defContract)
		if m := secrets(); m["clientSecret"] != "rotated" || m["resourceOwnerPassword"] != "" {
			t.Errorf("after clearing the password listSecrets = %v", m)
		}

		// A sealed blob moved onto another row does not open there (AAD is the key).
		e.createServer("apim1", "as2", "Two")
		other, err := e.store.GetAuthorizationServer(t.Context(), strings.ToLower(e.serverPath("apim1", "as2")))
		if err != nil {
			t.Fatal(err)
		}
		other.Secrets = stored.Secrets
		if err := e.store.UpdateAuthorizationServer(t.Context(), other, ""); err != nil {
			t.Fatal(err)
		}
		r = e.do(http.MethodPost, e.serverPath("apim1", "as2")+"/listSecrets", nil)
		ae := e.expectError(r, http.StatusInternalServerError, "InternalServerError")
		noSecrets("500", r.body)
		if !strings.Contains(e.log.String(), "request failed") {
			t.Errorf("the 500 was not logged: %s", e.log.String())
		}
		// The answer and the log line name the same request.
		if id := r.header.Get("x-ms-request-id"); id == "" || !strings.Contains(ae.Error.Message, id) || !strings.Contains(e.log.String(), id) {
			t.Errorf("the 500 (%s) and the log do not quote x-ms-request-id %q: %s", ae.Error.Message, id, e.log.String())
		}
		for _, s := range []string{"s3cret", "rotated", "pw-One"} {
			if strings.Contains(e.log.String(), s) {
				t.Errorf("the log reveals a secret: %s", e.log.String())
			}
		}
	})
}

func TestAuthServerErrors(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		etag := e.createServer("apim1", "as1", "One")
		as1 := e.serverPath("apim1", "as1")
		missingService := e.serverPath("nosuch", "as1")

		missing := func(field string) map[string]any {
			b := serverBody("x")
			delete(b["properties"].(map[string]any), field)
			return b
		}
		with := func(field string, v any) map[string]any {
			b := serverBody("x")
			b["properties"].(map[string]any)[field] = v
			return b
		}
		cases := []struct {
			name    string
			method  string
			path    string
			body    any
			headers []string
			status  int
			code    string
			targets []string
		}{
			{"get under missing service", http.MethodGet, missingService, nil, nil, 404, "ResourceNotFound", nil},
			{"put under missing service", http.MethodPut, missingService, serverBody("x"), nil, 404, "ResourceNotFound", nil},
			{"patch under missing service", http.MethodPatch, missingService, `{"properties":{}}`, []string{"If-Match", "*"}, 404, "ResourceNotFound", nil},
			{"delete under missing service", http.MethodDelete, missingService, nil, []string{"If-Match", "*"}, 404, "ResourceNotFound", nil},
			{"listSecrets under missing service", http.MethodPost, missingService + "/listSecrets", nil, nil, 404, "ResourceNotFound", nil},
			{"list under missing service", http.MethodGet, e.servicePath("nosuch") + "/authorizationServers", nil, nil, 404, "ResourceNotFound", nil},
			{"get missing server", http.MethodGet, e.serverPath("apim1", "nope"), nil, nil, 404, "ResourceNotFound", nil},
			{"listSecrets missing server", http.MethodPost, e.serverPath("apim1", "nope") + "/listSecrets", nil, nil, 404, "ResourceNotFound", nil},
			{"patch missing server", http.MethodPatch, e.serverPath("apim1", "nope"), `{"properties":{}}`, []string{"If-Match", "*"}, 404, "ResourceNotFound", nil},
			{"missing required fields", http.MethodPut, e.serverPath("apim1", "new"), `{"properties":{"description":"d"}}`, nil, 400, "ValidationError",
				[]string{"displayName", "clientRegistrationEndpoint", "authorizationEndpoint", "clientId", "grantTypes"}},
			{"missing displayName", http.MethodPut, e.serverPath("apim1", "new"), missing("displayName"), nil, 400, "ValidationError", []string{"displayName"}},
			{"missing clientId", http.MethodPut, e.serverPath("apim1", "new"), missing("clientId"), nil, 400, "ValidationError", []string{"clientId"}},
			{"missing grantTypes", http.MethodPut, e.serverPath("apim1", "new"), missing("grantTypes"), nil, 400, "ValidationError", []string{"grantTypes"}},
			{"empty grantTypes", http.MethodPut, e.serverPath("apim1", "new"), with("grantTypes", []string{}), nil, 400, "ValidationError", []string{"grantTypes"}},
			{"wrong grant type", http.MethodPut, e.serverPath("apim1", "new"), with("grantTypes", []string{"implicit", "bogus"}), nil, 400, "ValidationError", []string{"grantTypes[1]"}},
			{"wrong authorization method", http.MethodPut, e.serverPath("apim1", "new"), with("authorizationMethods", []string{"GET", "FETCH"}), nil, 400, "ValidationError", []string{"authorizationMethods[1]"}},
			{"authorization methods without GET", http.MethodPut, e.serverPath("apim1", "new"), with("authorizationMethods", []string{"POST"}), nil, 400, "ValidationError", []string{"authorizationMethods"}},
			{"wrong client authentication", http.MethodPut, e.serverPath("apim1", "new"), with("clientAuthenticationMethod", []string{"Header"}), nil, 400, "ValidationError", []string{"clientAuthenticationMethod[0]"}},
			{"wrong bearer method", http.MethodPut, e.serverPath("apim1", "new"), with("bearerTokenSendingMethods", []string{"cookie"}), nil, 400, "ValidationError", []string{"bearerTokenSendingMethods[0]"}},
			{"token body parameter without value", http.MethodPut, e.serverPath("apim1", "new"), with("tokenBodyParameters", []map[string]string{{"name": "n"}}), nil, 400, "ValidationError", []string{"tokenBodyParameters[0].value"}},
			{"displayName over 50", http.MethodPut, e.serverPath("apim1", "new"), with("displayName", strings.Repeat("d", 51)), nil, 400, "ValidationError", []string{"displayName"}},
			{"displayName empty", http.MethodPut, e.serverPath("apim1", "new"), with("displayName", ""), nil, 400, "ValidationError", []string{"displayName"}},
			{"several bad fields", http.MethodPut, e.serverPath("apim1", "new"),
				`{"properties":{"displayName":"` + strings.Repeat("é", 51) + `","clientRegistrationEndpoint":"a","authorizationEndpoint":"b","clientId":"c","grantTypes":["nope"]}}`,
				nil, 400, "ValidationError", []string{"displayName", "grantTypes[0]"}},
			{"displayName wrong type", http.MethodPut, e.serverPath("apim1", "new"), with("displayName", 5), nil, 400, "InvalidRequestContent", []string{"properties.displayName"}},
			{"body not JSON", http.MethodPut, e.serverPath("apim1", "new"), `{"properties":`, nil, 400, "InvalidRequestContent", []string{"body"}},
			{"no properties", http.MethodPut, e.serverPath("apim1", "new"), `{}`, nil, 400, "ValidationError", []string{"properties"}},
			{"bad authsid", http.MethodPut, e.serverPath("apim1", "a*b"), serverBody("x"), nil, 400, "ValidationError", []string{"authsid"}},
			{"authsid too long", http.MethodGet, e.serverPath("apim1", strings.Repeat("a", 81)), nil, nil, 400, "ValidationError", []string{"authsid"}},
			{"bad serviceName", http.MethodGet, e.serverPath("1apim", "as1"), nil, nil, 400, "ValidationError", []string{"serviceName"}},
			{"bad serviceName and authsid", http.MethodPut, e.serverPath("apim-", "x:y"), serverBody("x"), nil, 400, "ValidationError", []string{"serviceName", "authsid"}},
			{"serviceName too long", http.MethodGet, e.servicePath("a"+strings.Repeat("b", 50)) + "/authorizationServers", nil, nil, 400, "ValidationError", []string{"serviceName"}},
			{"patch without If-Match", http.MethodPatch, as1, `{"properties":{}}`, nil, 400, "ValidationError", []string{"If-Match"}},
			{"delete without If-Match", http.MethodDelete, as1, nil, nil, 400, "ValidationError", []string{"If-Match"}},
			{"patch stale If-Match", http.MethodPatch, as1, `{"properties":{}}`, []string{"If-Match", `"stale"`}, 412, "PreconditionFailed", nil},
			{"delete stale If-Match", http.MethodDelete, as1, nil, []string{"If-Match", `"stale"`}, 412, "PreconditionFailed", nil},
			{"put stale If-Match", http.MethodPut, as1, serverBody("x"), []string{"If-Match", `"stale"`}, 412, "PreconditionFailed", nil},
			{"put If-Match on missing server", http.MethodPut, e.serverPath("apim1", "new"), serverBody("x"), []string{"If-Match", etag}, 412, "PreconditionFailed", nil},
			{"patch bad enum", http.MethodPatch, as1, `{"properties":{"grantTypes":["bogus"]}}`, []string{"If-Match", "*"}, 400, "ValidationError", []string{"grantTypes[0]"}},
			{"patch empties required", http.MethodPatch, as1, `{"properties":{"grantTypes":[],"clientId":""}}`, []string{"If-Match", "*"}, 400, "ValidationError", []string{"grantTypes", "clientId"}},
			{"patch displayName over 50", http.MethodPatch, as1, `{"properties":{"displayName":"` + strings.Repeat("x", 51) + `"}}`, []string{"If-Match", "*"}, 400, "ValidationError", []string{"displayName"}},
			{"bad $top", http.MethodGet, e.servicePath("apim1") + "/authorizationServers?$top=0", nil, nil, 400, "ValidationError", []string{"$top"}},
			{"bad $skip", http.MethodGet, e.servicePath("apim1") + "/authorizationServers?$skip=-1", nil, nil, 400, "ValidationError", []string{"$skip"}},
			{"forged $skipToken", http.MethodGet, e.servicePath("apim1") + "/authorizationServers?$skipToken=L290aGVy", nil, nil, 400, "ValidationError", []string{"$skipToken"}},
			{"unknown api-version", http.MethodGet, as1 + "?api-version=2016-07-07", nil, nil, 400, "InvalidApiVersionParameter", []string{"api-version"}},
			{"method not allowed", http.MethodPost, as1, nil, nil, 405, "MethodNotAllowed", nil},
			{"text body", http.MethodPut, e.serverPath("apim1", "new"), nil, []string{"Content-Type", "text/plain"}, 400, "InvalidRequestContent", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := *e
				e.t = t
				r := e.do(tc.method, tc.path, tc.body, tc.headers...)
				e.expectError(r, tc.status, tc.code, tc.targets...)
			})
		}
		// None of the failed writes changed the server.
		r := e.do(http.MethodHead, as1, nil)
		if r.header.Get("ETag") != etag {
			t.Errorf("a failed request changed the server: ETag %q, want %q", r.header.Get("ETag"), etag)
		}
	})
}

// TestConcurrentPatch: of N PATCHes carrying the same If-Match, exactly one
// wins; the others get 412, and the stored server is the winner's.
func TestConcurrentPatch(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		etag := e.createServer("apim1", "as1", "One")
		path := e.serverPath("apim1", "as1")
		const n = 16
		results := make([]response, n)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start.Wait()
				results[i] = e.do(http.MethodPatch, path, fmt.Sprintf(`{"properties":{"description":"writer %d"}}`, i), "If-Match", etag)
			}()
		}
		start.Done()
		wg.Wait()
		winners, winner := 0, -1
		for i, r := range results {
			switch r.status {
			case http.StatusOK:
				winners++
				winner = i
				validate(t, r, defContract)
			case http.StatusPreconditionFailed:
				validate(t, r, defError)
			default:
				t.Errorf("writer %d: %d %s", i, r.status, r.body)
			}
		}
		if winners != 1 {
			t.Fatalf("%d PATCHes with the same If-Match succeeded, want 1", winners)
		}
		r := e.do(http.MethodGet, path, nil)
		e.expect(r, http.StatusOK, defContract)
		if !bytes.Contains(r.body, fmt.Appendf(nil, `"writer %d"`, winner)) || r.header.Get("ETag") != results[winner].header.Get("ETag") {
			t.Errorf("stored server is not the winner's (%d): %s", winner, r.body)
		}
	})
}

// TestConcurrentCreate: racing PUTs of one new server: one 201, the rest 200.
func TestConcurrentCreate(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		const n = 8
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = e.do(http.MethodPut, e.serverPath("apim1", "raced"), serverBody(fmt.Sprint("w", i))).status
			}()
		}
		wg.Wait()
		created := 0
		for _, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusOK:
			default:
				t.Errorf("status %d", s)
			}
		}
		if created != 1 {
			t.Errorf("%d creates, want 1 (%v)", created, statuses)
		}
	})
}

// TestNoServerOutlivesItsService races writers of new servers against the
// deletion of their service, and of its resource group, on each engine:
// every write either lands before the delete (and goes with it) or finds
// the service gone, so nothing remains. A list relies on it (a page with
// servers proves the service), as GET does.
func TestNoServerOutlivesItsService(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		groupPath := "/subscriptions/" + e.sub + "/resourcegroups/" + e.group + "?api-version=2021-04-01"
		for round := range 6 {
			e.createService("apim1")
			var wg sync.WaitGroup
			var mu sync.Mutex
			statuses := map[int]int{}
			for w := range 4 {
				wg.Go(func() {
					for i := 0; ; i++ {
						st := e.do(http.MethodPut, e.serverPath("apim1", fmt.Sprintf("r%d-w%d-%d", round, w, i)), serverBody("x")).status
						mu.Lock()
						statuses[st]++
						mu.Unlock()
						if st != http.StatusCreated {
							return // the service is gone (or the write failed: see below)
						}
					}
				})
			}
			time.Sleep(20 * time.Millisecond)
			deletePath := e.servicePath("apim1")
			if round%2 == 1 {
				deletePath = groupPath
			}
			if st := e.do(http.MethodDelete, deletePath, nil).status; st != http.StatusOK && st != http.StatusAccepted {
				t.Fatalf("round %d: delete %s: %d", round, deletePath, st)
			}
			wg.Wait()
			for st, n := range statuses {
				if st != http.StatusCreated && st != http.StatusNotFound {
					t.Errorf("round %d: %d writes answered %d", round, n, st)
				}
			}
			if n := e.countServers("apim1"); n != 0 {
				t.Fatalf("round %d: %d servers outlived their service", round, n)
			}
		}
	})
}

// TestNoServiceOutlivesItsGroup races creators of services (generic ARM
// resources whose PUT creates a missing group) against the group's delete,
// on each engine: afterwards every service still stored has its group.
// Without the group lock, PostgreSQL left services in a deleted group.
func TestNoServiceOutlivesItsGroup(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		groupPath := "/subscriptions/" + e.sub + "/resourcegroups/" + e.group
		for round := range 6 {
			e.createService(fmt.Sprintf("first-%d", round))
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						st := e.do(http.MethodPut, e.servicePath(fmt.Sprintf("r%d-w%d-%d", round, w, i)), serviceBody()).status
						if st != http.StatusCreated {
							t.Errorf("round %d: create service: %d", round, st)
							return
						}
					}
				})
			}
			time.Sleep(20 * time.Millisecond)
			// The writers finish the PUT they are in, which races the
			// delete, and start no other that would recreate the group.
			close(stop)
			if st := e.do(http.MethodDelete, groupPath+"?api-version=2021-04-01", nil).status; st != http.StatusOK {
				t.Fatalf("round %d: delete group: %d", round, st)
			}
			wg.Wait()
			services, err := e.store.ListResources(t.Context(), tokend.ResourceQuery{Scope: strings.ToLower(groupPath), Type: "microsoft.apimanagement/service"})
			if err != nil {
				t.Fatal(err)
			}
			_, gerr := e.store.GetResource(t.Context(), strings.ToLower(groupPath))
			if len(services) > 0 && errors.Is(gerr, tokend.ErrNotFound) {
				t.Fatalf("round %d: %d services outlived their group", round, len(services))
			}
		}
	})
}

func TestServiceDeleteCascades(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		e.createService("apim12") // a neighbour whose key extends apim1's
		for i := range 3 {
			e.createServer("apim1", fmt.Sprint("as", i), "x")
		}
		e.createServer("apim12", "keep", "keep")
		e.expect(e.do(http.MethodDelete, e.servicePath("apim1"), nil), http.StatusOK, "")
		if n := e.countServers("apim1"); n != 0 {
			t.Errorf("after deleting the service %d servers remain", n)
		}
		e.expectError(e.do(http.MethodGet, e.serverPath("apim1", "as0"), nil), http.StatusNotFound, "ResourceNotFound")
		e.expect(e.do(http.MethodGet, e.serverPath("apim12", "keep"), nil), http.StatusOK, defContract)

		// Recreating the service does not bring the servers back.
		e.createService("apim1")
		r := e.do(http.MethodGet, e.servicePath("apim1")+"/authorizationServers", nil)
		e.expect(r, http.StatusOK, defCollection)
		if !bytes.Contains(r.body, []byte(`"count":0`)) {
			t.Errorf("recreated service lists old servers: %s", r.body)
		}

		// Deleting the resource group deletes the rest.
		g := e.do(http.MethodDelete, "/subscriptions/"+e.sub+"/resourceGroups/rg1?api-version=2021-04-01", nil)
		if g.status != http.StatusOK {
			t.Fatalf("delete group: %d %s", g.status, g.body)
		}
		if n := e.countServers("apim12"); n != 0 {
			t.Errorf("after deleting the group %d servers remain", n)
		}
	})
}

// TestListSecretsAction: the ARM surface derives the RBAC action from the
// route.
func TestListSecretsAction(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		var got []string
		var mu sync.Mutex
		record := &testkit.Authorizer{Rule: func(_ *tokend.Principal, action, _ string, _ bool) bool {
			mu.Lock()
			got = append(got, action)
			mu.Unlock()
			return true
		}}
		e := newEnvOn(t, store, testSub, "rg1", pipeline.Options{Authenticator: &testkit.HeaderAuth{}, Authorizer: record})
		e.createService("apim1")
		e.createServer("apim1", "as1", "One")
		e.expect(e.do(http.MethodPost, e.serverPath("apim1", "as1")+"/listSecrets", nil), http.StatusOK, defSecrets)
		e.expect(e.do(http.MethodHead, e.serverPath("apim1", "as1"), nil), http.StatusOK, "")
		want := []string{
			"Microsoft.ApiManagement/service/write",
			"Microsoft.ApiManagement/service/authorizationServers/write",
			"Microsoft.ApiManagement/service/authorizationServers/listSecrets/action",
			"Microsoft.ApiManagement/service/authorizationServers/read",
		}
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("actions %v, want %v", got, want)
		}
	})
}

func TestStoredBodyIsContract(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		e.createServer("apim1", "as1", "One")
		s, err := e.store.GetAuthorizationServer(t.Context(), strings.ToLower(e.serverPath("apim1", "as1")))
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]json.RawMessage
		if err := json.Unmarshal(s.Body, &v); err != nil || s.DisplayName != "One" || s.ServiceKey != strings.ToLower(e.servicePath("apim1")) {
			t.Errorf("stored row: %+v (%v)", s, err)
		}
	})
}

// TestIDCasing: ARM IDs are case-insensitive. Another spelling addresses the
// same server, and a replacement keeps the ID as first spelled (the body and
// the filterable name column must agree).
func TestIDCasing(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		e.createServer("apim1", "MyServer", "One")
		r := e.do(http.MethodPut, e.serverPath("APIM1", "myserver"), serverBody("Two"))
		e.expect(r, http.StatusOK, defContract)
		var c struct{ ID, Name string }
		r.decode(t, &c)
		if c.Name != "MyServer" || !strings.HasSuffix(c.ID, "/service/apim1/authorizationServers/MyServer") {
			t.Errorf("replacement changed the ID's casing: %s %s", c.ID, c.Name)
		}
		names, _ := e.listAll("apim1", "%24filter=name+eq+%27MyServer%27")
		if len(names) != 1 || names[0] != "MyServer" {
			t.Errorf("filter on the first spelling: %v", names)
		}
		e.expect(e.do(http.MethodGet, e.serverPath("apim1", "MYSERVER"), nil), http.StatusOK, defContract)
	})
}
