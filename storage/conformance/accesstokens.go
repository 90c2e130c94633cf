package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokend-dev/tokend"
)

// RunAccessTokens runs the AccessTokenStore conformance tests: the account
// index, token CRUD and bulk inserts, and lists in every order with keyset
// paging. $filter translation is engine-independent OData and is tested by
// the provider (playwright) on every engine.
func RunAccessTokens(t *testing.T, newStore func(t *testing.T) tokend.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s tokend.Store)
	}{
		{"PlaywrightAccounts", testPlaywrightAccounts},
		{"AccessTokenCRUD", testAccessTokenCRUD},
		{"AccessTokenBulkCreate", testAccessTokenBulkCreate},
		{"AccessTokenListOrders", testAccessTokenListOrders},
		{"AccessTokenListSkip", testAccessTokenListSkip},
		{"AccessTokenListPagingStable", testAccessTokenListPagingStable},
		{"AccessTokenTxRollback", testAccessTokenTxRollback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

func newAccessToken(account, id, name string, created, expiry time.Time) *tokend.AccessToken {
	return &tokend.AccessToken{
		AccountID: account, ID: id, Name: name,
		Hash:      bytes.Repeat([]byte{byte(len(id)), 0xff, 0}, 11),
		CreatedAt: created, ExpiryAt: expiry, CreatedBy: "alice",
	}
}

func testPlaywrightAccounts(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a := &tokend.PlaywrightAccount{ID: "eastus_1", ResourceKey: "/subscriptions/s/resourcegroups/rg/providers/microsoft.azureplaywrightservice/accounts/a", CreatedAt: stamp(0)}
	_, err := s.GetPlaywrightAccount(ctx, a.ID)
	wantErr(t, err, tokend.ErrNotFound)
	must(t, s.CreatePlaywrightAccount(ctx, a))
	got, err := s.GetPlaywrightAccount(ctx, a.ID)
	must(t, err)
	if got.ID != a.ID || got.ResourceKey != a.ResourceKey {
		t.Errorf("GetPlaywrightAccount = %+v, want %+v", got, a)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)
	wantErr(t, s.CreatePlaywrightAccount(ctx, a), tokend.ErrAlreadyExists)
	// One resource has one data-plane id at a time.
	again := *a
	again.ID = "eastus_2"
	wantErr(t, s.CreatePlaywrightAccount(ctx, &again), tokend.ErrAlreadyExists)
	// Ids compare exactly: they are not case-folded.
	if _, err := s.GetPlaywrightAccount(ctx, "EASTUS_1"); !errors.Is(err, tokend.ErrNotFound) {
		t.Errorf("GetPlaywrightAccount(upper case) = %v, want ErrNotFound", err)
	}

	other := &tokend.PlaywrightAccount{ID: "eastus_3", ResourceKey: a.ResourceKey + "x", CreatedAt: stamp(0)}
	must(t, s.CreatePlaywrightAccount(ctx, other))
	for i := range 3 {
		must(t, s.CreateAccessToken(ctx, newAccessToken(a.ID, fmt.Sprintf("t-%d", i), "tok", stamp(0), stamp(time.Hour))))
		must(t, s.CreateAccessToken(ctx, newAccessToken(other.ID, fmt.Sprintf("t-%d", i), "tok", stamp(0), stamp(time.Hour))))
	}
	// Deleting an account takes its tokens with it, and only its tokens.
	must(t, s.DeletePlaywrightAccount(ctx, a.ID))
	_, err = s.GetPlaywrightAccount(ctx, a.ID)
	wantErr(t, err, tokend.ErrNotFound)
	_, err = s.GetAccessToken(ctx, a.ID, "t-0")
	wantErr(t, err, tokend.ErrNotFound)
	if list := listAll(t, s, tokend.AccessTokenQuery{AccountID: a.ID}); len(list) != 0 {
		t.Errorf("tokens of a deleted account: %d", len(list))
	}
	if list := listAll(t, s, tokend.AccessTokenQuery{AccountID: other.ID}); len(list) != 3 {
		t.Errorf("tokens of the other account: %d, want 3", len(list))
	}
	wantErr(t, s.DeletePlaywrightAccount(ctx, a.ID), tokend.ErrNotFound)
	// The resource key is free again: an account created anew under the
	// same name gets a new id.
	again.ID = "eastus_4"
	must(t, s.CreatePlaywrightAccount(ctx, &again))
}

func testAccessTokenCRUD(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	tok := newAccessToken("acct-1", "0000000a-0000-0000-0000-00000000000b", "ciToken", stamp(0), stamp(90*24*time.Hour))
	_, err := s.GetAccessToken(ctx, tok.AccountID, tok.ID)
	wantErr(t, err, tokend.ErrNotFound)
	must(t, s.CreateAccessToken(ctx, tok))
	got, err := s.GetAccessToken(ctx, tok.AccountID, tok.ID)
	must(t, err)
	checkAccessToken(t, got, tok)
	wantErr(t, s.CreateAccessToken(ctx, tok), tokend.ErrAlreadyExists)

	// The same id in another account is another token.
	twin := newAccessToken("acct-2", tok.ID, "twin", stamp(time.Second), stamp(time.Hour))
	must(t, s.CreateAccessToken(ctx, twin))
	// Ids compare exactly.
	_, err = s.GetAccessToken(ctx, tok.AccountID, strings.ToUpper(tok.ID))
	wantErr(t, err, tokend.ErrNotFound)

	repl := newAccessToken(tok.AccountID, tok.ID, "replaced", stamp(time.Minute), stamp(2*time.Hour))
	repl.Hash = []byte("another hash, another token......")
	repl.CreatedBy = "bob"
	must(t, s.ReplaceAccessToken(ctx, repl))
	got, err = s.GetAccessToken(ctx, tok.AccountID, tok.ID)
	must(t, err)
	checkAccessToken(t, got, repl)
	wantErr(t, s.ReplaceAccessToken(ctx, newAccessToken("acct-1", "missing", "x", stamp(0), stamp(0))), tokend.ErrNotFound)

	must(t, s.DeleteAccessToken(ctx, tok.AccountID, tok.ID))
	_, err = s.GetAccessToken(ctx, tok.AccountID, tok.ID)
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.DeleteAccessToken(ctx, tok.AccountID, tok.ID), tokend.ErrNotFound)
	got, err = s.GetAccessToken(ctx, twin.AccountID, twin.ID)
	must(t, err)
	checkAccessToken(t, got, twin)
}

func checkAccessToken(t *testing.T, got, want *tokend.AccessToken) {
	t.Helper()
	if got.AccountID != want.AccountID || got.ID != want.ID || got.Name != want.Name || got.CreatedBy != want.CreatedBy {
		t.Errorf("token = %s/%s %q by %q, want %s/%s %q by %q", got.AccountID, got.ID, got.Name, got.CreatedBy,
			want.AccountID, want.ID, want.Name, want.CreatedBy)
	}
	if !bytes.Equal(got.Hash, want.Hash) {
		t.Errorf("Hash = %x, want %x", got.Hash, want.Hash)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "ExpiryAt", got.ExpiryAt, want.ExpiryAt)
}

func testAccessTokenBulkCreate(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	// More than one batch (500 rows per statement).
	var list []*tokend.AccessToken
	for i := range 1234 {
		list = append(list, newAccessToken("bulk", fmt.Sprintf("id-%05d", i), fmt.Sprintf("n%d", i%7), stamp(time.Duration(i)*time.Second), stamp(time.Hour)))
	}
	must(t, s.CreateAccessTokens(ctx, list))
	if got := listAll(t, s, tokend.AccessTokenQuery{AccountID: "bulk"}); len(got) != len(list) {
		t.Fatalf("listed %d tokens, want %d", len(got), len(list))
	}
	got, err := s.GetAccessToken(ctx, "bulk", "id-01000")
	must(t, err)
	checkAccessToken(t, got, list[1000])

	// One conflict, in the second batch, rolls back all of them.
	var more []*tokend.AccessToken
	for i := range 700 {
		more = append(more, newAccessToken("bulk2", fmt.Sprintf("id-%05d", i), "x", stamp(0), stamp(time.Hour)))
	}
	more = append(more, newAccessToken("bulk", "id-00001", "x", stamp(0), stamp(time.Hour)))
	wantErr(t, s.CreateAccessTokens(ctx, more), tokend.ErrAlreadyExists)
	if got := listAll(t, s, tokend.AccessTokenQuery{AccountID: "bulk2"}); len(got) != 0 {
		t.Errorf("a failed bulk create left %d tokens", len(got))
	}
	// Inside a transaction too.
	must(t, s.InTx(ctx, func(q tokend.Queries) error {
		return q.CreateAccessTokens(ctx, more[:3])
	}))
	if got := listAll(t, s, tokend.AccessTokenQuery{AccountID: "bulk2"}); len(got) != 3 {
		t.Errorf("bulk create in a transaction: %d tokens, want 3", len(got))
	}
	must(t, s.CreateAccessTokens(ctx, nil))
}

// seedOrderTokens creates tokens whose names, creation and expiry times
// collide often, so ties exercise the id tie-break, with some expired as of
// the returned instant.
func seedOrderTokens(t *testing.T, s tokend.Store, account string, n int) ([]*tokend.AccessToken, time.Time) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, uint64(n)))
	names := []string{"alpha", "Alpha", "beta", "ci", "ci1", "ciA", "zulu", "a"}
	var list []*tokend.AccessToken
	for i := range n {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", r.Uint32(), i)
		list = append(list, newAccessToken(account, id, names[r.IntN(len(names))],
			stamp(time.Duration(r.IntN(5))*time.Minute), stamp(time.Duration(r.IntN(7))*time.Hour)))
	}
	must(t, s.CreateAccessTokens(t.Context(), list))
	return list, stamp(3*time.Hour + time.Minute)
}

