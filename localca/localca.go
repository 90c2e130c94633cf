// Package localca creates and keeps the local certificate authority and the
// server certificate tokend serves HTTPS with, so that clients that insist
// on https (the Azure SDKs refuse bearer tokens over http; MSAL requires an
// https authority) work on first start once they trust the CA file.
package localca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Files are where the CA and server certificate live in the data directory.
type Files struct {
	CACert, CAKey, Cert, Key string
}

// FilesIn returns the standard file names under dir.
func FilesIn(dir string) Files {
	return Files{
		CACert: filepath.Join(dir, "ca.pem"), CAKey: filepath.Join(dir, "ca-key.pem"),
		Cert: filepath.Join(dir, "server.pem"), Key: filepath.Join(dir, "server-key.pem"),
	}
}

// DefaultHosts are the names the server certificate covers.
var DefaultHosts = []string{"localhost", "127.0.0.1", "::1"}

// Ensure loads the CA and server certificate from f, creating whichever is
// missing (or a server certificate that expires within 30 days, or that does
// not cover hosts). It returns the server's key pair.
func Ensure(f Files, hosts []string, now time.Time) (tls.Certificate, error) {
	if len(hosts) == 0 {
		return tls.Certificate{}, errors.New("no host names for the server certificate: give --tls-hosts at least one name or address")
	}
	caCert, caKey, err := loadOrCreateCA(f, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	if pair, err := tls.LoadX509KeyPair(f.Cert, f.Key); err == nil {
		if leaf, err := x509.ParseCertificate(pair.Certificate[0]); err == nil &&
			leaf.NotAfter.After(now.Add(30*24*time.Hour)) && covers(leaf, hosts) && leaf.CheckSignatureFrom(caCert) == nil {
			return pair, nil
		}
	}
	return issueServerCert(f, caCert, caKey, hosts, now)
}

func covers(leaf *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func loadOrCreateCA(f Files, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, errC := os.ReadFile(f.CACert)
	keyPEM, errK := os.ReadFile(f.CAKey)
	if errC == nil && errK == nil {
		return loadCA(f, certPEM, keyPEM)
	}
	for _, e := range []struct {
		path string
		err  error
	}{{f.CACert, errC}, {f.CAKey, errK}} {
		if e.err != nil && !errors.Is(e.err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("read CA %s: %w", e.path, e.err)
		}
	}
	// A CA is made only on a first start. Replacing one breaks every
	// client that trusts it, so a missing half, or a CA gone while the
	// certificate it issued stays, is refused with what to do.
	switch {
	case errC == nil:
		return nil, nil, fmt.Errorf("the CA key %s is missing but its certificate %s is there: restore the key (clients trust this CA), or delete %s, %s and %s to make a new CA (every client must then trust the new %s)",
			f.CAKey, f.CACert, f.CACert, f.Cert, f.Key, f.CACert)
	case errK == nil:
		return nil, nil, fmt.Errorf("the CA certificate %s is missing but its key %s is there: restore the certificate (clients trust this CA), or delete %s, %s and %s to make a new CA (every client must then trust the new %s)",
			f.CACert, f.CAKey, f.CAKey, f.Cert, f.Key, f.CACert)
	}
	if _, err := os.Stat(f.Cert); err == nil {
		return nil, nil, fmt.Errorf("the CA (%s, %s) is missing but the server certificate it issued (%s) is there: restore the CA files (clients trust that CA), or delete %s and %s to make a new CA (every client must then trust the new %s)",
			f.CACert, f.CAKey, f.Cert, f.Cert, f.Key, f.CACert)
	}
	cert, key, der, err := createCA(now)
	if err != nil {
		return nil, nil, err
	}
	if err := writePair(f.CACert, f.CAKey, der, key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// loadCA parses the CA files and checks that they are one pair.
func loadCA(f Files, certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("CA certificate %s: %w (restore it, or delete the CA files and server certificate to make a new CA)", f.CACert, err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("CA key %s: %w (restore it, or delete the CA files and server certificate to make a new CA)", f.CAKey, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("the CA key %s is not the key of the CA certificate %s: put back the two files of one CA (the ones clients trust)", f.CAKey, f.CACert)
	}
	return cert, key, nil
}

// createCA makes a CA key and its self-signed certificate, valid ten years.
func createCA(now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "tokend local CA", Organization: []string{"tokend"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parse the new CA certificate: %w", err)
	}
	return cert, key, der, nil
}

func issueServerCert(f Files, ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string, now time.Time) (tls.Certificate, error) {
	der, key, err := createServerCert(ca, caKey, hosts, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writePair(f.Cert, f.Key, der, key); err != nil {
		return tls.Certificate{}, err
	}
	return tls.LoadX509KeyPair(f.Cert, f.Key)
}

// createServerCert makes a server key and a certificate for hosts signed
// by the CA, valid 397 days (the most browsers accept).
func createServerCert(ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string, now time.Time) ([]byte, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"tokend"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(397 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("create server certificate: %w", err)
	}
	return der, key, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode key: %w", err)
	}
	if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeFileAtomic writes through a temporary file and a rename, so a crash
// never leaves a half-written certificate behind.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}

func parseCert(certPEM []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}

func parseKey(keyPEM []byte) (*ecdsa.PrivateKey, error) {
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, errors.New("not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an ECDSA key")
	}
	return key, nil
}

// Pool returns a certificate pool holding the CA, for clients (and tests).
func Pool(caCertFile string) (*x509.CertPool, error) {
	b, err := os.ReadFile(caCertFile)
	if err != nil {
		return nil, fmt.Errorf("read CA %s: %w", caCertFile, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA %s holds no certificate", caCertFile)
	}
	return pool, nil
}
