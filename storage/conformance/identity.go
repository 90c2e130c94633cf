package conformance

import (
	"bytes"
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tokend-dev/tokend"
)

func testTenants(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	_, err := s.GetTenant(ctx, uuid.NewString())
	wantErr(t, err, tokend.ErrNotFound)
	if list, err := s.ListTenants(ctx); err != nil || len(list) != 0 {
		t.Fatalf("ListTenants on an empty store = %v, %v", list, err)
	}

	var ids []string
	for i := range 3 {
		tn := &tokend.Tenant{ID: uuid.NewString(), DisplayName: "Tenant", CreatedAt: stamp(time.Duration(i) * time.Hour)}
		must(t, s.CreateTenant(ctx, tn))
		ids = append(ids, tn.ID)

		got, err := s.GetTenant(ctx, tn.ID)
		must(t, err)
		if got.ID != tn.ID || got.DisplayName != tn.DisplayName {
			t.Errorf("GetTenant = %+v, want %+v", got, tn)
		}
		checkTime(t, "CreatedAt", got.CreatedAt, tn.CreatedAt)

		dup := *tn
		dup.DisplayName = "Other"
		wantErr(t, s.CreateTenant(ctx, &dup), tokend.ErrAlreadyExists)
	}
	list, err := s.ListTenants(ctx)
	must(t, err)
	slices.Sort(ids)
	if got := idsOf(list, func(x *tokend.Tenant) string { return x.ID }); !slices.Equal(got, ids) {
		t.Errorf("ListTenants ids = %v, want %v (sorted)", got, ids)
	}
	if got, _ := s.GetTenant(ctx, ids[0]); got.DisplayName != "Tenant" {
		t.Errorf("a failed duplicate create changed the tenant: %+v", got)
	}
}

func testSubscriptions(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	_, err := s.GetSubscription(ctx, uuid.NewString())
	wantErr(t, err, tokend.ErrNotFound)

	tenant := uuid.NewString()
	var ids []string
	for range 3 {
		sub := &tokend.Subscription{ID: uuid.NewString(), TenantID: tenant, DisplayName: "Pay-As-You-Go", State: "Enabled", CreatedAt: stamp(0)}
		must(t, s.CreateSubscription(ctx, sub))
		ids = append(ids, sub.ID)
		got, err := s.GetSubscription(ctx, sub.ID)
		must(t, err)
		checkTime(t, "CreatedAt", got.CreatedAt, sub.CreatedAt)
		got.CreatedAt = sub.CreatedAt
		if *got != *sub {
			t.Errorf("GetSubscription = %+v, want %+v", got, sub)
		}
		wantErr(t, s.CreateSubscription(ctx, sub), tokend.ErrAlreadyExists)
	}
	list, err := s.ListSubscriptions(ctx)
	must(t, err)
	slices.Sort(ids)
	if got := idsOf(list, func(x *tokend.Subscription) string { return x.ID }); !slices.Equal(got, ids) {
		t.Errorf("ListSubscriptions ids = %v, want %v (sorted)", got, ids)
	}
}

func newClient() *tokend.Client {
	return &tokend.Client{
		ID:          uuid.NewString(),
		TenantID:    uuid.NewString(),
		ObjectID:    uuid.NewString(),
		DisplayName: "ci-deployer",
		SecretHash:  []byte{0, 1, 2, 0xff, 0},
		SecretHint:  "abc",
		CreatedAt:   stamp(0),
		UpdatedAt:   stamp(time.Minute),
	}
}

