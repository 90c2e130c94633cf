package conformance

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
)

// testRefreshFamilyBatch: in one batch, each new family is stored; a
// family whose id is taken, a repeat within the batch and a family
// without a user are not, and say why, without failing the others.
func testRefreshFamilyBatch(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	u := newUser(uuid.NewString(), "ada@contoso.example")
	must(t, s.CreateUser(ctx, u))
	taken := newFamily(u)
	must(t, s.CreateRefreshFamily(ctx, taken))
	a, b := newFamily(u), newFamily(u)
	b.Generation = 4
	orphan := newFamily(newUser(u.TenantID, "ghost@contoso.example"))
	batch := []*tokend.RefreshFamilyCreation{
		{Family: *a}, {Family: *taken}, {Family: *a}, {Family: *orphan}, {Family: *b},
	}
	must(t, s.CreateRefreshFamilies(ctx, batch))
	for i, want := range []error{nil, tokend.ErrAlreadyExists, tokend.ErrAlreadyExists, tokend.ErrNotFound, nil} {
		if got := batch[i].Err; !errors.Is(got, want) || (want == nil) != (got == nil) {
			t.Errorf("record %d (%s): %v, want %v", i, batch[i].Family.ID, got, want)
		}
	}
	for _, f := range []*tokend.RefreshFamily{a, b} {
		got, err := s.GetRefreshFamily(ctx, f.ID)
		must(t, err)
		if got.Generation != f.Generation || got.Revoked || got.UserObjectID != u.ObjectID || got.ClientID != f.ClientID {
			t.Fatalf("family = %+v, want %+v", got, f)
		}
		checkTime(t, "RotatedAt", got.RotatedAt, f.RotatedAt)
		checkTime(t, "ExpiresAt", got.ExpiresAt, f.ExpiresAt)
	}
	_, err := s.GetRefreshFamily(ctx, orphan.ID)
	wantErr(t, err, tokend.ErrNotFound)
	must(t, s.CreateRefreshFamilies(ctx, nil))

	// Inside a transaction the batch is part of it.
	c := newFamily(u)
	inTx := []*tokend.RefreshFamilyCreation{{Family: *c}, {Family: *orphan}}
	must(t, s.InTx(ctx, func(q tokend.Queries) error { return q.CreateRefreshFamilies(ctx, inTx) }))
	if inTx[0].Err != nil || !errors.Is(inTx[1].Err, tokend.ErrNotFound) {
		t.Fatalf("in a transaction: %v, %v; want nil, ErrNotFound", inTx[0].Err, inTx[1].Err)
	}
	_, err = s.GetRefreshFamily(ctx, c.ID)
	must(t, err)
}

// testRefreshFamilyCreateRace: of many concurrent creations of one family
// (an authorization code redeemed at once on several connections or
// nodes), exactly one stores it.
func testRefreshFamilyCreateRace(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	u := newUser(uuid.NewString(), "ada@contoso.example")
	must(t, s.CreateUser(ctx, u))
	f := newFamily(u)
	var won, taken atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &tokend.RefreshFamilyCreation{Family: *f}
			if err := s.CreateRefreshFamilies(ctx, []*tokend.RefreshFamilyCreation{r}); err != nil {
				t.Error(err)
				return
			}
			switch {
			case r.Err == nil:
				won.Add(1)
			case errors.Is(r.Err, tokend.ErrAlreadyExists):
				taken.Add(1)
			default:
				t.Error(r.Err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || taken.Load() != 15 {
		t.Fatalf("%d concurrent creations stored the family and %d found it taken, want 1 and 15", won.Load(), taken.Load())
	}
}
