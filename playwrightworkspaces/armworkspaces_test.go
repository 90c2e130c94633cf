package playwrightworkspaces_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/pwwsclient"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwrightworkspaces"
)

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

// TestWorkspaceLifecycle drives every operation through the generated-style
// client at every api-version served, each body checked against the spec.
func TestWorkspaceLifecycle(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		for _, version := range playwrightworkspaces.APIVersions.List() {
			t.Run(version, func(t *testing.T) {
				c := e.workspaces(owner, version)
				group, name := "rg-"+version, "ws-"+version[:10]
				poller, err := c.BeginCreateOrUpdate(ctx, group, name, pwwsclient.Workspace{
					Location: ptr("West US 3"), Tags: map[string]*string{"Team": ptr("Dev Exp")},
					Properties: &pwwsclient.WorkspaceProperties{RegionalAffinity: ptr(pwwsclient.EnablementStatusDisabled)},
				})
				if err != nil {
					t.Fatalf("create: %v", err)
				}
				if !poller.Done() {
					t.Fatal("create: the poller is not done after a synchronous create")
				}
				created, err := poller.Result(ctx)
				if err != nil {
					t.Fatal(err)
				}
				p := created.Properties
				if *created.Location != "westus3" || *created.Type != "Microsoft.LoadTestService/playwrightWorkspaces" ||
					*created.Tags["Team"] != "Dev Exp" || *created.SystemData.CreatedBy != owner ||
					*p.ProvisioningState != "Succeeded" || *p.RegionalAffinity != "Disabled" ||
					*p.LocalAuth != "Disabled" || *p.DataplaneURI != e.srv.URL || !guid.MatchString(*p.WorkspaceID) {
					t.Errorf("created: %+v %+v", created.Workspace, *p)
				}

				got, err := c.Get(ctx, group, name)
				if err != nil || *got.Properties.WorkspaceID != *p.WorkspaceID {
					t.Fatalf("get: %v %+v", err, got)
				}
				up, err := c.Update(ctx, group, name, pwwsclient.WorkspaceUpdate{
					Properties: &pwwsclient.WorkspaceUpdateProperties{LocalAuth: ptr(pwwsclient.EnablementStatusEnabled)}})
				if err != nil || *up.Properties.LocalAuth != "Enabled" || *up.Properties.RegionalAffinity != "Disabled" || *up.Tags["Team"] != "Dev Exp" {
					t.Fatalf("update: %v %+v", err, up)
				}
				// PUT replaces: flags left out return to their defaults.
				poller, err = c.BeginCreateOrUpdate(ctx, group, name, pwwsclient.Workspace{Location: ptr("westus3")})
				if err != nil {
					t.Fatal(err)
				}
				replaced, _ := poller.Result(ctx)
				if *replaced.Properties.LocalAuth != "Disabled" || *replaced.Properties.RegionalAffinity != "Enabled" ||
					len(replaced.Tags) != 0 || *replaced.Properties.WorkspaceID != *p.WorkspaceID {
					t.Errorf("replaced: %+v", *replaced.Properties)
				}

				var inGroup, inSub int
				for pager := c.NewListByResourceGroupPager(group); pager.More(); {
					page, err := pager.NextPage(ctx)
					if err != nil {
						t.Fatal(err)
					}
					inGroup += len(page.Value)
				}
				for pager := c.NewListBySubscriptionPager(); pager.More(); {
					page, err := pager.NextPage(ctx)
					if err != nil {
						t.Fatal(err)
					}
					for _, w := range page.Value {
						if *w.Name == name {
							inSub++
						}
					}
				}
				if inGroup != 1 || inSub != 1 {
					t.Errorf("lists: %d in the group, %d in the subscription", inGroup, inSub)
				}

				taken, err := c.CheckNameAvailability(ctx, pwwsclient.CheckNameAvailabilityRequest{Name: ptr(name), Type: ptr("Microsoft.LoadTestService/playwrightWorkspaces")})
				if err != nil || *taken.NameAvailable || *taken.Reason != "AlreadyExists" {
					t.Errorf("check a taken name: %v %+v", err, taken)
				}
				free, err := c.CheckNameAvailability(ctx, pwwsclient.CheckNameAvailabilityRequest{Name: ptr("free-name"), Type: ptr("Microsoft.LoadTestService/playwrightWorkspaces")})
				if err != nil || !*free.NameAvailable {
					t.Errorf("check a free name: %v %+v", err, free)
				}
				bad, err := c.CheckNameAvailability(ctx, pwwsclient.CheckNameAvailabilityRequest{Name: ptr("no_underscores")})
				if err != nil || *bad.NameAvailable || *bad.Reason != "Invalid" {
					t.Errorf("check an invalid name: %v %+v", err, bad)
				}

				quotas, err := c.ListWorkspaceQuotas(ctx, group, name)
				if err != nil || len(quotas) != 1 || *quotas[0].Name != "ExecutionMinutes" {
					t.Errorf("workspace quotas: %v %+v", err, quotas)
				}
				if _, err := c.GetWorkspaceQuota(ctx, group, name, "executionminutes"); err != nil {
					t.Errorf("workspace quota: %v", err)
				}
				if _, err := c.GetWorkspaceQuota(ctx, group, name, "Workers"); statusOf(err) != http.StatusNotFound {
					t.Errorf("unknown quota: %v", err)
				}
				if _, err := c.GetQuota(ctx, "westus3", "ExecutionMinutes"); err != nil {
					t.Errorf("subscription quota: %v", err)
				}

				del, err := c.BeginDelete(ctx, group, name)
				if err != nil {
					t.Fatalf("delete: %v", err)
				}
				if _, err := del.PollUntilDone(ctx, nil); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Get(ctx, group, name); statusOf(err) != http.StatusNotFound {
					t.Errorf("get after delete: %v", err)
				}
				if _, err := e.store.GetPlaywrightAccount(ctx, *p.WorkspaceID); !errors.Is(err, tokend.ErrNotFound) {
					t.Errorf("the workspace id outlived its workspace: %v", err)
				}
				// Deleting what is gone is a 204 too.
				if _, err := c.BeginDelete(ctx, group, name); err != nil {
					t.Errorf("delete again: %v", err)
				}
			})
		}
	})
}

