package playwright_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/pwclient"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
)

// listAll follows a List through every nextLink with the client's pager.
func listAll(t *testing.T, c *pwclient.Client, acct string, o *pwclient.ListOptions) (items []*pwclient.AccessToken, pages []int) {
	t.Helper()
	pager := c.NewListPager(acct, o)
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		items = append(items, page.Value...)
		pages = append(pages, len(page.Value))
		if len(pages) > 1000 {
			t.Fatal("the pager does not end")
		}
	}
	return items, pages
}

func names(items []*pwclient.AccessToken) []string {
	var out []string
	for _, it := range items {
		out = append(out, *it.Name)
	}
	return out
}

// The requests of SDK-REQUESTS.md's playwright section, in order, on both
// engines.
func TestListLikeTheSDK(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		acct := e.createAccount(t, "rg", "acct1")
		c := e.client("good-" + owner)
		var all []string
		for i := 1; i <= 13; i++ {
			name := fmt.Sprintf("hzd0c5e1t%02d", i)
			exp := e.clock.Now().Add(time.Duration(i) * 24 * time.Hour)
			if _, err := c.CreateOrReplace(ctx, acct, fmt.Sprintf("%08x-3370-43d6-a6e7-3957d810225a", i*977), pwclient.AccessToken{Name: &name, ExpiryAt: &exp}); err != nil {
				t.Fatal(err)
			}
			all = append(all, name)
		}
		// Another account's tokens never show.
		other := e.createAccount(t, "rg", "acct2")
		exp := e.clock.Now().Add(time.Hour)
		if _, err := c.CreateOrReplace(ctx, other, tokenID, pwclient.AccessToken{Name: ptr("hzd0c5e1t99"), ExpiryAt: &exp}); err != nil {
			t.Fatal(err)
		}

		items, pages := listAll(t, c, acct, nil)
		if !slices.Equal(pages, []int{10, 3}) || len(items) != 13 {
			t.Errorf("default paging: pages %v", pages)
		}
		for _, it := range items {
			if it.JWTToken != nil {
				t.Error("a listed token shows its jwtToken")
			}
		}
		items, pages = listAll(t, c, acct, &pwclient.ListOptions{Top: ptr[int32](3)})
		if !slices.Equal(pages, []int{3}) {
			t.Errorf("$top=3: pages %v", pages)
		}
		items, pages = listAll(t, c, acct, &pwclient.ListOptions{Top: ptr[int32](12)})
		if !slices.Equal(pages, []int{10, 2}) {
			t.Errorf("$top=12: pages %v", pages)
		}
		items, _ = listAll(t, c, acct, &pwclient.ListOptions{Orderby: ptr("name desc")})
		want := slices.Clone(all)
		slices.Reverse(want)
		if got := names(items); !slices.Equal(got, want) {
			t.Errorf("$orderby=name desc: %v", got)
		}
		items, pages = listAll(t, c, acct, &pwclient.ListOptions{Orderby: ptr("name asc"), Skip: ptr[int32](2)})
		if got := names(items); !slices.Equal(got, all[2:]) || !slices.Equal(pages, []int{10, 1}) {
			t.Errorf("$orderby=name asc&$skip=2: %v (pages %v)", got, pages)
		}
		items, _ = listAll(t, c, acct, &pwclient.ListOptions{Orderby: ptr("name asc"), Skip: ptr[int32](12)})
		if got := names(items); !slices.Equal(got, all[12:]) {
			t.Errorf("$skip=12: %v", got)
		}
		items, _ = listAll(t, c, acct, &pwclient.ListOptions{Filter: ptr("name eq 'hzd0c5e1t07'")})
		if got := names(items); !slices.Equal(got, []string{"hzd0c5e1t07"}) {
			t.Errorf("$filter=name eq: %v", got)
		}
		items, pages = listAll(t, c, acct, &pwclient.ListOptions{Select: []string{"id", "name"}})
		if len(items) != 13 || !slices.Equal(pages, []int{10, 3}) {
			t.Errorf("$select: %d items, pages %v", len(items), pages)
		}
		for _, it := range items {
			if it.ID == nil || it.Name == nil || it.CreatedAt != nil || it.ExpiryAt != nil || it.State != nil {
				t.Errorf("$select=id,name item: %+v", it)
			}
		}
		// Expired tokens leave 'Active', in one query answered in the
		// database.
		e.clock.Advance(5*24*time.Hour + time.Second)
		items, _ = listAll(t, c, acct, &pwclient.ListOptions{Filter: ptr("state eq 'Active' and startswith(name,'hzd0c5e1t1')"), Orderby: ptr("expiryAt desc")})
		if got := names(items); !slices.Equal(got, []string{"hzd0c5e1t13", "hzd0c5e1t12", "hzd0c5e1t11", "hzd0c5e1t10"}) {
			t.Errorf("active ci tokens: %v", got)
		}
		items, _ = listAll(t, c, acct, &pwclient.ListOptions{Filter: ptr("state eq 'expired'")})
		if len(items) != 5 {
			t.Errorf("expired: %v", names(items))
		}
	})
}

