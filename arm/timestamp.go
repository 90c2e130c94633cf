package arm

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// Timestamp marshals as Azure writes times: UTC, RFC 3339 with seven
// fractional digits ("2022-07-14T19:22:50.3080223Z").
type Timestamp time.Time

const azureTimeLayout = "2006-01-02T15:04:05.0000000Z"

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(azureTimeLayout) + `"`), nil
}

// UnmarshalJSON accepts any RFC 3339 time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var v time.Time
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = Timestamp(v)
	return nil
}

// FormatTime renders t as a Timestamp does.
func FormatTime(t time.Time) string { return t.UTC().Format(azureTimeLayout) }

// SystemData is ARM's record of who created and last changed a resource.
type SystemData struct {
	CreatedBy          string    `json:"createdBy,omitempty"`
	CreatedByType      string    `json:"createdByType,omitempty"`
	CreatedAt          Timestamp `json:"createdAt"`
	LastModifiedBy     string    `json:"lastModifiedBy,omitempty"`
	LastModifiedByType string    `json:"lastModifiedByType,omitempty"`
	LastModifiedAt     Timestamp `json:"lastModifiedAt"`
}

// NewSystemData describes a stored resource. Callers authenticate as service
// principals, which ARM reports as "Application".
func NewSystemData(createdBy string, createdAt time.Time, modifiedBy string, modifiedAt time.Time) *SystemData {
	return &SystemData{
		CreatedBy: createdBy, CreatedByType: "Application", CreatedAt: Timestamp(createdAt),
		LastModifiedBy: modifiedBy, LastModifiedByType: "Application", LastModifiedAt: Timestamp(modifiedAt),
	}
}

// NewETag returns a fresh opaque entity tag (quoted, as HTTP sends it).
func NewETag() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return `"` + base64.StdEncoding.EncodeToString(b[:]) + `"`
}
