package main

import (
	"context"
	"fmt"

	"github.com/tokend-dev/tokend/apim"
)

// API Management: the service resource and its authorization servers.
func init() {
	features = append(features, func(_ context.Context, d *deps) error {
		if _, err := apim.Register(d.router, apim.Config{Store: d.app.store, Box: d.app.box}); err != nil {
			return fmt.Errorf("register API Management: %w", err)
		}
		return nil
	})
}
