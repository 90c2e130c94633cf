package wire

import (
	"sort"
	"strings"
)

// APIVersions is the set of api-versions a provider serves.
type APIVersions struct {
	list   []string // sorted, as registered
	lookup map[string]string
}

// NewAPIVersions registers versions; the newest is the greatest by date
// (preview versions sort by their date prefix, then after the stable one).
func NewAPIVersions(versions ...string) *APIVersions {
	v := &APIVersions{lookup: make(map[string]string, len(versions))}
	for _, s := range versions {
		v.lookup[strings.ToLower(s)] = s
		v.list = append(v.list, s)
	}
	sort.Strings(v.list)
	return v
}

// Newest is the most recent registered version.
func (v *APIVersions) Newest() string { return v.list[len(v.list)-1] }

// List returns every registered version, oldest first.
func (v *APIVersions) List() []string { return append([]string(nil), v.list...) }

// Resolve maps a requested version to a served one. With any set, an unknown
// version is served with the newest behaviour.
func (v *APIVersions) Resolve(requested string, any bool) (string, *Error) {
	if requested == "" {
		return "", BadRequest("MissingApiVersionParameter", "api-version",
			"The api-version query parameter (?api-version=) is required for all requests.")
	}
	if s, ok := v.lookup[strings.ToLower(requested)]; ok {
		return s, nil
	}
	if any {
		return v.Newest(), nil
	}
	return "", BadRequest("InvalidApiVersionParameter", "api-version",
		"The api-version '"+requested+"' is invalid. The supported versions are '"+strings.Join(v.list, ",")+
			"'. Start tokend with --any-api-version to serve unknown versions with the newest behaviour.")
}
