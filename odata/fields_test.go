package odata

import (
	"strings"
	"testing"
	"time"
)

// tokenFields are the Playwright access token's fields, as the provider
// will declare them.
var tokenFields = Fields{
	{Name: "id", Type: GUID, Filter: Comparisons, Sort: true},
	{Name: "name", Type: String, Filter: Comparisons | StartsWith | EndsWith | Contains, Sort: true},
	{Name: "createdAt", Type: DateTime, Filter: Comparisons, Sort: true},
	{Name: "expiryAt", Type: DateTime, Filter: Comparisons, Sort: true},
	{Name: "state", Type: Enum, Values: []string{"Active", "Expired"}, Filter: Equality},
	{Name: "jwtToken", Type: String},
}

// apimFields are API Management authorization servers'.
var apimFields = Fields{
	{Name: "name", Type: String, Filter: Comparisons | Substrings, Sort: true},
	{Name: "displayName", Type: String, Filter: Comparisons | Substrings},
}

// typeFields has a field of every type, for the literal rules.
var typeFields = Fields{
	{Name: "count", Type: Int, Filter: Comparisons, Sort: true},
	{Name: "enabled", Type: Bool, Filter: Equality, Sort: true},
	{Name: "text", Type: String, Filter: Comparisons | Substrings, Sort: true},
	{Name: "id", Type: GUID, Filter: Comparisons, Sort: true},
	{Name: "at", Type: DateTime, Filter: Comparisons, Sort: true},
	{Name: "kind", Type: Enum, Values: []string{"Alpha", "Beta"}, Filter: Equality},
	{Name: "eqOnly", Type: String, Filter: Eq},
}

var testNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func tokenMapping(d Dialect) Mapping {
	return Mapping{
		Dialect: d,
		Columns: map[string]string{"id": "id", "name": "name", "createdAt": "created_at", "expiryAt": "expiry_at"},
		Computed: map[string]Computed{
			"state": TimeState("expiry_at", testNow, "Active", "Expired"),
		},
	}
}

func typeMapping(d Dialect) Mapping {
	return Mapping{Dialect: d, Columns: map[string]string{
		"count": "cnt", "enabled": "enabled", "text": "txt", "id": "id", "at": "at_us", "kind": "kind", "eqOnly": "eq_only",
	}}
}

var tokenSchema = &Schema{Fields: tokenFields, Key: "id", TokenKey: []byte("test key")}

func TestDeclarationsValid(t *testing.T) {
	t.Parallel()
	for _, d := range []Dialect{SQLite, PostgreSQL} {
		if err := tokenSchema.Validate(tokenMapping(d)); err != nil {
			t.Error(err)
		}
		s := &Schema{Fields: typeFields, Key: "id"}
		if err := s.Validate(typeMapping(d)); err != nil {
			t.Error(err)
		}
	}
	if err := apimFields.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidateFindsMistakes(t *testing.T) {
	t.Parallel()
	s := &Schema{
		Key:          "nope",
		DefaultOrder: OrderBy{{Field: "b"}},
		Fields: Fields{
			{Name: "a", Type: String, Filter: Comparisons},
			{Name: "A", Type: String},
			{Name: "b", Type: Int, Filter: StartsWith},
			{Name: "c", Type: Enum, Filter: Equality},
			{Name: "d", Type: Bool, Values: []string{"x", "X"}},
			{Name: "1e", Type: Type(99)},
			{Name: "f", Type: String, Sort: true},
		},
	}
	err := s.Validate(Mapping{Columns: map[string]string{"c": "c"}, Computed: map[string]Computed{"c": nil}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`field "A": declared twice`,
		`field "b": an integer field cannot take startswith`,
		`field "c": Values are required`,
		`field "d": Values are required`,
		`field "d": enum value "X" declared twice`,
		`name "1e" is not an identifier`,
		`field "1e": unknown type Type(99)`,
		`mapping: no Dialect`,
		`key "nope" is not a declared field`,
		`default order: "b" is not a sortable field`,
		`field "c" has both a column and a translator`,
		`sortable field "f" has no column`,
		`filterable field "a" has no column or translator`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
