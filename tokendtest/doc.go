// Package tokendtest starts a complete tokend inside a Go test process,
// the way httptest starts an HTTP server: an in-memory SQLite database, an
// ephemeral CA and HTTPS on a loopback port, stopped when the test ends.
//
//	func TestMyService(t *testing.T) {
//		srv := tokendtest.Start(t)
//		apps, err := armappcontainers.NewContainerAppsClient(srv.SubscriptionID, srv.Credential(), srv.ARMClientOptions())
//		...
//	}
//
// Everything a test needs comes from the Server without parsing files:
// its URL, tenant and subscription, a credential for the bootstrap client
// (Owner at the root scope), the cloud configuration and client options
// for the Azure SDK (trusting the CA), an HTTP client, the CA certificate,
// the Playwright data-plane endpoint, and helpers that create clients,
// managed identities and role assignments.
//
// Start takes about 10 ms (BenchmarkStart); every Server is independent,
// so tests may run in parallel, each with its own.
package tokendtest