// refToken is what the reference evaluator sees of a token.
type refToken = tokend.AccessToken

// A table of filters and orders, each with a reference predicate, checked
// over every page of the listing on both engines.
func TestListFiltersAgainstReference(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, withPageSize(4))
		acct := e.createAccount(t, "rg", "acct1")
		now := e.clock.Now()
		base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		names := []string{"ci", "ciA", "ci1", "Ci", "CI9", "cj", "ch", "build", "buildX", "abc", "ABC", "zeta", "ciX", "ciZ"}
		var seeded []*refToken
		for i := range 70 {
			seeded = append(seeded, &tokend.AccessToken{
				AccountID: acct, ID: fmt.Sprintf("%04x%04x-0000-4000-8000-%012d", (i*7919)%65536, i, i),
				Name: names[i%len(names)] + fmt.Sprint(i%3),
				Hash: []byte("h"), CreatedAt: base.Add(time.Duration(i%9) * time.Hour),
				ExpiryAt: now.Add(time.Duration(i%11-4) * 24 * time.Hour), CreatedBy: owner,
			})
		}
		if err := e.store.CreateAccessTokens(context.Background(), seeded); err != nil {
			t.Fatal(err)
		}
		active := func(x *refToken) bool { return x.ExpiryAt.After(now) }
		cut := base.Add(4 * time.Hour)
		filters := []struct {
			filter string
			keep   func(*refToken) bool
		}{
			{"", func(*refToken) bool { return true }},
			{"state eq 'Active'", active},
			{"state ne 'Active'", func(x *refToken) bool { return !active(x) }},
			{"state eq 'Expired' or name eq 'zeta0'", func(x *refToken) bool { return !active(x) || x.Name == "zeta0" }},
			{"startswith(name,'ci')", func(x *refToken) bool { return strings.HasPrefix(x.Name, "ci") }},
			{"state eq 'Active' and startswith(name,'ci')", func(x *refToken) bool { return active(x) && strings.HasPrefix(x.Name, "ci") }},
			{"endswith(name,'1')", func(x *refToken) bool { return strings.HasSuffix(x.Name, "1") }},
			{"contains(name,'X')", func(x *refToken) bool { return strings.Contains(x.Name, "X") }},
			{"contains(name,'%')", func(x *refToken) bool { return false }},
			{"name gt 'ci' and name lt 'cj'", func(x *refToken) bool { return x.Name > "ci" && x.Name < "cj" }},
			{"name ge 'abc0' and name le 'abc2'", func(x *refToken) bool { return x.Name >= "abc0" && x.Name <= "abc2" }},
			{"not (startswith(name,'ci') or startswith(name,'build'))", func(x *refToken) bool {
				return !strings.HasPrefix(x.Name, "ci") && !strings.HasPrefix(x.Name, "build")
			}},
			{"createdAt ge " + cut.Format(time.RFC3339), func(x *refToken) bool { return !x.CreatedAt.Before(cut) }},
			{"createdAt lt " + cut.Format(time.RFC3339) + " and (state eq 'Active' or endswith(name,'2'))", func(x *refToken) bool {
				return x.CreatedAt.Before(cut) && (active(x) || strings.HasSuffix(x.Name, "2"))
			}},
			{"expiryAt gt " + now.Add(48*time.Hour).Format(time.RFC3339Nano), func(x *refToken) bool { return x.ExpiryAt.After(now.Add(48 * time.Hour)) }},
			{"id eq '" + seeded[5].ID + "'", func(x *refToken) bool { return x.ID == seeded[5].ID }},
			{"startswith(id,'0')", func(x *refToken) bool { return strings.HasPrefix(x.ID, "0") }},
		}
		orders := []struct {
			orderby string
			keys    []tokend.AccessTokenOrder
		}{
			{"", nil},
			{"name desc", []tokend.AccessTokenOrder{{Field: "name", Desc: true}}},
			{"expiryAt desc", []tokend.AccessTokenOrder{{Field: "expiryAt", Desc: true}}},
			{"createdAt, name desc", []tokend.AccessTokenOrder{{Field: "createdAt"}, {Field: "name", Desc: true}}},
			{"state, expiryAt", []tokend.AccessTokenOrder{{Field: "state"}, {Field: "expiryAt"}}},
			{"id desc", []tokend.AccessTokenOrder{{Field: "id", Desc: true}}},
		}
		for _, f := range filters {
			for _, o := range orders {
				for _, top := range []int{-1, 5} {
					var want []string
					for _, x := range referenceSort(seeded, o.keys, now) {
						if f.keep(x) {
							want = append(want, x.ID)
						}
					}
					if top >= 0 && len(want) > top {
						want = want[:top]
					}
					q := url.Values{"api-version": {"2024-12-01"}}
					if f.filter != "" {
						q.Set("$filter", f.filter)
					}
					if o.orderby != "" {
						q.Set("$orderby", o.orderby)
					}
					if top >= 0 {
						q.Set("$top", fmt.Sprint(top))
					}
					got := walkPages(t, e, dataPath(acct, "access-tokens")+"?"+q.Encode(), 4)
					if !slices.Equal(got, want) {
						t.Errorf("$filter=%s $orderby=%s $top=%d:\n got %v\nwant %v", f.filter, o.orderby, top, got, want)
					}
				}
			}
		}
		// One page of every token (a second node on the store, with pages
		// of 100): kilobytes, sent with their length (validateResponse).
		var want []string
		for _, x := range referenceSort(seeded, nil, now) {
			want = append(want, x.ID)
		}
		big := newEnv(t, store, withPageSize(100))
		if got := walkPages(t, big, dataPath(acct, "access-tokens")+"?api-version=2024-12-01", 100); !slices.Equal(got, want) {
			t.Errorf("one page of all:\n got %v\nwant %v", got, want)
		}
	})
}

