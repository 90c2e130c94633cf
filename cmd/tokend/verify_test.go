package main

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/seal"
)

func TestVerifyToken(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testVerifyToken)
}

func testVerifyToken(t *testing.T, store tokend.Store) {
	ctx := context.Background()
	const tenant = "0d2e6a53-0000-4000-8000-00000000aaaa"
	if err := store.CreateTenant(ctx, &tokend.Tenant{ID: tenant, DisplayName: "t", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, _ := seal.New(key)
	id, err := identity.New(ctx, identity.Config{Store: store, Box: box, DefaultTenantID: tenant})
	if err != nil {
		t.Fatal(err)
	}
	id.SetBaseURL("https://127.0.0.1:8443")
	now := time.Now()
	sign := func(claims map[string]any) string {
		t.Helper()
		if _, ok := claims["exp"]; !ok {
			claims["exp"] = now.Add(time.Hour).Unix()
		}
		tok, err := id.ClaimsSigner().Sign(ctx, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(map[string]any{"aud": "x", "sub": "s", "tid": tenant, "jti": "j-good"})
	revoked := sign(map[string]any{"aud": "x", "jti": "j-revoked"})
	if err := id.Revoke(ctx, "j-revoked", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	foreign, err := id.Sign(ctx, map[string]any{"iss": "https://127.0.0.1:8443/11111111-0000-4000-8000-000000000000/v2.0", "exp": now.Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	for _, c := range []struct {
		name, token, want string
		at                time.Time
	}{
		{"good", good, "", now},
		{"expired", good, "expired", now.Add(2 * time.Hour)},
		{"not a JWS", "abc", "compact JWS", now},
		{"tampered", tampered, "", now}, // replaced below: any refusal
		{"revoked", revoked, "revoked", now},
		{"issuer of no tenant of ours", foreign, "names no tenant", now},
		{"app gone", sign(map[string]any{"aud": "x", "xms_tkd_app": "/subscriptions/x/resourcegroups/rg/providers/microsoft.app/containerapps/a", "xms_tkd_uid": "u"}), "no longer exists", now},
		{"unknown key", strings.Replace(good, parts[0], "eyJhbGciOiJFUzI1NiIsImtpZCI6Im5vcGUiLCJ0eXAiOiJKV1QifQ", 1), "does not publish", now},
	} {
		t.Run(c.name, func(t *testing.T) {
			v, err := verifyToken(ctx, store, c.token, c.at, time.Minute)
			switch {
			case c.name == "tampered":
				if err == nil {
					t.Fatal("tampered token accepted")
				}
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error saying %q", err, c.want)
			case c.want == "" && (v.claims.Subject != "s" || !v.audience.contains("x")):
				t.Errorf("claims %+v", v.claims)
			}
		})
	}
}
