package identity

import (
	"crypto/rand"
	"errors"
	"hash/crc32"
	"strings"
)

// Client secrets look like GitHub's tokens: a fixed prefix, a random base62
// payload and a base62 CRC32 checksum. The prefix lets secret scanners find a
// leaked secret; the checksum lets them (and us, before any lookup) tell a
// real secret from a random string without a database.
const (
	// SecretPrefix starts every client secret.
	SecretPrefix = "tkd_"
	// secretPayloadLen base62 characters carry 43*log2(62) ≈ 256.0 bits.
	secretPayloadLen = 43
	// secretChecksumLen base62 characters hold any CRC32 value (62^6 > 2^32).
	secretChecksumLen = 6
	// SecretLen is the length of every client secret.
	SecretLen = len(SecretPrefix) + secretPayloadLen + secretChecksumLen
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewSecret returns a fresh client secret with 256 bits of entropy.
func NewSecret() string {
	b := make([]byte, 0, SecretLen)
	b = append(b, SecretPrefix...)
	// Rejection sampling keeps every character uniform: 248 = 4*62, so bytes
	// at or above it would bias the first characters of the alphabet.
	var buf [64]byte
	for len(b) < len(SecretPrefix)+secretPayloadLen {
		if _, err := rand.Read(buf[:]); err != nil {
			panic("identity: no randomness: " + err.Error())
		}
		for _, c := range buf {
			if c < 248 && len(b) < len(SecretPrefix)+secretPayloadLen {
				b = append(b, base62[c%62])
			}
		}
	}
	payload := b[len(SecretPrefix):]
	return string(appendChecksum(b, crc32.ChecksumIEEE(payload)))
}

func appendChecksum(b []byte, sum uint32) []byte {
	var digits [secretChecksumLen]byte
	for i := secretChecksumLen - 1; i >= 0; i-- {
		digits[i] = base62[sum%62]
		sum /= 62
	}
	return append(b, digits[:]...)
}

// errSecretFormat is a string that cannot be a tokend client secret.
var errSecretFormat = errors.New("not a tokend client secret")

// CheckSecretFormat reports whether s has the shape and checksum of a tokend
// client secret. It is what a secret scanner would run; the token endpoint
// runs it to refuse typos without touching storage.
func CheckSecretFormat(s string) error {
	if len(s) != SecretLen || !strings.HasPrefix(s, SecretPrefix) {
		return errSecretFormat
	}
	payload := s[len(SecretPrefix) : len(SecretPrefix)+secretPayloadLen]
	for i := 0; i < len(payload); i++ {
		if !isBase62(payload[i]) {
			return errSecretFormat
		}
	}
	want := appendChecksum(nil, crc32.ChecksumIEEE([]byte(payload)))
	if string(want) != s[len(SecretPrefix)+secretPayloadLen:] {
		return errSecretFormat
	}
	return nil
}

func isBase62(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// secretHint is the non-secret part of a secret shown in listings: the prefix
// and three payload characters, enough to tell secrets apart.
func secretHint(secret string) string {
	if len(secret) < len(SecretPrefix)+3 {
		return ""
	}
	return secret[:len(SecretPrefix)+3] + "…"
}
