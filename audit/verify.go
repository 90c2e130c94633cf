package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLineBytes bounds one line in verification; tokend writes far shorter.
const MaxLineBytes = 1 << 20

// Break is where a chain is broken: the first line that does not follow
// the one before it.
type Break struct {
	File   string `json:"file"`
	Line   int    `json:"line"` // 1-based, in File
	Reason string `json:"reason"`
}

func (b *Break) Error() string { return fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.Reason) }

// Verified is what a verification found.
type Verified struct {
	Files int   `json:"files"`
	Lines int64 `json:"lines"`
	// LastSeq and LastHash are where the chain ends: compare them with a
	// copy kept elsewhere (a collector, the database) to detect lines cut
	// off the end of the newest file, which nothing after them can.
	LastSeq  int64  `json:"lastSeq"`
	LastHash string `json:"lastHash"`
	Break    *Break `json:"break,omitempty"`
}

// Verifier checks files of one chain, given in order.
type Verifier struct {
	// Partial accepts a sequence that begins after files since removed
	// (its first line need not be the chain's first).
	Partial bool

	v        Verified
	head     head
	started  bool
	lastFile string
}

// File checks the next file of the sequence; it returns the first break
// (also kept in Result).
func (vf *Verifier) File(name string, r io.Reader) *Break {
	if vf.v.Break != nil {
		return vf.v.Break
	}
	vf.v.Files++
	br := bufio.NewReaderSize(r, 64<<10)
	first := true
	for n := 1; ; n++ {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) && len(line) == 0 {
			break
		}
		fail := func(reason string) *Break {
			vf.v.Break = &Break{File: name, Line: n, Reason: reason}
			return vf.v.Break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fail(err.Error())
		}
		if errors.Is(err, io.EOF) {
			return fail("the last line is incomplete (no newline): the file was truncated")
		}
		if b := vf.line(line, first, fail); b != nil {
			return b
		}
		first = false
		vf.v.Lines++
	}
	vf.lastFile = name
	return nil
}

// line checks one line against the head and advances it.
func (vf *Verifier) line(line []byte, firstOfFile bool, fail func(string) *Break) *Break {
	seq, prev, err := parseLine(line)
	if err != nil {
		return fail("not an audit line: " + err.Error())
	}
	switch {
	case !vf.started && prev != Genesis && !vf.Partial:
		return fail(fmt.Sprintf("the chain does not begin here (seq %d follows a line not given): an earlier file is missing", seq))
	case !vf.started && prev == Genesis && seq != 1:
		return fail(fmt.Sprintf("the chain's first line has seq %d, not 1", seq))
	case vf.started && prev != vf.head.hash && firstOfFile:
		return fail(fmt.Sprintf("the first line does not follow the last line of %s (prev names another line): a file is missing between them, or %s was truncated or edited", vf.lastFile, vf.lastFile))
	case vf.started && prev != vf.head.hash:
		return fail("this line does not follow the line before it (prev names another line): the line before was edited, or lines were deleted or reordered here")
	case vf.started && seq != vf.head.seq+1:
		return fail(fmt.Sprintf("seq %d follows seq %d: the line was edited", seq, vf.head.seq))
	}
	vf.started = true
	vf.head = head{seq: seq, hash: lineHash(line)}
	vf.v.LastSeq, vf.v.LastHash = vf.head.seq, vf.head.hash
	return nil
}

// Result is what was verified so far.
func (vf *Verifier) Result() Verified { return vf.v }

// readLine reads one line without its newline; io.EOF with a non-empty
// line means the line had none.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLineBytes {
			return line, fmt.Errorf("a line is longer than %d bytes", MaxLineBytes)
		}
		switch {
		case err == nil:
			return bytes.TrimSuffix(line, []byte("\n")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return line, err
		}
	}
}
