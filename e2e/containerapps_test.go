package e2e

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	cav2 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/appcontainers/armappcontainers/v2"
	cav3 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/appcontainers/armappcontainers/v3"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/tokend-dev/tokend/containerapps"
)

func caPtr[T any](v T) *T { return &v }

// caApp is the container app the official client sends in SDK-REQUESTS.md,
// with a secret.
func caApp(sub, rg string) cav3.ContainerApp {
	return cav3.ContainerApp{
		Location: caPtr("eastus"),
		Tags:     map[string]*string{"harness": caPtr("e2e")},
		Properties: &cav3.ContainerAppProperties{
			EnvironmentID: caPtr("/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.App/managedEnvironments/env"),
			Configuration: &cav3.Configuration{
				ActiveRevisionsMode: caPtr(cav3.ActiveRevisionsModeSingle),
				Ingress:             &cav3.Ingress{External: caPtr(true), TargetPort: caPtr[int32](8080), Transport: caPtr(cav3.IngressTransportMethodAuto)},
				Secrets:             []*cav3.Secret{{Name: caPtr("db-password"), Value: caPtr("hunter2-e2e")}},
			},
			Template: &cav3.Template{Containers: []*cav3.Container{{
				Image: caPtr("mcr.microsoft.com/k8se/quickstart:latest"), Name: caPtr("main"),
				Resources: &cav3.ContainerResources{CPU: caPtr(0.25), Memory: caPtr("0.5Gi")},
			}}},
		},
	}
}

func caStatus(err error) (int, string) {
	if re := responseError(err); re != nil {
		return re.StatusCode, re.ErrorCode
	}
	return 0, ""
}

