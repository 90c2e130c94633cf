package wire

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Response is a handler's answer.
type Response struct {
	Status int
	Header http.Header
	// Body is marshalled as JSON (a json.RawMessage is written as it is);
	// nil writes no body.
	Body any
}

// JSON is a response with a JSON body.
func JSON(status int, body any) *Response { return &Response{Status: status, Body: body} }

// Empty is a response without a body.
func Empty(status int) *Response { return &Response{Status: status} }

// WithHeader sets a response header and returns r.
func (r *Response) WithHeader(name, value string) *Response {
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Set(name, value)
	return r
}

// WriteResponse writes resp; a HEAD gets the status and headers only.
func WriteResponse(w http.ResponseWriter, method string, resp *Response) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	if resp.Body == nil || method == http.MethodHead {
		w.WriteHeader(resp.Status)
		return
	}
	var b []byte
	switch body := resp.Body.(type) {
	case json.RawMessage:
		b = body // stored documents are already JSON: no second encoding
	default:
		var err error
		if b, err = json.Marshal(body); err != nil {
			panic("wire: response body does not marshal: " + err.Error())
		}
	}
	WriteJSONBytes(w, resp.Status, b)
}

// WriteJSONBytes writes an encoded JSON body. As Azure does, the length is
// known, so the body goes out in one piece instead of chunked (a list page
// is tens of kilobytes).
func WriteJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
