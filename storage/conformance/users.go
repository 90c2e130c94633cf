package conformance

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
)

// RunUsers runs the UserStore and RefreshFamilyStore conformance tests,
// with the client fields interactive sign-in brings (Public,
// RedirectURIs).
func RunUsers(t *testing.T, newStore func(t *testing.T) tokend.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s tokend.Store)
	}{
		{"PublicClients", testPublicClients},
		{"Users", testUsers},
		{"UserNameUniqueInTenant", testUserNameUniqueInTenant},
		{"SignInFailures", testSignInFailures},
		{"RefreshFamilies", testRefreshFamilies},
		{"RefreshRotationRace", testRefreshRotationRace},
		{"RefreshRotationBatch", testRefreshRotationBatch},
		{"RefreshFamilyBatch", testRefreshFamilyBatch},
		{"RefreshFamilyCreateRace", testRefreshFamilyCreateRace},
		{"DeleteUserCascades", testDeleteUserCascades},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

func newUser(tenantID, upn string) *tokend.User {
	return &tokend.User{
		ObjectID: uuid.NewString(), TenantID: tenantID, UserPrincipalName: upn, DisplayName: "Ada Lovelace",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", CreatedAt: stamp(0), UpdatedAt: stamp(time.Second),
	}
}

func checkUser(t *testing.T, got, want *tokend.User) {
	t.Helper()
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if got.ObjectID != want.ObjectID || got.TenantID != want.TenantID || got.UserPrincipalName != want.UserPrincipalName ||
		got.DisplayName != want.DisplayName || got.PasswordHash != want.PasswordHash {
		t.Errorf("user = %+v, want %+v", got, want)
	}
}

func testPublicClients(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	c := newClient()
	c.Public = true
	c.RedirectURIs = []string{"http://localhost", "https://app.example/callback?x=1"}
	must(t, s.CreateClient(ctx, c))
	checkClient(t, getClient(t, s, c.ID), c)

	c.Public = false
	c.RedirectURIs = nil
	must(t, s.UpdateClient(ctx, c))
	checkClient(t, getClient(t, s, c.ID), c)

	c.RedirectURIs = []string{"http://127.0.0.1/cb"}
	must(t, s.UpdateClient(ctx, c))
	list, err := s.ListClients(ctx)
	must(t, err)
	for _, got := range list {
		if got.ID == c.ID {
			checkClient(t, got, c)
		}
	}
}

func testUsers(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	tenant := uuid.NewString()
	u := newUser(tenant, "Ada@Contoso.example")
	must(t, s.CreateUser(ctx, u))
	got, err := s.GetUser(ctx, u.ObjectID)
	must(t, err)
	checkUser(t, got, u)
	for _, name := range []string{"ada@contoso.example", "ADA@CONTOSO.EXAMPLE", u.UserPrincipalName} {
		got, err := s.GetUserByName(ctx, tenant, name)
		must(t, err)
		checkUser(t, got, u)
	}
	_, err = s.GetUserByName(ctx, uuid.NewString(), u.UserPrincipalName)
	wantErr(t, err, tokend.ErrNotFound)
	_, err = s.GetUser(ctx, uuid.NewString())
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.CreateUser(ctx, u), tokend.ErrAlreadyExists)

	u.DisplayName = "Ada King"
	u.PasswordHash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3"
	u.UpdatedAt = stamp(time.Hour)
	must(t, s.UpdateUser(ctx, u))
	got, err = s.GetUser(ctx, u.ObjectID)
	must(t, err)
	checkUser(t, got, u)
	wantErr(t, s.UpdateUser(ctx, newUser(tenant, "nobody@contoso.example")), tokend.ErrNotFound)

	other := newUser(tenant, "bob@contoso.example")
	must(t, s.CreateUser(ctx, other))
	list, err := s.ListUsers(ctx)
	must(t, err)
	if len(list) != 2 || list[0].ObjectID != u.ObjectID || list[1].ObjectID != other.ObjectID {
		t.Fatalf("ListUsers = %d users, want ada then bob", len(list))
	}
	must(t, s.DeleteUser(ctx, u.ObjectID))
	_, err = s.GetUser(ctx, u.ObjectID)
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.DeleteUser(ctx, u.ObjectID), tokend.ErrNotFound)
}

