package identity

import (
	"context"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
)

func TestNewSecretShape(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		s := NewSecret()
		if len(s) != SecretLen || !strings.HasPrefix(s, SecretPrefix) {
			t.Fatalf("secret %q: want %d characters starting with %s", s[:8], SecretLen, SecretPrefix)
		}
		if err := CheckSecretFormat(s); err != nil {
			t.Fatalf("fresh secret fails its own checksum: %v", err)
		}
		if seen[s] {
			t.Fatal("duplicate secret")
		}
		seen[s] = true
	}
}

func TestCheckSecretFormatRefusesDamage(t *testing.T) {
	t.Parallel()
	good := NewSecret()
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, s := range map[string]string{
		"empty":          "",
		"truncated":      good[:len(good)-1],
		"extended":       good + "x",
		"wrong prefix":   "ghp_" + good[4:],
		"payload flip":   flip(10),
		"checksum flip":  flip(len(good) - 1),
		"non-base62":     good[:10] + "-" + good[11:],
		"upper prefix":   strings.ToUpper(good[:4]) + good[4:],
		"spaces":         " " + good[1:],
		"first char off": flip(len(SecretPrefix)),
	} {
		if err := CheckSecretFormat(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestClientSecretVerification(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testClientSecretVerification)
}

func testClientSecretVerification(t *testing.T, store tokend.Store) {
	s, f := testService(t, store, nil)
	ctx := context.Background()
	c, secret, err := s.Clients.Create(ctx, f.tenant, "app")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(c.SecretHash), secret) || len(c.SecretHash) != 32 {
		t.Fatal("the stored hash must be an HMAC-SHA256, not the secret")
	}
	if !strings.HasPrefix(c.SecretHint, SecretPrefix) || len(c.SecretHint) > 10 {
		t.Fatalf("hint %q reveals too much or too little", c.SecretHint)
	}
	if _, err := s.Clients.Authenticate(ctx, f.tenant, c.ID, secret); err != nil {
		t.Fatalf("right secret refused: %v", err)
	}
	if _, err := s.Clients.Authenticate(ctx, f.tenant, strings.ToUpper(c.ID), secret); err != nil {
		t.Fatalf("client ids are case-insensitive: %v", err)
	}
	if _, err := s.Clients.Authenticate(ctx, f.tenant, c.ID, NewSecret()); err != ErrInvalidSecret {
		t.Fatalf("other secret: got %v, want ErrInvalidSecret", err)
	}
	if _, err := s.Clients.Authenticate(ctx, "00000000-0000-0000-0000-000000000001", c.ID, secret); err != ErrClientNotFound {
		t.Fatalf("other tenant: got %v, want ErrClientNotFound", err)
	}
	if _, err := s.Clients.Authenticate(ctx, f.tenant, "not-a-uuid", secret); err != ErrClientNotFound {
		t.Fatalf("malformed id: got %v", err)
	}

	// A second node caches the client on first use.
	other := f.newService(t, nil)
	if _, err := other.Clients.Authenticate(ctx, f.tenant, c.ID, secret); err != nil {
		t.Fatalf("second node: %v", err)
	}

	// Reset: the old secret stops working at once here, and on the other
	// node once it syncs.
	fresh, err := s.Clients.ResetSecret(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Clients.Authenticate(ctx, f.tenant, c.ID, secret); err != ErrInvalidSecret {
		t.Fatalf("old secret after reset: got %v", err)
	}
	if _, err := s.Clients.Authenticate(ctx, f.tenant, c.ID, fresh); err != nil {
		t.Fatalf("new secret refused: %v", err)
	}

	if err := other.Clients.cache.sync(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Clients.Authenticate(ctx, f.tenant, c.ID, secret); err != ErrInvalidSecret {
		t.Fatalf("second node, old secret after sync: got %v", err)
	}
	if _, err := other.Clients.Authenticate(ctx, f.tenant, c.ID, fresh); err != nil {
		t.Fatalf("second node shares the hashing key: %v", err)
	}
	// Deletion likewise.
	if err := s.Clients.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Clients.Authenticate(ctx, f.tenant, c.ID, fresh); err != ErrClientNotFound {
		t.Fatalf("deleted client: got %v", err)
	}
	if err := other.Clients.cache.sync(ctx, f.store); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Clients.Authenticate(ctx, f.tenant, c.ID, fresh); err != ErrClientNotFound {
		t.Fatalf("deleted client on the second node: got %v", err)
	}
}

func BenchmarkSecretVerify(b *testing.B) {
	h := &secretHasher{key: make([]byte, 32)}
	secret := NewSecret()
	stored := h.hash(secret)
	b.ReportAllocs()
	for b.Loop() {
		if CheckSecretFormat(secret) != nil || !h.verify(secret, stored) {
			b.Fatal("refused")
		}
	}
}
