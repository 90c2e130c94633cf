package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tokend-dev/tokend/localca"
	"github.com/tokend-dev/tokend/server"
)

// newHealthcheckCmd checks the server serving the data directory, for a
// container's HEALTHCHECK: the image is scratch, with no curl, and the
// server's URL and CA are in the data directory.
func newHealthcheckCmd(g *globalFlags) *cobra.Command {
	var url, ca, addr string
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the tokend serving this data directory answers /healthz (a container HEALTHCHECK)",
		Example: `  tokend healthcheck
  tokend healthcheck --url https://127.0.0.1:8443 --ca tokend-data/ca.pem
  # Dockerfile: HEALTHCHECK CMD ["/tokend", "healthcheck"]`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				url = healthcheckURL(g.dataDir, addr)
			}
			if ca == "" {
				ca = localca.FilesIn(g.dataDir).CACert
			}
			hc := &http.Client{Timeout: 3 * time.Second}
			if strings.HasPrefix(url, "https://") {
				tc := &tls.Config{MinVersion: tls.VersionTLS12}
				pool, err := localca.Pool(ca)
				switch {
				case err == nil:
					tc.RootCAs = pool
				case isLoopbackURL(url):
					// An in-memory server keeps its CA to itself. A probe
					// of this host's own port learns nothing from the
					// server's identity, so it goes unchecked there only.
					tc.InsecureSkipVerify = true
				default:
					return err
				}
				hc.Transport = &http.Transport{TLSClientConfig: tc}
			}
			resp, err := hc.Get(strings.TrimRight(url, "/") + "/healthz")
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("healthcheck: %s/healthz answered %s", url, resp.Status)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "ok")
			return err
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "tokend base URL (default: the data directory's address file)")
	cmd.Flags().StringVar(&ca, "ca", "", "CA certificate to trust (default: the data directory's ca.pem; none needed on loopback)")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8443", "the server's listen address, when the data directory has no address file (--in-memory); 0.0.0.0 means this host [TOKEND_ADDR]")
	return cmd
}

// healthcheckURL is the data directory's address file, else https on the
// listen address (a wildcard host is reached on loopback).
func healthcheckURL(dataDir, addr string) string {
	if b, err := os.ReadFile(filepath.Join(dataDir, server.AddressFile)); err == nil {
		return strings.TrimSpace(string(b))
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "https://" + addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, port)
}

// isLoopbackURL reports a URL on this host's loopback.
func isLoopbackURL(u string) bool {
	parsed, err := neturl.Parse(u)
	if err != nil {
		return false
	}
	h := parsed.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || (ip != nil && ip.IsLoopback())
}
