package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A write that returned 2xx survives kill -9: stream writes from several
// clients, SIGKILL the server mid-stream, restart it on the same data, and
// find every acknowledged write.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	t.Parallel()
	engines := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(t *testing.T) []string { return nil }},
		{"postgres", func(t *testing.T) []string { return []string{"--database", PostgresURL(t)} }},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			tk := Start(t, e.args(t)...)
			token := tk.ARMToken(t)
			base := "/subscriptions/" + tk.Boot.SubscriptionID + "/resourcegroups/"

			var (
				mu    sync.Mutex
				acked []string
				sent  atomic.Int64
				stop  atomic.Bool
				wg    sync.WaitGroup
			)
			for w := 0; w < 4; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; !stop.Load(); i++ {
						name := fmt.Sprintf("durable-%d-%d", w, i)
						req, _ := http.NewRequest(http.MethodPut, tk.URL+base+name+"?api-version=2021-04-01",
							stringsReader(`{"location":"eastus","tags":{"n":"`+name+`"}}`))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+token)
						sent.Add(1)
						resp, err := tk.HTTP.Do(req)
						if err != nil {
							return // the server died under us: expected
						}
						_ = resp.Body.Close()
						if resp.StatusCode/100 == 2 {
							mu.Lock()
							acked = append(acked, name)
							mu.Unlock()
						}
					}
				}(w)
			}
			// Let writes stream, then kill without warning.
			deadline := time.Now().Add(10 * time.Second)
			for time.Now().Before(deadline) {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 200 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			tk.Kill()
			stop.Store(true)
			wg.Wait()
			if len(acked) == 0 {
				t.Fatalf("no write was acknowledged before the kill:\n%s", tk.Output())
			}

			tk.Restart()
			token = tk.ARMToken(t)
			for _, name := range acked {
				resp, body := tk.Do(t, http.MethodGet, base+name+"?api-version=2021-04-01", nil, token)
				if resp.StatusCode != http.StatusOK {
					t.Errorf("acknowledged write %s lost after kill -9: %d %s", name, resp.StatusCode, body)
				}
			}
			t.Logf("%d writes sent, %d acknowledged, all found after kill -9 and restart", sent.Load(), len(acked))
		})
	}
}
