// Package examples holds the recipes (CI jobs, docker compose) and the
// README's Go example; this test keeps the recipes' tokend command lines
// in step with the CLI.
package examples

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every `tokend serve` flag and every TOKEND_ variable a recipe uses is
// one `tokend serve --help` lists (flags are also variables).
func TestRecipesUseRealFlags(t *testing.T) {
	help, err := exec.Command("go", "run", "../cmd/tokend", "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("serve --help: %v\n%s", err, help)
	}
	files, _ := filepath.Glob("*/*.y*ml")
	if len(files) < 3 {
		t.Fatalf("recipes: %v", files)
	}
	flagRe := regexp.MustCompile(`--([a-z][a-z0-9-]+)`)
	envRe := regexp.MustCompile(`\bTOKEND_([A-Z_]+)\b`)
	// Variables the recipes define for themselves or for the tests, not
	// for tokend.
	own := map[string]bool{"IMAGE": true, "URL": true, "CLIENT_ID": true, "CLIENT_SECRET": true}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "tokend serve") || strings.Contains(line, `"serve"`) {
				for _, m := range flagRe.FindAllStringSubmatch(line, -1) {
					if !strings.Contains(string(help), "--"+m[1]+" ") {
						t.Errorf("%s: tokend serve has no --%s", f, m[1])
					}
				}
			}
			for _, m := range envRe.FindAllStringSubmatch(line, -1) {
				flag := strings.ToLower(strings.ReplaceAll(m[1], "_", "-"))
				if !own[m[1]] && !strings.Contains(string(help), "--"+flag+" ") && m[1] != "MASTER_KEY" {
					t.Errorf("%s: TOKEND_%s is no flag of tokend serve", f, m[1])
				}
			}
		}
	}
}
