package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// fileSink appends to PATH, fsyncing each batch, and rotates PATH to
// PATH.000001, PATH.000002, … once it reaches maxSize. The chain runs on
// across files and restarts: a new file's first line names the hash of
// the previous file's last line.
type fileSink struct {
	path    string
	maxSize int64
	f       *os.File
	size    int64
	head    head
	next    int // index of the next rotated file
	buf     []byte
	// noSync leaves flushing to the OS (--audit-log-fsync=false): an
	// event is written before its response, which survives a crash of
	// tokend but not of the machine.
	noSync bool
}

// rotatedName is PATH.NNNNNN: names that sort in the order they were made.
func rotatedName(path string, index int) string {
	return fmt.Sprintf("%s.%06d", path, index)
}

// RotatedFiles lists PATH's rotated files, oldest first, then PATH itself
// when it exists: the sequence `tokend audit verify` takes.
func RotatedFiles(path string) ([]string, error) {
	indexes, err := rotatedIndexes(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, i := range indexes {
		files = append(files, rotatedName(path, i))
	}
	if _, err := os.Stat(path); err == nil {
		files = append(files, path)
	}
	return files, nil
}

func rotatedIndexes(path string) ([]int, error) {
	matches, err := filepath.Glob(path + ".[0-9][0-9][0-9][0-9][0-9][0-9]*")
	if err != nil {
		return nil, fmt.Errorf("list rotated audit files of %s: %w", path, err)
	}
	var indexes []int
	for _, m := range matches {
		if i, err := strconv.Atoi(strings.TrimPrefix(m, path+".")); err == nil && i > 0 {
			indexes = append(indexes, i)
		}
	}
	sort.Ints(indexes)
	return indexes, nil
}

// openFileSink opens PATH for appending and finds the chain's head: the
// last line of PATH, or of the newest rotated file when PATH is gone (a
// crash between rotation's rename and create), or genesis.
func openFileSink(path string, maxSize int64, noSync bool, log *slog.Logger) (*fileSink, error) {
	indexes, err := rotatedIndexes(path)
	if err != nil {
		return nil, err
	}
	s := &fileSink{path: path, maxSize: maxSize, head: genesisHead(), next: 1, noSync: noSync}
	if n := len(indexes); n > 0 {
		s.next = indexes[n-1] + 1
		if s.head, _, err = lastHead(rotatedName(path, indexes[n-1]), nil); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("stat audit log: %w", err)
	}
	if info.Size() > 0 {
		h, found, err := lastHead(path, log)
		if err != nil {
			_ = f.Close()
			return nil, err
		}
		if found {
			s.head = h
		}
	}
	if s.size, err = f.Seek(0, io.SeekEnd); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("seek audit log: %w", err)
	}
	if err := syncDir(path); err != nil {
		_ = f.Close()
		return nil, err
	}
	s.f = f
	return s, nil
}

// tailWindow is how much of a file's end is read for its last line; a
// line is far shorter.
const tailWindow = 64 << 10

// lastHead reads the head a file's last line leaves the chain at (found
// is false for a file without lines, which leaves it where it was). A
// partial last line is an event never acknowledged (the process died
// between write and fsync, so no response was sent for it): with log set
// (the file being reopened for writing) it is cut off, with a warning;
// otherwise it is an error.
func lastHead(path string, log *slog.Logger) (_ head, found bool, _ error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return head{}, false, fmt.Errorf("open audit log %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return head{}, false, fmt.Errorf("stat audit log %s: %w", path, err)
	}
	size := info.Size()
	off := max(0, size-tailWindow)
	tail := make([]byte, size-off)
	if _, err := f.ReadAt(tail, off); err != nil && !errors.Is(err, io.EOF) {
		return head{}, false, fmt.Errorf("read audit log %s: %w", path, err)
	}
	end := strings.LastIndexByte(string(tail), '\n')
	if end+1 < len(tail) {
		if log == nil {
			return head{}, false, fmt.Errorf("audit log %s ends in a partial line", path)
		}
		log.Warn("audit log ends in a partial line (an unacknowledged event); cutting it off", "file", path, "bytes", len(tail)-end-1)
		if err := f.Truncate(off + int64(end) + 1); err != nil {
			return head{}, false, fmt.Errorf("cut partial line off audit log %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return head{}, false, fmt.Errorf("sync audit log %s: %w", path, err)
		}
	}
	if end < 0 {
		return genesisHead(), false, nil
	}
	start := strings.LastIndexByte(string(tail[:end]), '\n') + 1
	if start == 0 && off > 0 {
		return head{}, false, fmt.Errorf("audit log %s: last line longer than %d bytes", path, tailWindow)
	}
	line := tail[start:end]
	seq, _, err := parseLine(line)
	if err != nil {
		return head{}, false, fmt.Errorf("audit log %s: last line: %w", path, err)
	}
	return head{seq: seq, hash: lineHash(line)}, true, nil
}

func (s *fileSink) write(_ context.Context, batch []*entry) error {
	if s.size >= s.maxSize && s.maxSize > 0 && s.size > 0 {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	s.buf = s.buf[:0]
	h := s.head
	for _, e := range batch {
		s.buf, h, _ = h.appendLine(s.buf, e.body)
	}
	if _, err := s.f.WriteAt(s.buf, s.size); err != nil {
		return s.undo(fmt.Errorf("write audit log: %w", err))
	}
	if !s.noSync {
		if err := s.f.Sync(); err != nil {
			return s.undo(fmt.Errorf("fsync audit log: %w", err))
		}
	}
	s.size += int64(len(s.buf))
	s.head = h
	return nil
}

// undo cuts off a batch that failed, so the next one follows the last
// durable line.
func (s *fileSink) undo(err error) error {
	if terr := s.f.Truncate(s.size); terr != nil {
		return errors.Join(err, fmt.Errorf("cut failed batch off audit log: %w", terr))
	}
	return err
}

// rotate renames PATH to the next rotated name and starts a new PATH. The
// directory is synced so that after a crash the rename and the new file
// are there or not, as a pair the next start resolves.
func (s *fileSink) rotate() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close audit log for rotation: %w", err)
	}
	if err := os.Rename(s.path, rotatedName(s.path, s.next)); err != nil {
		return fmt.Errorf("rotate audit log: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create audit log after rotation: %w", err)
	}
	s.f, s.size = f, 0
	s.next++
	return syncDir(s.path)
}

func (s *fileSink) close() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close audit log: %w", err)
	}
	return nil
}

func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("open audit log directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync audit log directory: %w", err)
	}
	return nil
}
