package apim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

func serviceIDOf(r *pipeline.Request) arm.ID {
	return arm.ID{SubscriptionID: r.Param("subscriptionId"), ResourceGroup: r.Param("resourceGroupName"),
		Namespace: Namespace, Types: []string{"service"}, Names: []string{r.Param("serviceName")}}
}

// authServerIDOf is the addressed server's ID in the spec's casing of the
// types and the client's casing of the names.
func authServerIDOf(r *pipeline.Request) arm.ID {
	return serviceIDOf(r).Child(Namespace, "authorizationServers", r.Param("authsid"))
}

// checkAuthServerPath validates the path parameters (serviceName, authsid)
// before anything is looked up.
func checkAuthServerPath(r *pipeline.Request, withAuthsid bool) error {
	var p problems
	checkServiceName(&p, r.Param("serviceName"))
	if withAuthsid {
		checkAuthsid(&p, r.Param("authsid"))
	}
	return p.err()
}

func errServiceNotFound(id arm.ID) error {
	return wire.Errorf(http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
		"The Resource 'Microsoft.ApiManagement/service/%s' under resource group '%s' was not found.", id.Name(), id.ResourceGroup))
}

func errAuthServerNotFound(id arm.ID) error {
	return wire.Errorf(http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
		"Authorization server '%s' was not found in API Management service '%s'.", id.Name(), id.Parent().Name()))
}

// requireService answers 404 when the addressed service does not exist.
func requireService(ctx context.Context, q tokend.ResourceStore, r *pipeline.Request) error {
	sid := serviceIDOf(r)
	if _, err := q.GetResource(ctx, sid.Key()); err != nil {
		if errors.Is(err, tokend.ErrNotFound) {
			return errServiceNotFound(sid)
		}
		return fmt.Errorf("load service %s: %w", sid, err)
	}
	return nil
}

// loadAuthServer reads the addressed server with one query; only when it is
// missing does a second one tell "no such service" from "no such server".
func (p *Provider) loadAuthServer(ctx context.Context, r *pipeline.Request) (*tokend.AuthorizationServer, error) {
	if err := checkAuthServerPath(r, true); err != nil {
		return nil, err
	}
	id := authServerIDOf(r)
	s, err := p.store.GetAuthorizationServer(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		if err := requireService(ctx, p.store, r); err != nil {
			return nil, err
		}
		return nil, errAuthServerNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load authorization server %s: %w", id, err)
	}
	return s, nil
}

// contractResponse answers with a stored server's body and its ETag.
func contractResponse(status int, s *tokend.AuthorizationServer) *wire.Response {
	return wire.JSON(status, json.RawMessage(s.Body)).WithHeader("ETag", s.ETag)
}

func (p *Provider) getAuthServer(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	s, err := p.loadAuthServer(ctx, r)
	if err != nil {
		return nil, err
	}
	return contractResponse(http.StatusOK, s), nil
}

// headAuthServer is GetEntityTag: 200 with the ETag and no body.
func (p *Provider) headAuthServer(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	s, err := p.loadAuthServer(ctx, r)
	if err != nil {
		return nil, err
	}
	return wire.Empty(http.StatusOK).WithHeader("ETag", s.ETag), nil
}

func (p *Provider) listAuthServerSecrets(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	s, err := p.loadAuthServer(ctx, r)
	if err != nil {
		return nil, err
	}
	sec, err := p.openSecrets(s.Key, s.Secrets)
	if err != nil {
		return nil, err
	}
	var c authServerContract
	if err := json.Unmarshal(s.Body, &c); err != nil {
		return nil, fmt.Errorf("decode stored authorization server %s: %w", s.ID, err)
	}
	out := secretsContract{ClientSecret: sec.ClientSecret, ResourceOwnerPassword: sec.ResourceOwnerPassword,
		ResourceOwnerUsername: c.Properties.ResourceOwnerUsername}
	return wire.JSON(http.StatusOK, out).WithHeader("ETag", s.ETag), nil
}

