package tokendtest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/app"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/localca"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/server"
)

// Server is a running tokend.
type Server struct {
	// URL is the base URL, https://127.0.0.1:port, without a trailing
	// slash: the authority host and the ARM endpoint alike.
	URL            string
	TenantID       string
	SubscriptionID string
	// ClientID and ClientSecret are the bootstrap client's: Owner at the
	// root scope, and owner of every provider's data plane.
	ClientID, ClientSecret string

	app    *app.App
	store  tokend.Store
	ca     *localca.Ephemeral
	http   *http.Client
	cred   azcore.TokenCredential
	stop   context.CancelFunc
	done   sync.WaitGroup
	closed sync.Once
	drop   func() error // drops the PostgreSQL schema (WithPostgres)
}

// Start starts a tokend for the test and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(context.Background(), opts...)
	if err != nil {
		t.Fatalf("tokendtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a tokend outside a test (an example, a TestMain, a local
// tool); Close stops it.
func New(ctx context.Context, opts ...Option) (*Server, error) {
	c := config{signingAlg: identity.AlgES256, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&c)
	}
	s := &Server{drop: func() error { return nil }}
	if err := s.start(ctx, c); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, c config) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	box, err := seal.New(key)
	if err != nil {
		return err
	}
	if s.store, s.drop, err = openStore(ctx, c.postgres); err != nil {
		return err
	}
	tenant, sub, err := app.EnsureDefaults(ctx, s.store)
	if err != nil {
		return err
	}
	s.TenantID, s.SubscriptionID = tenant.ID, sub.ID
	if s.ca, err = localca.NewEphemeral(localca.DefaultHosts, time.Now()); err != nil {
		return err
	}
	ln, err := server.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	s.URL = "https://" + ln.Addr().String()
	s.app, err = app.New(ctx, app.Config{
		Store: s.store, Box: box, TenantID: tenant.ID, Logger: c.logger,
		Identity:      identity.Config{SigningAlg: c.signingAlg, Now: c.now, PasswordParams: identity.EphemeralPasswordParams},
		AnyAPIVersion: c.anyAPIVersion, MaxBodyBytes: 1 << 20, CAPEM: s.ca.CAPEM,
	})
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("compose tokend: %w", err)
	}
	s.app.Identity.SetBaseURL(s.URL)
	boot, err := s.app.Identity.EnsureBootstrap(ctx)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("bootstrap client: %w", err)
	}
	s.ClientID, s.ClientSecret = boot.Client.ID, boot.Secret
	s.http = &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: s.ca.Pool(), MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 16,
	}}
	if s.cred, err = s.credential(s.ClientID, s.ClientSecret); err != nil {
		_ = ln.Close()
		return err
	}

	runCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	s.done.Add(2)
	go func() { defer s.done.Done(); s.app.Run(runCtx) }()
	go func() {
		defer s.done.Done()
		err := s.app.Server.Serve(runCtx, server.ListenConfig{Listener: ln, TLS: server.TLSConfig(s.ca.Cert), ShutdownTimeout: 5 * time.Second})
		if err != nil {
			c.logger.Error("tokendtest: serve", "err", err.Error())
		}
	}()
	return nil
}

// Close stops the server and releases its state; a second call does
// nothing.
func (s *Server) Close() {
	s.closed.Do(func() {
		if s.stop != nil {
			s.stop()
			s.done.Wait()
		}
		if s.http != nil {
			s.http.CloseIdleConnections()
		}
		var errs []error
		if s.store != nil {
			errs = append(errs, s.store.Close())
		}
		errs = append(errs, s.drop())
		if err := errors.Join(errs...); err != nil {
			slog.Default().Warn("tokendtest: close", "err", err.Error())
		}
	})
}

// CAPEM is the CA certificate (PEM) that signed the server's certificate.
func (s *Server) CAPEM() []byte { return append([]byte(nil), s.ca.CAPEM...) }

// HTTPClient is an HTTP client that trusts the server's CA.
func (s *Server) HTTPClient() *http.Client { return s.http }

// PlaywrightEndpoint is the Playwright data plane's endpoint, the
// dataplaneUri of every account.
func (s *Server) PlaywrightEndpoint() string { return s.URL + "/playwright" }

// CloudConfig is the cloud configuration of the Azure SDK for Go that
// points both sign-in and Azure Resource Manager at this server.
func (s *Server) CloudConfig() cloud.Configuration {
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: s.URL + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Audience: "https://management.core.windows.net/", Endpoint: s.URL},
		},
	}
}

// ClientOptions are azcore client options with the cloud configuration and
// a transport that trusts the server's CA.
func (s *Server) ClientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Cloud: s.CloudConfig(), Transport: s.http}
}

// ARMClientOptions are the options of an arm* client (armresources,
// armappcontainers, ...) talking to this server.
func (s *Server) ARMClientOptions() *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: s.ClientOptions()}
}

// Credential signs in as the bootstrap client.
func (s *Server) Credential() azcore.TokenCredential { return s.cred }

// CredentialFor signs in as the client with this id and secret.
func (s *Server) CredentialFor(clientID, secret string) (azcore.TokenCredential, error) {
	return s.credential(clientID, secret)
}

func (s *Server) credential(clientID, secret string) (azcore.TokenCredential, error) {
	cred, err := azidentity.NewClientSecretCredential(s.TenantID, clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: s.ClientOptions(),
		// Without it MSAL asks login.microsoftonline.com whether the
		// authority is known, which fails offline.
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		return nil, fmt.Errorf("credential for %s: %w", clientID, err)
	}
	return cred, nil
}
