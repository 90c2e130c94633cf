package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Genesis is the prev of a chain's first line.
var Genesis = strings.Repeat("0", sha256.Size*2)

// head is where a chain stands: the last line's sequence number and hash.
type head struct {
	seq  int64
	hash string
}

func genesisHead() head { return head{hash: Genesis} }

// appendLine appends the line that follows h for an event's JSON body
// (without its closing brace's chain fields) to dst and returns the
// extended dst, the new head and where the line begins. The chain fields
// (seq first, prev last) wrap a body encoded once per event, so each sink
// pays only for its own few bytes.
func (h head) appendLine(dst, body []byte) ([]byte, head, int) {
	start := len(dst)
	next := head{seq: h.seq + 1}
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendInt(dst, next.seq, 10)
	dst = append(dst, ',')
	dst = append(dst, body[1:len(body)-1]...)
	dst = append(dst, `,"prev":"`...)
	dst = append(dst, h.hash...)
	dst = append(dst, `"}`...)
	next.hash = lineHash(dst[start:])
	dst = append(dst, '\n')
	return dst, next, start
}

// lineHash is the hex SHA-256 of a line without its newline.
func lineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// chainFields are what verification reads from a line.
type chainFields struct {
	Seq       *int64  `json:"seq"`
	Prev      *string `json:"prev"`
	RequestID *string `json:"requestId"`
	Action    *string `json:"action"`
	Result    *string `json:"result"`
}

// parseLine reads a line's chain fields, refusing a line that lacks one
// of the fields every line carries.
func parseLine(line []byte) (seq int64, prev string, err error) {
	var f chainFields
	if err := json.Unmarshal(line, &f); err != nil {
		return 0, "", fmt.Errorf("not a JSON object: %w", err)
	}
	switch {
	case f.Seq == nil:
		return 0, "", errors.New(`no "seq" field`)
	case f.Prev == nil:
		return 0, "", errors.New(`no "prev" field`)
	case f.RequestID == nil || f.Action == nil || f.Result == nil:
		return 0, "", errors.New(`a "requestId", "action" or "result" field is missing`)
	case *f.Seq < 1:
		return 0, "", fmt.Errorf("seq %d is not positive", *f.Seq)
	}
	return *f.Seq, *f.Prev, nil
}
