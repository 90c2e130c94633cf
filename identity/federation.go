package identity

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// federation holds the key caches of the external issuers that federated
// identity credentials name. An issuer's keys come from its OIDC discovery
// document, are cached, and are fetched again for an unknown kid (at most
// once a minute, see externalIssuer).
type federation struct {
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	issuers map[string]*externalIssuer
}

func newFederation(client *http.Client, now func() time.Time) *federation {
	return &federation{client: client, now: now, issuers: map[string]*externalIssuer{}}
}

// maxFederatedIssuers bounds the cache: issuers come from registered
// credentials, and an assertion naming an unregistered one is refused
// before its keys are looked up, so the bound is generous.
const maxFederatedIssuers = 1000

func (f *federation) issuer(iss string) *externalIssuer {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.issuers[iss]; ok {
		return e
	}
	if len(f.issuers) >= maxFederatedIssuers {
		clear(f.issuers)
	}
	e := newExternalIssuer(TrustedIssuer{Issuer: iss}, f.client, f.now)
	f.issuers[iss] = e
	return e
}

// ValidateFederatedIssuer accepts the issuers a federated credential may
// name: https URLs, and for local testing http on a loopback address
// (http://127.0.0.1:PORT, http://[::1]:PORT, http://localhost:PORT).
func ValidateFederatedIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("the issuer must be an absolute URL without credentials, query or fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		switch strings.ToLower(u.Hostname()) {
		case "127.0.0.1", "::1", "localhost":
			return nil
		}
		return errors.New("an http issuer is accepted only on a loopback address (http://127.0.0.1:PORT), for local testing; use https")
	}
	return errors.New("the issuer must be an https URL")
}