func TestContainerApps(t *testing.T) {
	tk := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sub := tk.Boot.SubscriptionID
	const rg, name = "rg-ca-e2e", "e2e-app"
	apps, err := cav3.NewContainerAppsClient(sub, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	poll := &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}

	// Create: the poller completes at once (200/201 with Succeeded).
	poller, err := apps.BeginCreateOrUpdate(ctx, rg, name, caApp(sub, rg), nil)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !poller.Done() {
		t.Error("create poller not done after the first response")
	}
	created, err := poller.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	p := created.Properties
	if *p.ProvisioningState != cav3.ContainerAppProvisioningStateSucceeded || *p.RunningStatus != cav3.ContainerAppRunningStatusRunning ||
		*created.Type != containerapps.ResourceType || *created.Name != name || created.SystemData == nil {
		t.Errorf("created: %+v", created.ContainerApp)
	}
	if v := p.Configuration.Secrets[0].Value; v != nil {
		t.Errorf("create response carries the secret value %q", *v)
	}

	// Get, and list by group and by subscription with the pagers.
	got, err := apps.Get(ctx, rg, name, nil)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if *got.ID != *created.ID || *got.Properties.Configuration.Ingress.TargetPort != 8080 {
		t.Errorf("get: %+v", got.ContainerApp)
	}
	if _, err := apps.BeginCreateOrUpdate(ctx, rg, "e2e-other", caApp(sub, rg), nil); err != nil {
		t.Fatalf("create second app: %v", err)
	}
	count := func(pager interface {
		More() bool
	}, next func() ([]*cav3.ContainerApp, error)) int {
		n := 0
		for pager.More() {
			page, err := next()
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			n += len(page)
		}
		return n
	}
	byGroup := apps.NewListByResourceGroupPager(rg, nil)
	if n := count(byGroup, func() ([]*cav3.ContainerApp, error) {
		r, err := byGroup.NextPage(ctx)
		return r.Value, err
	}); n != 2 {
		t.Errorf("list by group: %d apps", n)
	}
	bySub := apps.NewListBySubscriptionPager(nil)
	if n := count(bySub, func() ([]*cav3.ContainerApp, error) {
		r, err := bySub.NextPage(ctx)
		return r.Value, err
	}); n != 2 {
		t.Errorf("list by subscription: %d apps", n)
	}

	// Update (PATCH, JSON merge patch) through BeginUpdate.
	up, err := apps.BeginUpdate(ctx, rg, name, cav3.ContainerApp{
		Location: caPtr("eastus"), Tags: map[string]*string{"stage": caPtr("updated")},
	}, nil)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if _, err := up.PollUntilDone(ctx, poll); err != nil {
		t.Fatalf("update: %v", err)
	}
	got, err = apps.Get(ctx, rg, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tags["stage"] == nil || *got.Tags["stage"] != "updated" || got.Tags["harness"] == nil {
		t.Errorf("tags after merge patch: %v", got.Tags)
	}

	// Secrets: only listSecrets shows values.
	secrets, err := apps.ListSecrets(ctx, rg, name, nil)
	if err != nil {
		t.Fatalf("listSecrets: %v", err)
	}
	if len(secrets.Value) != 1 || *secrets.Value[0].Name != "db-password" || *secrets.Value[0].Value != "hunter2-e2e" {
		t.Errorf("listSecrets: %+v", secrets.Value)
	}

	// getAuthtoken, checked the way an app checks it: discovery, JWKS,
	// issuer and audience.
	tok, err := apps.GetAuthToken(ctx, rg, name, nil)
	if err != nil {
		t.Fatalf("getAuthtoken: %v", err)
	}
	if *tok.ID != *created.ID || *tok.Type != "Microsoft.App/containerApps/accesstoken" || *tok.Location != "eastus" {
		t.Errorf("token envelope: %+v", tok.ContainerAppAuthToken)
	}
	issuer := tk.URL + "/" + tk.Boot.TenantID + "/v2.0"
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, tk.HTTP), issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{
		ClientID:             containerapps.Audience(*tok.ID),
		SupportedSigningAlgs: []string{oidc.ES256, oidc.RS256, oidc.EdDSA},
	})
	jwt, err := verifier.Verify(oidc.ClientContext(ctx, tk.HTTP), *tok.Properties.Token)
	if err != nil {
		t.Fatalf("verify the app token through JWKS: %v", err)
	}
	if !jwt.Expiry.Equal(*tok.Properties.Expires) {
		t.Errorf("exp %v, expires %v", jwt.Expiry, *tok.Properties.Expires)
	}
	var claims struct {
		OID string `json:"oid"`
		JTI string `json:"jti"`
		UID string `json:"xms_tkd_uid"`
	}
	if err := jwt.Claims(&claims); err != nil || claims.OID == "" || claims.JTI == "" || claims.UID == "" {
		t.Errorf("claims %+v (%v)", claims, err)
	}
	// The token is for the app, not for ARM.
	if resp, b := tk.Do(t, http.MethodGet, "/subscriptions/"+sub+"/providers/Microsoft.App/containerApps?api-version=2025-01-01", nil, *tok.Properties.Token); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("ARM accepted an app token: %d %s", resp.StatusCode, b)
	}
	if active := tk.Introspect(t, *tok.Properties.Token); !active {
		t.Error("a fresh app token introspects inactive")
	}
	if out, err := exec.Command(binary, "verify", "--data", tk.DataDir, "--audience", containerapps.Audience(*tok.ID), *tok.Properties.Token).CombinedOutput(); err != nil {
		t.Errorf("tokend verify: %v\n%s", err, out)
	}

	// The older client (armappcontainers/v2, api-version 2023-05-01).
	old, err := cav2.NewContainerAppsClient(sub, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	oldTok, err := old.GetAuthToken(ctx, rg, name, nil)
	if err != nil {
		t.Fatalf("v2 getAuthtoken: %v", err)
	}
	if *oldTok.ID != *created.ID || oldTok.Properties.Token == nil {
		t.Errorf("v2 token: %+v", oldTok.ContainerAppAuthToken)
	}

	// A Reader may read the app but not get a token for it.
	readerID, readerSecret := tk.CreateClient(t, "ca-reader", "Reader")
	asReader, err := cav3.NewContainerAppsClient(sub, tk.CredentialFor(t, readerID, readerSecret), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asReader.Get(ctx, rg, name, nil); err != nil {
		t.Errorf("reader get: %v", err)
	}
	if _, err := asReader.GetAuthToken(ctx, rg, name, nil); err == nil {
		t.Error("a Reader got a token")
	} else if st, code := caStatus(err); st != http.StatusForbidden || code != "AuthorizationFailed" {
		t.Errorf("reader getAuthtoken: %d %s (%v)", st, code, err)
	}

	// Unknown app: 404 in the Container Apps envelope.
	if _, err := apps.GetAuthToken(ctx, rg, "e2e-missing", nil); err == nil {
		t.Error("token for a missing app")
	} else if st, code := caStatus(err); st != http.StatusNotFound || code != "ResourceNotFound" {
		t.Errorf("missing app: %d %s", st, code)
	}

	// Delete: the poller completes at once; get answers 404; the app's
	// tokens stop introspecting active and tokend verify refuses them.
	del, err := apps.BeginDelete(ctx, rg, name, nil)
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := del.PollUntilDone(ctx, poll); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := apps.Get(ctx, rg, name, nil); err == nil {
		t.Error("get after delete succeeded")
	} else if st, code := caStatus(err); st != http.StatusNotFound || code != "ResourceNotFound" {
		t.Errorf("get after delete: %d %s", st, code)
	}
	if tk.Introspect(t, *tok.Properties.Token) {
		t.Error("the token of a deleted app introspects active")
	}
	out, err := exec.Command(binary, "verify", "--data", tk.DataDir, *tok.Properties.Token).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(string(out), "no longer exists") {
		t.Errorf("tokend verify of a deleted app's token: %v\n%s", err, out)
	}
	// Deleting again is a 204, which the poller also accepts.
	if del, err = apps.BeginDelete(ctx, rg, name, nil); err != nil {
		t.Fatalf("delete again: %v", err)
	}
	if _, err := del.PollUntilDone(ctx, poll); err != nil {
		t.Fatalf("delete again: %v", err)
	}
}