func testUserNameUniqueInTenant(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	tenant := uuid.NewString()
	must(t, s.CreateUser(ctx, newUser(tenant, "ada@contoso.example")))
	wantErr(t, s.CreateUser(ctx, newUser(tenant, "ADA@contoso.example")), tokend.ErrAlreadyExists)
	// The same name in another tenant is another user.
	must(t, s.CreateUser(ctx, newUser(uuid.NewString(), "ada@contoso.example")))
}

func testSignInFailures(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	tenant := uuid.NewString()
	f, err := s.GetSignInFailures(ctx, tenant, "ada@contoso.example")
	must(t, err)
	if f.Count != 0 {
		t.Fatalf("failures of an unknown name = %d, want 0", f.Count)
	}
	for i := 1; i <= 3; i++ {
		f, err := s.AddSignInFailure(ctx, tenant, "ada@contoso.example", stamp(time.Duration(i)*time.Second))
		must(t, err)
		if f.Count != i {
			t.Fatalf("failure %d counted as %d", i, f.Count)
		}
		checkTime(t, "Last", f.Last, stamp(time.Duration(i)*time.Second))
	}
	f, err = s.GetSignInFailures(ctx, tenant, "ada@contoso.example")
	must(t, err)
	if f.Count != 3 {
		t.Fatalf("failures = %d, want 3", f.Count)
	}
	// Another tenant's name is counted apart.
	f, err = s.AddSignInFailure(ctx, uuid.NewString(), "ada@contoso.example", stamp(0))
	must(t, err)
	if f.Count != 1 {
		t.Fatalf("another tenant's failures = %d, want 1", f.Count)
	}
	must(t, s.ClearSignInFailures(ctx, tenant, "ada@contoso.example"))
	f, err = s.GetSignInFailures(ctx, tenant, "ada@contoso.example")
	must(t, err)
	if f.Count != 0 {
		t.Fatalf("failures after clear = %d, want 0", f.Count)
	}
	// Concurrent failures are all counted.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AddSignInFailure(ctx, tenant, "eve@contoso.example", stamp(0)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f, err = s.GetSignInFailures(ctx, tenant, "eve@contoso.example")
	must(t, err)
	if f.Count != 8 {
		t.Fatalf("8 concurrent failures counted as %d", f.Count)
	}
	n, err := s.PurgeSignInFailures(ctx, stamp(time.Minute))
	must(t, err)
	if n < 2 {
		t.Fatalf("purged %d, want at least 2", n)
	}
}

// rotate redeems one family's generation alone.
func rotate(ctx context.Context, s tokend.Store, id string, gen int64, now time.Time) (bool, error) {
	r := &tokend.RefreshRotation{FamilyID: id, Generation: gen}
	err := s.RotateRefreshFamilies(ctx, now, []*tokend.RefreshRotation{r})
	return r.Rotated, err
}

func newFamily(u *tokend.User) *tokend.RefreshFamily {
	return &tokend.RefreshFamily{
		ID: uuid.NewString(), TenantID: u.TenantID, ClientID: uuid.NewString(), UserObjectID: u.ObjectID,
		Generation: 0, RotatedAt: stamp(0), CreatedAt: stamp(0), ExpiresAt: stamp(24 * time.Hour),
	}
}

