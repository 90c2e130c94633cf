package identity

import (
	"context"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := newPasswordHasher(cheapPasswords)
	ctx := context.Background()
	enc, err := h.hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q does not record its parameters", enc)
	}
	again, _ := h.hash(ctx, "correct horse battery")
	if again == enc {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	// A hash verifies under a hasher with other parameters: it carries its own.
	other := newPasswordHasher(DefaultPasswordParams)
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		if ok, err := other.verify(ctx, tc.pw, enc); err != nil || ok != tc.want {
			t.Errorf("verify(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, bad := range []string{
		"", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // 4 GiB
		"$argon2id$v=19$m=64,t=100,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if _, err := other.verify(ctx, "x", bad); err == nil {
			t.Errorf("verify accepted the stored hash %q", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	for pw, ok := range map[string]bool{"short": false, "12345678": true, "ünïcödé!": true, strings.Repeat("x", 257): false} {
		if err := checkPasswordPolicy(pw); (err == nil) != ok {
			t.Errorf("policy(%q) = %v, want ok %v", pw, err, ok)
		}
	}
	if p := NewPassword(); len(p) != 20 || checkPasswordPolicy(p) != nil {
		t.Fatalf("NewPassword() = %q", p)
	}
}

// FuzzParsePasswordHash: a stored hash is read without panicking, and
// what parses stays within the bounds that keep one verification cheap.
func FuzzParsePasswordHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := parsePasswordHash(s)
		if err != nil {
			return
		}
		if p.MemoryKiB > maxPasswordMemoryKiB || p.Time > maxPasswordTime || p.Threads == 0 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("parsed out-of-bounds parameters %+v from %q", p, s)
		}
		if enc := encodePasswordHash(p, salt, key); enc != s {
			// Another spelling of the same parameters is fine only if it
			// parses to the same values.
			p2, s2, k2, err := parsePasswordHash(enc)
			if err != nil || p2 != p || string(s2) != string(salt) || string(k2) != string(key) {
				t.Fatalf("re-encoding %q gave %q", s, enc)
			}
		}
	})
}

// BenchmarkPasswordHash is the cost of one password sign-in at the
// default parameters (one argon2id evaluation), which tokend pays
// deliberately; docs/performance.md records it.
func BenchmarkPasswordHash(b *testing.B) {
	h := newPasswordHasher(DefaultPasswordParams)
	enc, err := h.hash(context.Background(), "correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := h.verify(context.Background(), "correct horse battery", enc); !ok {
			b.Fatal("verify failed")
		}
	}
}