// TestFreeTrial: the subscription's first workspace holds its free trial;
// the quotas show it there and nowhere else.
func TestFreeTrial(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		c := e.workspaces(owner, "")
		first := e.createWorkspace(t, "rg", "first", "Enabled")
		e.createWorkspace(t, "rg", "second", "Enabled")
		q1, err := c.GetWorkspaceQuota(ctx, "rg", "first", "ExecutionMinutes")
		if err != nil || q1.Properties.FreeTrial == nil || *q1.Properties.FreeTrial.AllocatedValue != 100 ||
			q1.Properties.FreeTrial.ExpiryAt.Sub(*q1.Properties.FreeTrial.CreatedAt).Hours() != 30*24 {
			t.Fatalf("first workspace's quota: %v %+v", err, q1.Properties)
		}
		q2, err := c.GetWorkspaceQuota(ctx, "rg", "second", "ExecutionMinutes")
		if err != nil || q2.Properties.FreeTrial != nil {
			t.Errorf("second workspace's quota: %v %+v", err, q2.Properties)
		}
		sq, err := c.GetQuota(ctx, "westus3", "ExecutionMinutes")
		if err != nil || sq.Properties.FreeTrial == nil || *sq.Properties.FreeTrial.WorkspaceID != first || *sq.Properties.FreeTrial.State != "Active" {
			t.Errorf("subscription quota: %v %+v", err, sq.Properties)
		}
		other, err := c.GetQuota(ctx, "eastus", "ExecutionMinutes")
		if err != nil || other.Properties.FreeTrial != nil {
			t.Errorf("another location's quota: %v %+v", err, other.Properties)
		}
		e.clock.Advance(31 * 24 * 3600e9)
		sq, _ = c.GetQuota(ctx, "westus3", "ExecutionMinutes")
		if sq.Properties.FreeTrial == nil || *sq.Properties.FreeTrial.State != "Expired" {
			t.Errorf("after 31 days: %+v", sq.Properties)
		}
	})
}

// TestWorkspaceBadInput: refusals name the field, in ARM's envelope.
func TestWorkspaceBadInput(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		for _, tc := range []struct {
			name, path string
			body       any
			status     int
			code       string
			target     string
		}{
			{"name too short", workspacePath("rg", "ab"), map[string]any{"location": "eastus"}, 400, "InvalidResourceName", "playwrightWorkspaceName"},
			{"name with underscore", workspacePath("rg", "a_b_c"), map[string]any{"location": "eastus"}, 400, "InvalidResourceName", "playwrightWorkspaceName"},
			{"no location", workspacePath("rg", "abc"), map[string]any{}, 400, "LocationRequired", "location"},
			{"bad localAuth", workspacePath("rg", "abc"), map[string]any{"location": "eastus", "properties": map[string]any{"localAuth": "Maybe"}}, 400, "InvalidRequestContent", "properties.localAuth"},
			{"bad tag", workspacePath("rg", "abc"), map[string]any{"location": "eastus", "tags": map[string]any{"a/b": "x"}}, 400, "InvalidTagName", "tags"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := e.do(t, http.MethodPut, tc.path+"?api-version=2025-10-01", tc.body, "good-"+owner)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				if code, target := errorCode(t, resp, body); code != tc.code || target != tc.target {
					t.Errorf("error %s on %q, want %s on %q", code, target, tc.code, tc.target)
				}
			})
		}
		// An api-version no spec lists.
		resp, body := e.do(t, http.MethodGet, workspacePath("rg", "abc")+"?api-version=2024-01-01", nil, "good-"+owner)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown api-version: %d %s", resp.StatusCode, body)
		}
		// A Reader reads but does not write.
		e.createWorkspace(t, "rg", "readable", "Disabled")
		if resp, _ := e.do(t, http.MethodGet, workspacePath("rg", "readable")+"?api-version=2025-10-01", nil, "good-"+reader); resp.StatusCode != http.StatusOK {
			t.Errorf("reader's GET: %d", resp.StatusCode)
		}
		if resp, _ := e.do(t, http.MethodPatch, workspacePath("rg", "readable")+"?api-version=2025-10-01", map[string]any{}, "good-"+reader); resp.StatusCode != http.StatusForbidden {
			t.Errorf("reader's PATCH: %d", resp.StatusCode)
		}
	})
}
