package tokend

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tokend-dev/tokend/odata"
)

// AuthorizationServer is an API Management OAuth 2.0 authorization server
// (Microsoft.ApiManagement/service/authorizationServers) as storage keeps it.
//
// Authorization servers live in a table of their own rather than among the
// generic resources: their list API filters on name and displayName with
// OData operators and must do so inside the database with indexes, over tens
// of thousands of rows per service. A dedicated table gives displayName a
// real, indexed column (and its own collation on PostgreSQL) without teaching
// the generic ResourceQuery about one provider's filter language.
type AuthorizationServer struct {
	// Key is the canonical (lower-case) resource ID: the primary key.
	Key string
	// ServiceKey is the canonical ID of the parent APIM service; every list
	// and cascade is scoped by it.
	ServiceKey string
	// ID is the resource ID with the casing it was created with.
	ID string
	// Name is the last segment of ID (the authsid), original casing.
	Name string
	// DisplayName is properties.displayName, kept as a column for $filter.
	DisplayName string
	// UID is unique per incarnation (see Resource.UID).
	UID string
	// ETag changes on every write; storage compares it for optimistic
	// concurrency.
	ETag string
	// Body is the provider's JSON document, without secrets.
	Body json.RawMessage
	// Secrets is the sealed (encrypted) clientSecret and
	// resourceOwnerPassword; only listSecrets opens it.
	Secrets   []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
	UpdatedBy string
}

// AuthorizationServerField names a field a ListByService $filter can test.
type AuthorizationServerField string

// Fields of the authorization-server list's $filter.
const (
	AuthorizationServerName        AuthorizationServerField = "name"
	AuthorizationServerDisplayName AuthorizationServerField = "displayName"
)

// AuthorizationServerQuery selects one service's authorization servers.
// Results come ordered by Name (bytewise), which is unique within a service
// (Key is its lower-case form), so a page boundary is a name and paging is
// stable under inserts.
type AuthorizationServerQuery struct {
	// ServiceKey is the canonical ID of the service; required.
	ServiceKey string
	// Filter is a parsed OData $filter over the AuthorizationServerField
	// fields, or nil for every server.
	Filter odata.Expr
	// After is the last Name of the previous page ("" for the first page).
	After string
	// Skip drops that many matching servers before the page ($skip).
	Skip int
	// Limit caps the page size; 0 means no cap.
	Limit int
}

// AuthorizationServerStore keeps APIM authorization servers.
type AuthorizationServerStore interface {
	GetAuthorizationServer(ctx context.Context, key string) (*AuthorizationServer, error)
	// CreateAuthorizationServer inserts s; ErrAlreadyExists when s.Key is
	// taken.
	CreateAuthorizationServer(ctx context.Context, s *AuthorizationServer) error
	// UpdateAuthorizationServer replaces the stored server with key s.Key.
	// When ifETag is not empty the stored ETag must equal it, or
	// ErrPreconditionFailed; the check and the write are one atomic
	// compare-and-set. The caller sets s.ETag to the new value.
	UpdateAuthorizationServer(ctx context.Context, s *AuthorizationServer, ifETag string) error
	// DeleteAuthorizationServer removes one server (ErrNotFound,
	// ErrPreconditionFailed as for UpdateAuthorizationServer).
	DeleteAuthorizationServer(ctx context.Context, key, ifETag string) error
	// DeleteAuthorizationServersUnder removes every server strictly below a
	// scope key: a service, a resource group or a subscription.
	DeleteAuthorizationServersUnder(ctx context.Context, scope string) (int, error)
	// ListAuthorizationServers returns one page of a service's servers that
	// match q.Filter, in name order, and how many match in all.
	ListAuthorizationServers(ctx context.Context, q AuthorizationServerQuery) (*AuthorizationServerPage, error)
}

// AuthorizationServerPage is one page of a ListByService.
type AuthorizationServerPage struct {
	// Servers carry what a collection page needs: Name (the keyset
	// position) and Body. The rest of the record, Secrets above all, is
	// left out (GetAuthorizationServer has it).
	Servers []*AuthorizationServer
	// Count is how many of the service's servers match q.Filter, ignoring
	// After, Skip and Limit (the collection's "count").
	Count int64
}
