package localca_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/localca"
)

const day = 24 * time.Hour

// t0 is a fixed "now" so that lifetimes and reissue thresholds are exact.
var t0 = time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)

func ensure(t *testing.T, f localca.Files, hosts []string, now time.Time) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	pair, err := localca.Ensure(f, hosts, now)
	if err != nil {
		t.Fatalf("Ensure(%v, %v): %v", hosts, now, err)
	}
	if len(pair.Certificate) == 0 || pair.PrivateKey == nil {
		t.Fatal("Ensure returned an empty key pair")
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return pair, leaf
}

func readCA(t *testing.T, f localca.Files) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(f.CACert)
	if err != nil {
		t.Fatal(err)
	}
	certs := parsePEMCerts(t, b)
	if len(certs) != 1 {
		t.Fatalf("CA file holds %d certificates, want 1", len(certs))
	}
	return certs[0]
}

func parsePEMCerts(t *testing.T, b []byte) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			t.Fatalf("PEM block %q, want CERTIFICATE", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatal("no certificate in PEM")
	}
	return out
}

// readFiles returns the contents of all four files (nil for a missing one).
func readFiles(t *testing.T, f localca.Files) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, p := range []string{f.CACert, f.CAKey, f.Cert, f.Key} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// verify checks that leaf chains to the CA in f for host at now, as a client
// trusting only that CA would.
func verify(t *testing.T, f localca.Files, leaf *x509.Certificate, host string, now time.Time) error {
	t.Helper()
	pool, err := localca.Pool(f.CACert)
	if err != nil {
		t.Fatal(err)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		DNSName: host, Roots: pool, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return err
	}
	ca := readCA(t, f)
	for _, c := range chains {
		if len(c) != 2 || !c[1].Equal(ca) {
			t.Fatalf("chain for %s is not leaf→CA: %d certificates", host, len(c))
		}
	}
	return nil
}