func checkClient(t *testing.T, got, want *tokend.Client) {
	t.Helper()
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if got.ID != want.ID || got.TenantID != want.TenantID || got.ObjectID != want.ObjectID ||
		got.DisplayName != want.DisplayName || !bytes.Equal(got.SecretHash, want.SecretHash) ||
		got.SecretHint != want.SecretHint {
		t.Errorf("client = %+v, want %+v", got, want)
	}
	// An unset Kind is stored as an application.
	if wantKind := cmp.Or(want.Kind, tokend.ClientApplication); got.Kind != wantKind {
		t.Errorf("client %s Kind = %q, want %q", got.ID, got.Kind, wantKind)
	}
	if !slices.Equal(got.IdentifierURIs, want.IdentifierURIs) {
		t.Errorf("client %s IdentifierURIs = %q, want %q", got.ID, got.IdentifierURIs, want.IdentifierURIs)
	}
	if got.Public != want.Public || !slices.Equal(got.RedirectURIs, want.RedirectURIs) {
		t.Errorf("client %s Public, RedirectURIs = %v %q, want %v %q", got.ID, got.Public, got.RedirectURIs, want.Public, want.RedirectURIs)
	}
}

func testClients(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	missing := newClient()
	_, err := s.GetClient(ctx, missing.ID)
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.UpdateClient(ctx, missing), tokend.ErrNotFound)
	wantErr(t, s.DeleteClient(ctx, missing.ID), tokend.ErrNotFound)

	a, b := newClient(), newClient()
	must(t, s.CreateClient(ctx, a))
	must(t, s.CreateClient(ctx, b))
	wantErr(t, s.CreateClient(ctx, a), tokend.ErrAlreadyExists)

	got, err := s.GetClient(ctx, a.ID)
	must(t, err)
	checkClient(t, got, a)

	a.SecretHash = []byte("rotated")
	a.SecretHint = "rot"
	a.DisplayName = "renamed"
	a.UpdatedAt = stamp(time.Hour)
	must(t, s.UpdateClient(ctx, a))
	got, err = s.GetClient(ctx, a.ID)
	must(t, err)
	checkClient(t, got, a)

	list, err := s.ListClients(ctx)
	must(t, err)
	want := []string{a.ID, b.ID}
	slices.Sort(want)
	if got := idsOf(list, func(x *tokend.Client) string { return x.ID }); !slices.Equal(got, want) {
		t.Errorf("ListClients ids = %v, want %v", got, want)
	}

	must(t, s.DeleteClient(ctx, a.ID))
	_, err = s.GetClient(ctx, a.ID)
	wantErr(t, err, tokend.ErrNotFound)
	wantErr(t, s.DeleteClient(ctx, a.ID), tokend.ErrNotFound)
	if _, err := s.GetClient(ctx, b.ID); err != nil {
		t.Fatalf("deleting one client touched another: %v", err)
	}
}

func testRoleAssignments(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	alice, bob := uuid.NewString(), uuid.NewString()
	assignments := []*tokend.RoleAssignment{
		{ID: uuid.NewString(), PrincipalID: alice, Role: "Owner", Scope: "/", CreatedAt: stamp(0)},
		{ID: uuid.NewString(), PrincipalID: bob, Role: "Reader", Scope: "/subscriptions/x", CreatedAt: stamp(time.Second)},
		{ID: uuid.NewString(), PrincipalID: alice, Role: "Contributor", Scope: "/subscriptions/x/resourcegroups/rg", CreatedAt: stamp(2 * time.Second)},
	}
	for _, a := range assignments {
		must(t, s.CreateRoleAssignment(ctx, a))
	}
	wantErr(t, s.CreateRoleAssignment(ctx, assignments[0]), tokend.ErrAlreadyExists)

	all, err := s.ListRoleAssignments(ctx, "")
	must(t, err)
	if len(all) != 3 {
		t.Fatalf("ListRoleAssignments(all) returned %d, want 3", len(all))
	}
	for i, got := range all {
		want := assignments[i]
		checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
		if got.ID != want.ID || got.PrincipalID != want.PrincipalID || got.Role != want.Role || got.Scope != want.Scope {
			t.Errorf("assignment %d = %+v, want %+v (ordered by creation)", i, got, want)
		}
	}
	mine, err := s.ListRoleAssignments(ctx, alice)
	must(t, err)
	if got := idsOf(mine, func(x *tokend.RoleAssignment) string { return x.ID }); !slices.Equal(got, []string{assignments[0].ID, assignments[2].ID}) {
		t.Errorf("ListRoleAssignments(alice) = %v", got)
	}
	none, err := s.ListRoleAssignments(ctx, uuid.NewString())
	must(t, err)
	if len(none) != 0 {
		t.Errorf("ListRoleAssignments(stranger) = %v, want none", none)
	}

	must(t, s.DeleteRoleAssignment(ctx, assignments[0].ID))
	wantErr(t, s.DeleteRoleAssignment(ctx, assignments[0].ID), tokend.ErrNotFound)
	mine, err = s.ListRoleAssignments(ctx, alice)
	must(t, err)
	if len(mine) != 1 || mine[0].ID != assignments[2].ID {
		t.Errorf("after delete ListRoleAssignments(alice) = %v", mine)
	}
}