// decodeAuthServer reads a PUT or PATCH body.
func decodeAuthServer(r *pipeline.Request) (*authServerProperties, error) {
	var in authServerRequest
	if err := r.Decode(&in); err != nil {
		return nil, err
	}
	if in.Properties == nil {
		return nil, badField("properties", "'properties' is required.")
	}
	return in.Properties, nil
}

// putAuthServer is CreateOrUpdate: 201 on create, 200 on replace. If-Match
// is optional; when it names a version, the server must exist at that
// version.
func (p *Provider) putAuthServer(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if err := checkAuthServerPath(r, true); err != nil {
		return nil, err
	}
	props, err := decodeAuthServer(r)
	if err != nil {
		return nil, err
	}
	var v problems
	props.checkFields(&v)
	props.checkRequired(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	props.applyDefaults()
	sent := props.takeSecrets()
	cond := parseIfMatch(r)
	id := authServerIDOf(r)

	return arm.LastWriterWins(ctx, errBusy(), func() (*wire.Response, error) {
		var out *tokend.AuthorizationServer
		created := false
		err := p.store.InTx(ctx, func(q tokend.Queries) error {
			// The lock orders this write after (or before) a concurrent
			// delete of the service, so no server outlives its service.
			if err := q.Lock(ctx, lockName(serviceIDOf(r).Key())); err != nil {
				return err
			}
			if err := requireService(ctx, q, r); err != nil {
				return err
			}
			cur, err := q.GetAuthorizationServer(ctx, id.Key())
			switch {
			case errors.Is(err, tokend.ErrNotFound):
				if cond.specific() {
					return wire.Errorf(http.StatusPreconditionFailed, "PreconditionFailed",
						"The authorization server does not exist, so it cannot match the ETag in If-Match.")
				}
				body, err := contractBody(id, *props)
				if err != nil {
					return err
				}
				out, created = p.newAuthServer(id, props, body, r.Caller()), true
				if out.Secrets, err = p.sealSecrets(out.Key, sent); err != nil {
					return err
				}
				return q.CreateAuthorizationServer(ctx, out)
			case err != nil:
				return fmt.Errorf("load authorization server %s: %w", id, err)
			}
			if cond.specific() && cond.etag != cur.ETag {
				return errStale()
			}
			// A replacement keeps the ID as first spelled, whatever casing
			// this request used: body and row must agree for $filter.
			body, err := contractBody(storedID(cur), *props)
			if err != nil {
				return err
			}
			out, err = p.replaced(cur, props, body, sent, r.Caller())
			if err != nil {
				return err
			}
			return q.UpdateAuthorizationServer(ctx, out, cur.ETag)
		})
		switch {
		case err == nil && created:
			return contractResponse(http.StatusCreated, out), nil
		case err == nil:
			return contractResponse(http.StatusOK, out), nil
		case errors.Is(err, tokend.ErrAlreadyExists), errors.Is(err, tokend.ErrPreconditionFailed) && !cond.specific():
			return nil, arm.ErrRaced // raced with another writer; look again
		case errors.Is(err, tokend.ErrPreconditionFailed):
			return nil, errStale()
		default:
			return nil, err
		}
	})
}

func errBusy() *wire.Error {
	return wire.Errorf(http.StatusConflict, "Conflict", "The authorization server is being changed by many requests at once; retry.")
}

// lockName names the lock that serializes writes to one service's servers
// with the service's deletion.
func lockName(serviceKey string) string { return "apim:" + serviceKey }

// storedID is a stored server's ID as first spelled. Rows are written only
// from parsed IDs, so a parse failure would be a storage bug; the name and
// service key still give a usable ID then.
func storedID(s *tokend.AuthorizationServer) arm.ID {
	id, err := arm.ParseID(s.ID)
	if err != nil {
		id, _ = arm.ParseID(s.ServiceKey)
		id = id.Child(Namespace, "authorizationServers", s.Name)
	}
	return id
}

func (p *Provider) newAuthServer(id arm.ID, props *authServerProperties, body []byte, caller string) *tokend.AuthorizationServer {
	now := p.now().UTC()
	return &tokend.AuthorizationServer{
		Key: id.Key(), ServiceKey: id.Parent().Key(), ID: id.String(), Name: id.Name(),
		DisplayName: *props.DisplayName, UID: uuid.NewString(), ETag: arm.NewETag(), Body: body,
		CreatedAt: now, UpdatedAt: now, CreatedBy: caller, UpdatedBy: caller,
	}
}

// replaced is cur with a new body and ETag; the secrets a request sent
// replace the stored ones, the others are kept.
func (p *Provider) replaced(cur *tokend.AuthorizationServer, props *authServerProperties, body []byte, sent secretValues, caller string) (*tokend.AuthorizationServer, error) {
	stored, err := p.openSecrets(cur.Key, cur.Secrets)
	if err != nil {
		return nil, err
	}
	next := *cur
	next.Body, next.DisplayName, next.ETag = body, *props.DisplayName, arm.NewETag()
	next.UpdatedAt, next.UpdatedBy = p.now().UTC(), caller
	if next.Secrets, err = p.sealSecrets(cur.Key, mergeSecrets(stored, sent)); err != nil {
		return nil, err
	}
	return &next, nil
}

// patchAuthServer is Update: a merge of the sent fields, If-Match required.
func (p *Provider) patchAuthServer(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if err := checkAuthServerPath(r, true); err != nil {
		return nil, err
	}
	cond, err := requireIfMatch(r)
	if err != nil {
		return nil, err
	}
	patch, err := decodeAuthServer(r)
	if err != nil {
		return nil, err
	}
	var v problems
	patch.checkFields(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	sent := patch.takeSecrets()
	return arm.LastWriterWins(ctx, errBusy(), func() (*wire.Response, error) {
		cur, err := p.loadAuthServer(ctx, r)
		if err != nil {
			return nil, err
		}
		if cond.specific() && cond.etag != cur.ETag {
			return nil, errStale()
		}
		var c authServerContract
		if err := json.Unmarshal(cur.Body, &c); err != nil {
			return nil, fmt.Errorf("decode stored authorization server %s: %w", cur.ID, err)
		}
		props := c.Properties
		props.merge(patch)
		var v problems
		props.checkRequired(&v)
		if err := v.err(); err != nil {
			return nil, err
		}
		body, err := contractBody(storedID(cur), props)
		if err != nil {
			return nil, err
		}
		next, err := p.replaced(cur, &props, body, sent, r.Caller())
		if err != nil {
			return nil, err
		}
		// Compare-and-set against the version just read: of concurrent
		// PATCHes carrying the same If-Match, exactly one gets here first.
		err = p.store.UpdateAuthorizationServer(ctx, next, cur.ETag)
		switch {
		case err == nil:
			return contractResponse(http.StatusOK, next), nil
		case errors.Is(err, tokend.ErrPreconditionFailed) && cond.specific():
			return nil, errStale()
		case errors.Is(err, tokend.ErrPreconditionFailed), errors.Is(err, tokend.ErrNotFound):
			return nil, arm.ErrRaced // "*": changed or deleted meanwhile; look again
		default:
			return nil, fmt.Errorf("update authorization server %s: %w", cur.ID, err)
		}
	})
}

// deleteAuthServer is Delete: If-Match required; 200 when deleted, 204 when
// there was nothing to delete.
func (p *Provider) deleteAuthServer(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
	if err := checkAuthServerPath(r, true); err != nil {
		return nil, err
	}
	cond, err := requireIfMatch(r)
	if err != nil {
		return nil, err
	}
	id := authServerIDOf(r)
	err = p.store.DeleteAuthorizationServer(ctx, id.Key(), cond.etag)
	switch {
	case err == nil:
		return wire.Empty(http.StatusOK), nil
	case errors.Is(err, tokend.ErrPreconditionFailed):
		return nil, errStale()
	case errors.Is(err, tokend.ErrNotFound):
		if err := requireService(ctx, p.store, r); err != nil {
			return nil, err
		}
		return wire.Empty(http.StatusNoContent), nil
	default:
		return nil, fmt.Errorf("delete authorization server %s: %w", id, err)
	}
}
