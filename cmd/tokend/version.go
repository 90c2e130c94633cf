package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion is what `tokend version` reports, read from the build
// information the Go toolchain embeds: the module version for
// `go install …@vX.Y.Z`, a pseudo-version or "(devel)" for a build in a
// clone, and the VCS revision when the build recorded one.
type buildVersion struct {
	Version   string `json:"version"`
	Module    string `json:"module,omitempty"`
	Revision  string `json:"revision,omitempty"`
	Time      string `json:"time,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func readBuildVersion() buildVersion {
	v := buildVersion{Version: "(unknown)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Module = info.Main.Path
	if info.Main.Version != "" {
		v.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the one line `tokend --version` and `tokend version` print.
func (v buildVersion) String() string {
	s := v.Version
	if v.Revision != "" {
		rev := v.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (" + rev
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s + " " + v.GoVersion + " " + v.Platform
}

func newVersionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print tokend's version (from the binary's build information)",
		Example: `  tokend version
  tokend version --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := readBuildVersion()
			return emit(cmd, v, func(w io.Writer) error {
				_, err := fmt.Fprintln(w, "tokend", v)
				return err
			})
		},
	}
	addOutputFlag(cmd)
	return cmd
}

// addVersion gives root `tokend version` and `tokend --version`.
func addVersion(root *cobra.Command) {
	root.Version = readBuildVersion().String()
	root.SetVersionTemplate("tokend {{.Version}}\n")
	// Defined now rather than when cobra executes, so that finding the
	// subcommand already knows --version takes no value (else
	// `tokend --version --data DIR` reads --data as its value).
	root.InitDefaultVersionFlag()
	root.AddCommand(newVersionCmd())
}