func testSigningKeys(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	keys := []*tokend.SigningKey{
		{ID: "k1", Algorithm: "ES256", PublicJWK: []byte(`{"kty":"EC"}`), Private: []byte{9, 0, 9},
			CreatedAt: stamp(0), ActivateAt: stamp(time.Hour), RetireAt: stamp(48 * time.Hour), ExpireAt: stamp(72 * time.Hour)},
		// Not yet scheduled for retirement: zero times round-trip as zero.
		{ID: "k0", Algorithm: "EdDSA", PublicJWK: []byte(`{"kty":"OKP"}`), Private: []byte{1},
			CreatedAt: stamp(time.Minute), ActivateAt: stamp(2 * time.Hour)},
	}
	for _, k := range keys {
		must(t, s.CreateSigningKey(ctx, k))
	}
	wantErr(t, s.CreateSigningKey(ctx, keys[0]), tokend.ErrAlreadyExists)

	check := func(want []*tokend.SigningKey) {
		t.Helper()
		list, err := s.ListSigningKeys(ctx)
		must(t, err)
		if len(list) != len(want) {
			t.Fatalf("ListSigningKeys returned %d keys, want %d", len(list), len(want))
		}
		for i, got := range list {
			w := want[i]
			if got.ID != w.ID || got.Algorithm != w.Algorithm || !bytes.Equal(got.PublicJWK, w.PublicJWK) || !bytes.Equal(got.Private, w.Private) {
				t.Errorf("key %d = %+v, want %+v (ordered by CreatedAt)", i, got, w)
			}
			checkTime(t, "CreatedAt", got.CreatedAt, w.CreatedAt)
			checkTime(t, "ActivateAt", got.ActivateAt, w.ActivateAt)
			checkTime(t, "RetireAt", got.RetireAt, w.RetireAt)
			checkTime(t, "ExpireAt", got.ExpireAt, w.ExpireAt)
		}
	}
	check(keys)

	keys[1].RetireAt = stamp(24 * time.Hour)
	keys[1].ExpireAt = stamp(36 * time.Hour)
	must(t, s.UpdateSigningKey(ctx, keys[1]))
	check(keys)
	wantErr(t, s.UpdateSigningKey(ctx, &tokend.SigningKey{ID: "missing"}), tokend.ErrNotFound)

	must(t, s.DeleteSigningKey(ctx, "k1"))
	wantErr(t, s.DeleteSigningKey(ctx, "k1"), tokend.ErrNotFound)
	check(keys[1:])
}

func idsOf[T any](list []T, id func(T) string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, id(x))
	}
	return out
}

func testGetRoleAssignment(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	a := &tokend.RoleAssignment{ID: uuid.NewString(), PrincipalID: uuid.NewString(), Role: "Reader", Scope: "/subscriptions/x", CreatedAt: stamp(0)}
	must(t, s.CreateRoleAssignment(ctx, a))
	got, err := s.GetRoleAssignment(ctx, a.ID)
	must(t, err)
	checkTime(t, "CreatedAt", got.CreatedAt, a.CreatedAt)
	if got.ID != a.ID || got.PrincipalID != a.PrincipalID || got.Role != a.Role || got.Scope != a.Scope {
		t.Errorf("GetRoleAssignment = %+v, want %+v", got, a)
	}
	_, err = s.GetRoleAssignment(ctx, uuid.NewString())
	wantErr(t, err, tokend.ErrNotFound)
}

