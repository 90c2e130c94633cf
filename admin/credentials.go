package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const (
	certificatesPath = clientPath + "/certificates"
	certificatePath  = certificatesPath + "/{thumbprint}"
	federatedPath    = clientPath + "/federatedCredentials"
	federatedOnePath = federatedPath + "/{name}"
)

func (s *Service) credentialRoutes() []pipeline.Route {
	return []pipeline.Route{
		route(http.MethodGet, certificatesPath, ActionClientsRead, s.listCertificates),
		route(http.MethodPost, certificatesPath, ActionClientsWrite, s.addCertificate),
		route(http.MethodDelete, certificatePath, ActionClientsWrite, s.removeCertificate),
		route(http.MethodGet, federatedPath, ActionClientsRead, s.listFederatedCredentials),
		route(http.MethodGet, federatedOnePath, ActionClientsRead, s.getFederatedCredential),
		route(http.MethodPut, federatedOnePath, ActionClientsWrite, s.putFederatedCredential),
		route(http.MethodDelete, federatedOnePath, ActionClientsWrite, s.removeFederatedCredential),
	}
}

func (s *Service) listCertificates(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	list, err := s.cfg.Clients.ListCertificates(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return pageByKey(r, "certificates:"+c.ID, list, func(c *tokend.ClientCertificate) string { return c.Thumbprint }, ToCertificateView)
}

// certificateBody carries the public certificate as PEM text (the first
// CERTIFICATE block counts; never give tokend the private key), as a
// browser's file input reads it.
type certificateBody struct {
	Certificate string `json:"certificate"`
}

func (s *Service) addCertificate(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	var b certificateBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	pem := []byte(b.Certificate)
	if strings.TrimSpace(b.Certificate) == "" {
		return nil, wire.BadRequest("InvalidCertificate", "certificate", "certificate must hold a PEM CERTIFICATE block.")
	}
	cc, err := s.cfg.Clients.AddCertificate(ctx, c.ID, pem)
	if err != nil {
		return nil, invalid(err, "InvalidCertificate")
	}
	return wire.JSON(http.StatusCreated, ToCertificateView(cc)), nil
}

func (s *Service) removeCertificate(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	tp := r.Param("thumbprint")
	if err := s.cfg.Clients.RemoveCertificate(ctx, c.ID, tp); err != nil {
		if isNotFound(err) {
			return nil, notFoundIn("CertificateNotFound", "Certificate", tp)
		}
		return nil, err
	}
	return wire.Empty(http.StatusNoContent), nil
}

func (s *Service) listFederatedCredentials(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	list, err := s.cfg.Clients.ListFederatedCredentials(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return pageByKey(r, "federatedCredentials:"+c.ID, list, func(f *tokend.FederatedCredential) string { return f.Name }, ToFederatedCredentialView)
}

// federatedCredential finds one of the client's credentials by name.
func (s *Service) federatedCredential(ctx context.Context, c *tokend.Client, name string) (*tokend.FederatedCredential, error) {
	list, err := s.cfg.Clients.ListFederatedCredentials(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, f := range list {
		if f.Name == name {
			return f, nil
		}
	}
	return nil, notFoundIn("FederatedCredentialNotFound", "Federated credential", name)
}

func (s *Service) getFederatedCredential(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	f, err := s.federatedCredential(ctx, c, r.Param("name"))
	if err != nil {
		return nil, err
	}
	return wire.JSON(http.StatusOK, ToFederatedCredentialView(f)), nil
}

// federatedBody is a federated credential to create under its name.
type federatedBody struct {
	Issuer    string   `json:"issuer"`
	Subject   string   `json:"subject"`
	Audiences []string `json:"audiences"`
}

// putFederatedCredential creates the credential; one that exists with the
// same issuer, subject and audiences is answered as it is (a retried PUT),
// one that differs is a conflict: credentials are removed and added, not
// edited, as the CLI does.
func (s *Service) putFederatedCredential(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	var b federatedBody
	if err := r.Decode(&b); err != nil {
		return nil, err
	}
	name := r.Param("name")
	switch {
	case !wire.SQLText(name):
		return nil, wire.BadRequest("InvalidFederatedCredential", "name", "The name is not valid text.")
	case strings.TrimSpace(b.Issuer) == "":
		return nil, wire.BadRequest("InvalidFederatedCredential", "issuer", "issuer is required: the URL that is exactly the tokens' iss claim.")
	case strings.TrimSpace(b.Subject) == "":
		return nil, wire.BadRequest("InvalidFederatedCredential", "subject", "subject is required: exactly the tokens' sub claim.")
	case !wire.SQLText(b.Issuer) || !wire.SQLText(b.Subject):
		return nil, wire.BadRequest("InvalidFederatedCredential", "body", "issuer and subject must be valid text.")
	}
	for _, a := range b.Audiences {
		if !wire.SQLText(a) {
			return nil, wire.BadRequest("InvalidFederatedCredential", "audiences", "audiences must be valid text.")
		}
	}
	f, err := s.cfg.Clients.AddFederatedCredential(ctx, c.ID, name, b.Issuer, b.Subject, b.Audiences)
	if err == nil {
		return wire.JSON(http.StatusCreated, ToFederatedCredentialView(f)), nil
	}
	if isAlreadyExists(err) {
		existing, gerr := s.federatedCredential(ctx, c, name)
		if gerr != nil {
			return nil, gerr
		}
		want := b.Audiences
		if len(want) == 0 {
			want = []string{identityDefaultAudience}
		}
		if existing.Issuer == b.Issuer && existing.Subject == b.Subject && sameList(existing.Audiences, want) {
			return wire.JSON(http.StatusOK, ToFederatedCredentialView(existing)), nil
		}
		return nil, wire.Errorf(http.StatusConflict, "FederatedCredentialExists",
			"The client has a federated credential named '"+wire.Clip(name)+"' with other values; delete it first.")
	}
	return nil, invalid(err, "InvalidFederatedCredential")
}

func sameList(a, b []string) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func (s *Service) removeFederatedCredential(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	c, err := s.client(ctx, r)
	if err != nil {
		return nil, err
	}
	name := r.Param("name")
	if err := s.cfg.Clients.RemoveFederatedCredential(ctx, c.ID, name); err != nil {
		if isNotFound(err) {
			return nil, notFoundIn("FederatedCredentialNotFound", "Federated credential", name)
		}
		return nil, err
	}
	return wire.Empty(http.StatusNoContent), nil
}
