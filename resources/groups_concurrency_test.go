package resources_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
)

// Concurrent PUTs and PATCHes of one resource group without If-Match: no
// 409 (the last writer wins), and no patch is lost.
func TestConcurrentGroupWrites(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		testkit.Subscription(t, store, subA, tenantA)
		srv := testkit.Stack{Store: store, Options: pipeline.Options{Authenticator: &testkit.HeaderAuth{},
			Authorizer: &testkit.Authorizer{Rule: func(*tokend.Principal, string, string, bool) bool { return true }}}}.ServePlain(t)
		path := srv.URL + "/subscriptions/" + subA + "/resourcegroups/raced?api-version=2021-04-01"
		send := func(method, body string) (int, []byte) {
			req, _ := http.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer good-owner")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return 0, nil
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, b
		}
		const n = 32
		race := func(method string, body func(i int) string) {
			statuses := make([]int, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { statuses[i], _ = send(method, body(i)) })
			}
			wg.Wait()
			created := 0
			for i, s := range statuses {
				switch {
				case s == http.StatusCreated && method == http.MethodPut:
					created++
				case s != http.StatusOK:
					t.Errorf("%s %d: status %d", method, i, s)
				}
			}
			if method == http.MethodPut && created != 1 {
				t.Errorf("%d PUTs created the group, want 1", created)
			}
		}
		race(http.MethodPut, func(i int) string { return fmt.Sprintf(`{"location":"eastus","tags":{"writer":"%d"}}`, i) })
		// A group PATCH replaces the tags: one of the PATCHes stands.
		race(http.MethodPatch, func(i int) string { return fmt.Sprintf(`{"tags":{"writer":"patch%d"}}`, i) })
		status, b := send(http.MethodGet, "")
		var g struct{ Tags map[string]string }
		_ = json.Unmarshal(b, &g)
		if status != http.StatusOK || !strings.HasPrefix(g.Tags["writer"], "patch") {
			t.Errorf("after the race: %d %s", status, b)
		}
	})
}
