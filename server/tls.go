package server

import "crypto/tls"

// aeadSuites are the TLS 1.2 suites served: forward-secret key exchange
// (ECDHE) with an AEAD cipher. The CBC-SHA1 and RSA-key-exchange suites Go
// still accepts by default are left out; TLS 1.3's suites are Go's own
// (all AEAD, not configurable).
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// TLSConfig is the listener's TLS configuration for certs: TLS 1.2 with
// AEAD suites only, or TLS 1.3.
func TLSConfig(certs ...tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: certs,
		MinVersion:   tls.VersionTLS12,
		CipherSuites: aeadSuites,
	}
}
