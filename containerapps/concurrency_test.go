package containerapps_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
)

// Concurrent writes of one app without If-Match: the last writer wins and
// no client sees a 409 (Azure SDKs do not retry one); concurrent merge
// patches each apply on top of the others, so none is lost.
func TestConcurrentWritesLastWriterWins(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		path := appURL("rg", "raced")
		e.expect(http.MethodPut, path, minimalApp("eastus"), http.StatusCreated, "ContainerApp")
		const n = 32
		run := func(method string, body func(i int) map[string]any) []int {
			statuses := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { statuses[i], _, _ = e.do(method, path, body(i)) })
			}
			wg.Wait()
			return statuses
		}
		for i, s := range run(http.MethodPut, func(i int) map[string]any {
			app := minimalApp("eastus")
			app["tags"] = map[string]any{"writer": fmt.Sprint(i)}
			return app
		}) {
			if s != http.StatusOK {
				t.Errorf("PUT %d: status %d, want 200", i, s)
			}
		}
		for i, s := range run(http.MethodPatch, func(i int) map[string]any {
			return map[string]any{"tags": map[string]any{fmt.Sprint("patch", i): "x"}}
		}) {
			if s != http.StatusOK {
				t.Errorf("PATCH %d: status %d, want 200", i, s)
			}
		}
		var app struct{ Tags map[string]string }
		if err := json.Unmarshal(e.expect(http.MethodGet, path, nil, http.StatusOK, "ContainerApp"), &app); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if app.Tags[fmt.Sprint("patch", i)] != "x" {
				t.Errorf("patch %d was lost: tags %v", i, app.Tags)
			}
		}
		if _, ok := app.Tags["writer"]; !ok {
			t.Errorf("no PUT's tags survived: %v", app.Tags)
		}
	})
}
