// Package readme is the README's Go example, compiled and run by its test
// (readme_test.go), which also checks that the README quotes it verbatim.
package readme

// README:begin
import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	// go get github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/appcontainers/armappcontainers/v3@v3.1.0
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/appcontainers/armappcontainers/v3"
)

// AppToken creates a container app and returns a token for it, signed in
// with what `eval "$(tokend env)"` exports.
func AppToken(ctx context.Context, group, app string) (string, error) {
	caPEM, err := os.ReadFile(os.Getenv("SSL_CERT_FILE")) // tokend's CA
	if err != nil {
		return "", err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return "", errors.New("SSL_CERT_FILE holds no certificate")
	}
	opts := azcore.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: os.Getenv("AZURE_AUTHORITY_HOST"),
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Audience: "https://management.core.windows.net/", Endpoint: os.Getenv("TOKEND_URL")},
			},
		},
		Transport: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}},
	}
	cred, err := azidentity.NewClientSecretCredential(os.Getenv("AZURE_TENANT_ID"), os.Getenv("AZURE_CLIENT_ID"),
		os.Getenv("AZURE_CLIENT_SECRET"), &azidentity.ClientSecretCredentialOptions{
			ClientOptions: opts,
			// Without it MSAL first asks login.microsoftonline.com about
			// the authority, which fails offline.
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		return "", err
	}
	apps, err := armappcontainers.NewContainerAppsClient(os.Getenv("AZURE_SUBSCRIPTION_ID"), cred,
		&arm.ClientOptions{ClientOptions: opts})
	if err != nil {
		return "", err
	}
	poller, err := apps.BeginCreateOrUpdate(ctx, group, app, armappcontainers.ContainerApp{
		Location: to.Ptr("eastus"),
		Properties: &armappcontainers.ContainerAppProperties{Template: &armappcontainers.Template{
			Containers: []*armappcontainers.Container{{Name: to.Ptr("main"), Image: to.Ptr("nginx")}},
		}},
	}, nil)
	if err != nil {
		return "", err
	}
	if _, err := poller.PollUntilDone(ctx, nil); err != nil {
		return "", err
	}
	tok, err := apps.GetAuthToken(ctx, group, app, nil)
	if err != nil {
		return "", err
	}
	return *tok.Properties.Token, nil
}

// README:end
