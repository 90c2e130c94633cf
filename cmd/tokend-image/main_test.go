package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With a given binary (no build), the command writes both archives and
// says the digest and size.
func TestRunWithBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin, ca := filepath.Join(dir, "tokend"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(bin, []byte("fake binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	args := []string{"--binary", bin, "--ca-bundle", ca, "--out", filepath.Join(dir, "oci.tar"), "--docker-out", filepath.Join(dir, "docker.tar")}
	if err := run(args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "sha256:") {
		t.Errorf("output %q", out.String())
	}
	for _, f := range []string{"oci.tar", "docker.tar"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := run(append(args, "--max-bytes", "10"), &out, &errOut); err == nil || !strings.Contains(err.Error(), "--max-bytes") {
		t.Errorf("size limit: %v", err)
	}
}
