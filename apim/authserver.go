package apim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tokend-dev/tokend/arm"
)

// authServerType is the resource type as responses write it.
const authServerType = "Microsoft.ApiManagement/service/authorizationServers"

// Enums of definitions.json, in the spec's spelling.
var (
	grantTypeValues                 = []string{"authorizationCode", "implicit", "resourceOwnerPassword", "clientCredentials"}
	authorizationMethodValues       = []string{"HEAD", "OPTIONS", "TRACE", "GET", "POST", "PUT", "PATCH", "DELETE"}
	clientAuthenticationValues      = []string{"Basic", "Body"}
	bearerTokenSendingMethodsValues = []string{"authorizationHeader", "query"}
)

// authServerContract is AuthorizationServerContract: a v2 ProxyResource (id,
// name, type; no location, no systemData) with properties.
type authServerContract struct {
	ID         string               `json:"id"`
	Name       string               `json:"name"`
	Type       string               `json:"type"`
	Properties authServerProperties `json:"properties"`
}

// authServerRequest is the body of PUT (AuthorizationServerContract) and
// PATCH (AuthorizationServerUpdateContract); the envelope's read-only fields
// are ignored.
type authServerRequest struct {
	Properties *authServerProperties `json:"properties"`
}

// authServerProperties is AuthorizationServerContractProperties with its
// base properties. Pointers and nil slices tell an absent field (which PATCH
// leaves alone) from a present one.
type authServerProperties struct {
	DisplayName                *string              `json:"displayName,omitempty"`
	UseInTestConsole           *bool                `json:"useInTestConsole,omitempty"`
	UseInAPIDocumentation      *bool                `json:"useInApiDocumentation,omitempty"`
	Description                *string              `json:"description,omitempty"`
	ClientRegistrationEndpoint *string              `json:"clientRegistrationEndpoint,omitempty"`
	AuthorizationEndpoint      *string              `json:"authorizationEndpoint,omitempty"`
	AuthorizationMethods       []string             `json:"authorizationMethods,omitempty"`
	ClientAuthenticationMethod []string             `json:"clientAuthenticationMethod,omitempty"`
	TokenBodyParameters        []tokenBodyParameter `json:"tokenBodyParameters,omitempty"`
	TokenEndpoint              *string              `json:"tokenEndpoint,omitempty"`
	SupportState               *bool                `json:"supportState,omitempty"`
	DefaultScope               *string              `json:"defaultScope,omitempty"`
	GrantTypes                 []string             `json:"grantTypes,omitempty"`
	BearerTokenSendingMethods  []string             `json:"bearerTokenSendingMethods,omitempty"`
	ClientID                   *string              `json:"clientId,omitempty"`
	// ClientSecret and ResourceOwnerPassword arrive in requests only: they
	// are sealed into the stored row's Secrets and never marshalled into a
	// stored or returned body (withoutSecrets clears them).
	ClientSecret          *string `json:"clientSecret,omitempty"`
	ResourceOwnerUsername *string `json:"resourceOwnerUsername,omitempty"`
	ResourceOwnerPassword *string `json:"resourceOwnerPassword,omitempty"`
}

// tokenBodyParameter is TokenBodyParameterContract; both fields are
// required, hence pointers.
type tokenBodyParameter struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

// secretValues are what a server keeps sealed: absent and "" differ only in
// that absent keeps the stored value on write.
type secretValues struct {
	ClientSecret          *string `json:"clientSecret,omitempty"`
	ResourceOwnerPassword *string `json:"resourceOwnerPassword,omitempty"`
}

// secretsContract is AuthorizationServerSecretsContract, listSecrets' answer.
type secretsContract struct {
	ClientSecret          *string `json:"clientSecret,omitempty"`
	ResourceOwnerUsername *string `json:"resourceOwnerUsername,omitempty"`
	ResourceOwnerPassword *string `json:"resourceOwnerPassword,omitempty"`
}

// takeSecrets moves the secret fields out of props.
func (props *authServerProperties) takeSecrets() secretValues {
	s := secretValues{ClientSecret: props.ClientSecret, ResourceOwnerPassword: props.ResourceOwnerPassword}
	props.ClientSecret, props.ResourceOwnerPassword = nil, nil
	return s
}

// mergeSecrets overlays the secrets a request sent on the stored ones.
func mergeSecrets(stored, sent secretValues) secretValues {
	if sent.ClientSecret != nil {
		stored.ClientSecret = sent.ClientSecret
	}
	if sent.ResourceOwnerPassword != nil {
		stored.ResourceOwnerPassword = sent.ResourceOwnerPassword
	}
	return stored
}

