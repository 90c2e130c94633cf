package containerapps

import (
	"encoding/json"
	"testing"
)

func TestParseInteger(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"80", 80, true}, {"-1", -1, true}, {"5.0", 5, true}, {"5e2", 500, true},
		{"80.5", 0, false}, {"1e400", 0, false}, {"9223372036854775807", 9223372036854775807, true},
	} {
		got, err := parseInteger(json.Number(c.in))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseInteger(%s) = %d, %v", c.in, got, err)
		}
	}
}

func TestMatchEnum(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"single", "Single", true},
		{"SystemAssigned, UserAssigned", "SystemAssigned,UserAssigned", true},
		{"systemassigned,userassigned", "SystemAssigned,UserAssigned", true},
		{"Singles", "", false},
		{"", "", false},
	} {
		values := []string{"Multiple", "Single", "SystemAssigned,UserAssigned"}
		got, ok := matchEnum(values, c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("matchEnum(%q) = %q, %v", c.in, got, ok)
		}
	}
}

// Read-only and null properties are dropped; unknown ones are kept.
func TestCheckNormalizes(t *testing.T) {
	t.Parallel()
	doc, err := decodeDocument([]byte(`{
		"location": "eastus", "id": "/x", "managedBy": null, "systemData": {"createdBy": "me"}, "futureField": {"a": 1},
		"properties": {"provisioningState": "Failed", "runningStatus": "Stopped",
			"configuration": {"ingress": {"fqdn": "x.example", "targetPort": 80.0}}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := validateApp(doc); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(doc)
	want := `{"futureField":{"a":1},"location":"eastus","properties":{"configuration":{"ingress":{"targetPort":80}}}}`
	if string(b) != want {
		t.Errorf("normalized to %s, want %s", b, want)
	}
}

func FuzzValidateApp(f *testing.F) {
	f.Add([]byte(`{"location":"eastus","properties":{"configuration":{"ingress":{"targetPort":80}}}}`))
	f.Add([]byte(`{"location":"eastus","identity":{"type":"SystemAssigned"},"tags":{"a":"b"}}`))
	f.Add([]byte(`{"properties":{"template":{"containers":[{"probes":[{"httpGet":{"port":"x"}}]}]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := decodeDocument(b)
		if err != nil || doc == nil {
			return
		}
		if e := validateApp(doc); e != nil {
			if e.Status != 400 || e.Code == "" || e.Message == "" {
				t.Fatalf("bad error %+v", e)
			}
			return
		}
		// A valid document stays valid: normalization is idempotent.
		again, _ := json.Marshal(doc)
		doc2, err := decodeDocument(again)
		if err != nil {
			t.Fatal(err)
		}
		if e := validateApp(doc2); e != nil {
			t.Fatalf("normalized document refused: %v (%s)", e, again)
		}
	})
}