func TestEnsureIssuesVerifiableChain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		hosts  []string
		dns    []string
		ips    []string
		others []string // must not verify
	}{
		{
			name:  "default hosts",
			hosts: localca.DefaultHosts,
			dns:   []string{"localhost"}, ips: []string{"127.0.0.1", "::1"},
			others: []string{"example.com", "localhost.localdomain", "127.0.0.2", "::2", "10.0.0.1"},
		},
		{
			name:   "default plus custom",
			hosts:  append(slices.Clone(localca.DefaultHosts), "tokend.test", "api.tokend.test", "192.0.2.10", "2001:db8::7"),
			dns:    []string{"localhost", "tokend.test", "api.tokend.test"},
			ips:    []string{"127.0.0.1", "::1", "192.0.2.10", "2001:db8::7"},
			others: []string{"other.tokend.test", "tokend.test.evil", "192.0.2.11", "2001:db8::8"},
		},
		{
			name:   "one custom name",
			hosts:  []string{"tokend.internal"},
			dns:    []string{"tokend.internal"},
			others: []string{"localhost", "127.0.0.1", "::1"},
		},
		{
			name:   "one IP",
			hosts:  []string{"198.51.100.4"},
			ips:    []string{"198.51.100.4"},
			others: []string{"localhost", "127.0.0.1", "198.51.100.5"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := localca.FilesIn(t.TempDir())
			_, leaf := ensure(t, f, tc.hosts, t0)
			ca := readCA(t, f)

			for _, h := range tc.hosts {
				if err := verify(t, f, leaf, h, t0); err != nil {
					t.Errorf("leaf does not verify for requested host %s: %v", h, err)
				}
			}
			for _, h := range tc.others {
				if err := verify(t, f, leaf, h, t0); err == nil {
					t.Errorf("leaf verifies for %s, which was not requested", h)
				}
			}

			// Exactly the requested hosts: names as DNS SANs, addresses as IP SANs.
			if got := slices.Sorted(slices.Values(leaf.DNSNames)); !slices.Equal(got, slices.Sorted(slices.Values(tc.dns))) {
				t.Errorf("DNS SANs %v, want %v", leaf.DNSNames, tc.dns)
			}
			var gotIPs []string
			for _, ip := range leaf.IPAddresses {
				gotIPs = append(gotIPs, ip.String())
			}
			if !slices.Equal(slices.Sorted(slices.Values(gotIPs)), slices.Sorted(slices.Values(tc.ips))) {
				t.Errorf("IP SANs %v, want %v", gotIPs, tc.ips)
			}
			if len(leaf.EmailAddresses)+len(leaf.URIs) != 0 {
				t.Errorf("unexpected SANs: %v %v", leaf.EmailAddresses, leaf.URIs)
			}

			// The leaf is a server certificate, not a CA.
			if leaf.IsCA {
				t.Error("server certificate is a CA")
			}
			if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 || leaf.KeyUsage&(x509.KeyUsageCertSign|x509.KeyUsageCRLSign) != 0 {
				t.Errorf("server key usage %b: want digital signature, no cert/CRL signing", leaf.KeyUsage)
			}
			if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
				t.Errorf("server ExtKeyUsage %v, want [ServerAuth]", leaf.ExtKeyUsage)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{
				Roots: x509.NewCertPool(), CurrentTime: t0,
			}); err == nil {
				t.Error("leaf verifies against an empty pool")
			}

			// The CA is a self-signed CA that can only sign leaves.
			if !ca.IsCA || !ca.BasicConstraintsValid || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
				t.Errorf("CA: IsCA=%v BasicConstraintsValid=%v KeyUsage=%b", ca.IsCA, ca.BasicConstraintsValid, ca.KeyUsage)
			}
			if ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
				t.Errorf("CA path length %d (zero=%v), want 0", ca.MaxPathLen, ca.MaxPathLenZero)
			}
			if err := ca.CheckSignatureFrom(ca); err != nil {
				t.Errorf("CA is not self-signed: %v", err)
			}
			if err := leaf.CheckSignatureFrom(ca); err != nil {
				t.Errorf("leaf is not signed by the CA: %v", err)
			}
			if bytes.Equal(leaf.SerialNumber.Bytes(), ca.SerialNumber.Bytes()) {
				t.Error("leaf and CA share a serial number")
			}

			// Lifetimes: valid now, the leaf within the 398 days browsers
			// accept and beyond the 30-day reissue threshold, the CA longer.
			for name, c := range map[string]*x509.Certificate{"leaf": leaf, "CA": ca} {
				if c.NotBefore.After(t0) || !c.NotAfter.After(t0) {
					t.Errorf("%s not valid at issue time: %v..%v", name, c.NotBefore, c.NotAfter)
				}
			}
			if life := leaf.NotAfter.Sub(t0); life > 398*day || life <= 31*day {
				t.Errorf("leaf lives %v from issue, want (31d, 398d]", life)
			}
			if !ca.NotAfter.After(leaf.NotAfter) {
				t.Errorf("CA expires %v, not after the leaf's %v", ca.NotAfter, leaf.NotAfter)
			}
			if err := verify(t, f, leaf, tc.hosts[0], leaf.NotAfter.Add(time.Second)); err == nil {
				t.Error("leaf still verifies after its NotAfter")
			}
		})
	}
}

// A restart (a second Ensure on the same files) keeps the CA and the server
// certificate byte for byte.
func TestEnsureReusesOnRestart(t *testing.T) {
	t.Parallel()
	f := localca.FilesIn(t.TempDir())
	hosts := append(slices.Clone(localca.DefaultHosts), "tokend.test")
	first, _ := ensure(t, f, hosts, t0)
	before := readFiles(t, f)
	for name, b := range before {
		if len(b) == 0 {
			t.Fatalf("Ensure did not write %s", name)
		}
	}
	for _, now := range []time.Time{t0, t0.Add(time.Hour), t0.Add(100 * day)} {
		second, leaf := ensure(t, f, hosts, now)
		if !bytes.Equal(second.Certificate[0], first.Certificate[0]) {
			t.Fatalf("Ensure at %v reissued a valid server certificate", now)
		}
		if after := readFiles(t, f); !mapsEqual(before, after) {
			t.Fatalf("Ensure at %v rewrote files", now)
		}
		if err := verify(t, f, leaf, "tokend.test", now); err != nil {
			t.Fatal(err)
		}
	}
}

