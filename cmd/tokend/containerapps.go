package main

import (
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
