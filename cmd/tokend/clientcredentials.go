package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/identity"
)

// clientCredentialCmds are the clients subcommands for the credentials
// other than a secret: certificates (client assertions) and federated
// credentials (workload identity federation).
func clientCredentialCmds(g *globalFlags) []*cobra.Command {
	var certFile string
	addCert := &cobra.Command{
		Use:   "add-certificate <client-id> --cert FILE.pem",
		Short: "Register a certificate the client signs its client assertions with, and print its SHA-1 thumbprint",
		Long: `add-certificate registers the first CERTIFICATE block of a PEM file (the
public certificate: never give tokend the private key) as a credential of the
client: a client assertion (private_key_jwt) whose x5t or x5t#S256 names it
and that it verifies signs the client in. The certificate must be valid now,
and its key RSA of at least 2048 bits or ECDSA P-256/P-384. "-" reads the
PEM from standard input.`,
		Args: cobra.ExactArgs(1),
		RunE: runWithWorkspace(g, func(cmd *cobra.Command, args []string, a *workspace) error {
			pemBytes, err := readFlagFile(cmd, "--cert", certFile)
			if err != nil {
				return err
			}
			clients, err := a.clients(cmd.Context())
			if err != nil {
				return err
			}
			cc, err := clients.AddCertificate(cmd.Context(), args[0], pemBytes)
			if err != nil {
				return err
			}
			return emit(cmd, admin.ToCertificateView(cc), func(w io.Writer) error {
				_, err := fmt.Fprintln(w, cc.Thumbprint)
				return err
			})
		}),
	}
	addCert.Flags().StringVar(&certFile, "cert", "", `PEM file holding the certificate ("-" for standard input)`)
	_ = addCert.MarkFlagRequired("cert")

	listCerts := &cobra.Command{
		Use:   "list-certificates <client-id>",
		Short: "List a client's certificates",
		Args:  cobra.ExactArgs(1),
		RunE: runWithClients(g, func(cmd *cobra.Command, args []string, a *workspace, clients *identity.Clients) error {
			list, err := clients.ListCertificates(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			res := make([]admin.CertificateView, 0, len(list))
			for _, c := range list {
				res = append(res, admin.ToCertificateView(c))
			}
			return emit(cmd, res, func(w io.Writer) error {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "THUMBPRINT\tNOT BEFORE\tNOT AFTER\tSHA-256 THUMBPRINT")
				for _, c := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Thumbprint, c.NotBefore.UTC().Format(time.RFC3339),
						c.NotAfter.UTC().Format(time.RFC3339), c.ThumbprintSHA256)
				}
				return tw.Flush()
			})
		}),
	}

	removeCert := &cobra.Command{
		Use:   "remove-certificate <client-id> <thumbprint>",
		Short: "Remove a client's certificate by its SHA-1 thumbprint (hex, colons allowed)",
		Args:  cobra.ExactArgs(2),
		RunE: runWithClients(g, func(cmd *cobra.Command, args []string, a *workspace, clients *identity.Clients) error {
			return clients.RemoveCertificate(cmd.Context(), args[0], args[1])
		}),
	}

	var fedName, fedIssuer, fedSubject string
	var fedAudiences []string
	addFed := &cobra.Command{
		Use:   "add-federated-credential <client-id> --name NAME --issuer URL --subject SUBJECT [--audience A]...",
		Short: "Trust an external issuer's tokens for one subject as the client's credential (workload identity federation)",
		Long: `add-federated-credential lets a workload sign in as the client with a token
of another OIDC issuer (GitHub Actions, Kubernetes, another tokend) as its
client assertion: the token's iss must be --issuer, its sub --subject, and
its aud one of the audiences (default ` + identity.DefaultFederationAudience + `).
The issuer must be https (http only on a loopback address, for tests).

  tokend clients add-federated-credential $APP --name gh-main \
    --issuer https://token.actions.githubusercontent.com \
    --subject repo:org/repo:ref:refs/heads/main`,
		Args: cobra.ExactArgs(1),
		RunE: runWithClients(g, func(cmd *cobra.Command, args []string, a *workspace, clients *identity.Clients) error {
			fc, err := clients.AddFederatedCredential(cmd.Context(), args[0], fedName, fedIssuer, fedSubject, nonEmpty(fedAudiences))
			if err != nil {
				return err
			}
			return emit(cmd, admin.ToFederatedCredentialView(fc), func(w io.Writer) error {
				return printFederatedCredentials(w, fc)
			})
		}),
	}
	af := addFed.Flags()
	af.StringVar(&fedName, "name", "", "name of the credential, unique for the client (3 to 120 letters, digits, '-' or '_')")
	af.StringVar(&fedIssuer, "issuer", "", "issuer URL, exactly the tokens' iss claim")
	af.StringVar(&fedSubject, "subject", "", "the tokens' sub claim, exactly")
	af.StringArrayVar(&fedAudiences, "audience", nil, "accepted aud; repeatable (default "+identity.DefaultFederationAudience+")")
	for _, f := range []string{"name", "issuer", "subject"} {
		_ = addFed.MarkFlagRequired(f)
	}

	listFed := &cobra.Command{
		Use:   "list-federated-credentials <client-id>",
		Short: "List a client's federated credentials",
		Args:  cobra.ExactArgs(1),
		RunE: runWithClients(g, func(cmd *cobra.Command, args []string, a *workspace, clients *identity.Clients) error {
			list, err := clients.ListFederatedCredentials(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			res := make([]admin.FederatedCredentialView, 0, len(list))
			for _, f := range list {
				res = append(res, admin.ToFederatedCredentialView(f))
			}
			return emit(cmd, res, func(w io.Writer) error {
				return printFederatedCredentials(w, list...)
			})
		}),
	}

	removeFed := &cobra.Command{
		Use:   "remove-federated-credential <client-id> <name>",
		Short: "Remove a client's federated credential by name",
		Args:  cobra.ExactArgs(2),
		RunE: runWithClients(g, func(cmd *cobra.Command, args []string, a *workspace, clients *identity.Clients) error {
			return clients.RemoveFederatedCredential(cmd.Context(), args[0], args[1])
		}),
	}
	addOutputFlag(addCert, listCerts, addFed, listFed)
	return []*cobra.Command{addCert, listCerts, removeCert, addFed, listFed, removeFed}
}

func printFederatedCredentials(w io.Writer, list ...*tokend.FederatedCredential) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tISSUER\tSUBJECT\tAUDIENCES")
	for _, f := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Issuer, f.Subject, strings.Join(f.Audiences, ","))
	}
	return tw.Flush()
}

// readFlagFile reads the file a flag names ("-" is standard input); an
// error names the flag.
func readFlagFile(cmd *cobra.Command, flag, path string) ([]byte, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(cmd.InOrStdin())
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	return b, nil
}