// A server certificate that expires within 30 days, does not cover the hosts,
// is unreadable, or was not signed by this CA is reissued under the same CA;
// otherwise it is kept.
func TestEnsureReissuesLeaf(t *testing.T) {
	t.Parallel()
	hosts := localca.DefaultHosts
	for _, tc := range []struct {
		name    string
		now     time.Time // second Ensure; the first is at t0
		hosts   []string
		mutate  func(t *testing.T, f localca.Files)
		reissue bool
	}{
		{name: "31 days left", now: t0.Add(366 * day), hosts: hosts, reissue: false},
		{name: "29 days left", now: t0.Add(368 * day), hosts: hosts, reissue: true},
		{name: "expired", now: t0.Add(400 * day), hosts: hosts, reissue: true},
		{name: "same hosts, other order", now: t0, hosts: []string{"::1", "127.0.0.1", "localhost"}, reissue: false},
		{name: "subset of hosts", now: t0, hosts: []string{"localhost"}, reissue: false},
		{name: "added host", now: t0, hosts: append(slices.Clone(hosts), "tokend.test"), reissue: true},
		{name: "added IP", now: t0, hosts: append(slices.Clone(hosts), "10.9.8.7"), reissue: true},
		{name: "other hosts", now: t0, hosts: []string{"tokend.test"}, reissue: true},
		{name: "server cert deleted", now: t0, hosts: hosts, reissue: true, mutate: func(t *testing.T, f localca.Files) {
			remove(t, f.Cert)
		}},
		{name: "server key deleted", now: t0, hosts: hosts, reissue: true, mutate: func(t *testing.T, f localca.Files) {
			remove(t, f.Key)
		}},
		{name: "server cert corrupt", now: t0, hosts: hosts, reissue: true, mutate: func(t *testing.T, f localca.Files) {
			write(t, f.Cert, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
		}},
		{name: "server key does not match", now: t0, hosts: hosts, reissue: true, mutate: func(t *testing.T, f localca.Files) {
			b, err := os.ReadFile(f.CAKey)
			if err != nil {
				t.Fatal(err)
			}
			write(t, f.Key, b, 0o600)
		}},
		{name: "server cert from another CA", now: t0, hosts: hosts, reissue: true, mutate: func(t *testing.T, f localca.Files) {
			other := localca.FilesIn(t.TempDir())
			ensure(t, other, hosts, t0)
			for src, dst := range map[string]string{other.Cert: f.Cert, other.Key: f.Key} {
				b, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				write(t, dst, b, 0o600)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := localca.FilesIn(t.TempDir())
			first, firstLeaf := ensure(t, f, hosts, t0)
			before := readFiles(t, f)
			if tc.mutate != nil {
				tc.mutate(t, f)
			}
			mutated := readFiles(t, f)

			second, leaf := ensure(t, f, tc.hosts, tc.now)
			after := readFiles(t, f)

			for _, name := range []string{filepath.Base(f.CACert), filepath.Base(f.CAKey)} {
				if !bytes.Equal(after[name], before[name]) {
					t.Fatalf("%s changed; the CA must be kept", name)
				}
			}
			reissued := !bytes.Equal(second.Certificate[0], first.Certificate[0])
			if reissued != tc.reissue {
				t.Fatalf("reissued = %v, want %v", reissued, tc.reissue)
			}
			certName, keyName := filepath.Base(f.Cert), filepath.Base(f.Key)
			if tc.reissue {
				if bytes.Equal(after[keyName], mutated[keyName]) {
					t.Error("reissue kept the old server key file")
				}
				if leaf.SerialNumber.Cmp(firstLeaf.SerialNumber) == 0 {
					t.Error("reissued leaf repeats the serial number of the one it replaces")
				}
				if leaf.NotBefore.After(tc.now) || leaf.NotAfter.Sub(tc.now) <= 31*day {
					t.Errorf("reissued leaf valid %v..%v, not fresh at %v", leaf.NotBefore, leaf.NotAfter, tc.now)
				}
			} else if !bytes.Equal(after[certName], mutated[certName]) || !bytes.Equal(after[keyName], mutated[keyName]) {
				t.Error("a kept server certificate was rewritten")
			}
			// What Ensure returned is what is on disk.
			onDisk := parsePEMCerts(t, after[certName])
			if !bytes.Equal(onDisk[0].Raw, second.Certificate[0]) {
				t.Error("returned certificate differs from server.pem")
			}
			if _, err := tls.X509KeyPair(after[certName], after[keyName]); err != nil {
				t.Errorf("server.pem and server-key.pem do not pair: %v", err)
			}
			for _, h := range tc.hosts {
				if err := verify(t, f, leaf, h, tc.now); err != nil {
					t.Errorf("leaf does not verify for %s at %v: %v", h, tc.now, err)
				}
			}
		})
	}
}

func TestEnsureFileModes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := localca.FilesIn(dir)
	ensure(t, f, localca.DefaultHosts, t0)
	check := func(when string) {
		t.Helper()
		for _, p := range []string{f.CAKey, f.Key} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode() != 0o600 {
				t.Errorf("%s: private key %s has mode %v, want -rw-------", when, filepath.Base(p), fi.Mode())
			}
		}
		for _, p := range []string{f.CACert, f.Cert} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o600 != 0o600 || fi.Mode().Perm()&0o022 != 0 {
				t.Errorf("%s: certificate %s has mode %v", when, filepath.Base(p), fi.Mode())
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		want := []string{"ca-key.pem", "ca.pem", "server-key.pem", "server.pem"}
		if !slices.Equal(names, want) {
			t.Errorf("%s: data directory holds %v, want %v (no temporary files)", when, names, want)
		}
	}
	check("first start")
	ensure(t, f, []string{"tokend.test"}, t0) // reissue over the existing files
	check("after reissue")
}

// The pair and the CA pool work for a real TLS client, for every host.
func TestEnsureTLSHandshake(t *testing.T) {
	t.Parallel()
	f := localca.FilesIn(t.TempDir())
	hosts := append(slices.Clone(localca.DefaultHosts), "tokend.test", "192.0.2.1")
	pair, leaf := ensure(t, f, hosts, time.Now())
	pool, err := localca.Pool(f.CACert)
	if err != nil {
		t.Fatal(err)
	}
	ca := readCA(t, f)

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if c.(*tls.Conn).Handshake() == nil {
					_, _ = c.Write([]byte("ok"))
				}
			}()
		}
	}()
	dial := func(cfg *tls.Config) (*tls.Conn, error) {
		d := &net.Dialer{Timeout: 10 * time.Second}
		return tls.DialWithDialer(d, "tcp", ln.Addr().String(), cfg)
	}

	for _, h := range hosts {
		t.Run("host "+h, func(t *testing.T) {
			conn, err := dial(&tls.Config{RootCAs: pool, ServerName: h, MinVersion: tls.VersionTLS12})
			if err != nil {
				t.Fatalf("handshake as %s: %v", h, err)
			}
			defer conn.Close()
			st := conn.ConnectionState()
			if !st.HandshakeComplete || len(st.VerifiedChains) == 0 {
				t.Fatal("handshake not verified")
			}
			if !st.PeerCertificates[0].Equal(leaf) {
				t.Error("server presented another certificate")
			}
			if c := st.VerifiedChains[0]; len(c) != 2 || !c[1].Equal(ca) {
				t.Error("verified chain does not end at the local CA")
			}
			b, err := io.ReadAll(conn)
			if err != nil || string(b) != "ok" {
				t.Fatalf("read %q, %v", b, err)
			}
		})
	}

	for _, tc := range []struct {
		name string
		cfg  *tls.Config
		want any
	}{
		{"host not covered", &tls.Config{RootCAs: pool, ServerName: "example.com"}, &x509.HostnameError{}},
		{"IP not covered", &tls.Config{RootCAs: pool, ServerName: "127.0.0.2"}, &x509.HostnameError{}},
		{"CA not trusted", &tls.Config{RootCAs: x509.NewCertPool(), ServerName: "localhost"}, &x509.UnknownAuthorityError{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := dial(tc.cfg)
			if err == nil {
				conn.Close()
				t.Fatal("handshake succeeded")
			}
			switch tc.want.(type) {
			case *x509.HostnameError:
				var e x509.HostnameError
				if !errors.As(err, &e) {
					t.Fatalf("got %v, want a hostname error", err)
				}
			case *x509.UnknownAuthorityError:
				var e x509.UnknownAuthorityError
				if !errors.As(err, &e) {
					t.Fatalf("got %v, want an unknown-authority error", err)
				}
			}
		})
	}
}

