package arm

import (
	"strings"
	"testing"
)

func TestParseID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, key, typ, name, parent string
		wantErr                    bool
	}{
		{in: "/subscriptions/S1", key: "/subscriptions/s1", typ: "Microsoft.Resources/subscriptions", name: "S1"},
		{in: "/SUBSCRIPTIONS/s/resourcegroups/RG", key: "/subscriptions/s/resourcegroups/rg",
			typ: "Microsoft.Resources/resourceGroups", name: "RG", parent: "/subscriptions/s"},
		{in: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/MyApp",
			key: "/subscriptions/s/resourcegroups/rg/providers/microsoft.app/containerapps/myapp",
			typ: "Microsoft.App/containerApps", name: "MyApp", parent: "/subscriptions/s/resourceGroups/rg"},
		{in: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/authorizationServers/as1/",
			key: "/subscriptions/s/resourcegroups/rg/providers/microsoft.apimanagement/service/svc/authorizationservers/as1",
			typ: "Microsoft.ApiManagement/service/authorizationServers", name: "as1",
			parent: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc"},
		{in: "/subscriptions/s/providers/Microsoft.App/containerApps/x", key: "/subscriptions/s/providers/microsoft.app/containerapps/x",
			typ: "Microsoft.App/containerApps", name: "x", parent: "/subscriptions/s"},
		{in: "/subscriptions/", wantErr: true},
		{in: "/tenants/x", wantErr: true},
		{in: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps", wantErr: true},
		{in: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App//x", wantErr: true},
		{in: "/subscriptions/s/resourceGroups/rg/things/x", wantErr: true},
	}
	for _, c := range cases {
		id, err := ParseID(c.in)
		if c.wantErr {
			if err == nil {
				t.Errorf("ParseID(%q) = %v, want error", c.in, id)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseID(%q): %v", c.in, err)
			continue
		}
		if got := id.Key(); got != c.key {
			t.Errorf("%q Key = %q, want %q", c.in, got, c.key)
		}
		if got := id.Type(); got != c.typ {
			t.Errorf("%q Type = %q, want %q", c.in, got, c.typ)
		}
		if got := id.Name(); got != c.name {
			t.Errorf("%q Name = %q, want %q", c.in, got, c.name)
		}
		if c.parent != "" && id.Parent().String() != c.parent {
			t.Errorf("%q Parent = %q, want %q", c.in, id.Parent(), c.parent)
		}
		// The original casing survives a round trip through String.
		if !strings.EqualFold(id.String(), strings.TrimSuffix(c.in, "/")) {
			t.Errorf("%q String = %q", c.in, id.String())
		}
	}
}

func TestIDChildAndGroup(t *testing.T) {
	t.Parallel()
	svc, err := ParseID("/subscriptions/s/resourceGroups/RG/providers/Microsoft.ApiManagement/service/Svc")
	if err != nil {
		t.Fatal(err)
	}
	c := svc.Child("", "authorizationServers", "A1")
	if want := "/subscriptions/s/resourceGroups/RG/providers/Microsoft.ApiManagement/service/Svc/authorizationServers/A1"; c.String() != want {
		t.Errorf("Child = %s, want %s", c, want)
	}
	if len(svc.Types) != 1 {
		t.Errorf("Child mutated its parent: %v", svc.Types)
	}
	if g := c.GroupID().String(); g != "/subscriptions/s/resourceGroups/RG" {
		t.Errorf("GroupID = %s", g)
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{"/subscriptions/s/resourceGroups/rg/providers/A.B/c/d", "/subscriptions/x", "//", "/subscriptions/s/providers/a/b/c/d/e/f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		again, err := ParseID(id.String())
		if err != nil {
			t.Fatalf("String() of a parsed id does not parse: %q → %q: %v", s, id.String(), err)
		}
		if again.Key() != id.Key() {
			t.Fatalf("round trip changed the key: %q vs %q", again.Key(), id.Key())
		}
	})
}
