// Package container is a testcontainers-go module for tokend, shaped like
// the Azurite module: Run starts the image, waits until /readyz answers,
// and the Container hands out what a test needs — the URL, the tenant and
// subscription, a credential for the bootstrap client, the cloud
// configuration and client options for the Azure SDK, and the CA
// certificate the server's TLS chains to.
//
//	ctr, err := container.Run(ctx, "tokend:latest")
//	defer testcontainers.TerminateContainer(ctr)
//	apps, err := armappcontainers.NewContainerAppsClient(ctr.SubscriptionID, ctr.Credential(), ctr.ARMClientOptions())
//
// For Go tests, tokendtest.Start runs tokend in the test process instead,
// with no container runtime; this module is for tests that want the image.
package container

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// The image's facts (internal/ociimage, Dockerfile).
const (
	Port          = "8443/tcp"
	BootstrapFile = "/data/bootstrap.json"
	CAFile        = "/data/ca.pem"
)

// Container is a running tokend container.
type Container struct {
	testcontainers.Container
	// URL is https://<host>:<mapped port>, the authority host and the ARM
	// endpoint alike.
	URL                      string
	TenantID, SubscriptionID string
	ClientID, ClientSecret   string
	caPEM                    []byte
	http                     *http.Client
	cred                     azcore.TokenCredential
}

// Run starts tokend from img (built with `go run ./cmd/tokend-image` or
// the Dockerfile) and waits until it is ready. opts customize the
// request as for any testcontainers module (WithEnv for TOKEND_* settings,
// say).
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	ctr, err := testcontainers.Run(ctx, img, append(defaults(), opts...)...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr}
	}
	if err != nil {
		return c, fmt.Errorf("run tokend: %w", err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, Port, "https")
	if err != nil {
		return c, fmt.Errorf("tokend endpoint: %w", err)
	}
	boot, err := readFile(ctx, ctr, BootstrapFile)
	if err != nil {
		return c, err
	}
	ca, err := readFile(ctx, ctr, CAFile)
	if err != nil {
		return c, err
	}
	if err := c.init(endpoint, boot, ca); err != nil {
		return c, err
	}
	return c, nil
}

// defaults expose the port and wait for /readyz. The readiness probe does
// not check the certificate: the CA is read from the container only once
// it is ready.
func defaults() []testcontainers.ContainerCustomizer {
	return []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(Port),
		testcontainers.WithEnv(map[string]string{"TOKEND_ACCESS_LOG": "false"}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/readyz").WithPort(Port).
			WithTLS(true, &tls.Config{InsecureSkipVerify: true}). //nolint:gosec // readiness only, see above
			WithStartupTimeout(60 * time.Second)),
	}
}

func readFile(ctx context.Context, ctr testcontainers.Container, path string) ([]byte, error) {
	rc, err := ctr.CopyFileFromContainer(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("read %s from the tokend container: %w", path, err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// bootstrap is the part of bootstrap.json a client needs.
type bootstrap struct {
	TenantID       string `json:"tenantId"`
	SubscriptionID string `json:"subscriptionId"`
	ClientID       string `json:"clientId"`
	ClientSecret   string `json:"clientSecret"`
}

// init fills in the container's getters from its bootstrap file and CA,
// for the endpoint the host reaches it at.
func (c *Container) init(endpoint string, bootstrapJSON, caPEM []byte) error {
	var b bootstrap
	if err := json.Unmarshal(bootstrapJSON, &b); err != nil {
		return fmt.Errorf("parse %s: %w", BootstrapFile, err)
	}
	if b.TenantID == "" || b.ClientID == "" || b.ClientSecret == "" {
		return errors.New(BootstrapFile + " lacks the tenant, client id or secret (a bootstrap made by an earlier start keeps no secret: start on an empty /data)")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("%s holds no certificate", CAFile)
	}
	c.URL, c.caPEM = endpoint, caPEM
	c.TenantID, c.SubscriptionID, c.ClientID, c.ClientSecret = b.TenantID, b.SubscriptionID, b.ClientID, b.ClientSecret
	c.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	cred, err := c.CredentialFor(c.ClientID, c.ClientSecret)
	if err != nil {
		return err
	}
	c.cred = cred
	return nil
}

// CAPEM is the CA certificate the server's TLS chains to.
func (c *Container) CAPEM() []byte { return append([]byte(nil), c.caPEM...) }

// HTTPClient trusts the CA.
func (c *Container) HTTPClient() *http.Client { return c.http }

// CloudConfig points sign-in and Azure Resource Manager at the container.
func (c *Container) CloudConfig() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: c.URL + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Audience: "https://management.core.windows.net/", Endpoint: c.URL},
		},
	}
}

// ClientOptions are azcore options with the cloud and a transport trusting
// the CA.
func (c *Container) ClientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Cloud: c.CloudConfig(), Transport: c.http}
}

// ARMClientOptions are the options of an arm* client.
func (c *Container) ARMClientOptions() *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: c.ClientOptions()}
}

// Credential signs in as the bootstrap client (Owner at the root scope).
func (c *Container) Credential() azcore.TokenCredential { return c.cred }

// CredentialFor signs in as another client.
func (c *Container) CredentialFor(clientID, secret string) (azcore.TokenCredential, error) {
	return azidentity.NewClientSecretCredential(c.TenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            c.ClientOptions(),
		DisableInstanceDiscovery: true, // offline: MSAL must not ask login.microsoftonline.com
	})
}
