package playwrightworkspaces_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
)

// rawEchoServer answers an upgrade with 101 and a greeting in the same
// write (so the gateway's transport reads the greeting into its buffer
// with the response), then echoes every byte: the gateway relays bytes,
// not frames, so the test can check them one by one.
func rawEchoServer(t testing.TB, greeting string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				if _, err := io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"+greeting); err != nil {
					return
				}
				_, _ = io.Copy(c, br)
			}()
		}
	}()
	return "ws://" + l.Addr().String() + "/"
}

// TestBrowserGatewayOverPlainHTTP: behind a TLS-terminating proxy
// (tokend --http) to a ws:// browser server both sides are plain TCP and
// the relay splices them; every byte arrives, in order, both ways,
// including those the transport read with the 101, and deleting the
// token still ends the session at once.
func TestBrowserGatewayOverPlainHTTP(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		const greeting = "ready before anything was asked"
		e := newEnv(t, store, playwright.GatewayConfig{Upstream: rawEchoServer(t, greeting), RecheckInterval: time.Hour})
		plain := httptest.NewServer(e.handler)
		t.Cleanup(plain.Close)
		ws := e.createWorkspace(t, "rg", "gw-plain", "Enabled")
		tokenID, jwt := e.mintToken(t, contributor, ws, "plain")

		c, err := net.Dial("tcp", strings.TrimPrefix(plain.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		req, _ := http.NewRequest(http.MethodGet, plain.URL+"/playwrightworkspaces/"+ws+"/browsers?os=Linux", nil)
		req.Header.Set("Authorization", "Bearer "+jwt)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		if err := req.Write(c); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, req)
		if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade: %v %v", resp, err)
		}
		got := make([]byte, len(greeting))
		if _, err := io.ReadFull(br, got); err != nil || string(got) != greeting {
			t.Fatalf("greeting %q %v", got, err)
		}

		sent := make([]byte, 4<<20)
		_, _ = rand.Read(sent)
		go func() { _, _ = c.Write(sent) }()
		back := make([]byte, len(sent))
		if _, err := io.ReadFull(br, back); err != nil || !bytes.Equal(back, sent) {
			t.Fatalf("echo: %v, intact %v", err, bytes.Equal(back, sent))
		}

		if err := e.dataPlane("good-"+contributor).DeleteAccessToken(context.Background(), ws, tokenID); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if n, err := br.Read(make([]byte, 1)); err == nil || isTimeout(err) {
			t.Fatalf("the spliced session is still open after its token was deleted (%d, %v)", n, err)
		}
	})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
