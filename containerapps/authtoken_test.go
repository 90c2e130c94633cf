package containerapps_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/containerapps"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
)

type tokenResponse struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	SystemData map[string]any    `json:"systemData"`
	Properties struct {
		Token   string `json:"token"`
		Expires string `json:"expires"`
	} `json:"properties"`
}

type tokenClaims struct {
	Iss string `json:"iss"`
	Aud string `json:"aud"`
	Sub string `json:"sub"`
	Oid string `json:"oid"`
	Tid string `json:"tid"`
	Azp string `json:"azp"`
	Jti string `json:"jti"`
	Iat int64  `json:"iat"`
	Nbf int64  `json:"nbf"`
	Exp int64  `json:"exp"`
	App string `json:"xms_tkd_app"`
	UID string `json:"xms_tkd_uid"`
}

func (e *env) getToken(path string) (tokenResponse, []byte) {
	e.t.Helper()
	b := e.expect(http.MethodPost, path+"/getAuthtoken", nil, http.StatusOK, "ContainerAppAuthToken")
	var tr tokenResponse
	if err := json.Unmarshal(b, &tr); err != nil {
		e.t.Fatal(err)
	}
	return tr, b
}

var azureTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`)

func TestGetAuthToken(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		// Mid-second, so a token that took its times from anything but
		// the provider's clock, or did not truncate them, shows.
		clock := testkit.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC))
		e := newEnv(t, store, withAuth(testkit.NewIssuer(tenantID, clock), nil), withLifetime(30*time.Minute), withClock(clock))
		const oid = "11111111-2222-3333-4444-555555555555"
		e.token = "good-" + oid
		path := appURL("rg", "testcontainerapp0")
		body := minimalApp("East US")
		body["tags"] = map[string]any{"team": "a"}
		e.expect(http.MethodPut, path, body, http.StatusCreated, "ContainerApp")

		clock.Advance(time.Minute)
		tr, raw := e.getToken(path)
		if tr.ID != "/subscriptions/"+sub+"/resourceGroups/rg/providers/Microsoft.App/containerApps/testcontainerapp0" ||
			tr.Name != "testcontainerapp0" || tr.Type != "Microsoft.App/containerApps/accesstoken" ||
			tr.Location != "East US" || tr.Tags["team"] != "a" || tr.SystemData == nil {
			t.Errorf("envelope: %s", raw)
		}
		if !azureTime.MatchString(tr.Properties.Expires) {
			t.Errorf("expires %q is not UTC with 7 fractional digits", tr.Properties.Expires)
		}
		var c tokenClaims
		if err := json.Unmarshal(e.signer.verify(t, tr.Properties.Token), &c); err != nil {
			t.Fatal(err)
		}
		expires, err := time.Parse(time.RFC3339Nano, tr.Properties.Expires)
		if err != nil {
			t.Fatal(err)
		}
		if c.Exp != expires.Unix() || !expires.Equal(time.Unix(c.Exp, 0)) {
			t.Errorf("expires %s does not match exp %d", tr.Properties.Expires, c.Exp)
		}
		if d := time.Duration(c.Exp-c.Iat) * time.Second; d != 30*time.Minute {
			t.Errorf("lifetime %v, want 30m", d)
		}
		if want := clock.Now().Unix(); c.Iat != want || c.Nbf != c.Iat {
			t.Errorf("iat %d nbf %d, want %d", c.Iat, c.Nbf, want)
		}
		wantAud := strings.ToLower(tr.ID)
		if c.Aud != wantAud || c.App != wantAud || c.Aud != containerapps.Audience(tr.ID) {
			t.Errorf("aud %q app %q, want %q", c.Aud, c.App, wantAud)
		}
		if c.Sub != oid || c.Oid != oid || c.Tid != tenantID || c.Azp != "client-"+oid || c.Iss != issuer {
			t.Errorf("claims: %+v", c)
		}
		res, err := e.store.GetResource(context.Background(), wantAud)
		if err != nil {
			t.Fatal(err)
		}
		if c.UID != res.UID || c.Jti == "" {
			t.Errorf("uid %q (want %q), jti %q", c.UID, res.UID, c.Jti)
		}
		// Every token has its own id.
		tr2, _ := e.getToken(path)
		var c2 tokenClaims
		_ = json.Unmarshal(e.signer.verify(t, tr2.Properties.Token), &c2)
		if c2.Jti == c.Jti {
			t.Error("two tokens share a jti")
		}
		// The token response carries no secret other than the token, and the
		// token carries nothing of the app's configuration.
		if strings.Contains(tr.Properties.Token, ".") && strings.Count(tr.Properties.Token, ".") != 2 {
			t.Errorf("token is not a compact JWS: %s", tr.Properties.Token)
		}
	})
}

func TestGetAuthTokenErrors(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := appURL("rg", "app")
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
		for _, c := range []struct {
			name, path, query string
			status            int
			code, target      string
		}{
			{"unknown app", appURL("rg", "missing") + "/getAuthtoken", "", 404, "ResourceNotFound", ""},
			{"unknown group", appURL("nogroup", "app") + "/getAuthtoken", "", 404, "ResourceGroupNotFound", ""},
			{"unknown subscription", strings.Replace(path, sub, "00000000-0000-0000-0000-000000000000", 1) + "/getAuthtoken", "", 404, "SubscriptionNotFound", ""},
			{"version without getAuthtoken", path + "/getAuthtoken", "?api-version=2022-03-01", 400, "InvalidApiVersionParameter", "api-version"},
			{"unknown version", path + "/getAuthtoken", "?api-version=2030-01-01", 400, "InvalidApiVersionParameter", "api-version"},
			{"GET is not allowed", path + "/getAuthtoken", "", 405, "MethodNotAllowed", ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				method := http.MethodPost
				if c.status == 405 {
					method = http.MethodGet
				}
				q := c.query
				if q == "" {
					q = "?api-version=" + apiV3
				}
				b := e.expect(method, c.path+q, nil, c.status, "DefaultErrorResponse")
				ae := azuretest.DecodeError(t, b)
				if ae.Error.Code != c.code || ae.Error.Target != c.target {
					t.Errorf("got %+v, want code %q target %q", ae.Error, c.code, c.target)
				}
			})
		}
		// Other operations still work on the old version.
		e.expect(http.MethodGet, path+"?api-version=2022-03-01", nil, http.StatusOK, "ContainerApp")
	})
}

// A Reader may read the app but not get a token for it; a Contributor may.
// The issuer's real role evaluation decides, with the test authenticator.
func TestGetAuthTokenNeedsContributor(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, withAuth(&testkit.HeaderAuth{}, identity.NewAuthorizer(store, nil, nil, nil)))
		ctx := context.Background()
		scope := "/subscriptions/" + sub
		for _, ra := range []*tokend.RoleAssignment{
			{ID: "a1", PrincipalID: "owner", Role: identity.RoleOwner, Scope: "/", CreatedAt: time.Now()},
			{ID: "a2", PrincipalID: "reader", Role: identity.RoleReader, Scope: scope, CreatedAt: time.Now()},
			{ID: "a3", PrincipalID: "contributor", Role: identity.RoleContributor, Scope: scope + "/resourcegroups/rg", CreatedAt: time.Now()},
		} {
			if err := e.store.CreateRoleAssignment(ctx, ra); err != nil {
				t.Fatal(err)
			}
		}
		path := appURL("rg", "app")
		e.token = "good-owner"
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")

		e.token = "good-reader"
		e.expect(http.MethodGet, path, nil, http.StatusOK, "ContainerApp")
		b := e.expect(http.MethodPost, path+"/getAuthtoken", nil, http.StatusForbidden, "DefaultErrorResponse")
		if ae := azuretest.DecodeError(t, b); ae.Error.Code != "AuthorizationFailed" || !strings.Contains(ae.Error.Message, "getAuthToken/action") {
			t.Errorf("reader: %+v", ae.Error)
		}
		e.expect(http.MethodPost, path+"/listSecrets", nil, http.StatusForbidden, "DefaultErrorResponse")

		e.token = "good-contributor"
		e.getToken(path)
		e.token = "good-owner"
		e.getToken(path)
	})
}

// Deleting the app, or its group, revokes its tokens: ValidateClaims
// refuses them, also once an app of the same name exists again.
func TestValidateClaims(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		path := appURL("rg", "app")
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
		tr, _ := e.getToken(path)
		payload := e.signer.verify(t, tr.Properties.Token)
		if err := e.svc.ValidateClaims(ctx, payload); err != nil {
			t.Fatalf("fresh token refused: %v", err)
		}
		// Updates, stop and start keep the incarnation.
		e.expect(http.MethodPatch, path, `{"tags":{"a":"b"}}`, http.StatusOK, "ContainerApp")
		e.expect(http.MethodPost, path+"/stop", nil, http.StatusOK, "ContainerApp")
		if err := e.svc.ValidateClaims(ctx, payload); err != nil {
			t.Fatalf("token refused after an update: %v", err)
		}

		e.expect(http.MethodDelete, path, nil, http.StatusOK, "")
		if err := e.svc.ValidateClaims(ctx, payload); !errors.Is(err, containerapps.ErrAppDeleted) {
			t.Errorf("after delete: %v", err)
		}
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
		if err := e.svc.ValidateClaims(ctx, payload); !errors.Is(err, containerapps.ErrAppRecreated) {
			t.Errorf("after re-create: %v", err)
		}

		tr, _ = e.getToken(path)
		payload = e.signer.verify(t, tr.Properties.Token)
		e.expect(http.MethodDelete, "/subscriptions/"+sub+"/resourceGroups/rg?api-version=2021-04-01", nil, http.StatusOK, "")
		if err := e.svc.ValidateClaims(ctx, payload); !errors.Is(err, containerapps.ErrAppDeleted) {
			t.Errorf("after group delete: %v", err)
		}

		for _, c := range []struct {
			name    string
			payload string
			want    error
		}{
			{"not an app token", `{"aud":"https://management.azure.com","oid":"x"}`, nil},
			{"empty uid", `{"xms_tkd_app":"/subscriptions/x","xms_tkd_uid":""}`, containerapps.ErrBadAppClaims},
			{"not JSON", `{"xms_tkd_uid"`, containerapps.ErrBadAppClaims},
			{"not an app", `{"xms_tkd_app":"/subscriptions/` + sub + `/resourcegroups/rg2","xms_tkd_uid":"u"}`, nil},
		} {
			if c.name == "not an app" {
				// A resource group is a resource but no container app.
				if st, _, b := e.do(http.MethodPut, "/subscriptions/"+sub+"/resourceGroups/rg2?api-version=2021-04-01", `{"location":"eastus"}`); st != http.StatusCreated {
					t.Fatalf("create group: %d %s", st, b)
				}
				c.want = containerapps.ErrBadAppClaims
			}
			if err := e.svc.ValidateClaims(ctx, []byte(c.payload)); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
	})
}
