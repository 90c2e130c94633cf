package apim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// listed is one page of ListByService.
type listed struct {
	Value []struct {
		Name       string `json:"name"`
		Properties struct {
			DisplayName string `json:"displayName"`
		} `json:"properties"`
	} `json:"value"`
	Count    *int64 `json:"count"`
	NextLink string `json:"nextLink"`
}

// listAll follows nextLink from the first page and returns every name and
// the count each page reported.
func (e *env) listAll(service, query string) ([]string, []int64) {
	e.t.Helper()
	path := e.servicePath(service) + "/authorizationServers"
	if query != "" {
		path += "?" + query
	}
	var names []string
	var counts []int64
	for pages := 0; path != ""; pages++ {
		if pages > 1000 {
			e.t.Fatal("nextLink does not end")
		}
		r := e.do(http.MethodGet, path, nil)
		e.expect(r, http.StatusOK, defCollection)
		var page listed
		r.decode(e.t, &page)
		for _, v := range page.Value {
			names = append(names, v.Name)
		}
		if page.Count == nil {
			e.t.Fatalf("page without count: %s", r.body)
		}
		counts = append(counts, *page.Count)
		path = ""
		if page.NextLink != "" {
			u, err := url.Parse(page.NextLink)
			if err != nil || !u.IsAbs() || u.Query().Get("api-version") == "" {
				e.t.Fatalf("nextLink %q is not an absolute URL with api-version", page.NextLink)
			}
			path = u.RequestURI()
		}
	}
	return names, counts
}

type seeded struct{ name, display string }

// seedServers creates servers whose names and display names mix case,
// digits, shared prefixes and non-ASCII.
func seedServers(e *env, service string) []seeded {
	var list []seeded
	words := []string{"alpha", "Alphonse", "beta", "gamma", "Gamma-ray", "délta", "epsilon", "zeta", "ALPHAS", "al"}
	for i, w := range words {
		for j := range 3 {
			s := seeded{name: fmt.Sprintf("%s%d", w, j), display: fmt.Sprintf("%s server %d", strings.ToUpper(w[:1])+w[1:], i*3+j)}
			if j == 2 {
				s.display = "x" + w
			}
			e.createServer(service, s.name, s.display)
			list = append(list, s)
		}
	}
	return list
}

// TestListByServiceFilters compares every filter's answer, on each engine
// and at several page sizes, with the same filter evaluated in Go.
func TestListByServiceFilters(t *testing.T) {
	t.Parallel()
	onEachEngine(t, testFilters)
}

func testFilters(t *testing.T, e *env) {
	e.createService("apim1")
	e.createService("apim2")
	servers := seedServers(e, "apim1")
	e.createServer("apim2", "alpha0", "Alpha other service") // never listed under apim1

	cases := []struct {
		filter string
		match  func(s seeded) bool
	}{
		{"", func(s seeded) bool { return true }},
		{"name eq 'alpha1'", func(s seeded) bool { return s.name == "alpha1" }},
		{"name eq 'ALPHA1'", func(s seeded) bool { return s.name == "ALPHA1" }},
		{"name ne 'alpha1'", func(s seeded) bool { return s.name != "alpha1" }},
		{"name gt 'beta'", func(s seeded) bool { return s.name > "beta" }},
		{"name ge 'beta0'", func(s seeded) bool { return s.name >= "beta0" }},
		{"name lt 'beta'", func(s seeded) bool { return s.name < "beta" }},
		{"name le 'al2'", func(s seeded) bool { return s.name <= "al2" }},
		{"displayName eq 'xgamma'", func(s seeded) bool { return s.display == "xgamma" }},
		{"displayName ne 'xgamma'", func(s seeded) bool { return s.display != "xgamma" }},
		{"displayName gt 'G'", func(s seeded) bool { return s.display > "G" }},
		{"displayName ge 'Gamma'", func(s seeded) bool { return s.display >= "Gamma" }},
		{"displayName lt 'B'", func(s seeded) bool { return s.display < "B" }},
		{"displayName le 'Beta server 9'", func(s seeded) bool { return s.display <= "Beta server 9" }},
		{"startswith(name, 'al')", func(s seeded) bool { return strings.HasPrefix(s.name, "al") }},
		{"startswith(displayName, 'Gamma')", func(s seeded) bool { return strings.HasPrefix(s.display, "Gamma") }},
		{"endswith(name, '2')", func(s seeded) bool { return strings.HasSuffix(s.name, "2") }},
		{"endswith(displayName, 'a')", func(s seeded) bool { return strings.HasSuffix(s.display, "a") }},
		{"contains(name, 'ph')", func(s seeded) bool { return strings.Contains(s.name, "ph") }},
		{"contains(displayName, 'server 1')", func(s seeded) bool { return strings.Contains(s.display, "server 1") }},
		{"contains(displayName, 'élt')", func(s seeded) bool { return strings.Contains(s.display, "élt") }},
		{"substringof('amm', name)", func(s seeded) bool { return strings.Contains(s.name, "amm") }},
		{"substringof('ray', displayName)", func(s seeded) bool { return strings.Contains(s.display, "ray") }},
		{"contains(name, '%')", func(s seeded) bool { return false }},
		{"contains(name, '_')", func(s seeded) bool { return false }},
		{"startswith(name, 'a') and endswith(name, '1')", func(s seeded) bool { return strings.HasPrefix(s.name, "a") && strings.HasSuffix(s.name, "1") }},
		{"name eq 'beta0' or displayName eq 'xzeta'", func(s seeded) bool { return s.name == "beta0" || s.display == "xzeta" }},
		{"not startswith(name, 'a')", func(s seeded) bool { return !strings.HasPrefix(s.name, "a") }},
		{"Name eq 'zeta0'", func(s seeded) bool { return s.name == "zeta0" }},
	}
	for _, tc := range cases {
		t.Run(tc.filter, func(t *testing.T) {
			e := *e
			e.t = t
			var want []string
			for _, s := range servers {
				if tc.match(s) {
					want = append(want, s.name)
				}
			}
			// Name order, bytewise (names are unique within a service).
			slices.Sort(want)
			for _, top := range []int{0, 1, 7, 100} {
				q := url.Values{}
				if tc.filter != "" {
					q.Set("$filter", tc.filter)
				}
				if top > 0 {
					q.Set("$top", fmt.Sprint(top))
				}
				got, counts := e.listAll("apim1", q.Encode())
				if !slices.Equal(got, want) {
					t.Errorf("$top=%d: got %v\nwant %v", top, got, want)
				}
				for _, c := range counts {
					if c != int64(len(want)) {
						t.Errorf("$top=%d: count %d, want %d", top, c, len(want))
						break
					}
				}
				if top > 0 && len(counts) != max(1, (len(want)+top-1)/top) {
					t.Errorf("$top=%d: %d pages for %d items", top, len(counts), len(want))
				}
			}
		})
	}
}

