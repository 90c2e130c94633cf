package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	tokend "github.com/tokend-dev/tokend"
)

// pendingDeviceCodes stores pending device-code sign-ins in the workspace
// at dir, as the device authorization endpoint would.
func pendingDeviceCodes(t *testing.T, dir string, userCodes ...string) (tenantID string) {
	t.Helper()
	a, err := openWorkspace(context.Background(), &globalFlags{dataDir: dir, logLevel: "error"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	now := time.Now()
	for _, c := range userCodes {
		err := a.store.CreateDeviceCode(context.Background(), &tokend.DeviceCode{
			ID: uuid.NewString(), UserCode: c, TenantID: a.tenant.ID, ClientID: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
			Scope: "https://management.core.windows.net//.default", Status: tokend.DeviceCodePending,
			Interval: 5 * time.Second, CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return a.tenant.ID
}

func TestDeviceCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := execCLI(dir, "users", "create", "ada@contoso.example"); err != nil {
		t.Fatal(err)
	}
	tenantID := pendingDeviceCodes(t, dir, "ABCDEFGHJ", "KMNPQRSTU")
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, out string)
	}{
		{name: "approve needs a user", args: []string{"device", "approve", "ABCDEFGHJ"}, wantErr: "--user is required"},
		{name: "unknown user", args: []string{"device", "approve", "ABCDEFGHJ", "--user", "bob@contoso.example"}, wantErr: "no user is named"},
		{name: "unknown code", args: []string{"device", "approve", "ZZZZZZZZZ", "--user", "ada@contoso.example"}, wantErr: "no pending device-code sign-in"},
		{name: "approve json", args: []string{"device", "approve", "abcd-efghj", "--user", "ada@contoso.example", "-o", "json"},
			check: func(t *testing.T, out string) {
				var m map[string]any
				decode(t, out, &m)
				wantKeys(t, "device approve", m, "userCode", "status", "clientId", "tenantId", "userObjectId", "expiresAt")
				if m["status"] != "approved" || m["userCode"] != "ABCDEFGHJ" || m["tenantId"] != tenantID {
					t.Fatalf("device approve: %v", m)
				}
			}},
		{name: "approve twice", args: []string{"device", "approve", "ABCDEFGHJ", "--user", "ada@contoso.example"}, wantErr: "already decided"},
		{name: "deny", args: []string{"device", "deny", "KMNPQRSTU"},
			check: func(t *testing.T, out string) {
				if !strings.Contains(out, "KMNPQRSTU denied") {
					t.Fatalf("device deny: %s", out)
				}
			}},
		{name: "deny after deny", args: []string{"device", "deny", "KMNPQRSTU"}, wantErr: "no pending device-code sign-in"},
		{name: "audited", args: []string{"audit", "list", "--action", "deviceCode.*", "-o", "json"},
			check: func(t *testing.T, out string) {
				var list []map[string]any
				decode(t, out, &list)
				var ok, failed int
				for _, ev := range list {
					if ev["result"] == "success" {
						ok++
					} else {
						failed++
					}
				}
				if ok != 2 || failed != 5 {
					t.Fatalf("audit of device decisions: %d succeeded, %d failed, want 2 and 5:\n%s", ok, failed, out)
				}
			}},
	} {
		out, err := execCLI(dir, tc.args...)
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Fatalf("%s: error %v, want one with %q; output:\n%s", tc.name, err, tc.wantErr, out)
		case tc.wantErr == "" && err != nil:
			t.Fatalf("%s: %v\n%s", tc.name, err, out)
		}
		if tc.check != nil {
			tc.check(t, out)
		}
	}
}
