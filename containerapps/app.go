package containerapps

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// A container app is stored as one resource whose Body is the complete
// ContainerApp document as GET returns it (read-only properties and
// systemData filled in) minus the secret values, which live sealed in
// Secrets. GET and list therefore serve the stored bytes as they are.

// load returns the stored app or a 404 in the Container Apps envelope.
func (s *Service) load(ctx context.Context, id arm.ID) (*tokend.Resource, error) {
	res, err := s.store.GetResource(ctx, id.Key())
	if errors.Is(err, tokend.ErrNotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load container app %s: %w", id, err)
	}
	return res, nil
}

// decodeDocument decodes a JSON object keeping numbers exact.
func decodeDocument(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeRequest decodes a request body that must be a JSON object: a 400
// naming the line and column of a syntax error, or saying what came instead.
func decodeRequest(r *pipeline.Request) (map[string]any, error) {
	var probe any
	if err := r.Decode(&probe); err != nil {
		return nil, err
	}
	if _, ok := probe.(map[string]any); !ok {
		return nil, wire.BadRequest("InvalidRequestContent", "body",
			"The request content must be a JSON object (a ContainerApp), not "+typeName(normalizeProbe(probe))+".")
	}
	doc, err := decodeDocument(r.Body)
	if err != nil {
		return nil, wire.BadRequest("InvalidRequestContent", "body", "The request content could not be deserialized.")
	}
	return doc, nil
}

// lastWriterWins runs one read-modify-write of app id until it does not
// race with another request's.
func lastWriterWins(ctx context.Context, id arm.ID, attempt func() (*wire.Response, error)) (*wire.Response, error) {
	return arm.LastWriterWins(ctx, wire.Errorf(http.StatusConflict, "Conflict",
		"The container app '"+id.Name()+"' is being changed by many requests at once; retry."), attempt)
}

// normalizeProbe maps encoding/json's float64 to the json.Number typeName knows.
func normalizeProbe(v any) any {
	if _, ok := v.(float64); ok {
		return json.Number("0")
	}
	return v
}

func (s *Service) storedDocument(res *tokend.Resource) (map[string]any, error) {
	doc, err := decodeDocument(res.Body)
	if err != nil {
		return nil, fmt.Errorf("decode stored container app %s: %w", res.ID, err)
	}
	return doc, nil
}

// object returns m[key] as an object, or nil.
func object(m map[string]any, key string) map[string]any {
	if m == nil {
		return nil
	}
	o, _ := m[key].(map[string]any)
	return o
}

// ensureObject returns m[key] as an object, creating it when absent.
func ensureObject(m map[string]any, key string) map[string]any {
	if o := object(m, key); o != nil {
		return o
	}
	o := map[string]any{}
	m[key] = o
	return o
}

func stringAt(m map[string]any, key string) string {
	if m == nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}

// checkLocationUnchanged refuses a replace or patch that moves the app: the
// location of a tracked resource is set on create only.
func checkLocationUnchanged(res *tokend.Resource, prev, doc map[string]any) error {
	was, now := stringAt(prev, "location"), stringAt(doc, "location")
	if arm.NormalizeLocation(was) == arm.NormalizeLocation(now) {
		return nil
	}
	return &wire.Error{Status: http.StatusConflict, Code: "InvalidResourceLocation", Target: "location",
		Message: fmt.Sprintf("The resource '%s' already exists in location '%s' in resource group '%s'. "+
			"A resource with the same name cannot be created in location '%s'. Please select a new resource name.",
			res.Name, was, resourceGroupOf(res), now)}
}

func resourceGroupOf(res *tokend.Resource) string {
	id, err := arm.ParseID(res.ID)
	if err != nil {
		return ""
	}
	return id.ResourceGroup
}

// keepEnvironment carries the create-only environment over a replace or
// patch that omits it, refuses one that changes it, and mirrors
// environmentId and the deprecated managedEnvironmentId, as Azure returns
// both.
func keepEnvironment(prev, doc map[string]any) error {
	props := ensureObject(doc, "properties")
	env := stringAt(props, "environmentId")
	if env == "" {
		env = stringAt(props, "managedEnvironmentId")
	}
	was := stringAt(object(prev, "properties"), "environmentId")
	switch {
	case env == "" && was == "":
		return nil
	case env == "":
		env = was
	case was != "" && !strings.EqualFold(env, was):
		return wire.BadRequest("InvalidRequestContent", "properties.environmentId",
			"The environment of a container app is set on create and cannot be changed (it is '"+was+"').")
	}
	props["environmentId"], props["managedEnvironmentId"] = env, env
	return nil
}

// save completes doc's read-only properties and writes the app: a create
// when prev is nil, else a compare-and-set replace of prev (arm.ErrRaced
// when another write came first: the caller reads again, see
// lastWriterWins).
func (s *Service) save(ctx context.Context, r *pipeline.Request, id arm.ID, prev *tokend.Resource, prevDoc, doc map[string]any, secrets map[string]string) (*tokend.Resource, error) {
	now := s.now().UTC()
	var res tokend.Resource
	if prev == nil {
		res = tokend.Resource{Key: id.Key(), ID: id.String(), Type: typeKey, Name: id.Name(),
			UID: uuid.NewString(), CreatedAt: now, CreatedBy: r.Caller()}
	} else {
		res = *prev
	}
	res.ETag, res.UpdatedAt, res.UpdatedBy = arm.NewETag(), now, r.Caller()
	if err := s.complete(ctx, &res, prevDoc, doc); err != nil {
		return nil, err
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode container app %s: %w", id, err)
	}
	res.Body = body
	if res.Secrets, err = s.sealSecrets(res.Key, secrets); err != nil {
		return nil, err
	}
	if prev == nil {
		err = s.store.InTx(ctx, func(q tokend.Queries) error {
			if err := r.EnsureParent(ctx, q); err != nil {
				return groupError{err}
			}
			return q.CreateResource(ctx, &res)
		})
		var ge groupError
		if errors.As(err, &ge) {
			return nil, ge.err
		}
	} else {
		err = s.store.UpdateResource(ctx, &res, prev.ETag)
	}
	switch {
	case errors.Is(err, tokend.ErrAlreadyExists), errors.Is(err, tokend.ErrPreconditionFailed), errors.Is(err, tokend.ErrNotFound):
		return nil, arm.ErrRaced
	case err != nil:
		return nil, fmt.Errorf("save container app %s: %w", id, err)
	}
	return &res, nil
}

// complete fills in what the service assigns: the envelope, systemData,
// provisioning and running state, revision names, and the identifiers Azure
// computes. prevDoc (nil on create) keeps them stable across updates.
func (s *Service) complete(ctx context.Context, res *tokend.Resource, prevDoc, doc map[string]any) error {
	id, err := arm.ParseID(res.ID)
	if err != nil {
		return fmt.Errorf("parse stored id %s: %w", res.ID, err)
	}
	doc["id"], doc["name"], doc["type"] = res.ID, res.Name, ResourceType
	doc["systemData"] = systemData(res, object(prevDoc, "systemData"))

	props := ensureObject(doc, "properties")
	prevProps := object(prevDoc, "properties")
	props["provisioningState"] = "Succeeded"
	// Requests cannot set runningStatus (validation drops it); start and
	// stop do, and everything else keeps the previous one.
	if stringAt(props, "runningStatus") == "" {
		props["runningStatus"] = statusRunning
		if st := stringAt(prevProps, "runningStatus"); st != "" {
			props["runningStatus"] = st
		}
	}

	// A new revision whenever the template changes, as in Azure.
	rev := stringAt(prevProps, "latestRevisionName")
	if rev == "" || !reflect.DeepEqual(props["template"], prevProps["template"]) {
		suffix := stringAt(object(props, "template"), "revisionSuffix")
		if suffix == "" || rev == res.Name+"--"+suffix {
			suffix = randomSuffix()
		}
		rev = res.Name + "--" + suffix
	}
	props["latestRevisionName"], props["latestReadyRevisionName"] = rev, rev

	sum := sha256.Sum256([]byte(strings.ToLower(id.SubscriptionID)))
	props["customDomainVerificationId"] = strings.ToUpper(hex.EncodeToString(sum[:]))
	props["outboundIpAddresses"] = []string{outboundAddress(res.UID)}
	props["eventStreamEndpoint"] = fmt.Sprintf("https://%s.azurecontainerapps.dev/subscriptions/%s/resourceGroups/%s/containerApps/%s/eventstream",
		arm.NormalizeLocation(stringAt(doc, "location")), id.SubscriptionID, id.ResourceGroup, res.Name)
	return s.completeIdentity(ctx, id, object(prevDoc, "identity"), object(doc, "identity"))
}

// systemData records who created and last changed the app. The creation is
// carried over from the stored document as written, so it reads the same
// whatever precision the store keeps times in.
func systemData(res *tokend.Resource, prev map[string]any) map[string]any {
	sd := map[string]any{}
	if b, err := json.Marshal(arm.NewSystemData(res.CreatedBy, res.CreatedAt, res.UpdatedBy, res.UpdatedAt)); err == nil {
		_ = json.Unmarshal(b, &sd)
	}
	if prev != nil {
		for _, k := range []string{"createdBy", "createdByType", "createdAt"} {
			delete(sd, k)
			if v, ok := prev[k]; ok {
				sd[k] = v
			}
		}
	}
	return sd
}

// completeIdentity assigns the managed identities' ids, keeping those an
// earlier write assigned.
func (s *Service) completeIdentity(ctx context.Context, id arm.ID, prev, ident map[string]any) error {
	if ident == nil {
		return nil
	}
	kind := stringAt(ident, "type")
	if strings.Contains(kind, "SystemAssigned") {
		sub, err := s.store.GetSubscription(ctx, strings.ToLower(id.SubscriptionID))
		if err != nil {
			return fmt.Errorf("load subscription %s: %w", id.SubscriptionID, err)
		}
		ident["principalId"] = keepOrNewUUID(stringAt(prev, "principalId"))
		ident["tenantId"] = sub.TenantID
	}
	if !strings.Contains(kind, "UserAssigned") {
		delete(ident, "userAssignedIdentities")
		return nil
	}
	was := object(prev, "userAssignedIdentities")
	for name, v := range object(ident, "userAssignedIdentities") {
		uai, _ := v.(map[string]any)
		if uai == nil {
			uai = map[string]any{}
		}
		old := object(was, name)
		uai["principalId"] = keepOrNewUUID(stringAt(old, "principalId"))
		uai["clientId"] = keepOrNewUUID(stringAt(old, "clientId"))
		object(ident, "userAssignedIdentities")[name] = uai
	}
	return nil
}

func keepOrNewUUID(s string) string {
	if s != "" {
		return s
	}
	return uuid.NewString()
}

// randomSuffix is a revision suffix like Azure's: seven lower-case
// alphanumerics.
func randomSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [7]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// outboundAddress is a stable address for the app from the documentation
// range (RFC 5737 TEST-NET-3): tokend runs no egress, and an address that
// routes nowhere cannot be mistaken for a real one.
func outboundAddress(uid string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(uid))
	return "203.0.113." + strconv.Itoa(1+int(h.Sum32()%254))
}

// groupError carries EnsureGroup's error out of the creating transaction
// as it is, apart from the create's own, which become 409s.
type groupError struct{ err error }

func (e groupError) Error() string { return e.err.Error() }
func (e groupError) Unwrap() error { return e.err }
