// Package outside uses tokendtest from another module, as a project that
// depends on tokend would: only the public packages, through a replace
// directive instead of a published version.
package outside

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/appcontainers/armappcontainers/v3"
	"github.com/tokend-dev/tokend/tokendtest"
)

func TestGetAuthTokenFromAnotherModule(t *testing.T) {
	srv := tokendtest.Start(t)
	apps, err := armappcontainers.NewContainerAppsClient(srv.SubscriptionID, srv.Credential(), srv.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	poller, err := apps.BeginCreateOrUpdate(t.Context(), "rg", "app", armappcontainers.ContainerApp{
		Location: to.Ptr("eastus"),
		Properties: &armappcontainers.ContainerAppProperties{Template: &armappcontainers.Template{
			Containers: []*armappcontainers.Container{{Name: to.Ptr("main"), Image: to.Ptr("nginx")}},
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := poller.PollUntilDone(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	tok, err := apps.GetAuthToken(t.Context(), "rg", "app", nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Properties == nil || tok.Properties.Token == nil || *tok.Properties.Token == "" {
		t.Fatalf("no token: %+v", tok)
	}
}
