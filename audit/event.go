package audit

import "time"

// Event is one audited act. Time and Node are filled in by the Log.
type Event struct {
	Time      time.Time `json:"time"`
	Node      string    `json:"node"`
	RequestID string    `json:"requestId"`
	// Principal is who acted: an object id, "client:<client id>" for a
	// client that failed to sign in, "cli:<os user>" for the CLI.
	Principal string `json:"principal"`
	Source    string `json:"source,omitempty"` // the client's address
	Action    string `json:"action"`
	Target    string `json:"target,omitempty"`
	Result    string `json:"result"`
	Status    int    `json:"status,omitempty"` // the HTTP status answered
	Reason    string `json:"reason,omitempty"` // why it failed
	Grant     string `json:"grant,omitempty"`
	Audience  string `json:"audience,omitempty"`
	// TokenID is a token's jti, HMAC'd (Log.HashID).
	TokenID string `json:"tokenId,omitempty"`
}

// Results.
const (
	Success = "success"
	Failure = "failure"
)

// Actions tokend records besides the ARM and data-plane actions of the
// routes themselves (which the pipeline hook records as the routes name
// them, e.g. Microsoft.App/containerApps/getAuthToken/action).
const (
	ActionTokenIssue  = "token.issue"
	ActionTokenRevoke = "token.revoke"
	// ActionAuthnFailure is a failed sign-in at the token endpoint or a
	// refused bearer token.
	ActionAuthnFailure = "authn.failure"
	// ActionAuthzDenied is an authenticated caller refused an action.
	ActionAuthzDenied = "authz.denied"
)
