package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"strings"
)

// ReadBody reads the request body under the size limit and checks that a
// non-empty body is JSON.
func ReadBody(r *http.Request, w http.ResponseWriter, limit int64) ([]byte, *Error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, Errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
				fmt.Sprintf("The request content exceeds the maximum of %d bytes.", limit))
		}
		if IsTimeout(err) {
			return nil, RequestTimeout()
		}
		return nil, Errorf(http.StatusBadRequest, "InvalidRequestContent", "The request body could not be read.")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !IsJSONMediaType(ct) {
		return nil, Errorf(http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			"The content media type '"+ct+"' is not supported. Only 'application/json' is supported.")
	}
	return b, nil
}

// IsTimeout reports a body read cut off by the server's body deadline
// (server.Options.BodyTimeout).
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// RequestTimeout is the answer to a body that did not arrive in time.
func RequestTimeout() *Error {
	return Errorf(http.StatusRequestTimeout, "RequestTimeout", "The request body was not received in time.")
}

// IsJSONMediaType accepts application/json, text/json and any +json type.
func IsJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// DecodeJSON decodes body into v and turns a failure into a 400 that says
// where it broke: the line and column of a syntax error, or the field whose
// value has the wrong type.
func DecodeJSON(body []byte, v any) *Error {
	if len(body) == 0 {
		return BadRequest("InvalidRequestContent", "body", "The request content was empty; a JSON body is required.")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the offending one included.
		line, col := position(body, syn.Offset-1)
		return BadRequest("InvalidRequestContent", "body", fmt.Sprintf(
			"The request content was invalid and could not be deserialized: %s at line %d, column %d.", syn.Error(), line, col))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return BadRequest("InvalidRequestContent", field, fmt.Sprintf(
			"The request content was invalid and could not be deserialized: the value of '%s' must be of type %s, not %s.",
			field, jsonTypeName(typ.Type.Kind().String()), typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := position(body, int64(len(body)))
		return BadRequest("InvalidRequestContent", "body", fmt.Sprintf(
			"The request content was invalid and could not be deserialized: unexpected end of JSON at line %d, column %d.", line, col))
	default:
		return BadRequest("InvalidRequestContent", "body",
			"The request content was invalid and could not be deserialized: "+err.Error()+".")
	}
}

func position(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(b)); i++ {
		if b[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "integer"
	case "float32", "float64":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct":
		return "object"
	default:
		return kind
	}
}
