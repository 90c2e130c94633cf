package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/tokend-dev/tokend/internal/azuretest"
)

// The official DeviceCodeCredential signs a user in over TLS: the
// UserPrompt callback gets Entra's message, the user approves on the
// verification page (played with net/http) or with tokend device
// approve, and the token opens ARM as the user (Reader at "/").
func TestDeviceCodeCredential(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	// azidentity's DeviceCodeCredential uses the Azure CLI's client id
	// when given none.
	user := tk.CreateUser(t, "ada@contoso.example", "--display-name", "Ada Lovelace", "--role", "Reader", "--scope", "/")

	for _, approve := range []struct {
		name string
		run  func(t *testing.T, msg azidentity.DeviceCodeMessage) error
	}{
		{"page", func(t *testing.T, msg azidentity.DeviceCodeMessage) error {
			return approveOnPage(tk, msg, "ada@contoso.example", user.Password)
		}},
		{"cli", func(t *testing.T, msg azidentity.DeviceCodeMessage) error {
			out, errOut, err := tk.runCLI("device", "approve", msg.UserCode, "--user", "ada@contoso.example")
			if err != nil {
				return &approvalError{"tokend device approve: " + err.Error() + ": " + string(out) + string(errOut)}
			}
			return nil
		}},
	} {
		t.Run(approve.name, func(t *testing.T) {
			approved := make(chan error, 1)
			var prompt azidentity.DeviceCodeMessage
			cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
				ClientOptions: tk.ClientOptions(), TenantID: tk.Boot.TenantID, DisableInstanceDiscovery: true,
				UserPrompt: func(_ context.Context, msg azidentity.DeviceCodeMessage) error {
					prompt = msg
					// The user acts while the credential polls.
					go func() { approved <- approve.run(t, msg) }()
					return nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope}})
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			if err := <-approved; err != nil {
				t.Fatal(err)
			}
			want := "To sign in, use a web browser to open the page " + tk.URL + "/" + tk.Boot.TenantID +
				"/oauth2/deviceauth and enter the code " + prompt.UserCode + " to authenticate."
			if prompt.Message != want || prompt.VerificationURL != tk.URL+"/"+tk.Boot.TenantID+"/oauth2/deviceauth" {
				t.Errorf("UserPrompt got %+v, want message %q", prompt, want)
			}
			claims := azuretest.JWTClaims(t, tok.Token)
			if claims["oid"] != user.ObjectID || claims["azp"] != azureCLIClientID || claims["idtyp"] != "user" ||
				claims["upn"] != "ada@contoso.example" {
				t.Errorf("device-code token claims %v", claims)
			}
			// The user's token works on ARM, through the official client.
			groups, err := armresources.NewResourceGroupsClient(tk.Boot.SubscriptionID, cred, tk.ARMOptions())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := groups.NewListPager(nil).NextPage(ctx); err != nil {
				t.Fatalf("list resource groups as the user: %v", err)
			}
		})
	}
}

// A denied sign-in (tokend device deny): the credential fails at once,
// told authorization_declined, instead of polling on.
func TestDeviceCodeCredentialDeclined(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	cred, err := azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
		ClientOptions: tk.ClientOptions(), TenantID: tk.Boot.TenantID, DisableInstanceDiscovery: true,
		UserPrompt: func(_ context.Context, msg azidentity.DeviceCodeMessage) error {
			go func() { _, _, _ = tk.runCLI("device", "deny", msg.UserCode) }()
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{ARMScope}})
	// MSAL reads the 400's body to tell waiting from failing, so the
	// error azidentity shows has the status but not the body: the point is
	// that the credential stopped at once instead of polling until expiry.
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "RESPONSE 400") {
		t.Fatalf("GetToken after denial: %v (context: %v), want a 400 before the deadline", err, ctx.Err())
	}
}

type approvalError struct{ msg string }

func (e *approvalError) Error() string { return e.msg }

// approveOnPage plays the user's browser: the verification page, the
// code, the sign-in form, Continue.
func approveOnPage(tk *Tokend, msg azidentity.DeviceCodeMessage, username, password string) error {
	jar, _ := cookiejar.New(nil)
	b := &http.Client{Transport: tk.HTTP.Transport, Jar: jar, Timeout: 30 * time.Second}
	fetch := func(method, u string, form url.Values) (string, string, url.Values, error) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, u, body)
		if err != nil {
			return "", "", nil, err
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := b.Do(req)
		if err != nil {
			return "", "", nil, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		page := string(raw)
		if resp.StatusCode != http.StatusOK {
			return page, "", nil, &approvalError{method + " " + u + ": " + resp.Status + ": " + page}
		}
		f, ok := azuretest.ParseHTMLForm(page)
		if !ok {
			return page, "", url.Values{}, nil
		}
		return page, tk.URL + f.Action, f.Fields, nil
	}
	with := func(hidden url.Values, kv ...string) url.Values {
		for i := 0; i+1 < len(kv); i += 2 {
			hidden.Set(kv[i], kv[i+1])
		}
		return hidden
	}
	_, action, hidden, err := fetch(http.MethodGet, msg.VerificationURL, nil)
	if err != nil {
		return err
	}
	_, action, hidden, err = fetch(http.MethodPost, action, with(hidden, "user_code", msg.UserCode))
	if err != nil {
		return err
	}
	page, action, hidden, err := fetch(http.MethodPost, action, with(hidden, "username", username, "password", password))
	if err != nil {
		return err
	}
	if !strings.Contains(page, "Are you trying to sign in to") {
		return &approvalError{"no confirmation after sign-in: " + page}
	}
	page, _, _, err = fetch(http.MethodPost, action, with(hidden, "action", "continue"))
	if err != nil {
		return err
	}
	if !strings.Contains(page, "You may now close this window") {
		return &approvalError{"no confirmation of approval: " + page}
	}
	return nil
}