// checkFields validates what is present: lengths, enums and token body
// parameters, normalising enum spellings in place. It is run on PATCH
// bodies, and on every body before it is stored.
func (props *authServerProperties) checkFields(p *problems) {
	if props.DisplayName != nil {
		checkLength(p, "displayName", *props.DisplayName, 1, 50)
	}
	props.GrantTypes = canonicalEnum(p, "grantTypes", props.GrantTypes, grantTypeValues)
	props.AuthorizationMethods = canonicalEnum(p, "authorizationMethods", props.AuthorizationMethods, authorizationMethodValues)
	props.ClientAuthenticationMethod = canonicalEnum(p, "clientAuthenticationMethod", props.ClientAuthenticationMethod, clientAuthenticationValues)
	props.BearerTokenSendingMethods = canonicalEnum(p, "bearerTokenSendingMethods", props.BearerTokenSendingMethods, bearerTokenSendingMethodsValues)
	if props.AuthorizationMethods != nil && !slices.Contains(props.AuthorizationMethods, "GET") {
		p.add("authorizationMethods", "'authorizationMethods' must include GET.")
	}
	for i, tp := range props.TokenBodyParameters {
		if tp.Name == nil || *tp.Name == "" {
			p.add(fmt.Sprintf("tokenBodyParameters[%d].name", i), "'name' is required in each token body parameter.")
		}
		if tp.Value == nil {
			p.add(fmt.Sprintf("tokenBodyParameters[%d].value", i), "'value' is required in each token body parameter.")
		}
	}
}

// checkRequired validates a complete contract: the fields PUT requires
// must be present and not empty.
func (props *authServerProperties) checkRequired(p *problems) {
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"displayName", props.DisplayName},
		{"clientRegistrationEndpoint", props.ClientRegistrationEndpoint},
		{"authorizationEndpoint", props.AuthorizationEndpoint},
		{"clientId", props.ClientID},
	} {
		switch {
		case f.v == nil:
			p.add(f.name, "'%s' is required.", f.name)
		case strings.TrimSpace(*f.v) == "" && f.name != "displayName": // displayName's own length check reports it
			p.add(f.name, "'%s' must not be empty.", f.name)
		}
	}
	if len(props.GrantTypes) == 0 {
		p.add("grantTypes", "'grantTypes' is required: at least one of %s.", strings.Join(grantTypeValues, ", "))
	}
}

// applyDefaults fills in what the spec says an absent field means.
func (props *authServerProperties) applyDefaults() {
	if props.UseInTestConsole == nil {
		props.UseInTestConsole = ptr(true)
	}
	if props.UseInAPIDocumentation == nil {
		props.UseInAPIDocumentation = ptr(false)
	}
}

// merge overlays the fields a PATCH sent on the stored properties.
func (props *authServerProperties) merge(patch *authServerProperties) {
	setIf(&props.DisplayName, patch.DisplayName)
	setIf(&props.UseInTestConsole, patch.UseInTestConsole)
	setIf(&props.UseInAPIDocumentation, patch.UseInAPIDocumentation)
	setIf(&props.Description, patch.Description)
	setIf(&props.ClientRegistrationEndpoint, patch.ClientRegistrationEndpoint)
	setIf(&props.AuthorizationEndpoint, patch.AuthorizationEndpoint)
	setIf(&props.TokenEndpoint, patch.TokenEndpoint)
	setIf(&props.SupportState, patch.SupportState)
	setIf(&props.DefaultScope, patch.DefaultScope)
	setIf(&props.ClientID, patch.ClientID)
	setIf(&props.ResourceOwnerUsername, patch.ResourceOwnerUsername)
	setSliceIf(&props.AuthorizationMethods, patch.AuthorizationMethods)
	setSliceIf(&props.ClientAuthenticationMethod, patch.ClientAuthenticationMethod)
	setSliceIf(&props.TokenBodyParameters, patch.TokenBodyParameters)
	setSliceIf(&props.GrantTypes, patch.GrantTypes)
	setSliceIf(&props.BearerTokenSendingMethods, patch.BearerTokenSendingMethods)
}

func setIf[T any](dst **T, v *T) {
	if v != nil {
		*dst = v
	}
}

// setSliceIf is setIf for slices: a merge patch that leaves one out (nil)
// keeps the stored value.
func setSliceIf[S ~[]E, E any](dst *S, v S) {
	if v != nil {
		*dst = v
	}
}

func ptr[T any](v T) *T { return &v }

// contractBody renders the stored (and returned) document: never a secret.
func contractBody(id arm.ID, props authServerProperties) ([]byte, error) {
	props.ClientSecret, props.ResourceOwnerPassword = nil, nil
	b, err := json.Marshal(authServerContract{ID: id.String(), Name: id.Name(), Type: authServerType, Properties: props})
	if err != nil {
		return nil, fmt.Errorf("encode authorization server %s: %w", id, err)
	}
	return b, nil
}
