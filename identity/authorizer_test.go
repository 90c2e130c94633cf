package identity

import (
	"context"
	"errors"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

func TestAuthorizerMatrix(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAuthorizerMatrix)
}

func testAuthorizerMatrix(t *testing.T, store tokend.Store) {
	s, f := testService(t, store, nil)
	ctx := context.Background()
	subA := "/subscriptions/" + f.sub
	subB := "/subscriptions/00000000-0000-0000-0000-00000000000b"
	rgA := subA + "/resourcegroups/rg"
	app := rgA + "/providers/microsoft.app/containerapps/app"
	account := subA + "/resourcegroups/rg/providers/microsoft.azureplaywrightservice/accounts/acc"

	principal := func(role, scope string) *tokend.Principal {
		c, _ := mustClient(t, s, role, scope)
		return &tokend.Principal{ObjectID: c.ObjectID}
	}
	owner := principal(RoleOwner, "/")
	readerA := principal(RoleReader, subA)
	contribRG := principal(RoleContributor, rgA)
	pwReader := principal(playwright.RoleTestingReader, account)
	nobody := principal("", "")
	bound := &tokend.Principal{ObjectID: owner.ObjectID, Resource: app} // resource-bound token of the owner

	for _, tc := range []struct {
		name          string
		p             *tokend.Principal
		action, scope string
		data, allowed bool
	}{
		{"owner writes anywhere", owner, "Microsoft.App/containerApps/write", app, false, true},
		{"owner at root covers root", owner, "Microsoft.Resources/subscriptions/read", "/", false, true},
		{"reader reads in A", readerA, "Microsoft.App/containerApps/read", app, false, true},
		{"reader cannot write in A", readerA, "Microsoft.App/containerApps/write", app, false, false},
		{"reader scoped to A cannot read B", readerA, "Microsoft.Resources/subscriptions/resourceGroups/read", subB + "/resourcegroups/rg", false, false},
		{"contributor in its group", contribRG, "Microsoft.App/containerApps/write", app, false, true},
		{"contributor not above its group", contribRG, "Microsoft.Resources/subscriptions/resourceGroups/read", subA, false, false},
		{"contributor cannot assign roles", contribRG, "Microsoft.Authorization/roleAssignments/write", app, false, false},
		{"owner has no data actions", owner, pwReadAccessTokens, account, true, false},
		{"playwright reader reads tokens", pwReader, pwReadAccessTokens, account, true, true},
		{"playwright reader cannot create tokens", pwReader, pwWriteAccessTokens, account, true, false},
		{"no assignment", nobody, "Microsoft.App/containerApps/read", app, false, false},
		{"resource-bound token on its resource", bound, "Microsoft.App/containerApps/read", app, false, true},
		{"resource-bound token elsewhere", bound, "Microsoft.App/containerApps/read", rgA + "/providers/microsoft.app/containerapps/other", false, false},
		{"action case does not matter", readerA, "MICROSOFT.APP/CONTAINERAPPS/READ", app, false, true},
		{"scope case does not matter", readerA, "Microsoft.App/containerApps/read", "/Subscriptions/" + f.sub, false, true},
	} {
		var err error
		if tc.data {
			err = s.Authorizer().AuthorizeData(ctx, tc.p, tc.action, tc.scope)
		} else {
			err = s.Authorizer().Authorize(ctx, tc.p, tc.action, tc.scope)
		}
		var denied *tokend.AuthorizationError
		switch {
		case tc.allowed && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case !tc.allowed && !errors.As(err, &denied):
			t.Errorf("%s: got %v, want *tokend.AuthorizationError", tc.name, err)
		case !tc.allowed && (denied.PrincipalID != tc.p.ObjectID || denied.Action != tc.action || denied.Scope != tc.scope):
			t.Errorf("%s: error names %q %q %q", tc.name, denied.PrincipalID, denied.Action, denied.Scope)
		}
	}
}

// A change made through another node's service reaches this node's cache
// through the generation it polls.
func TestAuthorizerSeesOtherNodesChanges(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAuthorizerSeesOtherNodesChanges)
}

func testAuthorizerSeesOtherNodesChanges(t *testing.T, store tokend.Store) {
	s1, f := testService(t, store, nil)
	s2 := f.newService(t, nil)
	ctx := context.Background()
	c, _ := mustClient(t, s1, "", "")
	p := &tokend.Principal{ObjectID: c.ObjectID}
	scope := "/subscriptions/" + f.sub
	if err := s2.Authorizer().Authorize(ctx, p, "x/read", scope); err == nil {
		t.Fatal("allowed before any assignment")
	}
	a, err := s1.Assignments.Assign(ctx, c.ObjectID, RoleReader, scope)
	if err != nil {
		t.Fatal(err)
	}
	// s1 applies its own change at once.
	if err := s1.Authorizer().Authorize(ctx, p, "x/read", scope); err != nil {
		t.Fatalf("own node: %v", err)
	}
	// s2 still has the cached empty set until it syncs.
	if err := s2.authz.syncGeneration(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s2.Authorizer().Authorize(ctx, p, "x/read", scope); err != nil {
		t.Fatalf("other node after sync: %v", err)
	}
	if err := s1.Assignments.Remove(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s2.authz.syncGeneration(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s2.Authorizer().Authorize(ctx, p, "x/read", scope); err == nil {
		t.Fatal("other node still allows after removal")
	}
}

func TestAssignValidates(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAssignValidates)
}

func testAssignValidates(t *testing.T, store tokend.Store) {
	s, _ := testService(t, store, nil)
	ctx := context.Background()
	if _, err := s.Assignments.Assign(ctx, "p", "Superuser", "/"); err == nil {
		t.Error("unknown role accepted")
	}
	if _, err := s.Assignments.Assign(ctx, "p", RoleReader, "subscriptions/x"); err == nil {
		t.Error("relative scope accepted")
	}
	a1, err := s.Assignments.Assign(ctx, "P", "reader", "/Subscriptions/X")
	if err != nil {
		t.Fatal(err)
	}
	if a1.PrincipalID != "p" || a1.Role != RoleReader || a1.Scope != "/subscriptions/x" {
		t.Errorf("stored %+v, want canonical values", a1)
	}
	a2, err := s.Assignments.Assign(ctx, "p", RoleReader, "/subscriptions/x/")
	if err != nil || a2.ID != a1.ID {
		t.Errorf("duplicate assignment: got %v, %v; want the existing one", a2, err)
	}
}

func BenchmarkAuthorize(b *testing.B) {
	s, f := testService(b, storagetest.SQLite(b), nil)
	c, _ := mustClient(b, s, RoleContributor, "/subscriptions/"+f.sub)
	p := &tokend.Principal{ObjectID: c.ObjectID}
	scope := "/subscriptions/" + f.sub + "/resourcegroups/rg/providers/microsoft.app/containerapps/app"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Authorizer().Authorize(ctx, p, "Microsoft.App/containerApps/write", scope); err != nil {
			b.Fatal(err)
		}
	}
}
