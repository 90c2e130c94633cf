package containerapps

import (
	"context"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// customHostnameAnalysis is a CustomHostnameAnalysisResult.
type customHostnameAnalysis struct {
	HostName                            string   `json:"hostName"`
	IsHostnameAlreadyVerified           bool     `json:"isHostnameAlreadyVerified"`
	CustomDomainVerificationTest        string   `json:"customDomainVerificationTest"`
	HasConflictOnManagedEnvironment     bool     `json:"hasConflictOnManagedEnvironment"`
	ConflictWithEnvironmentCustomDomain bool     `json:"conflictWithEnvironmentCustomDomain"`
	CNameRecords                        []string `json:"cNameRecords"`
	TxtRecords                          []string `json:"txtRecords"`
	ARecords                            []string `json:"aRecords"`
	AlternateCNameRecords               []string `json:"alternateCNameRecords"`
	AlternateTxtRecords                 []string `json:"alternateTxtRecords"`
}

// listCustomHostNameAnalysis: POST .../listCustomHostNameAnalysis?customHostname=
// → 200. tokend resolves no DNS: a hostname already bound to the app's
// ingress is reported verified, any other as not tested ("Skipped").
func (s *Service) listCustomHostNameAnalysis(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	res, err := s.load(ctx, appID(r))
	if err != nil {
		return nil, err
	}
	doc, err := s.storedDocument(res)
	if err != nil {
		return nil, err
	}
	host := r.Query("customHostname")
	out := customHostnameAnalysis{HostName: host, CustomDomainVerificationTest: "Skipped",
		CNameRecords: []string{}, TxtRecords: []string{}, ARecords: []string{},
		AlternateCNameRecords: []string{}, AlternateTxtRecords: []string{}}
	domains, _ := object(object(object(doc, "properties"), "configuration"), "ingress")["customDomains"].([]any)
	for _, d := range domains {
		if cd, _ := d.(map[string]any); host != "" && strings.EqualFold(stringAt(cd, "name"), host) {
			out.IsHostnameAlreadyVerified, out.CustomDomainVerificationTest = true, "Passed"
		}
	}
	return wire.JSON(http.StatusOK, out), nil
}
