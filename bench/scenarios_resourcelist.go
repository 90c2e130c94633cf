package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

const resourcesAPI = "2025-04-01"

// resourceGroupsSeeded is how many groups the seeded resources spread
// over on a server bench started (a remote target gets the run's one group).
const resourceGroupsSeeded = 100

// resourcesList is Resources_List: the first page of a subscription's
// resources of every type over Seeds.Resources seeded resources (container
// apps and API Management services spread over groups), as tools that
// inventory a subscription read it.
type resourcesList struct {
	groups []string
	url    string
	token  string
}

func (*resourcesList) Name() string   { return "resources-list" }
func (*resourcesList) Target() string { return "p99 ≤ 20 ms over 100,000" }
func (*resourcesList) Bound() Bound   { return BoundHTTPS }

// Prepare creates the groups the resources go into, over HTTP.
func (s *resourcesList) Prepare(ctx context.Context, env *Env) error {
	if !env.Target.Local {
		s.groups = []string{env.Group}
		return nil
	}
	s.groups = make([]string, resourceGroupsSeeded)
	return parallel(ctx, len(s.groups), env.Workers, func(ctx context.Context, i int) error {
		s.groups[i] = fmt.Sprintf("bench-res-%03d", i)
		_, err := env.PutARM(ctx, "/subscriptions/"+env.Subscription+"/resourcegroups/"+s.groups[i]+"?api-version=2021-04-01",
			map[string]any{"location": "eastus"})
		return err
	})
}

// Seed writes the resources in batches, each a transaction of a direct
// seeder.
func (s *resourcesList) Seed(ctx context.Context, env *Env, sd Seeder) error {
	n := env.Seeds.Resources
	env.Log("  seeding %d resources over %d resource groups", n, len(s.groups))
	start := time.Now()
	now := start.UTC()
	batch := make([]*tokend.Resource, 0, seedBatch)
	for i := 0; i < n; i++ {
		batch = append(batch, benchResource(env.Subscription, s.groups[i%len(s.groups)], i, now))
		if len(batch) == cap(batch) || i == n-1 {
			if err := sd.CreateResources(ctx, batch); err != nil {
				return fmt.Errorf("seed resources: %w", err)
			}
			batch = make([]*tokend.Resource, 0, seedBatch)
		}
	}
	el := time.Since(start)
	env.Log("  seeded %d resources in %s (%.0f/s)", n, el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}

// benchResource is the i-th seeded resource: three in five a container
// app, the rest an API Management service, with the documents their
// providers store.
func benchResource(sub, group string, i int, now time.Time) *tokend.Resource {
	var typ, name string
	var doc map[string]any
	tags := map[string]string{"team": [...]string{"payments", "search", "identity", "billing"}[i%4], "env": [...]string{"prod", "dev"}[i%2]}
	if i%5 < 3 {
		typ, name = "Microsoft.App/containerApps", fmt.Sprintf("app-%06d", i)
		doc = map[string]any{"location": "eastus", "tags": tags, "identity": map[string]any{"type": "None"},
			"properties": map[string]any{"provisioningState": "Succeeded",
				"managedEnvironmentId": "/subscriptions/" + sub + "/resourceGroups/" + group + "/providers/Microsoft.App/managedEnvironments/env",
				"configuration":        map[string]any{"activeRevisionsMode": "Single", "ingress": map[string]any{"external": true, "targetPort": 8080}},
				"template":             map[string]any{"containers": []any{map[string]any{"name": "app", "image": fmt.Sprintf("registry.example/app:%d", i)}}}}}
	} else {
		typ, name = "Microsoft.ApiManagement/service", fmt.Sprintf("apim-%06d", i)
		doc = map[string]any{"location": "westeurope", "tags": tags, "sku": map[string]any{"name": "Developer", "capacity": 1},
			"properties": map[string]any{"provisioningState": "Succeeded", "publisherEmail": "apis@contoso.example", "publisherName": "Contoso",
				"gatewayUrl": "https://" + name + ".azure-api.net"}}
	}
	id := "/subscriptions/" + sub + "/resourceGroups/" + group + "/providers/" + typ + "/" + name
	doc["id"], doc["name"], doc["type"] = id, name, typ
	body, _ := json.Marshal(doc)
	return &tokend.Resource{Key: strings.ToLower(id), ID: id, Type: strings.ToLower(typ), Name: name, UID: uuid.NewString(),
		ETag: `"` + uuid.NewString() + `"`, Body: body, CreatedAt: now, UpdatedAt: now,
		CreatedBy: "00000000-0000-0000-0000-00000000be0c", UpdatedBy: "00000000-0000-0000-0000-00000000be0c"}
}

func (s *resourcesList) Setup(ctx context.Context, env *Env) error {
	tok, err := env.Token(ctx, armScope)
	if err != nil {
		return err
	}
	s.token = tok
	s.url = env.BaseURL + "/subscriptions/" + env.Subscription + "/resources?api-version=" + resourcesAPI
	b, _, err := env.Call(ctx, http.MethodGet, s.url, nil, tok)
	if err != nil {
		return notAvailable(err)
	}
	var page struct {
		Value    []json.RawMessage `json:"value"`
		NextLink string            `json:"nextLink"`
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return fmt.Errorf("list resources: %w", err)
	}
	if want := min(100, env.Seeds.Resources); len(page.Value) < want {
		return fmt.Errorf("list resources: %d items, want at least %d", len(page.Value), want)
	}
	return nil
}

func (s *resourcesList) Next(ctx context.Context, _ int) (*http.Request, error) {
	return bearer(ctx, http.MethodGet, s.url, s.token, nil)
}
