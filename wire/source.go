package wire

import (
	"net"
	"net/http"
)

// SourceAddress is the client's address as the connection shows it (the
// host part of RemoteAddr), for audit events.
func SourceAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
