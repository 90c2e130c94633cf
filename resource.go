package tokend

import (
	"encoding/json"
	"time"
)

// Resource is one ARM resource (a resource group, a container app, an APIM
// service, ...) as storage keeps it. Providers own the shape of Body; storage
// only keys, versions and pages it.
type Resource struct {
	// Key is the canonical resource ID (lower case): the primary key. ARM IDs
	// are case-insensitive, so two spellings of one ID must meet here.
	Key string
	// ID is the resource ID with the casing it was created with, returned to
	// clients as is.
	ID string
	// Type is the canonical (lower-case) resource type, e.g.
	// "microsoft.app/containerapps".
	Type string
	// Name is the last segment of ID, original casing.
	Name string
	// UID is unique per incarnation: a resource deleted and created again
	// under the same ID gets a new UID, so anything bound to the old one (a
	// token, say) can tell.
	UID string
	// ETag changes on every write; storage compares it for optimistic
	// concurrency.
	ETag string
	// Body is the provider's JSON document.
	Body json.RawMessage
	// Secrets is a sealed (encrypted) blob; providers return it only from
	// their list-secrets actions.
	Secrets []byte
	// SortName is an optional provider-chosen secondary value (for example a
	// display name) that list filters may use; empty when unused.
	SortName  string
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
	UpdatedBy string
}

// ResourceQuery selects resources for a list call. Results come ordered by
// Key, so a page boundary is a key and paging is stable under inserts.
type ResourceQuery struct {
	// Scope is a canonical key prefix: only resources strictly below it are
	// returned (e.g. "/subscriptions/x/resourcegroups/rg").
	Scope string
	// Type limits results to one canonical type; required by
	// ListResources, optional for ListResourcesUnder.
	Type string
	// After is the last key of the previous page ("" for the first page).
	After string
	// Limit caps the page size; 0 means no cap.
	Limit int
}