func testRefreshFamilies(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	u := newUser(uuid.NewString(), "ada@contoso.example")
	must(t, s.CreateUser(ctx, u))
	f := newFamily(u)
	must(t, s.CreateRefreshFamily(ctx, f))
	wantErr(t, s.CreateRefreshFamily(ctx, f), tokend.ErrAlreadyExists)
	orphan := newFamily(newUser(u.TenantID, "ghost@contoso.example"))
	wantErr(t, s.CreateRefreshFamily(ctx, orphan), tokend.ErrNotFound)

	got, err := s.GetRefreshFamily(ctx, f.ID)
	must(t, err)
	if got.Generation != 0 || got.Revoked || got.UserObjectID != u.ObjectID || got.ClientID != f.ClientID || got.TenantID != f.TenantID {
		t.Fatalf("family = %+v", got)
	}
	checkTime(t, "ExpiresAt", got.ExpiresAt, f.ExpiresAt)

	ok, err := rotate(ctx, s, f.ID, 0, stamp(time.Minute))
	must(t, err)
	if !ok {
		t.Fatal("rotation from the current generation did not apply")
	}
	ok, err = rotate(ctx, s, f.ID, 0, stamp(time.Minute))
	must(t, err)
	if ok {
		t.Fatal("rotation from a used generation applied")
	}
	got, err = s.GetRefreshFamily(ctx, f.ID)
	must(t, err)
	if got.Generation != 1 {
		t.Fatalf("generation = %d, want 1", got.Generation)
	}
	checkTime(t, "RotatedAt", got.RotatedAt, stamp(time.Minute))
	// No rotation once expired.
	ok, err = rotate(ctx, s, f.ID, 1, stamp(25*time.Hour))
	must(t, err)
	if ok {
		t.Fatal("an expired family rotated")
	}

	must(t, s.RevokeRefreshFamily(ctx, f.ID))
	ok, err = rotate(ctx, s, f.ID, 1, stamp(2*time.Minute))
	must(t, err)
	if ok {
		t.Fatal("a revoked family rotated")
	}
	got, err = s.GetRefreshFamily(ctx, f.ID)
	must(t, err)
	if !got.Revoked {
		t.Fatal("family not revoked")
	}
	wantErr(t, s.RevokeRefreshFamily(ctx, uuid.NewString()), tokend.ErrNotFound)
	_, err = s.GetRefreshFamily(ctx, uuid.NewString())
	wantErr(t, err, tokend.ErrNotFound)

	// A user's families are revoked together (a password reset).
	a, b := newFamily(u), newFamily(u)
	must(t, s.CreateRefreshFamily(ctx, a))
	must(t, s.CreateRefreshFamily(ctx, b))
	n, err := s.RevokeUserRefreshFamilies(ctx, u.ObjectID)
	must(t, err)
	if n != 2 {
		t.Fatalf("revoked %d families, want 2 (the third was revoked before)", n)
	}
	n, err = s.PurgeRefreshFamilies(ctx, stamp(48*time.Hour))
	must(t, err)
	if n != 3 {
		t.Fatalf("purged %d families, want 3", n)
	}
}

// testRefreshRotationRace: of many concurrent uses of one token, exactly
// one rotates the family.
func testRefreshRotationRace(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	u := newUser(uuid.NewString(), "ada@contoso.example")
	must(t, s.CreateUser(ctx, u))
	f := newFamily(u)
	must(t, s.CreateRefreshFamily(ctx, f))
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := rotate(ctx, s, f.ID, 0, stamp(time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d concurrent rotations applied, want 1", won.Load())
	}
}

func testDeleteUserCascades(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	u := newUser(uuid.NewString(), strings.ToUpper("ada@contoso.example"))
	must(t, s.CreateUser(ctx, u))
	f := newFamily(u)
	must(t, s.CreateRefreshFamily(ctx, f))
	must(t, s.DeleteUser(ctx, u.ObjectID))
	_, err := s.GetRefreshFamily(ctx, f.ID)
	wantErr(t, err, tokend.ErrNotFound)
}

// testRefreshRotationBatch: in one batch, each family at its generation
// rotates once; a wrong generation, a revoked family, an unknown one and
// a repeat do not.
func testRefreshRotationBatch(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	u := newUser(uuid.NewString(), "ada@contoso.example")
	must(t, s.CreateUser(ctx, u))
	a, b, c := newFamily(u), newFamily(u), newFamily(u)
	for _, f := range []*tokend.RefreshFamily{a, b, c} {
		must(t, s.CreateRefreshFamily(ctx, f))
	}
	must(t, s.RevokeRefreshFamily(ctx, c.ID))
	batch := []*tokend.RefreshRotation{
		{FamilyID: a.ID, Generation: 0}, {FamilyID: b.ID, Generation: 3}, {FamilyID: a.ID, Generation: 0},
		{FamilyID: c.ID, Generation: 0}, {FamilyID: uuid.NewString(), Generation: 0},
	}
	must(t, s.RotateRefreshFamilies(ctx, stamp(time.Minute), batch))
	for i, want := range []bool{true, false, false, false, false} {
		if batch[i].Rotated != want {
			t.Errorf("record %d (%s at %d) rotated %v, want %v", i, batch[i].FamilyID, batch[i].Generation, batch[i].Rotated, want)
		}
	}
	got, err := s.GetRefreshFamily(ctx, a.ID)
	must(t, err)
	if got.Generation != 1 {
		t.Fatalf("family rotated to %d, want 1", got.Generation)
	}
	must(t, s.RotateRefreshFamilies(ctx, stamp(time.Minute), nil))
}