// A CA that is present but unreadable is an error, not silently replaced:
// clients already trust it.
func TestEnsureRefusesCorruptCA(t *testing.T) {
	t.Parallel()
	for name, mutate := range map[string]func(t *testing.T, f localca.Files){
		"CA cert not PEM": func(t *testing.T, f localca.Files) { write(t, f.CACert, []byte("garbage"), 0o644) },
		"CA key not PEM":  func(t *testing.T, f localca.Files) { write(t, f.CAKey, []byte("garbage"), 0o600) },
		"CA cert is a key": func(t *testing.T, f localca.Files) {
			b, err := os.ReadFile(f.CAKey)
			if err != nil {
				t.Fatal(err)
			}
			write(t, f.CACert, b, 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := localca.FilesIn(t.TempDir())
			ensure(t, f, localca.DefaultHosts, t0)
			mutate(t, f)
			before := readFiles(t, f)
			if _, err := localca.Ensure(f, localca.DefaultHosts, t0); err == nil {
				t.Fatal("Ensure accepted a corrupt CA")
			}
			if !mapsEqual(before, readFiles(t, f)) {
				t.Fatal("Ensure changed files although it failed")
			}
		})
	}
}

func TestPool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := localca.FilesIn(dir)
	_, leaf := ensure(t, f, localca.DefaultHosts, t0)
	pool, err := localca.Pool(f.CACert)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: t0, DNSName: "localhost"}); err != nil {
		t.Fatalf("leaf does not verify against Pool: %v", err)
	}
	for name, path := range map[string]string{
		"missing":     filepath.Join(dir, "nope.pem"),
		"a key file":  f.CAKey,
		"a directory": dir,
	} {
		if p, err := localca.Pool(path); err == nil || p != nil {
			t.Errorf("Pool(%s) = (%v, %v), want an error", name, p, err)
		}
	}
}

