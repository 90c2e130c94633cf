package arm

import (
	"context"
	"net/http"
	"strings"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// MetadataPath is ARM's metadata endpoint, which the Azure CLI (`az cloud
// register --endpoint-resource-manager`) and SDKs that build an environment
// from an ARM endpoint read.
const MetadataPath = "/metadata/endpoints"

// metadataEndpoints is the 2015-01-01 shape of the document (Azure Stack
// serves the same): the login endpoint and the token audiences of ARM.
type metadataEndpoints struct {
	GalleryEndpoint string `json:"galleryEndpoint"`
	GraphEndpoint   string `json:"graphEndpoint"`
	PortalEndpoint  string `json:"portalEndpoint"`
	Authentication  struct {
		LoginEndpoint string   `json:"loginEndpoint"`
		Audiences     []string `json:"audiences"`
	} `json:"authentication"`
}

// MetadataRoute serves the metadata document: the login endpoint is
// tokend's own base URL (the authority clients add a tenant to), the
// audiences ARM's.
func MetadataRoute(audiences []string) pipeline.Route {
	return pipeline.Route{Method: http.MethodGet, Pattern: MetadataPath, Anonymous: true, Label: "arm:metadata",
		Handler: func(_ context.Context, r *pipeline.Request) (*wire.Response, error) {
			base := strings.TrimRight(r.BaseURL, "/") + "/"
			var doc metadataEndpoints
			doc.GalleryEndpoint, doc.PortalEndpoint, doc.GraphEndpoint = base, base, base
			doc.Authentication.LoginEndpoint = base
			doc.Authentication.Audiences = audiences
			return wire.JSON(http.StatusOK, doc), nil
		}}
}
