package authorization_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/authorization"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
)

// Role definitions: every role the authorizer enforces, with Azure's ids.
func TestRoleDefinitions(t *testing.T) {
	t.Parallel()
	store := testkit.Engines()[0].Open(t)
	testkit.Subscription(t, store, sub, tenant)
	roles, err := identity.NewRoleCatalog(tokend.RoleDefinition{Name: "Data Owner", DataActions: []string{"Example/things/*"}})
	if err != nil {
		t.Fatal(err)
	}
	binding := &authorization.Binding{}
	binding.Bind(identity.NewAssignments(store, roles, nil))
	prov, _ := authorization.New(authorization.Config{Store: store, Assignments: binding})
	srv := testkit.Stack{Store: store, Providers: []*pipeline.Provider{prov.Describe()},
		Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{}}}.ServePlain(t)
	get := func(path string) (int, []byte) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer good-x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	base := "/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions"
	status, b := get(base + "?api-version=2022-04-01")
	if status != 200 {
		t.Fatalf("list: %d %s", status, b)
	}
	azurespec.Validate(t, definitions, "RoleDefinitionListResult", b)
	var l struct {
		Value []struct {
			Name       string
			Properties struct{ RoleName string }
		}
	}
	_ = json.Unmarshal(b, &l)
	if len(l.Value) != 5 {
		t.Errorf("%d roles, want the 4 built-in ones and Data Owner", len(l.Value))
	}
	status, b = get(base + "?api-version=2022-04-01&$filter=roleName%20eq%20'Reader'")
	_ = json.Unmarshal(b, &l)
	if status != 200 || len(l.Value) != 1 || l.Value[0].Name != "acdd72a7-3385-48ef-bd42-f606fba81ae7" {
		t.Errorf("filter by name: %d %s", status, b)
	}
	status, b = get(base + "/acdd72a7-3385-48ef-bd42-f606fba81ae7?api-version=2022-04-01")
	if status != 200 {
		t.Errorf("get: %d %s", status, b)
	}
	azurespec.Validate(t, definitions, "RoleDefinition", b)
	if status, _ = get(base + "/" + uuid.NewString() + "?api-version=2022-04-01"); status != 404 {
		t.Errorf("an unknown role definition: %d", status)
	}
	// A role without an Azure GUID gets a stable derived one.
	dataOwner, _ := roles.Lookup("Data Owner")
	if _, err := uuid.Parse(dataOwner.ID); err != nil {
		t.Errorf("derived role id %q", dataOwner.ID)
	}
	again, _ := identity.NewRoleCatalog(tokend.RoleDefinition{Name: "Data Owner"})
	if r, _ := again.Lookup("data owner"); r.ID != dataOwner.ID {
		t.Error("the derived role id is not stable")
	}
}
