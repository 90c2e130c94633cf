package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/browsertest"
)

// A real headless Chromium, scripts off, approves azidentity's
// DeviceCodeCredential over TLS: the verification page, the code typed as
// a user would (lower case), the sign-in form, Continue; the credential's
// next poll gets the user's token.
func TestDeviceCodeInChromium(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	user := tk.CreateUser(t, "grace@contoso.example", "--display-name", "Grace Hopper")
	serverPEM, err := os.ReadFile(filepath.Join(tk.DataDir, "server.pem"))
	if err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t, browsertest.TrustPEM(serverPEM), browsertest.NoJavaScript())

	prompts := make(chan azidentity.DeviceCodeMessage, 1)
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: tk.ClientOptions(), TenantID: tk.Boot.TenantID, DisableInstanceDiscovery: true,
		UserPrompt: func(_ context.Context, msg azidentity.DeviceCodeMessage) error {
			prompts <- msg
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		tok azcore.AccessToken
		err error
	}
	results := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	go func() {
		tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope}})
		results <- result{tok, err}
	}()
	var msg azidentity.DeviceCodeMessage
	select {
	case msg = <-prompts:
	case r := <-results:
		t.Fatalf("GetToken ended before prompting: %v", r.err)
	case <-ctx.Done():
		t.Fatal("no device-code prompt")
	}

	b.Navigate(msg.VerificationURL)
	if got := b.Attr(`input[name="csrf"]`, "type"); got != "hidden" {
		t.Fatalf("verification page CSRF input type %q", got)
	}
	b.Fill(`input[name="user_code"]`, strings.ToLower(msg.UserCode))
	b.Submit(`#submit`)
	b.Fill(`input[name="username"]`, "grace@contoso.example")
	b.Fill(`input[name="password"]`, user.Password)
	b.Submit(`#submit`)
	if got := b.Text("h1"); got != "Are you trying to sign in to Microsoft Azure CLI?" {
		t.Fatalf("confirmation heading %q", got)
	}
	if got := b.Text("#user"); got != "grace@contoso.example" {
		t.Errorf("confirmation shows user %q", got)
	}
	b.Submit(`#continue`)
	if got := b.Text("#message"); !strings.Contains(got, "You may now close this window") {
		t.Fatalf("after Continue the page says %q", got)
	}
	for _, c := range b.Cookies(tk.URL) {
		if c.Name == "tokend_session" && (!c.HTTPOnly || !c.Secure) {
			t.Errorf("session cookie %+v", c)
		}
	}

	var r result
	select {
	case r = <-results:
	case <-ctx.Done():
		t.Fatal("the credential did not get its token after approval")
	}
	if r.err != nil {
		t.Fatalf("GetToken: %v", r.err)
	}
	if claims := azuretest.JWTClaims(t, r.tok.Token); claims["oid"] != user.ObjectID || claims["name"] != "Grace Hopper" {
		t.Errorf("token claims %v", claims)
	}
}
