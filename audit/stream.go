package audit

import (
	"context"
	"fmt"
	"io"
)

// streamSink writes lines to a stream (--audit-log -: stdout, for a
// collector). Its chain begins at genesis on every start, since a stream
// cannot be read back; what the collector keeps is as verifiable as a
// file. Durability is the collector's: nothing can be fsynced here.
type streamSink struct {
	w    io.Writer
	head head
	buf  []byte
}

func (s *streamSink) write(_ context.Context, batch []*entry) error {
	s.buf = s.buf[:0]
	h := s.head
	for _, e := range batch {
		s.buf, h, _ = h.appendLine(s.buf, e.body)
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("write audit stream: %w", err)
	}
	s.head = h
	return nil
}

func (s *streamSink) close() error { return nil }
