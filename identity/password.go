package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id's cost parameters. Every hash records its
// own, so raising them later leaves older hashes verifiable.
type PasswordParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultPasswordParams are OWASP's first recommended argon2id
// configuration (19 MiB, 2 passes, 1 lane: m=19456,t=2,p=1), the
// cheapest it deems safe; the cost per sign-in it implies is measured by
// BenchmarkPasswordHash (docs/performance.md).
var DefaultPasswordParams = PasswordParams{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// EphemeralPasswordParams are for instances whose database never leaves
// the process (`serve --in-memory`, package tokendtest): argon2id's cost
// guards hashes stolen from storage, which such an instance does not
// have, and the default's ~70 ms at start (the service hashes a dummy
// password) would be most of their start-up time.
var EphemeralPasswordParams = PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}

const (
	passwordSaltBytes = 16
	passwordKeyBytes  = 32
	// Bounds on a stored hash's parameters, so that a corrupt or hostile
	// row cannot make one verification take a gigabyte or a minute.
	maxPasswordMemoryKiB = 1 << 20
	maxPasswordTime      = 16
	// Password lengths accepted (Entra's maximum is 256).
	minPasswordLen = 8
	maxPasswordLen = 256
)

// ErrWeakPassword is a password refused when set; the message says why.
var ErrWeakPassword = errors.New("password refused")

// checkPasswordPolicy refuses passwords that are too short or too long.
func checkPasswordPolicy(pw string) error {
	switch n := len([]rune(pw)); {
	case n < minPasswordLen:
		return &FieldError{Kind: ErrWeakPassword, Field: "password", Reason: fmt.Sprintf("it has %d characters; at least %d are required", n, minPasswordLen)}
	case len(pw) > maxPasswordLen:
		return &FieldError{Kind: ErrWeakPassword, Field: "password", Reason: fmt.Sprintf("it is longer than %d bytes", maxPasswordLen)}
	}
	return nil
}

// passwordHasher computes argon2id under a concurrency bound: each hash
// holds MemoryKiB of memory for its duration, so a burst of sign-ins must
// queue rather than take the process's memory.
type passwordHasher struct {
	params PasswordParams
	slots  chan struct{}
}

func newPasswordHasher(p PasswordParams) *passwordHasher {
	if p.MemoryKiB == 0 {
		p = DefaultPasswordParams
	}
	return &passwordHasher{params: p, slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
}

func (h *passwordHasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *passwordHasher) release() { <-h.slots }

// hash returns pw's argon2id hash in the PHC string format:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, base64 without padding.
func (h *passwordHasher) hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	salt := make([]byte, passwordSaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	p := h.params
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, passwordKeyBytes)
	return encodePasswordHash(p, salt, key), nil
}

// verify reports whether pw matches encoded, in time independent of where
// they differ.
func (h *passwordHasher) verify(ctx context.Context, pw, encoded string) (bool, error) {
	p, salt, want, err := parsePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

func encodePasswordHash(p PasswordParams, salt, key []byte) string {
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// parsePasswordHash reads a PHC argon2id string written by
// encodePasswordHash, refusing anything else, parameters out of bounds
// included.
func parsePasswordHash(s string) (p PasswordParams, salt, key []byte, err error) {
	bad := func(why string) (PasswordParams, []byte, []byte, error) {
		return PasswordParams{}, nil, nil, fmt.Errorf("stored password hash: %s", why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported argon2 version " + parts[2])
	}
	var m, t, par uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return bad("malformed parameters")
		}
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return bad("malformed parameter " + k)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			par = n
		default:
			return bad("unknown parameter " + k)
		}
	}
	if m < 8 || m > maxPasswordMemoryKiB || t < 1 || t > maxPasswordTime || par < 1 || par > 255 || m < 8*par {
		return bad("parameters out of bounds")
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > 64 {
		return bad("malformed salt")
	}
	if key, err = enc.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return bad("malformed hash")
	}
	return PasswordParams{MemoryKiB: uint32(m), Time: uint32(t), Threads: uint8(par)}, salt, key, nil
}
