package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"github.com/tokend-dev/tokend/containerapps"
)

// containerAppsFlags configure the Microsoft.App provider (serve).
type containerAppsFlags struct {
	tokenLifetime time.Duration
}

func addContainerAppsFlags(fl *pflag.FlagSet, f *containerAppsFlags) {
	fl.DurationVar(&f.tokenLifetime, "containerapp-token-lifetime", containerapps.DefaultTokenLifetime,
		"lifetime of the tokens getAuthtoken issues for container apps [TOKEND_CONTAINERAPP_TOKEN_LIFETIME]")
}

// maxContainerAppTokenLifetime bounds --containerapp-token-lifetime: the
// issuer keeps a signing key published until every token it signed has
// expired, so a very long lifetime would pin keys for as long.
const maxContainerAppTokenLifetime = 7 * 24 * time.Hour

// Container Apps: container apps as ARM resources, and getAuthtoken, whose
// tokens the issuer signs and checks (an app's tokens die with the app).
func init() {
	features = append(features, func(_ context.Context, d *deps) error {
		lifetime := d.flags.containerApps.tokenLifetime
		if err := checkLifetime("--containerapp-token-lifetime", lifetime, maxContainerAppTokenLifetime); err != nil {
			return err
		}
		if d.identity == nil {
			return fmt.Errorf("container apps: the issuer is not running")
		}
		svc, err := containerapps.New(containerapps.Config{
			Store: d.app.store, Box: d.app.box, Signer: d.identity.ClaimsSigner(), TokenLifetime: lifetime,
		})
		if err != nil {
			return fmt.Errorf("register Container Apps: %w", err)
		}
		d.identity.AddPayloadValidator(svc.ValidateClaims)
		svc.Register(d.router)
		return nil
	})
}
