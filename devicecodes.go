package tokend

import "time"

// DeviceCodeStatus is where a device-code sign-in stands.
type DeviceCodeStatus string

// A device code is pending until its user approves or declines it (on the
// verification page or with tokend device approve|deny), and redeemed once
// the device has polled its tokens: a device code yields tokens once.
const (
	DeviceCodePending  DeviceCodeStatus = "pending"
	DeviceCodeApproved DeviceCodeStatus = "approved"
	DeviceCodeDeclined DeviceCodeStatus = "declined"
	DeviceCodeRedeemed DeviceCodeStatus = "redeemed"
)

// DeviceCode is a pending device authorization (RFC 8628): the device
// polls with the device code, the user enters the user code in a browser.
// Only a keyed hash of the device code is stored (ID), as with client
// secrets; the user code is short and typed by people, unique among the
// codes not yet expired.
type DeviceCode struct {
	ID       string // keyed hash of the device code
	UserCode string // upper case, as shown
	TenantID string
	ClientID string
	// Scope and Resource are the request as the device sent it (Resource
	// on the v1 endpoint), parsed again when the tokens are issued.
	Scope    string
	Resource string
	Status   DeviceCodeStatus
	// UserObjectID and AuthTime are set on approval (and decline: who
	// declined).
	UserObjectID string
	AuthTime     time.Time
	// Interval is the polling interval the device was given; PolledAt its
	// last poll that kept it (zero before the first).
	Interval  time.Duration
	PolledAt  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
}
