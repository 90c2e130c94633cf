package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

func TestPatternsOverlap(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		x, y string
		want bool
	}{
		{"a/b/read", "a/b/read", true},
		{"a/b/read", "a/b/write", false},
		{"*", "anything", true},
		{"a/*", "b/*", false},
		{"a/*", "*/read", true},
		{"*/write", "*/read", false},
		{"microsoft.authorization/*/write", "microsoft.authorization/roleassignments/*", true},
		{"microsoft.authorization/*/write", "microsoft.app/*", false},
		{"a*c", "ab*", true},
		{"a*c", "*b", false},
		{"", "", true},
		{"", "*", true},
		{"", "a", false},
		{"**", "x", true},
	} {
		if got := patternsOverlap(c.x, c.y); got != c.want {
			t.Errorf("patternsOverlap(%q, %q) = %v, want %v", c.x, c.y, got, c.want)
		}
		if got := patternsOverlap(c.y, c.x); got != c.want {
			t.Errorf("patternsOverlap(%q, %q) = %v, want %v (symmetric)", c.y, c.x, got, c.want)
		}
	}
}

// FuzzPatternsOverlap checks the overlap test against its definition: an
// action both patterns match proves an overlap, so "no overlap" with such
// an action is a bug; and a pattern overlaps every action it matches.
func FuzzPatternsOverlap(f *testing.F) {
	f.Add("a/*/write", "*/b/*", "a/b/write")
	f.Add("*", "x*y", "xzy")
	f.Add("a*b*c", "*bc", "abbc")
	f.Fuzz(func(t *testing.T, x, y, action string) {
		if len(x) > 64 || len(y) > 64 || len(action) > 64 || strings.Contains(action, "*") {
			return
		}
		if matchAction(x, action) && matchAction(y, action) && !patternsOverlap(x, y) {
			t.Fatalf("%q and %q both match %q, but patternsOverlap says no", x, y, action)
		}
		if matchAction(x, action) && !patternsOverlap(x, action) {
			t.Fatalf("%q matches %q, but they do not overlap", x, action)
		}
		if patternsOverlap(x, y) != patternsOverlap(y, x) {
			t.Fatalf("patternsOverlap(%q, %q) is not symmetric", x, y)
		}
	})
}

func TestActionSetCovers(t *testing.T) {
	t.Parallel()
	contributor := compileActions([]string{"*"}, []string{"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"})
	reader := compileActions([]string{"*/read"}, nil)
	for _, c := range []struct {
		name    string
		set     actionSet
		pattern string
		want    bool
	}{
		{"an exact action under *", contributor, "microsoft.app/containerapps/write", true},
		{"a wildcard under *", contributor, "microsoft.app/*", true},
		{"what NotActions exclude", contributor, "microsoft.authorization/roleassignments/write", false},
		{"a wildcard reaching what NotActions exclude", contributor, "microsoft.authorization/*", false},
		{"everything, past NotActions", contributor, "*", false},
		{"reads under */read", reader, "microsoft.app/*/read", true},
		{"one read", reader, "microsoft.app/containerapps/read", true},
		{"a write", reader, "microsoft.app/containerapps/write", false},
		{"a wildcard wider than */read", reader, "microsoft.app/*", false},
	} {
		if got := c.set.covers(c.pattern); got != c.want {
			t.Errorf("%s: covers(%q) = %v, want %v", c.name, c.pattern, got, c.want)
		}
	}
}

// A custom role written on one node is enforced there at once and on
// another node after its RBAC sync, and so are its update and deletion;
// its data actions must be the author's too.
func TestCustomRolesAcrossNodes(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testCustomRolesAcrossNodes)
}

