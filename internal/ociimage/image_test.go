package ociimage

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func spec() Spec {
	return Spec{Binary: []byte("\x7fELF fake tokend"), CABundle: []byte("-----BEGIN CERTIFICATE-----\n"), Arch: "amd64",
		Version: "v1.2.3", Created: time.Unix(1700000000, 0).UTC()}
}

// The config runs tokend serve as the non-root user on 0.0.0.0:8443 with
// /data as a volume and the healthcheck command; the one layer holds what
// scratch lacks, owned as the config expects.
func TestImageConfigAndLayer(t *testing.T) {
	t.Parallel()
	img, err := Build(spec())
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if c.User != "65532:65532" || !slices.Equal(c.Entrypoint, []string{"/tokend"}) || !slices.Equal(c.Cmd, []string{"serve"}) {
		t.Errorf("user %q entrypoint %v cmd %v", c.User, c.Entrypoint, c.Cmd)
	}
	if _, ok := c.ExposedPorts["8443/tcp"]; !ok {
		t.Errorf("ports %v", c.ExposedPorts)
	}
	if _, ok := c.Volumes["/data"]; !ok {
		t.Errorf("volumes %v", c.Volumes)
	}
	for _, want := range []string{"TOKEND_ADDR=0.0.0.0:8443", "TOKEND_DATA=/data"} {
		if !slices.Contains(c.Env, want) {
			t.Errorf("env %v lacks %s", c.Env, want)
		}
	}
	if c.Healthcheck == nil || !slices.Equal(c.Healthcheck.Test, []string{"CMD", "/tokend", "healthcheck"}) {
		t.Errorf("healthcheck %+v", c.Healthcheck)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" || !cf.Created.Time.Equal(spec().Created) {
		t.Errorf("platform %s/%s created %v", cf.OS, cf.Architecture, cf.Created)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	type file struct {
		mode     int64
		uid, gid int
		body     string
	}
	got := map[string]file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[h.Name] = file{h.Mode, h.Uid, h.Gid, string(b)}
	}
	if f := got["tokend"]; f.mode != 0o755 || f.body != string(spec().Binary) {
		t.Errorf("tokend: %+v", f)
	}
	if f := got["data/"]; f.uid != UID || f.gid != GID || f.mode != 0o700 {
		t.Errorf("data/: %+v (the non-root user must own its volume)", f)
	}
	if f := got["etc/passwd"]; !bytes.Contains([]byte(f.body), []byte("tokend:x:65532:65532:")) {
		t.Errorf("passwd: %q", f.body)
	}
	if _, ok := got["etc/ssl/certs/ca-certificates.crt"]; !ok {
		t.Error("no CA bundle")
	}
}

// The same inputs give the same digest, and the archives written from it
// the same bytes; another binary gives another digest.
func TestImageIsReproducible(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var digests []string
	var archives [][]byte
	for i, s := range []Spec{spec(), spec()} {
		img, err := Build(s)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d.String())
		path := filepath.Join(dir, "img"+string(rune('a'+i))+".tar")
		if err := WriteOCIArchive(path, img, "tokend:test", s.Created); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, b)
	}
	if digests[0] != digests[1] || !bytes.Equal(archives[0], archives[1]) {
		t.Fatalf("two builds differ: %v", digests)
	}
	other := spec()
	other.Binary = []byte("another binary")
	img, _ := Build(other)
	if d, _ := img.Digest(); d.String() == digests[0] {
		t.Fatal("another binary, the same digest")
	}
}

// The OCI archive is an image layout that reads back as the image, and
// the docker archive loads as one too.
func TestArchivesReadBack(t *testing.T) {
	t.Parallel()
	img, err := Build(spec())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	dir := t.TempDir()
	oci := filepath.Join(dir, "oci.tar")
	if err := WriteOCIArchive(oci, img, "tokend:test", spec().Created); err != nil {
		t.Fatal(err)
	}
	unpacked := filepath.Join(dir, "layout")
	untar(t, oci, unpacked)
	lp, err := layout.FromPath(unpacked)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 || m.Manifests[0].Digest != want ||
		m.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "tokend:test" {
		t.Fatalf("index %+v %v, want %s", m, err, want)
	}
	docker := filepath.Join(dir, "docker.tar")
	if err := WriteDockerArchive(docker, img, "tokend:test"); err != nil {
		t.Fatal(err)
	}
	back, err := tarball.ImageFromPath(docker, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := back.ConfigFile()
	if err != nil || cf.Config.User != User {
		t.Fatalf("docker archive config %+v %v", cf, err)
	}
	raw, _ := back.RawConfigFile()
	var anyCfg map[string]any
	if err := json.Unmarshal(raw, &anyCfg); err != nil {
		t.Fatal(err)
	}
}

func untar(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
