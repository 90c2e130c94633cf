package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every command's help has examples, and no flag's help names a value
// after a backticked word.
func TestEveryCommandHasExamples(t *testing.T) {
	t.Parallel()
	root := newRootCmd()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := c.CommandPath()
		known[path] = true
		builtin := strings.HasPrefix(path, "tokend help") || strings.HasPrefix(path, "tokend completion")
		if !builtin && strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no examples (add them to commandExamples in examples.go)", path)
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if name, _ := pflag.UnquoteUsage(f); name != "" && strings.Contains(name, " ") {
				t.Errorf("%s --%s shows the value name %q", path, f.Name, name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for path := range commandExamples {
		if !known[path] {
			t.Errorf("commandExamples names %q, which is no command", path)
		}
	}
}
