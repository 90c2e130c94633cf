package resources

import (
	"encoding/json"
	"strings"
	"testing"
)

// eachMember finds the same members encoding/json does in what providers
// store, and stops at what it cannot follow.
func TestEachMember(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, doc string
		ok        bool
	}{
		{"empty", `{}`, true},
		{"spaced", " {\n \"a\" : 1 ,\t\"b\":\"x\" } ", true},
		{"nested", `{"tags":{"k":"v}{"},"sku":{"name":"Developer","capacity":1},"list":[1,[2,{"x":"]"}]],"n":null,"t":true}`, true},
		{"escapes", `{"na\"me":"a\\\"b","location":"e\u0041st"}`, true},
		{"not an object", `[1,2]`, false},
		{"unclosed string", `{"a":"b`, false},
		{"unclosed object", `{"a":{"b":1}`, false},
		{"missing colon", `{"a" 1}`, false},
		{"missing value", `{"a":}`, false},
		{"trailing comma", `{"a":1,}`, false},
	} {
		got := map[string]string{}
		ok := eachMember([]byte(c.doc), func(k, v []byte) { got[string(k)] = string(v) })
		if ok != c.ok {
			t.Errorf("%s: ok %v, want %v", c.name, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal([]byte(c.doc), &want); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != len(want) {
			t.Errorf("%s: members %v, want %d", c.name, got, len(want))
		}
		for k, v := range want {
			key, _ := json.Marshal(k)
			raw := strings.Trim(string(key), `"`)
			if got[raw] != string(v) {
				t.Errorf("%s: member %s = %q, want %q", c.name, raw, got[raw], v)
			}
		}
	}
}

func TestIsTopLevelInGroup(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]bool{
		"/subscriptions/s/resourcegroups/g/providers/microsoft.app/containerapps/a":             true,
		"/subscriptions/s/resourcegroups/g":                                                     false,
		"/subscriptions/s/resourcegroups/g/providers/microsoft.apimanagement/service/a/apis/b":  false,
		"/subscriptions/s/providers/microsoft.test/locations/eastus/operationstatuses/o":        false,
		"/subscriptions/s/resourcegroups/g/providerz/microsoft.app/containerapps/a":             false,
		"/subscriptions/s/resourcegroupz/g/providers/microsoft.app/containerapps/a":             false,
		"/subscriptions/s/resourcegroups/g/providers/microsoft.app/containerapps/a/b/c/d/e/f/g": false,
	} {
		if got := isTopLevelInGroup(key); got != want {
			t.Errorf("isTopLevelInGroup(%s) = %v", key, got)
		}
	}
}
