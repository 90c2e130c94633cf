// Package ociimage builds tokend's container image without a container
// runtime or a base image, so it works offline and gives the same digest
// for the same inputs: one layer holding the static binary, a CA bundle,
// /etc/passwd and /etc/group for a non-root user, and the data directory;
// a config that runs `tokend serve` as that user on 0.0.0.0:8443 with
// /data as a volume. cmd/tokend-image builds the binary and calls it.
package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's fixed facts, which tests and docs rely on.
const (
	UID, GID     = 65532, 65532 // "nonroot", as distroless images use
	User         = "65532:65532"
	BinaryPath   = "/tokend"
	DataDir      = "/data"
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
	Port         = "8443/tcp"
)

// Spec is what goes into the image.
type Spec struct {
	Binary   []byte // tokend, built for linux/Arch with CGO_ENABLED=0
	CABundle []byte // PEM roots, for issuers tokend trusts (--trust-issuer)
	Arch     string // GOARCH of the binary: amd64, arm64
	Version  string // the org.opencontainers.image.version label
	// Created stamps the config and every file: SOURCE_DATE_EPOCH, or the
	// zero Unix time, so that a rebuild gives the same digest.
	Created time.Time
}

// Build makes the image.
func Build(s Spec) (v1.Image, error) {
	if len(s.Binary) == 0 || len(s.CABundle) == 0 || s.Arch == "" {
		return nil, fmt.Errorf("ociimage: the binary, the CA bundle and the architecture are required")
	}
	layerTar, err := rootFS(s)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("ociimage: layer: %w", err)
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer: layer, MediaType: types.OCILayer,
		History: v1.History{Created: v1.Time{Time: s.Created}, CreatedBy: "tokend-image", Comment: "tokend, CA bundle, non-root user, /data"},
	})
	if err != nil {
		return nil, fmt.Errorf("ociimage: %w", err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = s.Arch, "linux"
	cf.Created = v1.Time{Time: s.Created}
	cf.Config = Config(s.Version)
	return mutate.ConfigFile(img, cf)
}

// Config is the image's run configuration.
func Config(version string) v1.Config {
	return v1.Config{
		User:       User,
		Entrypoint: []string{BinaryPath},
		Cmd:        []string{"serve"},
		WorkingDir: DataDir,
		Env: []string{
			"TOKEND_DATA=" + DataDir,
			// Inside a container the port must be reachable from outside
			// it; the certificate covers the names clients use there.
			"TOKEND_ADDR=0.0.0.0:8443",
			"TOKEND_TLS_HOSTS=localhost,127.0.0.1,::1,tokend",
			"SSL_CERT_FILE=" + CABundlePath,
		},
		ExposedPorts: map[string]struct{}{Port: {}},
		Volumes:      map[string]struct{}{DataDir: {}},
		Healthcheck: &v1.HealthConfig{
			Test:     []string{"CMD", BinaryPath, "healthcheck"},
			Interval: 10 * time.Second, Timeout: 3 * time.Second, StartPeriod: 5 * time.Second, Retries: 3,
		},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "tokend",
			"org.opencontainers.image.description": "Self-hosted Azure-compatible token service and OAuth 2.0 / OIDC issuer",
			"org.opencontainers.image.source":      "https://github.com/tokend-dev/tokend",
			"org.opencontainers.image.version":     version,
			"org.opencontainers.image.licenses":    "MIT",
		},
	}
}

// entry is one file or directory of the layer.
type entry struct {
	name     string
	mode     int64
	uid, gid int
	body     []byte
	dir      bool
}

// rootFS is the layer's tar, entries in a fixed order with fixed owners
// and times.
func rootFS(s Spec) ([]byte, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\ntokend:x:%d:%d:tokend:%s:/sbin/nologin\n", UID, GID, DataDir)
	group := fmt.Sprintf("root:x:0:\ntokend:x:%d:\n", GID)
	entries := []entry{
		{name: "data/", mode: 0o700, uid: UID, gid: GID, dir: true},
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: s.CABundle},
		// Go's os.TempDir and SQLite's temporary files need a writable /tmp.
		{name: "tmp/", mode: 0o1777, dir: true},
		{name: "tokend", mode: 0o755, body: s.Binary},
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid, ModTime: s.Created, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("ociimage: %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("ociimage: %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
