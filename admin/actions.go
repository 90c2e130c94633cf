package admin

import tokend "github.com/tokend-dev/tokend"

// The actions the API checks at scope "/", in Azure's spelling: Owner's
// "*" holds them all, Reader's "*/read" the reads (which never include a
// secret: secrets are shown once, identity headers only through the
// environment action).
const (
	ActionClientsRead   = "Tokend/clients/read"
	ActionClientsWrite  = "Tokend/clients/write"
	ActionClientsDelete = "Tokend/clients/delete"

	ActionUsersRead   = "Tokend/users/read"
	ActionUsersWrite  = "Tokend/users/write"
	ActionUsersDelete = "Tokend/users/delete"

	ActionManagedIdentitiesRead   = "Tokend/managedIdentities/read"
	ActionManagedIdentitiesWrite  = "Tokend/managedIdentities/write"
	ActionManagedIdentitiesDelete = "Tokend/managedIdentities/delete"
	// ActionManagedIdentitiesEnvironment reads an identity's header (its
	// credential): an action, as ARM's listKeys is, so "*/read" does not
	// grant it.
	ActionManagedIdentitiesEnvironment = "Tokend/managedIdentities/environment/action"

	ActionKeysRead  = "Tokend/keys/read"
	ActionKeysWrite = "Tokend/keys/write"

	ActionAuditRead = "Tokend/audit/read"

	// ActionMetricsRead reads this node's recent traffic (counts, no
	// names): Reader's "*/read" holds it.
	ActionMetricsRead = "Tokend/metrics/read"
)

// RoleTokendAdministrator is the built-in role that holds every action of
// the management API and nothing else.
const RoleTokendAdministrator = "Tokend Administrator"

// Roles are the management API's built-in roles, for the role catalog.
// The id is fixed (made once, like Azure's own role GUIDs) so scripts can
// name the role by id.
func Roles() []tokend.RoleDefinition {
	return []tokend.RoleDefinition{{
		Name: RoleTokendAdministrator, ID: "0f7d3c51-6b2e-4a8d-9e15-3c4b8a2d7f60",
		Description: "Manage tokend itself through its management API: clients and their credentials, users, managed identities, signing keys, and read the audit log and the metrics.",
		Actions:     []string{"Tokend/*"},
	}}
}
