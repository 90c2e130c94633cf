package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokend-dev/tokend/wire"
)

// inProcess carries the console's API calls to the server's root handler
// without a socket: the whole pipeline runs (authentication, RBAC, rate
// limits, audit, metrics), and the call looks to it as the browser's own
// request would — the same host and TLS state (so issuer URLs and
// redirect URIs agree), the same source address and forwarding header
// (so per-source limits count the person), correlated by the console
// request's id.
type inProcess struct {
	h    http.Handler
	from *http.Request
}

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	req.Host = t.from.Host
	req.TLS = t.from.TLS
	req.RemoteAddr = t.from.RemoteAddr
	req.RequestURI = req.URL.RequestURI()
	if xff := t.from.Header.Get("X-Forwarded-For"); xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	if id := wire.TraceFrom(t.from.Context()).RequestID; id != "" {
		req.Header.Set("x-ms-correlation-request-id", id)
	}
	if req.Body == nil {
		req.Body = http.NoBody
	}
	rec := &recorder{header: http.Header{}}
	t.h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return &http.Response{
		StatusCode: rec.status, Status: fmt.Sprintf("%d %s", rec.status, http.StatusText(rec.status)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: rec.header,
		Body: io.NopCloser(&rec.body), ContentLength: int64(rec.body.Len()), Request: req,
	}, nil
}

// recorder is the ResponseWriter of an in-process call. It supports no
// deadlines, hijacking or flushing: the server's middleware treats it as
// a writer without them.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

// maxAnswer bounds what the console reads of one API answer.
const maxAnswer = 8 << 20

// apiError is an API's refusal, in whatever family's envelope it came.
type apiError struct {
	Status        int
	Code, Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// forbidden is whether err is the APIs' 403: the page says the person has
// no access rather than showing an error.
func forbidden(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Status == http.StatusForbidden
}

// do sends one request through the in-process transport and decodes a
// JSON answer into out (nil: ignored). A non-2xx answer is an *apiError
// read from any of the envelopes tokend answers in (ARM's and
// Azure.Core's {"error":{code,message}}, OAuth's {error,error_description}).
func (c *Console) do(ctx context.Context, from *http.Request, method, path string, header http.Header, body io.Reader, out any) error {
	h := c.backend.Load()
	if h == nil {
		return errors.New("console: no backend bound")
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://in-process"+path, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := (inProcess{h: *h, from: from}).RoundTrip(req)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return decodeAPIError(resp.StatusCode, data)
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

func decodeAPIError(status int, data []byte) error {
	var env struct {
		Error json.RawMessage `json:"error"`
		Desc  string          `json:"error_description"`
	}
	ae := &apiError{Status: status, Code: http.StatusText(status)}
	if json.Unmarshal(data, &env) == nil {
		var inner struct{ Code, Message string }
		var code string
		switch {
		case json.Unmarshal(env.Error, &inner) == nil && inner.Code != "":
			ae.Code, ae.Message = inner.Code, inner.Message
		case json.Unmarshal(env.Error, &code) == nil && code != "":
			ae.Code, ae.Message = code, env.Desc
		}
	}
	return ae
}

// call is do with the session's management token. A 401 (the token's
// signing key revoked, say) renews the token once with the refresh token
// and tries again.
func (c *Console) call(ctx context.Context, v *view, method, path string, in, out any) error {
	tok, err := c.managementToken(ctx, v)
	if err != nil {
		return err
	}
	err = c.callWith(ctx, v, tok, method, path, in, out)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		v.s.MgmtExp = 0
		if tok, err = c.managementToken(ctx, v); err != nil {
			return err
		}
		return c.callWith(ctx, v, tok, method, path, in, out)
	}
	return err
}

func (c *Console) callWith(ctx context.Context, v *view, token, method, path string, in, out any) error {
	h := http.Header{"Authorization": {"Bearer " + token}}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
		h.Set("Content-Type", "application/json")
	}
	return c.do(ctx, v.r, method, path, h, body, out)
}

// tokenAnswer is the token endpoint's answer.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// tokenRequest posts a grant to the tenant's token endpoint.
func (c *Console) tokenRequest(ctx context.Context, from *http.Request, tenant string, form url.Values) (*tokenAnswer, error) {
	form.Set("client_id", c.cfg.ClientID)
	var ans tokenAnswer
	err := c.do(ctx, from, http.MethodPost, "/"+url.PathEscape(tenant)+"/oauth2/v2.0/token",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()), &ans)
	if err != nil {
		return nil, err
	}
	if ans.AccessToken == "" {
		return nil, errors.New("the token endpoint answered no access token")
	}
	return &ans, nil
}

// apiMessage is what a page says of an API's refusal.
func apiMessage(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.Message == "" {
			return ae.Code
		}
		return ae.Code + ": " + ae.Message
	}
	return "The request could not be completed."
}
