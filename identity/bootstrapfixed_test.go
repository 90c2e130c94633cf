package identity

import (
	"context"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
)

func TestBootstrapFixedCredentials(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testBootstrapFixedCredentials)
}

func testBootstrapFixedCredentials(t *testing.T, store tokend.Store) {
	ctx := context.Background()
	f := newFixture(t, store, newBox(t))
	s := f.newService(t, nil)
	fixed := BootstrapCredentials{ClientID: "6F0C2C4E-7A4B-4F7E-9E55-2D7E1A2B3C4D", Secret: NewSecret()}
	b, err := s.EnsureBootstrapAs(ctx, fixed)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Created || b.Client.ID != strings.ToLower(fixed.ClientID) || b.Secret != fixed.Secret {
		t.Fatalf("bootstrap %+v, want the fixed client", b)
	}
	if _, err := s.Clients.Authenticate(ctx, f.tenant, b.Client.ID, fixed.Secret); err != nil {
		t.Fatalf("the fixed secret does not sign in: %v", err)
	}
	// A restart with the same credentials finds them; with others it is
	// refused, naming what differs.
	again, err := s.EnsureBootstrapAs(ctx, fixed)
	if err != nil || again.Created || again.Secret != fixed.Secret {
		t.Fatalf("restart: %+v %v", again, err)
	}
	cases := []struct {
		name  string
		creds BootstrapCredentials
		want  string
	}{
		{"other id", BootstrapCredentials{ClientID: "00000000-0000-0000-0000-000000000001"}, "not the fixed"},
		{"other secret", BootstrapCredentials{Secret: NewSecret()}, "reset-secret"},
		{"not a uuid", BootstrapCredentials{ClientID: "ci-client"}, "not a UUID"},
		{"not a secret", BootstrapCredentials{Secret: "hunter2"}, "tokend new-secret"},
	}
	for _, c := range cases {
		if _, err := s.EnsureBootstrapAs(ctx, c.creds); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}
