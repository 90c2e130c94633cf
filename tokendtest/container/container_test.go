package container

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/testcontainers/testcontainers-go"
)

// The request exposes 8443 and waits for /readyz.
func TestDefaults(t *testing.T) {
	req := testcontainers.GenericContainerRequest{}
	for _, o := range defaults() {
		if err := o.Customize(&req); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Contains(req.ExposedPorts, Port) || req.WaitingFor == nil || req.Env["TOKEND_ACCESS_LOG"] != "false" {
		t.Fatalf("request %+v", req.ContainerRequest)
	}
	if s, ok := req.WaitingFor.(interface{ String() string }); ok && !strings.Contains(s.String(), "/readyz") {
		t.Errorf("wait strategy %s", s.String())
	}
}

// init turns the container's bootstrap file and CA into a working
// credential: here against a stand-in for tokend's discovery and token
// endpoints, served with a certificate only that CA trusts.
func TestCredentialFromBootstrap(t *testing.T) {
	var tokenRequests int
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := "https://" + r.Host
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer": base + "/tid/v2.0", "token_endpoint": base + "/tid/oauth2/v2.0/token",
				"authorization_endpoint": base + "/tid/oauth2/v2.0/authorize", "jwks_uri": base + "/tid/discovery/v2.0/keys",
			})
		case r.URL.Path == "/tid/oauth2/v2.0/token":
			_ = r.ParseForm()
			if r.Form.Get("client_id") != "cid" || r.Form.Get("client_secret") != "tkd_secret" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			tokenRequests++
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	boot := []byte(`{"tenantId":"tid","subscriptionId":"sid","clientId":"cid","clientSecret":"tkd_secret"}`)
	c := &Container{}
	if err := c.init(srv.URL, boot, caPEM); err != nil {
		t.Fatal(err)
	}
	if c.SubscriptionID != "sid" || string(c.CAPEM()) != string(caPEM) || c.CloudConfig().ActiveDirectoryAuthorityHost != srv.URL+"/" {
		t.Fatalf("container %+v", c)
	}
	tok, err := c.Credential().GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil || tok.Token != "tok" || tokenRequests != 1 {
		t.Fatalf("token %+v, %v (%d requests)", tok, err, tokenRequests)
	}
	if err := (&Container{}).init(srv.URL, []byte(`{"tenantId":"tid","clientId":"cid"}`), caPEM); err == nil || !strings.Contains(err.Error(), "empty /data") {
		t.Errorf("a bootstrap file without its secret: %v", err)
	}
}

// TestRun runs the image when a container runtime answers and
// TOKEND_IMAGE names the image (go run ./cmd/tokend-image, then load it).
func TestRun(t *testing.T) {
	img := os.Getenv("TOKEND_IMAGE")
	if img == "" {
		t.Skip("TOKEND_IMAGE not set (build the image with go run ./cmd/tokend-image and load it)")
	}
	testcontainers.SkipIfProviderIsNotHealthy(t)
	ctr, err := Run(t.Context(), img)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctr.Credential().GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}}); err != nil {
		t.Fatal(err)
	}
}
