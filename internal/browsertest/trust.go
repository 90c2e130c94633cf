package browsertest

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// TrustCert makes the browser accept HTTPS from servers whose chain holds one
// of these certificates (DER), by the SHA-256 of their public key. Give the
// server's own certificate (tls.Certificate.Certificate[0], or the data
// directory's server.pem through TrustPEM): Chromium matches the keys of the
// chain the server sends, and a server that sends only its leaf never shows
// the CA's key. Every other certificate is still verified; but for a chain
// holding a pinned key Chromium ignores every error (host name, expiry too),
// so pin only the test's own server.
func TrustCert(der ...[]byte) Option {
	return func(c *config) {
		for _, d := range der {
			pin, err := spkiPin(d)
			if err != nil {
				c.configErr = errors.Join(c.configErr, err)
				continue
			}
			c.spki = append(c.spki, pin)
		}
	}
}

// TrustPEM is TrustCert for every CERTIFICATE block of a PEM file's bytes.
func TrustPEM(pemBytes []byte) Option {
	return func(c *config) {
		var ders [][]byte
		for rest := pemBytes; ; {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type == "CERTIFICATE" {
				ders = append(ders, block.Bytes)
			}
		}
		if len(ders) == 0 {
			c.configErr = errors.Join(c.configErr, errors.New("TrustPEM: no CERTIFICATE block"))
			return
		}
		TrustCert(ders...)(c)
	}
}

// spkiPin is the form --ignore-certificate-errors-spki-list takes: base64 of
// the SHA-256 of the DER SubjectPublicKeyInfo.
func spkiPin(der []byte) (string, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", fmt.Errorf("TrustCert: %w", err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}