func testCustomRolesAcrossNodes(t *testing.T, store tokend.Store) {
	s1, f := testService(t, store, nil)
	s2 := f.newService(t, nil)
	ctx := context.Background()
	subScope := "/subscriptions/" + f.sub
	author, _ := mustClient(t, s1, RoleOwner, subScope)
	by := &tokend.Principal{ObjectID: author.ObjectID}
	target, _ := mustClient(t, s1, "", "")
	p := &tokend.Principal{ObjectID: target.ObjectID}
	readTokens := playwright.Namespace + "/accounts/accessTokens/read"

	def := tokend.CustomRole{
		RoleDefinition: tokend.RoleDefinition{ID: uuid.NewString(), Name: "Token Reader",
			Actions: []string{"Microsoft.App/*/read"}, DataActions: []string{playwright.Namespace + "/accounts/accessTokens/*"}},
		AssignableScopes: []string{subScope},
	}
	// Owner holds no data action: the role would grant more than it has.
	var exceeds *GrantExceedsAuthorError
	if _, _, err := s1.Assignments.PutCustomRole(ctx, by, def); !errors.As(err, &exceeds) || !exceeds.Data {
		t.Fatalf("a data action the author lacks: %v", err)
	}
	if _, err := s1.Assignments.Assign(ctx, author.ObjectID, playwright.RoleTestingOwner, subScope); err != nil {
		t.Fatal(err)
	}
	role, created, err := s1.Assignments.PutCustomRole(ctx, by, def)
	if err != nil || !created || role.Custom == nil {
		t.Fatalf("PutCustomRole: %v %v %v", role, created, err)
	}
	if _, err := s1.Assignments.Assign(ctx, target.ObjectID, "token reader", subScope+"/resourcegroups/rg"); err != nil {
		t.Fatalf("assign the custom role by name: %v", err)
	}
	scope := subScope + "/resourcegroups/rg/providers/microsoft.azureplaywrightservice/accounts/a"
	if err := s1.Authorizer().AuthorizeData(ctx, p, readTokens, scope); err != nil {
		t.Errorf("own node: %v", err)
	}
	// The other node knows neither the role nor the grant until it syncs.
	if err := s2.Authorizer().AuthorizeData(ctx, p, readTokens, scope); err == nil {
		t.Error("other node allows before its sync")
	}
	must(t, s2.authz.syncGeneration(ctx))
	if err := s2.Authorizer().AuthorizeData(ctx, p, readTokens, scope); err != nil {
		t.Errorf("other node after sync: %v", err)
	}
	if err := s2.Authorizer().Authorize(ctx, p, "Microsoft.App/containerApps/read", scope); err != nil {
		t.Errorf("other node, the control action: %v", err)
	}
	if _, ok := s2.Assignments.Roles().Lookup("Token Reader"); !ok {
		t.Error("other node's catalog lacks the role")
	}

	// An update (a NotDataAction) reaches the other node too.
	def.NotDataActions = []string{"*/read"}
	if _, created, err := s1.Assignments.PutCustomRole(ctx, by, def); err != nil || created {
		t.Fatalf("update: %v %v", created, err)
	}
	must(t, s2.authz.syncGeneration(ctx))
	if err := s2.Authorizer().AuthorizeData(ctx, p, readTokens, scope); err == nil {
		t.Error("other node allows what the update excluded")
	}

	// Assigned, it cannot go; unassigned, it goes everywhere.
	if _, err := s1.Assignments.DeleteCustomRole(ctx, by, def.ID); !errors.Is(err, ErrRoleAssigned) {
		t.Fatalf("delete an assigned role: %v", err)
	}
	list, _ := s1.Assignments.List(ctx, target.ObjectID)
	must(t, s1.Assignments.Remove(ctx, list[0].ID))
	if gone, err := s1.Assignments.DeleteCustomRole(ctx, by, def.ID); err != nil || gone == nil {
		t.Fatalf("delete: %v %v", gone, err)
	}
	must(t, s2.authz.syncGeneration(ctx))
	if _, ok := s2.Assignments.Roles().Lookup(def.ID); ok {
		t.Error("other node still knows the deleted role")
	}
	if _, err := s1.Assignments.Assign(ctx, target.ObjectID, def.ID, subScope); err == nil {
		t.Error("assigned a deleted role")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkAuthorizeAmongMany is the authorization check with 10,000
// assignments and 100 custom roles stored (issue 14's target: ≤ 10 µs, a
// cache hit): the principal holds ten custom roles of twenty patterns
// each, and the action matches only the last pattern of the last role.
func BenchmarkAuthorizeAmongMany(b *testing.B) {
	s, f := testService(b, storagetest.SQLite(b), nil)
	ctx := context.Background()
	subScope := "/subscriptions/" + f.sub
	var roles []string
	must(b, f.store.InTx(ctx, func(q tokend.Queries) error {
		for i := range 100 {
			r := &tokend.CustomRole{
				RoleDefinition:   tokend.RoleDefinition{ID: uuid.NewString(), Name: fmt.Sprintf("Custom %03d", i)},
				AssignableScopes: []string{subScope},
			}
			for j := range 20 {
				r.Actions = append(r.Actions, fmt.Sprintf("Microsoft.Example%d/things%d/*/read", i, j))
			}
			r.NotActions = []string{"Microsoft.Authorization/*/Write"}
			roles = append(roles, r.ID)
			if err := q.PutCustomRole(ctx, r); err != nil {
				return err
			}
		}
		for i := range 10000 {
			a := &tokend.RoleAssignment{ID: uuid.NewString(), PrincipalID: fmt.Sprintf("p%04d", i/10),
				Role: roles[i%100], Scope: fmt.Sprintf("%s/resourcegroups/rg%d", subScope, i%10)}
			if err := q.CreateRoleAssignment(ctx, a); err != nil {
				return err
			}
		}
		return bumpRBACGeneration(ctx, q)
	}))
	must(b, s.authz.syncGeneration(ctx))
	// p0999 holds roles 90..99, one per group; role 99 is at rg9.
	p := &tokend.Principal{ObjectID: "p0999"}
	scope := subScope + "/resourcegroups/rg9/providers/microsoft.example99/things19/t1"
	action := "Microsoft.Example99/things19/widgets/read"
	if err := s.Authorizer().Authorize(ctx, p, action, scope); err != nil {
		b.Fatal(err)
	}
	if err := s.Authorizer().Authorize(ctx, p, "Microsoft.Example99/things19/widgets/write", scope); err == nil {
		b.Fatal("a write is allowed")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.Authorizer().Authorize(ctx, p, action, scope); err != nil {
			b.Fatal(err)
		}
	}
}
