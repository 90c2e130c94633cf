package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// commandExamples are the examples every command's help shows, by command
// path. They live together here so the list is easy to check against the
// commands (TestEveryCommandHasExamples); a command that sets its own
// Example keeps it.
var commandExamples = map[string]string{
	"tokend": `  tokend serve                        # https://127.0.0.1:8443, state in ./tokend-data
  eval "$(tokend env)"                # in another terminal: sign in as the bootstrap client
  tokend serve --in-memory --addr 127.0.0.1:0 --ca-out ca.pem --bootstrap-out boot.json`,
	"tokend serve": `  tokend serve
  tokend serve --addr 127.0.0.1:0                       # any free port; the URL is printed and in tokend-data/address
  tokend serve --in-memory --ca-out /tmp/ca.pem --bootstrap-out /tmp/boot.json
  TOKEND_BOOTSTRAP_CLIENT_SECRET=$(tokend new-secret) tokend serve --in-memory --bootstrap-client-id 6f0c2c4e-7a4b-4f7e-9e55-2d7e1a2b3c4d
  tokend serve --database postgres://tokend@db/tokend   # one of several nodes (same TOKEND_MASTER_KEY on each)
  tokend serve --addr 0.0.0.0:8443 --tls-hosts localhost,tokend.internal
  tokend serve --playwright-browser-server ws://127.0.0.1:3000/       # browsers from your own npx playwright run-server
  tokend serve --playwright-browsers managed                          # tokend runs node_modules/.bin/playwright run-server itself`,
	"tokend token": `  tokend token
  curl --cacert tokend-data/ca.pem -H "Authorization: Bearer $(tokend token)" https://127.0.0.1:8443/subscriptions?api-version=2022-12-01
  tokend token --scope https://playwright.microsoft.com/.default
  TOKEND_CLIENT_SECRET=tkd_... tokend token --client-id 6f0c2c4e-7a4b-4f7e-9e55-2d7e1a2b3c4d`,
	"tokend verify": `  tokend verify "$(tokend token)"
  tokend verify --audience https://playwright.microsoft.com "$TOKEN"`,
	"tokend audit": `  tokend audit verify tokend-data/audit.log
  tokend audit list --since 1h --action 'token.*'`,
	"tokend audit list": `  tokend audit list --since 1h
  tokend audit list --action 'token.*' --output json`,
	"tokend audit verify": `  tokend audit verify audit.log
  tokend audit verify audit.log.1 audit.log.2 audit.log   # a rotated sequence, oldest first`,
	"tokend bench": `  tokend bench --smoke
  tokend bench --scenarios token,arm-get --engines sqlite --duration 5s
  tokend bench --nodes 1,2 --json bench.json && go run ./cmd/tokend-plot --in bench.json`,
	"tokend clients": `  tokend clients create --name ci --role Contributor
  tokend clients list`,
	"tokend clients create": `  tokend clients create --name ci
  tokend clients create --name deployer --role Contributor --scope /subscriptions/<id>/resourceGroups/app
  tokend clients create --name orders-api --identifier-uri api://orders --output json`,
	"tokend clients list":         `  tokend clients list --output json`,
	"tokend clients update":       `  tokend clients update <client-id> --identifier-uri api://orders`,
	"tokend clients delete":       `  tokend clients delete <client-id>`,
	"tokend clients reset-secret": `  tokend clients reset-secret <client-id>`,
	"tokend clients add-certificate": `  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 -subj /CN=ci
  tokend clients add-certificate <client-id> --cert cert.pem`,
	"tokend clients list-certificates":  `  tokend clients list-certificates <client-id>`,
	"tokend clients remove-certificate": `  tokend clients remove-certificate <client-id> <thumbprint>`,
	"tokend clients add-federated-credential": `  tokend clients add-federated-credential <client-id> --name github-main \
    --issuer https://token.actions.githubusercontent.com --subject repo:org/repo:ref:refs/heads/main`,
	"tokend clients list-federated-credentials":  `  tokend clients list-federated-credentials <client-id>`,
	"tokend clients remove-federated-credential": `  tokend clients remove-federated-credential <client-id> github-main`,
	"tokend keys": `  tokend keys list
  tokend keys rotate`,
	"tokend keys list": `  tokend keys list --output json`,
	"tokend keys rotate": `  tokend keys rotate
  tokend keys rotate --immediate --signing-alg RS256`,
	"tokend keys revoke": `  tokend keys revoke <kid>`,
	"tokend managed-identities": `  tokend managed-identities create worker --role Reader
  eval "$(tokend managed-identities env worker)"`,
	"tokend managed-identities create": `  tokend managed-identities create worker
  tokend managed-identities create worker --role Contributor --scope /subscriptions/<id>`,
	"tokend managed-identities list":   `  tokend managed-identities list --output json`,
	"tokend managed-identities delete": `  tokend managed-identities delete worker`,
	"tokend managed-identities env": `  eval "$(tokend managed-identities env worker)"   # IDENTITY_ENDPOINT, IDENTITY_HEADER, ...
  tokend managed-identities env worker --output json`,
	"tokend playwright":               `  tokend playwright accounts list`,
	"tokend playwright accounts":      `  tokend playwright accounts list`,
	"tokend playwright accounts list": `  tokend playwright accounts list --url https://127.0.0.1:8443`,
	"tokend playwright tokens": `  tokend playwright tokens create --workspace 3f2b… --name ci --output json
  tokend playwright tokens list --account 9a1c…`,
	"tokend playwright tokens create": `  tokend playwright tokens create --workspace 3f2b… --name ci --output json
  tokend playwright tokens create --account 9a1c… --name nightly --lifetime 168h`,
	"tokend playwright tokens list":   `  tokend playwright tokens list --workspace 3f2b… --output json`,
	"tokend playwright tokens delete": `  tokend playwright tokens delete --workspace 3f2b… <token-id>`,
	"tokend roles": `  tokend roles definitions
  tokend roles assign --principal <client-id> --role Reader`,
	"tokend roles definitions": `  tokend roles definitions --output json`,
	"tokend roles assign": `  tokend roles assign --principal <client-id> --role Reader
  tokend roles assign --principal <object-id> --role Contributor --scope /subscriptions/<id>/resourceGroups/app`,
	"tokend roles list":   `  tokend roles list --principal <client-id>`,
	"tokend roles remove": `  tokend roles remove <assignment-id>`,
	"tokend users": `  tokend users create ada@contoso.example
  tokend roles assign --principal ada@contoso.example --role Reader
  tokend users list`,
	"tokend device": `  tokend device approve ABCD2EFGH --user ada@contoso.example   # the code the device shows
  tokend device deny ABCD2EFGH`,
	"tokend subscriptions": `  tokend subscriptions list
  tokend subscriptions create --name staging`,
	"tokend subscriptions list":   `  tokend subscriptions list --output json`,
	"tokend subscriptions create": `  tokend subscriptions create --name staging --id 11111111-2222-3333-4444-555555555555`,
}

// polishHelp gives every command its examples and keeps flag help from
// rendering a backticked word as the flag's value name: pflag takes
// `name` in a usage string as the value's placeholder, so "see `tokend
// roles definitions`" showed as "--role tokend roles definitions".
func polishHelp(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example == "" {
			c.Example = commandExamples[c.CommandPath()]
		}
		fix := func(f *pflag.Flag) { f.Usage = strings.ReplaceAll(f.Usage, "`", "'") }
		c.Flags().VisitAll(fix)
		c.PersistentFlags().VisitAll(fix)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