func remove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, b, mode); err != nil {
		t.Fatal(err)
	}
}

func mapsEqual(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

func TestEnsureRefusesNoHosts(t *testing.T) {
	t.Parallel()
	_, err := localca.Ensure(localca.FilesIn(t.TempDir()), nil, time.Now())
	if err == nil || !strings.Contains(err.Error(), "--tls-hosts") {
		t.Fatalf("Ensure with no hosts: %v", err)
	}
}

func TestEphemeral(t *testing.T) {
	t.Parallel()
	now := time.Now()
	e, err := localca.NewEphemeral([]string{"localhost", "127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(e.CAPEM) {
		t.Fatal("CAPEM holds no certificate")
	}
	for _, host := range []string{"localhost", "127.0.0.1"} {
		if _, err := e.Cert.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool, CurrentTime: now}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if _, err := e.Cert.Leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: e.Pool(), CurrentTime: now}); err == nil {
		t.Error("the certificate covers a name it was not made for")
	}
	if _, err := localca.NewEphemeral(nil, now); err == nil {
		t.Error("no hosts accepted")
	}
}

// A CA is never replaced silently: a missing half, a CA gone while its
// server certificate stays, and two halves of different CAs are refused
// naming the files and what to do; with every file gone it is a first
// start again.
func TestEnsureNeverReplacesCA(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mutate func(t *testing.T, f localca.Files)
		want   []string // in the error; none: Ensure succeeds
	}{
		{"CA key deleted", func(t *testing.T, f localca.Files) { remove(t, f.CAKey) }, []string{"ca-key.pem is missing", "restore"}},
		{"CA cert deleted", func(t *testing.T, f localca.Files) { remove(t, f.CACert) }, []string{"ca.pem is missing", "restore"}},
		{"CA deleted, server cert kept", func(t *testing.T, f localca.Files) { remove(t, f.CACert); remove(t, f.CAKey) }, []string{"server.pem", "restore the CA files"}},
		{"another CA's key", func(t *testing.T, f localca.Files) {
			other := localca.FilesIn(t.TempDir())
			ensure(t, other, localca.DefaultHosts, t0)
			b, err := os.ReadFile(other.CAKey)
			if err != nil {
				t.Fatal(err)
			}
			write(t, f.CAKey, b, 0o600)
		}, []string{"is not the key of the CA certificate"}},
		{"everything deleted", func(t *testing.T, f localca.Files) {
			for _, p := range []string{f.CACert, f.CAKey, f.Cert, f.Key} {
				remove(t, p)
			}
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := localca.FilesIn(t.TempDir())
			ensure(t, f, localca.DefaultHosts, t0)
			tc.mutate(t, f)
			before := readFiles(t, f)
			_, err := localca.Ensure(f, localca.DefaultHosts, t0)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("a first start again: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Ensure replaced the CA")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !mapsEqual(before, readFiles(t, f)) {
				t.Error("Ensure changed files although it failed")
			}
		})
	}
}