func TestListByServiceSkip(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		var all []string
		for i := range 12 {
			name := fmt.Sprintf("as%02d", i)
			e.createServer("apim1", name, "x")
			all = append(all, name)
		}
		got, counts := e.listAll("apim1", "$skip=5&$top=3")
		if !slices.Equal(got, all[5:]) || counts[0] != 12 {
			t.Errorf("$skip=5&$top=3: %v (counts %v), want %v", got, counts, all[5:])
		}
		got, _ = e.listAll("apim1", "$skip=20")
		if len(got) != 0 {
			t.Errorf("$skip past the end: %v", got)
		}
		got, _ = e.listAll("apim1", url.Values{"$skip": {"1"}, "$filter": {"name ge 'as05'"}}.Encode())
		if !slices.Equal(got, all[6:]) {
			t.Errorf("$skip with $filter: %v, want %v", got, all[6:])
		}

		// A server created between pages lands in a later page, and nothing is
		// served twice (keyset paging).
		r := e.do(http.MethodGet, e.servicePath("apim1")+"/authorizationServers?$top=4", nil)
		var page listed
		r.decode(t, &page)
		e.createServer("apim1", "as99", "late")
		e.createServer("apim1", "as00a", "early") // before the cursor: not served
		u, _ := url.Parse(page.NextLink)
		if u.Query().Has("$skip") || !u.Query().Has("$skipToken") || u.Query().Get("$top") != "4" {
			t.Errorf("nextLink %s", page.NextLink)
		}
		rest, _ := e.listAll("apim1", u.RawQuery)
		if want := append(slices.Clone(all[4:]), "as99"); !slices.Equal(rest, want) {
			t.Errorf("after inserts: %v, want %v", rest, want)
		}
	})
}

func TestListByServiceBadFilter(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		for _, f := range []string{
			"nmae eq 'x'",
			"name eq 5",
			"name eq 'x",
			"(name eq 'x'",
			"name eq 'x' garbage",
			"length(name) eq 3",
			"clientId eq 'x'",
			strings.Repeat("(", 100) + "name eq 'x'" + strings.Repeat(")", 100),
		} {
			r := e.do(http.MethodGet, e.servicePath("apim1")+"/authorizationServers?"+url.Values{"$filter": {f}}.Encode(), nil)
			ae := e.expectError(r, http.StatusBadRequest, "ValidationError", "$filter")
			if len(ae.Error.Details) == 1 && !strings.HasPrefix(ae.Error.Details[0].Message, "$filter") {
				t.Errorf("%q: message %q does not say what is wrong", f, ae.Error.Details[0].Message)
			}
		}
	})
}

// TestListNextLinkKeepsQuery: the nextLink is absolute and keeps api-version,
// $filter and $top, as SDK pagers need.
func TestListNextLinkKeepsQuery(t *testing.T) {
	t.Parallel()
	onEachEngine(t, func(t *testing.T, e *env) {
		e.createService("apim1")
		for i := range 3 {
			e.createServer("apim1", fmt.Sprint("as", i), "x")
		}
		r := e.do(http.MethodGet, e.servicePath("apim1")+"/authorizationServers?%24filter=startswith%28name%2C%27as%27%29&%24top=2&api-version=2022-08-01", nil)
		e.expect(r, http.StatusOK, defCollection)
		var page map[string]any
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(page["nextLink"].(string))
		if err != nil || u.Scheme != "https" || u.Host != "tokend.test" {
			t.Fatalf("nextLink %v", page["nextLink"])
		}
		q := u.Query()
		if q.Get("api-version") != "2022-08-01" || q.Get("$filter") != "startswith(name,'as')" || q.Get("$top") != "2" {
			t.Errorf("nextLink query %v", q)
		}
	})
}
