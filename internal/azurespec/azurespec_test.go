package azurespec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The validator must accept the specs' own examples and reject documents
// that break them; otherwise every test that leans on it proves nothing.
func TestValidatorAcceptsExamplesAndRejectsViolations(t *testing.T) {
	t.Parallel()
	dir := Dir(t)
	example, err := os.ReadFile(filepath.Join(dir, "app/resource-manager/Microsoft.App/preview/2023-11-02-preview/examples/ContainerApps_GetAuthToken.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex struct {
		Responses map[string]struct {
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(example, &ex); err != nil {
		t.Fatal(err)
	}
	s := Schema(t, ContainerApps, "ContainerAppAuthToken")
	if err := Check(s, ex.Responses["200"].Body); err != nil {
		t.Errorf("the spec's own GetAuthToken example is rejected: %v", err)
	}
	cases := []struct {
		name  string
		body  string
		valid bool
	}{
		{"example shape", `{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/a","name":"a","type":"Microsoft.App/containerApps/accesstoken","location":"East US","properties":{"token":"t","expires":"2022-07-14T19:22:50.3080223Z"}}`, true},
		{"location missing", `{"id":"x","name":"a","properties":{"token":"t"}}`, false},
		{"token not a string", `{"location":"eastus","properties":{"token":5}}`, false},
		{"tags not strings", `{"location":"eastus","tags":{"a":1}}`, false},
	}
	for _, c := range cases {
		err := Check(s, []byte(c.body))
		if (err == nil) != c.valid {
			t.Errorf("%s: valid=%v, err=%v", c.name, c.valid, err)
		}
	}
	pw := Schema(t, Playwright, "AccessToken")
	if err := Check(pw, []byte(`{"id":"00000000-0000-0000-0000-000000000000","name":"sampleAccessToken","createdAt":"2021-09-28T12:32:33Z","expiryAt":"2022-09-28T12:32:33Z","state":"Active"}`)); err != nil {
		t.Errorf("playwright access token example rejected: %v", err)
	}
	if err := Check(pw, []byte(`{"id":"00000000-0000-0000-0000-000000000000","name":"1bad","createdAt":"2021-09-28T12:32:33Z","expiryAt":"2022-09-28T12:32:33Z","state":"Active"}`)); err == nil {
		t.Errorf("playwright access token with a bad name accepted")
	}
	apim := Schema(t, APIMDefinitions, "AuthorizationServerContract")
	if err := Check(apim, []byte(`{"properties":{"displayName":"x","clientRegistrationEndpoint":"a","authorizationEndpoint":"b","clientId":"c","grantTypes":["bogus"]}}`)); err == nil {
		t.Errorf("APIM contract with a bad grant type accepted")
	}
}

// One test binary of a run announces the skip; the others find its marker;
// a marker left by an earlier run an hour ago is no one's.
func TestFirstInRun(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "marker")
	now := time.Now()
	if !firstInRun(marker, now) {
		t.Fatal("first binary of a run not first")
	}
	if firstInRun(marker, now) {
		t.Error("second binary of the run also first")
	}
	if !firstInRun(marker, now.Add(2*time.Hour)) {
		t.Error("a stale marker kept a later run quiet")
	}
}
