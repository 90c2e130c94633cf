package azuretest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PlaywrightPATCheck is the check the Playwright npm packages run on
// PLAYWRIGHT_SERVICE_ACCESS_TOKEN before a run (validateMptPAT in
// @azure/playwright 1.1.6 and @azure/microsoft-playwright-testing
// 1.0.0-beta.9), reproduced step by step: the id is the fourth
// "/"-separated part of PLAYWRIGHT_SERVICE_URL (index 4 of
// url.split("/"), so "wss://host/accounts/{id}/browsers" and
// "wss://host/playwrightworkspaces/{id}/browsers" both yield {id}, and a
// URL with a path prefix does not); the token's payload is decoded without
// checking its signature; exp must be present and in the future; and the
// claim ("pwid" for the new package, "aid" for the old) must equal the id.
// The errors are the packages' messages.
func PlaywrightPATCheck(serviceURL, token, claim string, now time.Time) error {
	parts := strings.Split(serviceURL, "/")
	if len(parts) <= 4 {
		return errors.New("The value for the PLAYWRIGHT_SERVICE_URL variable is not set correctly.")
	}
	id := parts[4]
	seg := strings.Split(token, ".")
	if len(seg) != 3 {
		return errors.New("Invalid JWT token.")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg[1], "="))
	if err != nil {
		return fmt.Errorf("The PLAYWRIGHT_SERVICE_ACCESS_TOKEN provided is invalid: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return fmt.Errorf("The PLAYWRIGHT_SERVICE_ACCESS_TOKEN provided is invalid: %v", err)
	}
	exp, ok := claims["exp"].(float64)
	if !ok || exp == 0 {
		return errors.New("The PLAYWRIGHT_SERVICE_ACCESS_TOKEN provided is invalid. Please make sure to set a valid token.")
	}
	if now.UnixMilli() >= int64(exp)*1000 {
		return errors.New("The PLAYWRIGHT_SERVICE_ACCESS_TOKEN provided has expired. Create a new token.")
	}
	if got, _ := claims[claim].(string); got != id {
		return errors.New("The provided access token does not match the specified workspace URL. Please verify that both values are correct.")
	}
	return nil
}
