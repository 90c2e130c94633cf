package e2e

import (
	"crypto/tls"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The binary's safe defaults: the bootstrap secret is not printed to a
// pipe, /metrics is not on the public port (only on --metrics-addr's
// loopback listener), answers carry the security headers, and TLS 1.2
// refuses the CBC suites.
func TestSafeDefaults(t *testing.T) {
	t.Parallel()
	tk := Start(t, "--metrics-addr", "127.0.0.1:0")
	out := tk.Output()
	if tk.Boot.ClientSecret == "" || strings.Contains(out, tk.Boot.ClientSecret) {
		t.Errorf("the bootstrap secret is printed to a pipe (or missing from bootstrap.json):\n%s", out)
	}
	if !strings.Contains(out, "bootstrap.json") {
		t.Errorf("the banner does not say where the secret is:\n%s", out)
	}

	resp, body := tk.Do(t, http.MethodGet, "/metrics", nil, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the public port: %d %s", resp.StatusCode, body)
	}
	for _, h := range []string{"Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Content-Security-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("answer without %s", h)
		}
	}
	m := regexp.MustCompile(`metrics: +(http://\S+/metrics)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no metrics address in the banner:\n%s", out)
	}
	mresp, err := (&http.Client{Timeout: 10 * time.Second}).Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	if mresp.StatusCode != 200 || !strings.Contains(string(page), "tokend_http_requests_total") {
		t.Errorf("metrics listener: %d\n%.300s", mresp.StatusCode, page)
	}

	conf := tk.HTTP.Transport.(*http.Transport).TLSClientConfig.Clone()
	conf.MaxVersion = tls.VersionTLS12
	conf.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
	if c, err := tls.Dial("tcp", strings.TrimPrefix(tk.URL, "https://"), conf); err == nil {
		c.Close()
		t.Error("a TLS 1.2 client offering only CBC suites is served")
	}
}
