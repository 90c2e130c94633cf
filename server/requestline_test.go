package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/localca"
	"github.com/tokend-dev/tokend/server"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// TestRequestLineWithSpaces: a request line whose target carries raw
// spaces (the Go SDK's unencoded $filter) reaches the handler with its
// query intact, over TLS (where r.TLS is still set, so HSTS is sent) and
// over plain HTTP, and keep-alive requests after it are served too.
func TestRequestLineWithSpaces(t *testing.T) {
	t.Parallel()
	ca, err := localca.NewEphemeral([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tls  *tls.Config
	}{
		{"tls", server.TLSConfig(ca.Cert)},
		{"plain", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seen := make(chan string, 4)
			s, _ := newServer(t, storagetest.SQLite(t), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen <- r.URL.Query().Get("$filter")
				_, _ = w.Write([]byte("ok"))
			}))
			dir := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			go func() {
				_ = s.Serve(ctx, server.ListenConfig{Addr: "127.0.0.1:0", DataDir: dir, TLS: tc.tls})
			}()
			var url string
			for i := 0; i < 500 && url == ""; i++ {
				b, _ := os.ReadFile(filepath.Join(dir, server.AddressFile))
				url = strings.TrimSpace(string(b))
				time.Sleep(5 * time.Millisecond)
			}
			host := url[strings.Index(url, "://")+3:]
			var c net.Conn
			if tc.tls != nil {
				c, err = tls.Dial("tcp", host, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
			} else {
				c, err = net.Dial("tcp", host)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(c)
			for _, filter := range []string{"principalId eq 'a b'", "atScope()"} {
				if _, err := c.Write([]byte("GET /tenant/x?$filter=" + filter + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")); err != nil {
					t.Fatal(err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%q: %d", filter, resp.StatusCode)
				}
				if got := <-seen; got != filter {
					t.Errorf("the handler saw $filter %q, want %q", got, filter)
				}
				if hsts := resp.Header.Get("Strict-Transport-Security"); (hsts != "") != (tc.tls != nil) {
					t.Errorf("Strict-Transport-Security %q over %s", hsts, tc.name)
				}
			}
		})
	}
}
