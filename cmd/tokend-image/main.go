// Command tokend-image builds tokend's container image offline, without a
// container runtime or a base image pulled from anywhere: a static tokend
// (CGO_ENABLED=0, -trimpath) in a scratch image with a CA bundle, running
// as a non-root user (package internal/ociimage). The same sources, Go
// version and CA bundle give the same image digest.
//
//	go run ./cmd/tokend-image --out tokend-oci.tar                 # podman load -i tokend-oci.tar
//	go run ./cmd/tokend-image --docker-out tokend-docker.tar      # docker load -i tokend-docker.tar
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/tokend-dev/tokend/internal/ociimage"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tokend-image:", err)
		os.Exit(1)
	}
}

type options struct {
	out, dockerOut, binary, caBundle, arch, tag, version string
	maxBytes                                             int64
}

func run(args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("tokend-image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.out, "out", "tokend-oci.tar", "OCI archive to write (podman load -i, skopeo copy oci-archive:); empty for none")
	fs.StringVar(&o.dockerOut, "docker-out", "", "also write a docker archive (docker load -i)")
	fs.StringVar(&o.binary, "binary", "", "use this linux tokend binary instead of building one")
	fs.StringVar(&o.caBundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA bundle (PEM) to include")
	fs.StringVar(&o.arch, "arch", runtime.GOARCH, "GOARCH to build for")
	fs.StringVar(&o.tag, "tag", "tokend:latest", "image reference recorded in the archives")
	fs.StringVar(&o.version, "version", "dev", "the image's version label")
	fs.Int64Var(&o.maxBytes, "max-bytes", 25<<20, "fail when the compressed image is larger (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	created, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	bin := o.binary
	if bin == "" {
		dir, err := os.MkdirTemp("", "tokend-image-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin = filepath.Join(dir, "tokend")
		if err := buildStatic(bin, o.arch, stderr); err != nil {
			return err
		}
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	bundle, err := os.ReadFile(o.caBundle)
	if err != nil {
		return fmt.Errorf("--ca-bundle: %w (Debian: apt-get install ca-certificates)", err)
	}
	img, err := ociimage.Build(ociimage.Spec{Binary: binary, CABundle: bundle, Arch: o.arch, Version: o.version, Created: created})
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	size, err := compressedSize(img)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "image %s  %s  %.1f MB compressed (binary %.1f MB)\n", o.tag, digest, float64(size)/1e6, float64(len(binary))/1e6)
	if o.maxBytes > 0 && size > o.maxBytes {
		return fmt.Errorf("the image is %d bytes compressed, more than --max-bytes %d", size, o.maxBytes)
	}
	if o.out != "" {
		if err := ociimage.WriteOCIArchive(o.out, img, o.tag, created); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", o.out)
	}
	if o.dockerOut != "" {
		if err := ociimage.WriteDockerArchive(o.dockerOut, img, o.tag); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote", o.dockerOut)
	}
	return nil
}

// buildStatic builds tokend as the image runs it: no cgo (scratch has no
// libc), paths trimmed and no build id, so the binary depends only on the
// sources and the Go version.
func buildStatic(out, arch string, stderr io.Writer) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", out, "github.com/tokend-dev/tokend/cmd/tokend")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build tokend: %w", err)
	}
	return nil
}

// sourceDateEpoch is SOURCE_DATE_EPOCH (the reproducible-builds
// convention), else the zero Unix time.
func sourceDateEpoch() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", v, err)
	}
	return time.Unix(n, 0).UTC(), nil
}

// compressedSize is what a pull transfers: the config and the
// compressed layers.
func compressedSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	n := m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}
