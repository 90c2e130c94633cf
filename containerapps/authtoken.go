package containerapps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// Claims of a container app token besides the registered ones. The
// audience is the app's resource ID in canonical (lower-case) form, which
// the app knows and which no other app shares; these two bind the token to
// the app and to this incarnation of it, so ValidateClaims can refuse it
// once the app is deleted, even if one of the same name is created again.
const (
	// ClaimApp is the app's canonical resource ID (the same as aud).
	ClaimApp = "xms_tkd_app"
	// ClaimAppUID is the app's incarnation (tokend.Resource.UID).
	ClaimAppUID = "xms_tkd_uid"
)

// Audience is the aud of tokens for the app with this resource ID: the ID
// in lower case ("/subscriptions/<sub>/resourcegroups/<rg>/providers/
// microsoft.app/containerapps/<name>").
func Audience(resourceID string) string { return strings.ToLower(resourceID) }

// authToken is a ContainerAppAuthToken.
type authToken struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags,omitempty"`
	SystemData *arm.SystemData   `json:"systemData"`
	Properties authTokenProps    `json:"properties"`
}

type authTokenProps struct {
	Token   string        `json:"token"`
	Expires arm.Timestamp `json:"expires"`
}

// envelope is the part of the stored document a token response repeats.
type envelope struct {
	Location string            `json:"location"`
	Tags     map[string]string `json:"tags"`
}

// envelopeCache keeps each stored app version's location and tags, keyed
// by resource key and ETag: every write changes the ETag, so an entry is
// never stale, and getAuthtoken (the hot path) decodes a document once per
// version instead of once per token. Decoding was as costly as the lookup.
type envelopeCache struct {
	mu sync.RWMutex
	m  map[string]envelope
}

// maxCachedEnvelopes bounds the cache; past it the cache starts over.
const maxCachedEnvelopes = 10000

func (c *envelopeCache) get(res *tokend.Resource) (envelope, error) {
	k := res.Key + "\x00" + res.ETag
	c.mu.RLock()
	env, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return env, nil
	}
	if err := json.Unmarshal(res.Body, &env); err != nil {
		return envelope{}, fmt.Errorf("decode stored container app %s: %w", res.ID, err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedEnvelopes {
		c.m = make(map[string]envelope)
	}
	c.m[k] = env
	c.mu.Unlock()
	return env, nil
}

// getAuthToken: POST .../containerApps/{name}/getAuthtoken → 200
// ContainerAppAuthToken with a JWT for the caller, bound to the app.
func (s *Service) getAuthToken(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if authTokenMissingIn[r.APIVersion] {
		return nil, wire.BadRequest("InvalidApiVersionParameter", "api-version",
			"The api-version '"+r.APIVersion+"' has no getAuthtoken operation; it exists from 2022-06-01-preview on (the official clients send 2025-01-01, 2024-03-01 or 2023-05-01).")
	}
	res, err := s.load(ctx, appID(r))
	if err != nil {
		return nil, err
	}
	env, err := s.envelopes.get(res)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	// JWT times are whole seconds; expires must say exactly what exp does.
	issued := now.Truncate(time.Second)
	expires := issued.Add(s.lifetime)
	token, err := s.signer.Sign(ctx, tokenClaims(res, r.Principal, issued, expires))
	if err != nil {
		return nil, fmt.Errorf("sign token for container app %s: %w", res.ID, err)
	}
	caller := r.Caller()
	return wire.JSON(http.StatusOK, authToken{
		ID: res.ID, Name: res.Name, Type: tokenType, Location: env.Location, Tags: env.Tags,
		SystemData: arm.NewSystemData(caller, now, caller, now),
		Properties: authTokenProps{Token: token, Expires: arm.Timestamp(expires)},
	}), nil
}

// tokenClaims is the payload of a token for app res requested by p: the
// subject is the caller, the audience the app.
func tokenClaims(res *tokend.Resource, p *tokend.Principal, issued, expires time.Time) map[string]any {
	aud := res.Key // the canonical ID: Audience(res.ID), already lower case
	c := make(map[string]any, 12)
	c["aud"], c[ClaimApp], c[ClaimAppUID] = aud, aud, res.UID
	c["iat"], c["nbf"], c["exp"] = issued.Unix(), issued.Unix(), expires.Unix()
	c["jti"] = uuid.NewString()
	if p != nil {
		if p.ObjectID != "" {
			c["sub"], c["oid"] = p.ObjectID, p.ObjectID
		}
		if p.TenantID != "" {
			c["tid"] = p.TenantID
		}
		if p.ClientID != "" {
			c["azp"] = p.ClientID
		}
	}
	return c
}
