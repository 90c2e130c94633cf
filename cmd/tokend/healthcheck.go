package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
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
	var url, ca string
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the tokend serving this data directory answers /healthz (a container HEALTHCHECK)",
		Example: `  tokend healthcheck
  tokend healthcheck --url https://127.0.0.1:8443 --ca tokend-data/ca.pem
  # Dockerfile: HEALTHCHECK CMD ["/tokend", "healthcheck"]`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				b, err := os.ReadFile(filepath.Join(g.dataDir, server.AddressFile))
				if err != nil {
					return fmt.Errorf("no --url, and no running server's address in %s: %w", g.dataDir, err)
				}
				url = strings.TrimSpace(string(b))
			}
			if ca == "" {
				ca = localca.FilesIn(g.dataDir).CACert
			}
			hc := &http.Client{Timeout: 3 * time.Second}
			if strings.HasPrefix(url, "https://") {
				pool, err := localca.Pool(ca)
				if err != nil {
					return err
				}
				hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
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
	cmd.Flags().StringVar(&ca, "ca", "", "CA certificate to trust (default: the data directory's ca.pem)")
	return cmd
}
