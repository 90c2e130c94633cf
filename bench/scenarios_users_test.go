package bench

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
)

func TestTokenRefreshObserve(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
	}{
		{"answer", `{"token_type":"Bearer","access_token":"eyJ.a.b","refresh_token":"1.tkd.AbC-_9","id_token":"eyJ.c.d"}`, "1.tkd.AbC-_9"},
		{"last field", `{"access_token":"x","refresh_token":"1.tkd.Z"}`, "1.tkd.Z"},
		{"escaped value", `{"refresh_token":"1.tkd.a\/b\u002b"}`, "1.tkd.a/b+"},
		{"spaced", `{"refresh_token" : "1.tkd.S"}`, "1.tkd.S"},
		{"none", `{"access_token":"x"}`, "kept"},
		{"empty", `{"refresh_token":""}`, "kept"},
		{"not JSON", `refresh_token`, "kept"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &tokenRefresh{tokens: []string{"kept"}}
			s.Observe(0, []byte(tc.body))
			if s.tokens[0] != tc.want {
				t.Fatalf("kept %q, want %q", s.tokens[0], tc.want)
			}
		})
	}
}

// The request body is the form url.Values would have encoded.
func TestTokenRefreshNext(t *testing.T) {
	t.Parallel()
	s := &tokenRefresh{url: "https://tokend.test/t/oauth2/v2.0/token", tokens: []string{"1.tkd.a+b/c"}}
	s.form = "grant_type=refresh_token&client_id=" + azureCLIClientID + "&scope=" + url.QueryEscape(userScope) + "&refresh_token="
	req, err := s.Next(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	got, err := url.ParseQuery(string(body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"grant_type": {"refresh_token"}, "client_id": {azureCLIClientID}, "refresh_token": {"1.tkd.a+b/c"}, "scope": {userScope}}
	if got.Encode() != want.Encode() || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("body %s, want the form %s", body, want.Encode())
	}
}

func TestReadInto(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("0123456789", 100)
	for _, size := range []int{0, 16, 1000, 4096} {
		buf := make([]byte, size)
		got, err := readInto(buf, iotest.OneByteReader(strings.NewReader(long)))
		if err != nil || !bytes.Equal(got, []byte(long)) {
			t.Fatalf("buffer of %d: %q, %v", size, got, err)
		}
	}
	if _, err := readInto(make([]byte, 8), iotest.ErrReader(io.ErrUnexpectedEOF)); err != io.ErrUnexpectedEOF {
		t.Fatalf("error %v, want io.ErrUnexpectedEOF", err)
	}
}