func withPageSize(n int) envOption {
	return func(c *playwright.Config) { c.PageSize = n }
}

// walkPages follows nextLinks with raw requests, checking every page's size
// and that each nextLink keeps the query.
func walkPages(t *testing.T, e *env, path string, size int) []string {
	t.Helper()
	first, _ := url.Parse(path)
	var ids []string
	for n := 0; path != ""; n++ {
		if n > 100 {
			t.Fatal("too many pages")
		}
		resp, body := e.do(t, http.MethodGet, path, nil, "good-"+owner)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		var page struct {
			Value    []struct{ ID string }
			NextLink string
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		if page.NextLink != "" && len(page.Value) != size {
			t.Errorf("a page of %d items before a nextLink, want %d", len(page.Value), size)
		}
		for _, v := range page.Value {
			ids = append(ids, v.ID)
		}
		path = page.NextLink
		if path != "" {
			u, err := url.Parse(path)
			if err != nil || !u.IsAbs() {
				t.Fatalf("nextLink %q is not absolute", path)
			}
			for k, v := range first.Query() {
				if k != "$skip" && u.Query().Get(k) != v[0] {
					t.Errorf("nextLink %q lost %s=%s", path, k, v[0])
				}
			}
			if u.Query().Has("$skip") || u.Query().Get("$skipToken") == "" {
				t.Errorf("nextLink %q: want $skipToken and no $skip", path)
			}
		}
	}
	return ids
}

func referenceSort(list []*refToken, keys []tokend.AccessTokenOrder, now time.Time) []*refToken {
	out := slices.Clone(list)
	cmp := func(f tokend.AccessTokenField, a, b *refToken) int {
		switch f {
		case "name":
			return strings.Compare(a.Name, b.Name)
		case "createdAt":
			return a.CreatedAt.Compare(b.CreatedAt)
		case "expiryAt":
			return a.ExpiryAt.Compare(b.ExpiryAt)
		case "state":
			rank := func(x *refToken) int {
				if x.Active(now) {
					return 0
				}
				return 1
			}
			return rank(a) - rank(b)
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortFunc(out, func(a, b *refToken) int {
		desc := false
		for _, k := range keys {
			c := cmp(k.Field, a, b)
			if desc = k.Desc; desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		c := strings.Compare(a.ID, b.ID)
		if desc {
			c = -c
		}
		return c
	})
	return out
}

func TestListQueryErrors(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		acct := e.createAccount(t, "rg", "acct1")
		exp := e.clock.Now().Add(time.Hour)
		c := e.client("good-" + owner)
		for i := range 3 {
			if _, err := c.CreateOrReplace(context.Background(), acct, fmt.Sprintf("0000000%d-0000-0000-0000-000000000000", i), pwclient.AccessToken{Name: ptr("tok" + fmt.Sprint(i)), ExpiryAt: &exp}); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			query, target, inMessage string
		}{
			{"$filter=nmae eq 'x'", "$filter", "position 1"},
			{"$filter=name eq 5", "$filter", "position"},
			{"$filter=name eq 'x' and", "$filter", "position"},
			{"$filter=(name eq 'x'", "$filter", "position"},
			{"$filter=state gt 'Active'", "$filter", "state"},
			{"$filter=state eq 'Pending'", "$filter", "Pending"},
			{"$filter=expiryAt gt 2026-13-01T00:00:00Z", "$filter", "position"},
			{"$filter=frobnicate(name,'x')", "$filter", "position"},
			{"$orderby=name sideways", "$orderby", "position"},
			{"$orderby=jwtToken", "$orderby", "jwtToken"},
			{"$orderby=name,name desc", "$orderby", "twice"},
			{"$select=jwtToken", "$select", "jwtToken"},
			{"$top=-1", "$top", "position 1"},
			{"$top=ten", "$top", "position 1"},
			{"$skip=1.5", "$skip", "position 2"},
			{"$count=true", "$count", "$count"},
			{"$filter=name eq 'a'&$FILTER=name eq 'b'", "$filter", "more than once"},
			{"$skipToken=garbage!", "$skipToken", "nextLink"},
		}
		for _, tc := range cases {
			t.Run(tc.query, func(t *testing.T) {
				resp, body := e.do(t, http.MethodGet, dataPath(acct, "access-tokens")+"?api-version=2024-12-01&"+escapeQuery(tc.query), nil, "good-"+owner)
				code, target, msg := errorCode(t, resp, body)
				if resp.StatusCode != 400 || !strings.EqualFold(target, tc.target) || !strings.Contains(msg, tc.inMessage) {
					t.Errorf("%d %s target %q: %s", resp.StatusCode, code, target, msg)
				}
			})
		}
		// A continuation token replayed with another query, or altered, is a
		// clean 400.
		resp, body := e.do(t, http.MethodGet, dataPath(acct, "access-tokens")+"?api-version=2024-12-01&$top=2&$orderby=name&$top=1", nil, "good-"+owner)
		if resp.StatusCode != 400 {
			t.Errorf("$top twice: %d %s", resp.StatusCode, body)
		}
		var page struct{ NextLink string }
		// A second node on the same store, with pages of one token.
		e2 := newEnv(t, store, withPageSize(1))
		acct2 := e2.createAccount(t, "rg", "acct2")
		c2 := e2.client("good-" + owner)
		for i := range 3 {
			if _, err := c2.CreateOrReplace(context.Background(), acct2, fmt.Sprintf("0000000%d-0000-0000-0000-000000000000", i), pwclient.AccessToken{Name: ptr("tok" + fmt.Sprint(i)), ExpiryAt: &exp}); err != nil {
				t.Fatal(err)
			}
		}
		resp, body = e2.do(t, http.MethodGet, dataPath(acct2, "access-tokens")+"?api-version=2024-12-01&$orderby=name", nil, "good-"+owner)
		_ = json.Unmarshal(body, &page)
		if resp.StatusCode != 200 || page.NextLink == "" {
			t.Fatalf("first page: %s", body)
		}
		swapped := strings.Replace(page.NextLink, "orderby=name", "orderby=name+desc", 1)
		resp, body = e2.do(t, http.MethodGet, swapped, nil, "good-"+owner)
		if _, target, msg := errorCode(t, resp, body); resp.StatusCode != 400 || target != "$skipToken" || !strings.Contains(msg, "$orderby") {
			t.Errorf("token with another $orderby: %d %s", resp.StatusCode, body)
		}
		u, _ := url.Parse(page.NextLink)
		q := u.Query()
		tok := q.Get("$skipToken")
		q.Set("$skipToken", tok[:len(tok)-2]+"AA")
		u.RawQuery = q.Encode()
		resp, body = e2.do(t, http.MethodGet, u.String(), nil, "good-"+owner)
		if _, target, _ := errorCode(t, resp, body); resp.StatusCode != 400 || target != "$skipToken" {
			t.Errorf("altered token: %d %s", resp.StatusCode, body)
		}
	})
}

// escapeQuery percent-encodes the values of "k=v&k=v" as the SDK does.
func escapeQuery(s string) string {
	var parts []string
	for _, kv := range strings.Split(s, "&") {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}
