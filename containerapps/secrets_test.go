package containerapps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
)

func TestSecrets(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := appURL("rg", "secretive")
		const v1, v2, v3 = "s3cr3t-value-one", "s3cr3t-value-two", "s3cr3t-value-three"
		body := minimalApp("eastus")
		body["properties"].(map[string]any)["configuration"] = map[string]any{
			"secrets": []any{
				map[string]any{"name": "one", "value": v1},
				map[string]any{"name": "two", "value": v2},
				map[string]any{"name": "vault", "keyVaultUrl": "https://kv.vault.azure.net/secrets/x", "identity": "system"},
			},
			"registries": []any{map[string]any{"server": "r.azurecr.io", "username": "u", "passwordSecretRef": "one"}},
		}
		leaks := func(what string, b []byte) {
			t.Helper()
			for _, v := range []string{v1, v2, v3} {
				if bytes.Contains(b, []byte(v)) {
					t.Errorf("%s carries a secret value: %s", what, b)
				}
			}
		}
		created := e.expect(http.MethodPut, path, body, http.StatusCreated, "ContainerApp")
		leaks("PUT response", created)
		if n := at(decode(t, created), "properties", "configuration", "secrets", 1, "name"); n != "two" {
			t.Errorf("secret names not kept: %s", created)
		}
		leaks("GET", e.expect(http.MethodGet, path, nil, http.StatusOK, "ContainerApp"))
		leaks("list", e.expect(http.MethodGet, "/subscriptions/"+sub+"/providers/Microsoft.App/containerApps", nil, http.StatusOK, "ContainerAppCollection"))

		// At rest: not in the document, sealed in the blob under the resource key.
		res, err := e.store.GetResource(context.Background(), strings.ToLower(appURL("rg", "secretive")))
		if err != nil {
			t.Fatal(err)
		}
		leaks("stored body", res.Body)
		leaks("stored secrets blob", res.Secrets)
		if len(res.Secrets) == 0 {
			t.Fatal("no sealed secrets stored")
		}

		type secret struct {
			Name, Value, Identity, KeyVaultURL string
		}
		list := func() []secret {
			b := e.expect(http.MethodPost, path+"/listSecrets", nil, http.StatusOK, "SecretsCollection")
			var c struct{ Value []secret }
			if err := json.Unmarshal(b, &c); err != nil {
				t.Fatal(err)
			}
			return c.Value
		}
		got := list()
		if len(got) != 3 || got[0] != (secret{Name: "one", Value: v1}) || got[1] != (secret{Name: "two", Value: v2}) ||
			got[2] != (secret{Name: "vault", Identity: "system", KeyVaultURL: "https://kv.vault.azure.net/secrets/x"}) {
			t.Errorf("listSecrets = %+v", got)
		}

		// A patch that does not touch secrets keeps them; one that sends a
		// value without the others keeps theirs by name, and drops those it
		// leaves out.
		leaks("PATCH response", e.expect(http.MethodPatch, path, `{"tags":{"x":"y"}}`, http.StatusOK, "ContainerApp"))
		if got := list(); len(got) != 3 || got[0].Value != v1 {
			t.Errorf("after patch: %+v", got)
		}
		patch := `{"properties":{"configuration":{"secrets":[{"name":"one"},{"name":"three","value":"` + v3 + `"}]}}}`
		leaks("PATCH response", e.expect(http.MethodPatch, path, patch, http.StatusOK, "ContainerApp"))
		if got := list(); len(got) != 2 || got[0] != (secret{Name: "one", Value: v1}) || got[1] != (secret{Name: "three", Value: v3}) {
			t.Errorf("after secrets patch: %+v", got)
		}
		// A replace without secrets removes them all.
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusOK, "ContainerApp")
		if got := list(); len(got) != 0 {
			t.Errorf("after replace without secrets: %+v", got)
		}
		res, err = e.store.GetResource(context.Background(), strings.ToLower(appURL("rg", "secretive")))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Secrets) != 0 {
			t.Error("sealed blob kept after every secret was removed")
		}
		e.expect(http.MethodPost, appURL("rg", "none")+"/listSecrets", nil, http.StatusNotFound, "DefaultErrorResponse")
	})
}

// A sealed blob moved to another app does not open: the resource key is
// the additional data.
func TestSecretsBoundToResource(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		body := minimalApp("eastus")
		body["properties"].(map[string]any)["configuration"] = map[string]any{
			"secrets": []any{map[string]any{"name": "one", "value": "v"}},
		}
		e.expect(http.MethodPut, appURL("rg", "source"), body, http.StatusCreated, "ContainerApp")
		e.expect(http.MethodPut, appURL("rg", "target"), body, http.StatusCreated, "ContainerApp")
		src, err := e.store.GetResource(ctx, strings.ToLower(appURL("rg", "source")))
		if err != nil {
			t.Fatal(err)
		}
		dst, err := e.store.GetResource(ctx, strings.ToLower(appURL("rg", "target")))
		if err != nil {
			t.Fatal(err)
		}
		prev := dst.ETag
		dst.Secrets, dst.ETag = src.Secrets, `"moved"`
		if err := e.store.UpdateResource(ctx, dst, prev); err != nil {
			t.Fatal(err)
		}
		b := e.expect(http.MethodPost, appURL("rg", "target")+"/listSecrets", nil, http.StatusInternalServerError, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); strings.Contains(ae.Error.Message, "cipher") || strings.Contains(ae.Error.Message, "authentication") {
			t.Errorf("500 leaks internals: %s", b)
		}
	})
}
