package identity

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// maxRedirectURIs and maxRedirectURILen are Entra's limits on an
// application's redirect URIs.
const (
	maxRedirectURIs   = 256
	maxRedirectURILen = 256
)

// ValidateRedirectURIs checks redirect URIs at registration: absolute,
// without a fragment; https, or http only for a loopback host (Entra's
// rule); no wildcard.
func ValidateRedirectURIs(uris []string) error {
	if len(uris) > maxRedirectURIs {
		return invalidCredential("redirectUris", "an application has at most %d redirect URIs", maxRedirectURIs)
	}
	seen := map[string]bool{}
	for _, raw := range uris {
		if len(raw) > maxRedirectURILen {
			return invalidCredential("redirectUris", "redirect URI %q is longer than %d characters", raw, maxRedirectURILen)
		}
		u, err := url.Parse(raw)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(raw, "#") || strings.Contains(raw, "*") {
			return invalidCredential("redirectUris", "redirect URI %q must be an absolute URI without a fragment or wildcard", raw)
		}
		switch u.Scheme {
		case "https":
			if u.Host == "" {
				return invalidCredential("redirectUris", "redirect URI %q has no host", raw)
			}
		case "http":
			if !isLoopbackHost(u.Hostname()) {
				return invalidCredential("redirectUris", "redirect URI %q: http is allowed only for localhost and 127.0.0.1; use https", raw)
			}
		default:
			// Custom schemes (myapp://auth) are how mobile and desktop apps
			// take the answer; they need no host.
			if u.Scheme == "javascript" || u.Scheme == "data" || u.Scheme == "file" {
				return invalidCredential("redirectUris", "redirect URI %q uses a scheme that cannot be a redirect URI", raw)
			}
		}
		if seen[raw] {
			return invalidCredential("redirectUris", "redirect URI %q is given twice", raw)
		}
		seen[raw] = true
	}
	return nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MatchRedirectURI finds the registered redirect URI that requested
// matches: exactly (as Entra compares, the path with case), except that a
// public client's http://localhost or http://127.0.0.1 URI matches any
// port (RFC 8252 §7.3: a native app listens on an ephemeral port). It
// returns the requested URI to redirect to, or an error for the page.
func MatchRedirectURI(c *tokend.Client, requested string) (string, error) {
	if requested == "" {
		if len(c.RedirectURIs) == 1 {
			return c.RedirectURIs[0], nil
		}
		return "", fmt.Errorf("the request names no redirect_uri and application '%s' has %d registered", c.ID, len(c.RedirectURIs))
	}
	req, err := url.Parse(requested)
	if err != nil || !req.IsAbs() || req.Fragment != "" || strings.Contains(requested, "#") {
		return "", fmt.Errorf("the redirect URI '%s' is not an absolute URI without a fragment", sanitize(requested))
	}
	for _, reg := range c.RedirectURIs {
		if reg == requested {
			return requested, nil
		}
		if !c.Public {
			continue
		}
		ru, err := url.Parse(reg)
		if err != nil || ru.Scheme != "http" || req.Scheme != "http" || !isLoopbackHost(ru.Hostname()) {
			continue
		}
		if !strings.EqualFold(ru.Hostname(), req.Hostname()) || ru.User != nil || req.User != nil {
			continue
		}
		if ru.Port() != "" && ru.Port() != req.Port() {
			continue
		}
		if pathOrSlash(ru.EscapedPath()) == pathOrSlash(req.EscapedPath()) && ru.RawQuery == req.RawQuery {
			return requested, nil
		}
	}
	return "", fmt.Errorf("the redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'", sanitize(requested), c.ID)
}

func pathOrSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
