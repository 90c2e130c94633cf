package tokend

import "time"

// Tenant is a directory: the issuer of tokens and the owner of subscriptions.
type Tenant struct {
	ID          string // a UUID, the "tid" claim
	DisplayName string
	CreatedAt   time.Time
}

// Subscription is the ARM billing boundary every resource lives under.
type Subscription struct {
	ID          string // a UUID, lower case
	TenantID    string
	DisplayName string
	State       string // "Enabled"
	CreatedAt   time.Time
}
