// Package azuretest holds what the HTTP tests of tokend's packages share:
// requests built as the Azure SDKs send them, the error envelope every Azure
// family shares at its outer level, and a buffer that captures the logs of
// concurrent handlers. It is imported by tests only.
package azuretest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// NewRequest builds a request to url. body is sent as JSON: a string or
// []byte as it is, anything else marshalled, nil as no body. A non-empty
// token is sent as a bearer token; headers are name, value pairs.
func NewRequest(t testing.TB, method, url string, body any, token string, headers ...string) *http.Request {
	t.Helper()
	rd := Body(t, body)
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

// Body is body as a request body, as NewRequest sends it: a string or
// []byte as it is, anything else marshalled to JSON, nil as no body (a nil
// io.Reader).
func Body(t testing.TB, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return bytes.NewReader([]byte(b))
	case []byte:
		return bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal request body: %v", err)
		}
		return bytes.NewReader(j)
	}
}

// Doer sends a request: an *http.Client, or a transport that checks what
// passes through it.
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Send sends req with c and returns the response with its whole body read;
// a transport error fails the test.
func Send(t testing.TB, c Doer, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, b
}

// CheckingTransport hands every response, its body read, to Check before
// the client sees it: tests validate what an SDK receives against the
// official schema this way.
type CheckingTransport struct {
	Inner Doer
	Check func(req *http.Request, resp *http.Response, body []byte)
}

func (c *CheckingTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.Inner.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.Check(req, resp, body)
	return resp, nil
}

// ErrorBody is the envelope every Azure family shares at its outer level.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Target  string `json:"target"`
		Details []struct {
			Code, Message, Target string
		} `json:"details"`
	} `json:"error"`
}

// DecodeError parses an error envelope, failing the test when the body is
// not one.
func DecodeError(t testing.TB, b []byte) ErrorBody {
	t.Helper()
	var e ErrorBody
	if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error envelope (%v): %s", err, b)
	}
	return e
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers: the log of a
// server under test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// JWTClaims decodes a token's payload without verifying it (tokend
// verifies tokens on use; a test that needs verification says so).
func JWTClaims(t testing.TB, token string) map[string]any {
	t.Helper()
	return jwtPart(t, token, 1)
}

// JWTHeader decodes a token's header (alg, kid, x5t, ...).
func JWTHeader(t testing.TB, token string) map[string]any {
	t.Helper()
	return jwtPart(t, token, 0)
}

func jwtPart(t testing.TB, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %.40q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
