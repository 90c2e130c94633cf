package authorization_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// An assignment and a custom role written over ARM on one node take
// effect on a second node sharing the database through its RBAC sync (a
// poll of one row every second): gained and lost there as well.
func TestChangesReachSecondNode(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testChangesReachSecondNode)
}

func testChangesReachSecondNode(t *testing.T, store tokend.Store) {
	node1 := newFixture(t, store)
	owner, target := node1.principal("owner"), node1.principal("target")
	node1.grant(owner, identity.RoleOwner, "/")
	node2 := node1.newNode()
	subScope := "/subscriptions/" + sub
	canRead := func() int {
		status, _, _ := node2.do(target, "GET", subScope+"/resourcegroups?api-version=2021-04-01", "")
		return status
	}
	// waitFor polls node 2 until it answers want, and says how long that
	// took: the sync interval (1 s) bounds it.
	waitFor := func(what string, want int) {
		t.Helper()
		start := time.Now()
		for canRead() != want {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("%s: node 2 does not answer %d after 5 s", what, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("%s: node 2 answered %d after %v", what, want, time.Since(start).Round(time.Millisecond))
	}
	if got := canRead(); got != 403 {
		t.Fatalf("node 2 before any assignment: %d", got)
	}

	roleID := uuid.NewString()
	status, _, b := node1.do(owner, "PUT", subScope+"/providers/Microsoft.Authorization/roleDefinitions/"+roleID,
		`{"properties":{"roleName":"Group Lister","permissions":[{"actions":["Microsoft.Resources/subscriptions/resourceGroups/read"]}],"assignableScopes":["`+subScope+`"]}}`)
	if status != 201 {
		t.Fatalf("custom role on node 1: %d %s", status, b)
	}
	name := uuid.NewString()
	assignment := subScope + "/providers/Microsoft.Authorization/roleAssignments/" + name
	status, _, b = node1.do(owner, "PUT", assignment,
		`{"properties":{"roleDefinitionId":"`+subScope+`/providers/Microsoft.Authorization/roleDefinitions/`+roleID+`","principalId":"`+target+`"}}`)
	if status != 201 {
		t.Fatalf("assignment on node 1: %d %s", status, b)
	}
	waitFor("assigned on node 1", 200)
	// Node 2 serves the role and the assignment as node 1 wrote them.
	if status, m, _ := node2.do(owner, "GET", assignment, ""); status != 200 || !strings.HasSuffix(m["properties"].(map[string]any)["roleDefinitionId"].(string), roleID) {
		t.Errorf("the assignment on node 2: %d %v", status, m)
	}
	if status, _, _ := node1.do(owner, "DELETE", assignment, ""); status != 200 {
		t.Fatalf("delete on node 1: %d", status)
	}
	waitFor("deleted on node 1", 403)
}