// referenceOrder sorts tokens as the store must: by the keys, then by id in
// the direction of the last key, bytewise.
func referenceOrder(list []*tokend.AccessToken, order []tokend.AccessTokenOrder, now time.Time) []*tokend.AccessToken {
	out := slices.Clone(list)
	cmpField := func(f tokend.AccessTokenField, a, b *tokend.AccessToken) int {
		switch f {
		case tokend.AccessTokenName:
			return strings.Compare(a.Name, b.Name)
		case tokend.AccessTokenCreatedAt:
			return a.CreatedAt.Compare(b.CreatedAt)
		case tokend.AccessTokenExpiryAt:
			return a.ExpiryAt.Compare(b.ExpiryAt)
		case tokend.AccessTokenState:
			rank := func(t *tokend.AccessToken) int {
				if t.Active(now) {
					return 0
				}
				return 1
			}
			return rank(a) - rank(b)
		default:
			return strings.Compare(a.ID, b.ID)
		}
	}
	slices.SortStableFunc(out, func(a, b *tokend.AccessToken) int {
		desc := false
		for _, k := range order {
			c := cmpField(k.Field, a, b)
			desc = k.Desc
			if k.Desc {
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

var accessTokenOrders = [][]tokend.AccessTokenOrder{
	nil,
	{{Field: tokend.AccessTokenID}},
	{{Field: tokend.AccessTokenID, Desc: true}},
	{{Field: tokend.AccessTokenName}},
	{{Field: tokend.AccessTokenName, Desc: true}},
	{{Field: tokend.AccessTokenExpiryAt, Desc: true}},
	{{Field: tokend.AccessTokenCreatedAt}},
	{{Field: tokend.AccessTokenState}},
	{{Field: tokend.AccessTokenState, Desc: true}, {Field: tokend.AccessTokenName}},
	{{Field: tokend.AccessTokenName}, {Field: tokend.AccessTokenExpiryAt, Desc: true}},
	{{Field: tokend.AccessTokenCreatedAt, Desc: true}, {Field: tokend.AccessTokenName}, {Field: tokend.AccessTokenExpiryAt}},
	{{Field: tokend.AccessTokenExpiryAt}, {Field: tokend.AccessTokenCreatedAt, Desc: true}, {Field: tokend.AccessTokenState}},
	// A key after id can never decide anything.
	{{Field: tokend.AccessTokenName, Desc: true}, {Field: tokend.AccessTokenID}, {Field: tokend.AccessTokenExpiryAt}},
}

func testAccessTokenListOrders(t *testing.T, s tokend.Store) {
	list, now := seedOrderTokens(t, s, "orders", 157)
	// Another account's tokens must never appear.
	seedOrderTokens(t, s, "orders-other", 20)
	for _, order := range accessTokenOrders {
		want := idsOf(referenceOrder(list, order, now), accessTokenKey)
		full := listAll(t, s, tokend.AccessTokenQuery{AccountID: "orders", OrderBy: order, Now: now})
		if got := idsOf(full, accessTokenKey); !slices.Equal(got, want) {
			t.Errorf("order %v: got %v\nwant %v", order, got, want)
			continue
		}
		// Keyset pages of every size walk the same order, each item once.
		for _, size := range []int{1, 2, 7, 50} {
			if got := idsOf(listPaged(t, s, tokend.AccessTokenQuery{AccountID: "orders", OrderBy: order, Now: now}, size), accessTokenKey); !slices.Equal(got, want) {
				t.Errorf("order %v, pages of %d: got %v\nwant %v", order, size, got, want)
			}
		}
	}
}

func testAccessTokenListSkip(t *testing.T, s tokend.Store) {
	list, now := seedOrderTokens(t, s, "skip", 40)
	order := []tokend.AccessTokenOrder{{Field: tokend.AccessTokenName, Desc: true}}
	want := idsOf(referenceOrder(list, order, now), accessTokenKey)
	for _, c := range []struct{ skip, limit int }{{0, 5}, {5, 5}, {38, 5}, {40, 5}, {100, 5}, {3, 0}} {
		got := idsOf(listAll(t, s, tokend.AccessTokenQuery{AccountID: "skip", OrderBy: order, Now: now, Skip: c.skip, Limit: c.limit}), accessTokenKey)
		end := len(want)
		if c.limit > 0 {
			end = min(c.skip+c.limit, len(want))
		}
		exp := want[min(c.skip, len(want)):end]
		if !slices.Equal(got, exp) {
			t.Errorf("skip %d limit %d: got %v, want %v", c.skip, c.limit, got, exp)
		}
	}
}

// Tokens inserted and deleted between pages neither shift the cursor nor
// repeat an item.
func testAccessTokenListPagingStable(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	list, now := seedOrderTokens(t, s, "stable", 30)
	order := []tokend.AccessTokenOrder{{Field: tokend.AccessTokenExpiryAt, Desc: true}}
	q := tokend.AccessTokenQuery{AccountID: "stable", OrderBy: order, Now: now, Limit: 10}
	first := listAll(t, s, q)
	if len(first) != 10 {
		t.Fatalf("first page: %d tokens", len(first))
	}
	// Delete the last item of the page (the cursor itself) and add one
	// that sorts before the cursor.
	last := first[len(first)-1]
	must(t, s.DeleteAccessToken(ctx, last.AccountID, last.ID))
	must(t, s.CreateAccessToken(ctx, newAccessToken("stable", "00000000-early", "early", stamp(0), stamp(24*time.Hour))))
	q.After = last
	q.Limit = 0
	rest := listAll(t, s, q)
	seen := map[string]bool{}
	for _, tk := range first {
		seen[tk.ID] = true
	}
	for _, tk := range rest {
		if seen[tk.ID] {
			t.Errorf("token %s repeated after the page boundary", tk.ID)
		}
		seen[tk.ID] = true
	}
	if len(seen) != len(list) {
		t.Errorf("saw %d distinct tokens across pages, want %d", len(seen), len(list))
	}
}

func testAccessTokenTxRollback(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	boom := errors.New("boom")
	acct := &tokend.PlaywrightAccount{ID: "tx_1", ResourceKey: "/subscriptions/s/x", CreatedAt: stamp(0)}
	err := s.InTx(ctx, func(q tokend.Queries) error {
		if err := q.CreatePlaywrightAccount(ctx, acct); err != nil {
			return err
		}
		if err := q.CreateAccessToken(ctx, newAccessToken(acct.ID, "t1", "tok", stamp(0), stamp(time.Hour))); err != nil {
			return err
		}
		// Reads inside the transaction see its writes.
		if list, err := q.ListAccessTokens(ctx, tokend.AccessTokenQuery{AccountID: acct.ID}); err != nil || len(list) != 1 {
			return fmt.Errorf("list in transaction: %d tokens, %v", len(list), err)
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetPlaywrightAccount(ctx, acct.ID)
	wantErr(t, err, tokend.ErrNotFound)
	_, err = s.GetAccessToken(ctx, acct.ID, "t1")
	wantErr(t, err, tokend.ErrNotFound)

	// A rolled-back account delete leaves its tokens working.
	must(t, s.CreatePlaywrightAccount(ctx, acct))
	must(t, s.CreateAccessToken(ctx, newAccessToken(acct.ID, "t1", "tok", stamp(0), stamp(time.Hour))))
	err = s.InTx(ctx, func(q tokend.Queries) error {
		if err := q.DeletePlaywrightAccount(ctx, acct.ID); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetAccessToken(ctx, acct.ID, "t1")
	must(t, err)
}

func accessTokenKey(t *tokend.AccessToken) string { return t.ID }

func listAll(t *testing.T, s tokend.AccessTokenStore, q tokend.AccessTokenQuery) []*tokend.AccessToken {
	t.Helper()
	list, err := s.ListAccessTokens(t.Context(), q)
	must(t, err)
	return list
}

// listPaged walks every page of size n with the keyset position.
func listPaged(t *testing.T, s tokend.AccessTokenStore, q tokend.AccessTokenQuery, n int) []*tokend.AccessToken {
	t.Helper()
	var all []*tokend.AccessToken
	q.Limit = n
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		page := listAll(t, s, q)
		all = append(all, page...)
		if len(page) < n {
			return all
		}
		q.After = page[len(page)-1]
	}
}
