package bench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

const playwrightAPI = "2024-12-01"

// Seeder writes Playwright access tokens and generic resources in bulk:
// storage opened directly (tokend.Store) when bench started the servers,
// or PUTs over HTTP against a remote target.
type Seeder interface {
	CreateAccessTokens(ctx context.Context, list []*tokend.AccessToken) error
	CreateResources(ctx context.Context, list []*tokend.Resource) error
}

// seedBatch is how many tokens one Seeder call gets: one transaction of a
// direct seeder, whose commit it amortizes.
const seedBatch = 10000

// StoreSeeder seeds through storage opened directly: the store's own
// batched insert of access tokens, and resources in one transaction per
// call.
func StoreSeeder(s tokend.Store) Seeder { return storeSeeder{s} }

type storeSeeder struct{ s tokend.Store }

func (t storeSeeder) CreateAccessTokens(ctx context.Context, list []*tokend.AccessToken) error {
	return t.s.CreateAccessTokens(ctx, list)
}

func (t storeSeeder) CreateResources(ctx context.Context, list []*tokend.Resource) error {
	return t.s.InTx(ctx, func(q tokend.Queries) error {
		for _, r := range list {
			if err := q.CreateResource(ctx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// pwAccount is a Playwright account created over ARM.
type pwAccount struct {
	name string
	id   string // data-plane account id (last segment of dashboardUri)
	base string // dashboardUri: {base}/playwright/accounts/{id}
}

// createPlaywrightAccount PUTs an account and reads its data-plane id.
func createPlaywrightAccount(ctx context.Context, env *Env, name string) (*pwAccount, error) {
	path := env.armPath("/providers/Microsoft.AzurePlaywrightService/accounts/"+name) + "?api-version=" + playwrightAPI
	b, err := env.PutARM(ctx, path, map[string]any{"location": "eastus"})
	if err != nil {
		return nil, err
	}
	var acc struct {
		Properties struct {
			DashboardURI string `json:"dashboardUri"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(b, &acc); err != nil || acc.Properties.DashboardURI == "" {
		return nil, fmt.Errorf("account %s: no properties.dashboardUri in %s", name, clip(b))
	}
	u := strings.TrimRight(acc.Properties.DashboardURI, "/")
	id := u[strings.LastIndexByte(u, '/')+1:]
	// Requests address the logical URL whatever host the account names.
	base := env.BaseURL + "/playwright/accounts/" + id
	if pu, err := url.Parse(u); err == nil && pu.Path != "" {
		base = env.BaseURL + pu.Path
	}
	return &pwAccount{name: name, id: id, base: base}, nil
}

// pwListFixture is the listed account with Seeds.PlaywrightTokens tokens
// and Seeds.PlaywrightOtherTokens more spread over other accounts, so the
// list runs against a table of the full size. Shared by pw-list and
// pw-page50.
type pwListFixture struct {
	mu       sync.Mutex
	prepared bool
	seeded   bool
	err      error
	listed   *pwAccount
	others   []*pwAccount
	pageURLs []string // pageURLs[i] is page i+1 of the paged list
}

func pwFixture(env *Env) *pwListFixture {
	return fixture(env, "playwright-list", func() *pwListFixture { return &pwListFixture{} })
}

func (f *pwListFixture) prepare(ctx context.Context, env *Env) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.prepared {
		return f.err
	}
	f.prepared = true
	f.listed, f.err = createPlaywrightAccount(ctx, env, "benchlist")
	if f.err != nil {
		return f.err
	}
	n := env.Seeds.PlaywrightOtherAccounts
	if env.Seeds.PlaywrightOtherTokens == 0 {
		n = 0
	}
	f.others = make([]*pwAccount, n)
	f.err = parallel(ctx, n, env.Workers, func(ctx context.Context, i int) error {
		a, err := createPlaywrightAccount(ctx, env, fmt.Sprintf("benchother%04d", i))
		f.others[i] = a
		return err
	})
	return f.err
}

func (f *pwListFixture) seed(ctx context.Context, env *Env, s Seeder) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seeded || f.err != nil {
		return f.err
	}
	f.seeded = true
	now := time.Now().UTC().Truncate(time.Second)
	start := time.Now()
	total := env.Seeds.PlaywrightTokens
	env.Log("  seeding %d Playwright access tokens into one account, %d over %d others",
		total, env.Seeds.PlaywrightOtherTokens, len(f.others))
	if err := SeedAccessTokens(ctx, s, f.listed.id, total, now); err != nil {
		f.err = fmt.Errorf("seed %s: %w", f.listed.name, err)
		return f.err
	}
	if len(f.others) > 0 {
		per := env.Seeds.PlaywrightOtherTokens / len(f.others)
		for _, a := range f.others {
			if err := SeedAccessTokens(ctx, s, a.id, per, now); err != nil {
				f.err = fmt.Errorf("seed %s: %w", a.name, err)
				return f.err
			}
		}
		total += per * len(f.others)
	}
	el := time.Since(start)
	env.Log("  seeded %d Playwright access tokens in %s (%.0f/s)", total, el.Round(time.Millisecond), float64(total)/el.Seconds())
	return nil
}

// SeedAccessTokens writes n tokens into one account (or workspace: its
// tokens share the table, keyed by its data-plane id; the console's page
// benchmark seeds with it too), as a year of use would have left them:
// created one after another (so expiry grows with creation, each token
// living 7 to 90 days), expiries from 30 days ago to 90 days ahead (a
// quarter expired), names cycling through four prefixes ("ci" a quarter
// of them), ids random UUIDs as clients send them.
//
// Seeding millions of rows is bound by index maintenance. Rows are
// generated in creation order, so the name, created and expiry indexes grow
// at their ends; only the primary key (account, random id) takes inserts
// everywhere, and each batch goes in sorted by id so that it sweeps the
// b-tree once instead of jumping across it.
func SeedAccessTokens(ctx context.Context, s Seeder, accountID string, n int, now time.Time) error {
	const creator = "00000000-0000-0000-0000-00000000be0c"
	span := 120 * 24 * time.Hour // expiries cover [now-30d, now+90d)
	first := now.Add(-30 * 24 * time.Hour)
	batch := make([]*tokend.AccessToken, 0, seedBatch)
	var hashes []byte
	for i := 0; i < n; i++ {
		if len(batch) == 0 {
			// A fresh slice per batch: a seeder may keep what it was given.
			hashes = make([]byte, 32*min(seedBatch, n-i))
			_, _ = rand.Read(hashes)
		}
		exp := first.Add(time.Duration(int64(span) / int64(n) * int64(i))).Truncate(time.Second)
		if !exp.Equal(now) && exp.Sub(now).Abs() < time.Second {
			exp = now.Add(time.Second) // no token expires exactly now
		}
		lifetime := time.Duration(7+(i*37)%84) * 24 * time.Hour
		k := len(batch)
		batch = append(batch, &tokend.AccessToken{
			AccountID: accountID,
			ID:        uuid.NewString(),
			Name:      fmt.Sprintf("%s%07d", [...]string{"ci", "nightly", "dev", "release"}[i%4], i),
			Hash:      hashes[32*k : 32*k+32 : 32*k+32],
			CreatedAt: exp.Add(-lifetime),
			ExpiryAt:  exp,
			CreatedBy: creator,
		})
		if len(batch) == seedBatch || i == n-1 {
			slices.SortFunc(batch, func(a, b *tokend.AccessToken) int { return strings.Compare(a.ID, b.ID) })
			if err := s.CreateAccessTokens(ctx, batch); err != nil {
				return err
			}
			batch = make([]*tokend.AccessToken, 0, seedBatch)
		}
	}
	return nil
}

// pwListQuery is the list pw-list sends: one page of the ten newest
// active "ci" tokens. $top bounds the whole result (OData), so this list has
// no next page.
var pwListQuery = url.Values{
	"api-version": {playwrightAPI},
	"$filter":     {"state eq 'Active' and startswith(name,'ci')"},
	"$orderby":    {"expiryAt desc"},
	"$top":        {"10"},
}.Encode()

// pwPagedQuery is the same list without $top: the server pages it by 10
// (the contract's default page size) with nextLinks, which pw-page50
// follows.
var pwPagedQuery = url.Values{
	"api-version": {playwrightAPI},
	"$filter":     {"state eq 'Active' and startswith(name,'ci')"},
	"$orderby":    {"expiryAt desc"},
}.Encode()

// pages follows nextLink of the paged list from page 1 to page n and
// remembers every page's URL.
func (f *pwListFixture) pages(ctx context.Context, env *Env, n int) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pageURLs) >= n {
		return f.pageURLs[:n], nil
	}
	tok, err := env.Token(ctx, playwrightScope)
	if err != nil {
		return nil, err
	}
	urls := []string{f.listed.base + "/access-tokens?" + pwPagedQuery}
	for len(urls) < n {
		b, _, err := env.Call(ctx, http.MethodGet, urls[len(urls)-1], nil, tok)
		if err != nil {
			return nil, err
		}
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink *string           `json:"nextLink"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("access-token list page %d: %w", len(urls), err)
		}
		if len(page.Value) != 10 {
			return nil, fmt.Errorf("access-token list page %d: %d items, want 10 (too few tokens seeded?)", len(urls), len(page.Value))
		}
		if page.NextLink == nil || *page.NextLink == "" {
			return nil, fmt.Errorf("access-token list page %d has no nextLink: page %d needs %d active 'ci' tokens "+
				"(a quarter of the names start with 'ci', three quarters are active: --pw-tokens %d at least)",
				len(urls), n, 10*n, 10*n*16/3+1)
		}
		next, err := sameHost(env.BaseURL, *page.NextLink)
		if err != nil {
			return nil, err
		}
		urls = append(urls, next)
	}
	f.pageURLs = urls
	return urls, nil
}

// sameHost re-addresses an absolute link to the logical base URL (they
// differ only when a node renders links with its own address).
func sameHost(base, link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("nextLink %q: %w", link, err)
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Scheme, u.Host = b.Scheme, b.Host
	return u.String(), nil
}

// pwList is the Playwright access-token list with $filter, $orderby and
// $top=10 over the seeded table: page 1, or with page set, page n reached
// by following nextLink (keyset paging: it should cost what page 1 does).
type pwList struct {
	page  int // 0 or 1: the first page
	url   string
	token string
}

func (s *pwList) Name() string {
	if s.page > 1 {
		return fmt.Sprintf("pw-page%d", s.page)
	}
	return "pw-list"
}

func (s *pwList) Target() string {
	if s.page > 1 {
		return fmt.Sprintf("page %d as fast as page 1", s.page)
	}
	return "p99 ≤ 20 ms at 1M+1M"
}

func (*pwList) Bound() Bound { return BoundHTTPS }

func (s *pwList) Prepare(ctx context.Context, env *Env) error {
	return pwFixture(env).prepare(ctx, env)
}

func (s *pwList) Seed(ctx context.Context, env *Env, sd Seeder) error {
	return pwFixture(env).seed(ctx, env, sd)
}

func (s *pwList) Setup(ctx context.Context, env *Env) error {
	f := pwFixture(env)
	if err := f.prepare(ctx, env); err != nil {
		return err
	}
	tok, err := env.Token(ctx, playwrightScope)
	if err != nil {
		return err
	}
	s.token = tok
	if s.page > 1 {
		urls, err := f.pages(ctx, env, s.page)
		if err != nil {
			return err
		}
		s.url = urls[s.page-1]
	} else {
		s.url = f.listed.base + "/access-tokens?" + pwListQuery
	}
	b, _, err := env.Call(ctx, http.MethodGet, s.url, nil, tok)
	if err != nil {
		return err
	}
	var page struct {
		Value []json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &page); err != nil || len(page.Value) != 10 {
		return fmt.Errorf("access-token list: want 10 items, got %d (%v)", len(page.Value), err)
	}
	return nil
}

func (s *pwList) Next(ctx context.Context, _ int) (*http.Request, error) {
	return bearer(ctx, http.MethodGet, s.url, s.token, nil)
}

// pwCreate is access-token creation: PUT of a new token (a new id each
// request) into an account of its own, so the listed account's results do
// not move. Every request signs a token and writes a row.
type pwCreate struct {
	base, token string
	seq         atomic.Uint64
	body        []byte
}

func (*pwCreate) Name() string   { return "pw-create" }
func (*pwCreate) Target() string { return "≥ 2,000/s" }
func (*pwCreate) Bound() Bound   { return BoundSign }

func (s *pwCreate) Setup(ctx context.Context, env *Env) error {
	acc, err := createPlaywrightAccount(ctx, env, "benchcreate")
	if err != nil {
		return err
	}
	tok, err := env.Token(ctx, playwrightScope)
	if err != nil {
		return err
	}
	s.token, s.base = tok, acc.base+"/access-tokens/"
	exp := time.Now().UTC().Add(30 * 24 * time.Hour).Truncate(time.Second).Format(time.RFC3339)
	s.body = []byte(`{"name":"benchtoken","expiryAt":"` + exp + `"}`)
	return checkOnce(ctx, env, s)
}

func (s *pwCreate) Next(ctx context.Context, _ int) (*http.Request, error) {
	return bearer(ctx, http.MethodPut, s.base+uuid.NewString()+"?api-version="+playwrightAPI, s.token, s.body)
}

// httpSeeder seeds a remote target's tokens with PUTs (slow: use small
// --pw-tokens). Expired tokens cannot be created through the API, so their
// expiry moves to the future.
type httpSeeder struct {
	env      *Env
	accounts map[string]string // data-plane id → base URL
}

func (h *httpSeeder) CreateAccessTokens(ctx context.Context, list []*tokend.AccessToken) error {
	tok, err := h.env.Token(ctx, playwrightScope)
	if err != nil {
		return err
	}
	return parallel(ctx, len(list), h.env.Workers*2, func(ctx context.Context, i int) error {
		t := list[i]
		base, ok := h.accounts[t.AccountID]
		if !ok {
			return errors.New("seed: unknown account " + t.AccountID)
		}
		exp := t.ExpiryAt
		if floor := time.Now().Add(time.Hour); exp.Before(floor) {
			exp = floor
		}
		body := map[string]string{"name": t.Name, "expiryAt": exp.UTC().Format(time.RFC3339)}
		_, _, err := h.env.Call(ctx, http.MethodPut, base+"/access-tokens/"+t.ID+"?api-version="+playwrightAPI, body, tok)
		return err
	})
}

// CreateResources PUTs a Playwright account under each resource's group
// and name: the one type a remote target creates from a location alone.
func (h *httpSeeder) CreateResources(ctx context.Context, list []*tokend.Resource) error {
	return parallel(ctx, len(list), h.env.Workers*2, func(ctx context.Context, i int) error {
		id := list[i].ID
		group := id[:strings.Index(id, "/providers/")]
		_, err := h.env.PutARM(ctx, group+"/providers/Microsoft.AzurePlaywrightService/accounts/"+list[i].Name+"?api-version="+playwrightAPI,
			map[string]any{"location": "eastus"})
		return err
	})
}

// remoteSeeder is an httpSeeder knowing every account the fixture made.
func remoteSeeder(env *Env) *httpSeeder {
	f := pwFixture(env)
	h := &httpSeeder{env: env, accounts: map[string]string{}}
	if f.listed != nil {
		h.accounts[f.listed.id] = f.listed.base
	}
	for _, a := range f.others {
		if a != nil {
			h.accounts[a.id] = a.base
		}
	}
	return h
}
