// Package azurespec validates JSON documents against the official Azure
// OpenAPI (Swagger 2.0) specs, for tests. The specs are not copied into this
// repository: tests find them through TOKEND_AZURE_SPECS (CI points it at
// ../shared/azure-specs).
package azurespec

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// EnvVar names the folder that holds the specs.
const EnvVar = "TOKEND_AZURE_SPECS"

// Spec files, relative to the specs folder: their paths below
// specification/ in the public Azure REST API specs repository
// (Azure/azure-rest-api-specs), which README.md lists.
const (
	ContainerApps       = "app/resource-manager/Microsoft.App/preview/2023-08-01-preview/ContainerApps.json"
	ContainerAppsCommon = "app/resource-manager/Microsoft.App/preview/2023-08-01-preview/CommonDefinitions.json"
	Playwright          = "playwrighttesting/data-plane/Microsoft.PlaywrightTesting.AuthManager/stable/2024-12-01/playwrighttesting.json"
	PlaywrightARM       = "playwrighttesting/resource-manager/Microsoft.AzurePlaywrightService/stable/2024-12-01/playwrighttesting.json"
	APIMAuthServers     = "apimanagement/resource-manager/Microsoft.ApiManagement/stable/2022-08-01/apimauthorizationservers.json"
	APIMDefinitions     = "apimanagement/resource-manager/Microsoft.ApiManagement/stable/2022-08-01/definitions.json"
	APIMRoot            = "apimanagement/resource-manager/Microsoft.ApiManagement/stable/2022-08-01/apimanagement.json"
	// PlaywrightWorkspacesARM is Microsoft.LoadTestService's
	// playwrightWorkspaces (2025-10-01; PlaywrightWorkspacesARM20250901 the
	// first stable version), PlaywrightWorkspaces their data plane.
	PlaywrightWorkspacesARM         = "loadtestservice/resource-manager/Microsoft.LoadTestService/playwright/stable/2025-10-01/playwright.json"
	PlaywrightWorkspacesARM20250901 = "loadtestservice/resource-manager/Microsoft.LoadTestService/playwright/stable/2025-09-01/playwright.json"
	PlaywrightWorkspaces            = "loadtestservice/data-plane/playwright/stable/2025-09-01/playwright.json"
	// Subscriptions is Microsoft.Resources' subscriptions, tenants and
	// locations.
	Subscriptions = "resources/resource-manager/Microsoft.Resources/subscriptions/stable/2022-12-01/subscriptions.json"
	// Resources is Microsoft.Resources' providers, resources and groups.
	Resources = "resources/resource-manager/Microsoft.Resources/resources/stable/2025-04-01/resources.json"
)

// Dir returns the specs folder, skipping the test when it is not configured
// (and failing it when CI requires the specs: TOKEND_REQUIRE_SPECS=1).
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		for _, guess := range []string{"../shared/azure-specs", "../../shared/azure-specs", "../../../shared/azure-specs"} {
			if st, err := os.Stat(guess); err == nil && st.IsDir() {
				dir = guess
				break
			}
		}
	}
	if dir == "" {
		if os.Getenv("TOKEND_REQUIRE_SPECS") == "1" {
			t.Fatalf("%s is not set and TOKEND_REQUIRE_SPECS=1", EnvVar)
		}
		if n := skipped.Add(1); n == 1 {
			announceSkip()
			t.Skipf("%s not set: this test and every later one that validates against the official Azure specs skip; "+
				"point it at a copy of the specification/ tree of the public Azure REST API specs (the files are listed in README.md, \"Official specs\")", EnvVar)
		}
		t.Skipf("%s not set (see the first skip)", EnvVar)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("specs folder %s: %v", dir, err)
	}
	return abs
}

// skipped counts the tests of this test binary skipped for want of specs,
// so only the first explains at length.
var skipped atomic.Int64

var (
	mu      sync.Mutex
	schemas = map[string]*jsonschema.Schema{}
)

// Schema compiles one definition of a spec file, e.g.
// Schema(t, azurespec.ContainerApps, "ContainerApp"). Compiled schemas are
// shared across tests.
func Schema(t testing.TB, file, definition string) *jsonschema.Schema {
	t.Helper()
	loc := "file://" + filepath.ToSlash(filepath.Join(Dir(t), file)) + "#/definitions/" + definition
	mu.Lock()
	defer mu.Unlock()
	if s, ok := schemas[loc]; ok {
		return s
	}
	c := jsonschema.NewCompiler()
	// Swagger 2.0 schemas are JSON Schema draft 4 with extensions, and a
	// $ref's siblings are ignored there, as in draft 4.
	c.DefaultDraft(jsonschema.Draft4)
	s, err := c.Compile(loc)
	if err != nil {
		t.Fatalf("compile %s: %v", loc, err)
	}
	schemas[loc] = s
	return s
}

// Validate checks a JSON document against a definition and fails the test
// with every violation when it does not conform.
func Validate(t testing.TB, file, definition string, body []byte) {
	t.Helper()
	s := Schema(t, file, definition)
	if err := Check(s, body); err != nil {
		t.Errorf("response does not conform to %s#/definitions/%s: %v\nbody: %s", file, definition, err, body)
	}
}

// Check validates body against a compiled schema.
func Check(s *jsonschema.Schema, body []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return s.Validate(inst)
}