func testCustomRoles(t *testing.T, s tokend.Store) {
	ctx := t.Context()
	creator, editor := uuid.NewString(), uuid.NewString()
	reader := &tokend.CustomRole{
		RoleDefinition: tokend.RoleDefinition{ID: uuid.NewString(), Name: "Widget Reader", Description: "reads widgets",
			Actions: []string{"Microsoft.Test/widgets/read"}, DataActions: []string{"Microsoft.Test/widgets/data/read"}},
		AssignableScopes: []string{"/subscriptions/x"},
		CreatedBy:        creator, UpdatedBy: creator, CreatedAt: stamp(0), UpdatedAt: stamp(0),
	}
	admin := &tokend.CustomRole{
		RoleDefinition: tokend.RoleDefinition{ID: uuid.NewString(), Name: "Another Role",
			Actions: []string{"*"}, NotActions: []string{"Microsoft.Authorization/*/Write"}, NotDataActions: []string{"x/*"}},
		AssignableScopes: []string{"/subscriptions/x", "/subscriptions/y/resourcegroups/rg"},
		CreatedBy:        creator, UpdatedBy: creator, CreatedAt: stamp(time.Second), UpdatedAt: stamp(time.Second),
	}
	must(t, s.PutCustomRole(ctx, reader))
	must(t, s.PutCustomRole(ctx, admin))

	check := func(got, want *tokend.CustomRole) {
		t.Helper()
		checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
		checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
		same := got.ID == want.ID && got.Name == want.Name && got.Description == want.Description &&
			slices.Equal(got.Actions, want.Actions) && slices.Equal(got.NotActions, want.NotActions) &&
			slices.Equal(got.DataActions, want.DataActions) && slices.Equal(got.NotDataActions, want.NotDataActions) &&
			slices.Equal(got.AssignableScopes, want.AssignableScopes) &&
			got.CreatedBy == want.CreatedBy && got.UpdatedBy == want.UpdatedBy
		if !same {
			t.Errorf("custom role = %+v, want %+v", got, want)
		}
	}
	got, err := s.GetCustomRole(ctx, reader.ID)
	must(t, err)
	check(got, reader)

	// Ordered by name, without regard to case.
	list, err := s.ListCustomRoles(ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != admin.ID || list[1].ID != reader.ID {
		t.Fatalf("ListCustomRoles = %v, want [Another Role, Widget Reader]", idsOf(list, func(r *tokend.CustomRole) string { return r.Name }))
	}
	check(list[0], admin)

	// A replace changes everything but who created it and when.
	changed := *reader
	changed.Name, changed.Description = "Widget Viewer", "views widgets"
	changed.Actions = []string{"Microsoft.Test/*/read"}
	changed.AssignableScopes = []string{"/subscriptions/x", "/subscriptions/z"}
	changed.UpdatedBy, changed.UpdatedAt = editor, stamp(time.Hour)
	replace := changed
	replace.CreatedBy, replace.CreatedAt = editor, stamp(time.Hour)
	must(t, s.PutCustomRole(ctx, &replace))
	got, err = s.GetCustomRole(ctx, reader.ID)
	must(t, err)
	check(got, &changed)

	// Names are unique without regard to case.
	clash := *admin
	clash.ID, clash.Name = uuid.NewString(), "WIDGET viewer"
	wantErr(t, s.PutCustomRole(ctx, &clash), tokend.ErrAlreadyExists)
	rename := *admin
	rename.Name = "widget VIEWER"
	wantErr(t, s.PutCustomRole(ctx, &rename), tokend.ErrAlreadyExists)

	must(t, s.DeleteCustomRole(ctx, reader.ID))
	wantErr(t, s.DeleteCustomRole(ctx, reader.ID), tokend.ErrNotFound)
	_, err = s.GetCustomRole(ctx, reader.ID)
	wantErr(t, err, tokend.ErrNotFound)
	// The name is free again.
	clash.Name = "Widget Viewer"
	must(t, s.PutCustomRole(ctx, &clash))
}
