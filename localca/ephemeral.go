package localca

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"time"
)

// Ephemeral is a CA and a server certificate made for one run and held in
// memory only (`tokend serve --in-memory`, package tokendtest): clients
// trust CAPEM, the server serves Cert.
type Ephemeral struct {
	CAPEM []byte
	CA    *x509.Certificate
	Cert  tls.Certificate
}

// NewEphemeral makes a fresh CA and a server certificate for hosts.
func NewEphemeral(hosts []string, now time.Time) (*Ephemeral, error) {
	if len(hosts) == 0 {
		return nil, errors.New("no host names for the server certificate: give --tls-hosts at least one name or address")
	}
	ca, caKey, caDER, err := createCA(now)
	if err != nil {
		return nil, err
	}
	der, key, err := createServerCert(ca, caKey, hosts, now)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Ephemeral{
		CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		CA:    ca,
		Cert:  tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
	}, nil
}

// Pool is a certificate pool trusting only the CA.
func (e *Ephemeral) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(e.CA)
	return p
}
