package tokendtest_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/tokendtest"
)

const armScope = "https://management.core.windows.net//.default"

func token(t *testing.T, cred azcore.TokenCredential, scope string) string {
	t.Helper()
	tok, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{scope}})
	if err != nil {
		t.Fatalf("get token: %v", err)
	}
	return tok.Token
}

func TestStart(t *testing.T) {
	t.Parallel()
	srv := tokendtest.Start(t)
	for name, v := range map[string]string{"URL": srv.URL, "TenantID": srv.TenantID, "SubscriptionID": srv.SubscriptionID, "ClientID": srv.ClientID} {
		if v == "" {
			t.Errorf("%s is empty", name)
		}
	}
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") {
		t.Errorf("URL %s", srv.URL)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(srv.CAPEM()) {
		t.Fatal("CAPEM holds no certificate")
	}
	resp, err := srv.HTTPClient().Get(srv.URL + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %v %v", resp, err)
	}
	_ = resp.Body.Close()

	// The bootstrap client is Owner: resource groups through the SDK.
	groups, err := armresources.NewResourceGroupsClient(srv.SubscriptionID, srv.Credential(), srv.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groups.CreateOrUpdate(t.Context(), "rg1", armresources.ResourceGroup{Location: new("eastus")}, nil); err != nil {
		t.Fatalf("create group: %v", err)
	}

	// A new client has no role until one is assigned.
	c := srv.CreateClient(t, "reader")
	asReader, err := armresources.NewResourceGroupsClient(srv.SubscriptionID, c.Credential, srv.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, err = asReader.Get(t.Context(), "rg1", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden {
		t.Fatalf("a client without roles: %v, want 403", err)
	}
	srv.AssignRole(t, c.ObjectID, "Reader", "/subscriptions/"+srv.SubscriptionID)
	// Role changes apply within the sync interval (500 ms).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err = asReader.Get(t.Context(), "rg1", nil); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("after assigning Reader: %v", err)
	}
}

func TestManagedIdentity(t *testing.T) {
	t.Parallel()
	srv := tokendtest.Start(t)
	mi := srv.CreateManagedIdentity(t, "worker")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, mi.Endpoint+"?api-version=2019-08-01&resource=https://management.azure.com/", nil)
	req.Header.Set("X-IDENTITY-HEADER", mi.Header)
	resp, body := azuretest.Send(t, srv.HTTPClient(), req)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "access_token") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if oid := azuretest.JWTClaims(t, tokenOf(t, body))["oid"]; oid != mi.PrincipalID {
		t.Errorf("oid %v, want %s", oid, mi.PrincipalID)
	}
}

func tokenOf(t *testing.T, body []byte) string {
	t.Helper()
	_, rest, ok := strings.Cut(string(body), `"access_token":"`)
	tok, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		t.Fatalf("no access_token in %s", body)
	}
	return tok
}

func TestOptions(t *testing.T) {
	t.Parallel()
	t.Run("signing alg", func(t *testing.T) {
		t.Parallel()
		srv := tokendtest.Start(t, tokendtest.WithSigningAlg("RS256"))
		if alg := azuretest.JWTHeader(t, token(t, srv.Credential(), armScope))["alg"]; alg != "RS256" {
			t.Errorf("alg %v", alg)
		}
	})
	t.Run("clock", func(t *testing.T) {
		t.Parallel()
		at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		var mu sync.Mutex
		srv := tokendtest.Start(t, tokendtest.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return at }))
		claims := azuretest.JWTClaims(t, token(t, srv.Credential(), armScope))
		if iat, _ := claims["iat"].(float64); int64(iat) != at.Unix() {
			t.Errorf("iat %v, want the clock's %d", claims["iat"], at.Unix())
		}
	})
	t.Run("api-version check off", func(t *testing.T) {
		t.Parallel()
		for _, check := range []bool{true, false} {
			srv := tokendtest.Start(t, tokendtest.WithAPIVersionCheck(check))
			req := azuretest.NewRequest(t, http.MethodGet, srv.URL+"/subscriptions/"+srv.SubscriptionID+"/resourcegroups?api-version=2099-01-01", nil, token(t, srv.Credential(), armScope))
			resp, body := azuretest.Send(t, srv.HTTPClient(), req)
			if want := map[bool]int{true: 400, false: 200}[check]; resp.StatusCode != want {
				t.Errorf("check %v: %d %s, want %d", check, resp.StatusCode, body, want)
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		url := os.Getenv("TOKEND_TEST_POSTGRES")
		if url == "" {
			url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		srv, err := tokendtest.New(t.Context(), tokendtest.WithPostgres(url))
		if err != nil {
			if os.Getenv("TOKEND_REQUIRE_POSTGRES") == "1" {
				t.Fatal(err)
			}
			t.Skipf("PostgreSQL: %v", err)
		}
		defer srv.Close()
		token(t, srv.Credential(), armScope)
	})
}

// Close is idempotent and New after Close starts afresh.
func TestCloseTwice(t *testing.T) {
	t.Parallel()
	srv, err := tokendtest.New(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	srv.Close()
	if _, err := http.Get(srv.URL + "/healthz"); err == nil {
		t.Error("the server still answers after Close")
	}
}

// BenchmarkStart is Start to a server ready for requests (target: 50 ms).
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		srv, err := tokendtest.New(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		srv.Close()
		b.StartTimer()
	}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	srv := tokendtest.Start(t)
	u := srv.CreateUser(t, "ada@contoso.example", "")
	if u.ObjectID == "" || len(u.Password) < 8 || u.UserPrincipalName != "ada@contoso.example" {
		t.Fatalf("user %+v", u)
	}
	srv.AssignRole(t, u.ObjectID, "Reader", "/subscriptions/"+srv.SubscriptionID)
	if v := srv.CreateUser(t, "bob@contoso.example", "correct horse battery"); v.Password != "correct horse battery" {
		t.Errorf("given password: %+v", v)
	}
}
