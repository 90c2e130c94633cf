package audit

import (
	"bytes"
	"testing"
)

// FuzzVerify: the verifier never panics, and accepts a byte string only
// if each line follows the one before it; a valid chain with any one
// byte changed is refused unless the change is in the last line.
func FuzzVerify(f *testing.F) {
	var chain []byte
	h := genesisHead()
	for range 3 {
		chain, h, _ = h.appendLine(chain, []byte(`{"requestId":"r","action":"a","result":"success"}`))
	}
	f.Add(chain, 5, byte('x'))
	f.Add([]byte("{}\n"), 0, byte(0))
	f.Add([]byte(`{"seq":1,"prev":"`+Genesis+`","requestId":"","action":"","result":""}`+"\n"), 3, byte('1'))
	f.Fuzz(func(t *testing.T, data []byte, at int, b byte) {
		var v Verifier
		v.File("fuzz", bytes.NewReader(data))
		// A one-byte edit of the valid chain, outside its last line.
		if at < 0 {
			at = -at
		}
		lastLine := bytes.LastIndexByte(chain[:len(chain)-1], '\n')
		at %= lastLine
		if chain[at] == b {
			return
		}
		edited := bytes.Clone(chain)
		edited[at] = b
		var w Verifier
		if w.File("edited", bytes.NewReader(edited)); w.Result().Break == nil {
			t.Fatalf("edit at %d to %q not detected:\n%s", at, b, edited)
		}
	})
}
