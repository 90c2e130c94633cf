package server

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// Default deadlines (serve's --body-timeout and --write-timeout).
const (
	DefaultBodyTimeout  = 30 * time.Second
	DefaultWriteTimeout = 60 * time.Second
)

// applyDeadlines bounds one request on its connection: its body must
// arrive within bodyTimeout of its headers (a slow upload cannot hold a
// connection and a goroutine indefinitely; the read fails and the pipeline
// answers 408), and its answer must be written within writeTimeout (a
// client that never reads lets go of the buffers it pins). Streaming
// routes lift both (pipeline.Route.Streaming).
func (s *Server) applyDeadlines(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	now := time.Now()
	if s.writeTimeout > 0 {
		_ = rc.SetWriteDeadline(now.Add(s.writeTimeout))
	}
	if s.bodyTimeout > 0 && r.Body != nil && r.Body != http.NoBody {
		if rc.SetReadDeadline(now.Add(s.bodyTimeout)) == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
	}
}

// deadlineBody lifts the body's read deadline once the body is complete:
// net/http then reads the connection in the background to notice a client
// that goes away, and that read must not time out a handler that takes
// longer than the body deadline.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	once sync.Once
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(func() { _ = b.rc.SetReadDeadline(time.Time{}) })
	}
	return n, err
}
