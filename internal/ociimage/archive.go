package ociimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// WriteOCIArchive writes img as an OCI image layout in one tar file (what
// `podman load -i` and `skopeo copy oci-archive:` read), tagged ref. The
// tar's entries are sorted and stamped with created, so equal images give
// equal files.
func WriteOCIArchive(path string, img v1.Image, ref string, created time.Time) error {
	dir, err := os.MkdirTemp("", "tokend-oci-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("ociimage: layout: %w", err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref,
	})); err != nil {
		return fmt.Errorf("ociimage: layout: %w", err)
	}
	return tarDir(path, dir, created)
}

// WriteDockerArchive writes img in `docker save` form (`docker load -i`).
func WriteDockerArchive(path string, img v1.Image, ref string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("ociimage: %w", err)
	}
	return tarball.WriteToFile(path, tag, img)
}

// tarDir tars dir's files, sorted, with fixed owners and times.
func tarDir(path, dir string, created time.Time) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(out)
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: st.Size(), ModTime: created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		in, err := os.Open(f)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, in)
		_ = in.Close()
		if err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
