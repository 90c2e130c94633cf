package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestChainDetectsTampering: every kind of tampering breaks the chain at
// the line (or file) where it happened, and the untouched log verifies.
func TestChainDetectsTampering(t *testing.T) {
	type files = map[string][]byte
	lines := func(b []byte) [][]byte { return bytes.SplitAfter(b, []byte("\n")) }
	join := func(ls [][]byte) []byte { return bytes.Join(ls, nil) }
	cases := []struct {
		name   string
		tamper func(t *testing.T, names []string, fs files) []string // returns the names to verify
		file   int                                                   // index into names of the break (-1: none)
		line   int
		reason string
	}{
		{"untouched", func(_ *testing.T, n []string, _ files) []string { return n }, -1, 0, ""},
		{"edited line", func(_ *testing.T, n []string, fs files) []string {
			ls := lines(fs[n[0]])
			ls[2] = bytes.Replace(ls[2], []byte(`"principal":"p"`), []byte(`"principal":"q"`), 1)
			fs[n[0]] = join(ls)
			return n
		}, 0, 4, "does not follow the line before it"},
		{"deleted line", func(_ *testing.T, n []string, fs files) []string {
			ls := lines(fs[n[0]])
			fs[n[0]] = join(append(ls[:1:1], ls[2:]...))
			return n
		}, 0, 2, "does not follow the line before it"},
		{"reordered lines", func(_ *testing.T, n []string, fs files) []string {
			ls := lines(fs[n[0]])
			ls[1], ls[2] = ls[2], ls[1]
			fs[n[0]] = join(ls)
			return n
		}, 0, 2, "does not follow the line before it"},
		{"deleted first line", func(_ *testing.T, n []string, fs files) []string {
			fs[n[0]] = join(lines(fs[n[0]])[1:])
			return n
		}, 0, 1, "an earlier file is missing"},
		{"truncated mid-line", func(_ *testing.T, n []string, fs files) []string {
			last := n[len(n)-1]
			fs[last] = fs[last][:len(fs[last])-10]
			return n
		}, 2, 0, "truncated"},
		{"rotated file truncated at a line", func(_ *testing.T, n []string, fs files) []string {
			ls := lines(fs[n[0]])
			fs[n[0]] = join(ls[:len(ls)-2])
			return n
		}, 1, 1, "a file is missing between them, or"},
		{"missing rotated file", func(_ *testing.T, n []string, _ files) []string {
			return []string{n[0], n[2]}
		}, 1, 1, "a file is missing between them"},
		{"missing first file", func(_ *testing.T, n []string, _ files) []string {
			return n[1:]
		}, 0, 1, "an earlier file is missing"},
		{"files out of order", func(_ *testing.T, n []string, _ files) []string {
			return []string{n[0], n[2], n[1]}
		}, 1, 1, "a file is missing between them"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			names := writeRotated(t)
			fs := files{}
			for _, n := range names {
				b, err := os.ReadFile(n)
				if err != nil {
					t.Fatal(err)
				}
				fs[n] = b
			}
			given := tc.tamper(t, names, fs)
			for n, b := range fs {
				if err := os.WriteFile(n, b, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			v := verifyFiles(t, given...)
			if tc.file < 0 {
				if v.Break != nil {
					t.Fatalf("untouched log broken: %v", v.Break)
				}
				if v.Lines != 30 || v.LastSeq != 30 {
					t.Fatalf("verified %d lines up to seq %d, want 30", v.Lines, v.LastSeq)
				}
				return
			}
			if v.Break == nil {
				t.Fatal("tampering not detected")
			}
			if v.Break.File != given[tc.file] || tc.line > 0 && v.Break.Line != tc.line || !strings.Contains(v.Break.Reason, tc.reason) {
				t.Fatalf("break %v; want %s:%d %q", v.Break, given[tc.file], tc.line, tc.reason)
			}
		})
	}
}

// writeRotated writes 30 events over three files (two rotations) and
// returns the files in order.
func writeRotated(t *testing.T) []string {
	t.Helper()
	l, path := openTestFile(t, 0)
	recordN(t, l, 0, 10)
	if err := l.sinks[0].(*fileSink).rotate(); err != nil {
		t.Fatal(err)
	}
	recordN(t, l, 10, 10)
	if err := l.sinks[0].(*fileSink).rotate(); err != nil {
		t.Fatal(err)
	}
	recordN(t, l, 20, 10)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := RotatedFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 || names[0] != path+".000001" || names[2] != path {
		t.Fatalf("files %v", names)
	}
	return names
}

// TestRotationBySize: the writer rotates on its own once a file reaches
// the size, and the sequence verifies.
func TestRotationBySize(t *testing.T) {
	l, path := openTestFile(t, 600)
	recordN(t, l, 0, 20)
	l.Close()
	names, _ := RotatedFiles(path)
	if len(names) < 3 {
		t.Fatalf("%d files, want rotation", len(names))
	}
	if v := verifyFiles(t, names...); v.Break != nil || v.Lines != 20 {
		t.Fatalf("%+v", v)
	}
}

// TestResumeAfterRestart: a reopened log continues the chain, after a
// partial line (a crash between write and fsync) is cut off, and after a
// crash between rotation's rename and the new file.
func TestResumeAfterRestart(t *testing.T) {
	l, path := openTestFile(t, 0)
	recordN(t, l, 0, 3)
	l.Close()
	// A file holding only a partial line (a crash during the first write
	// after a rotation) leaves the chain where the rotated file ended.
	rotated := filepath.Join(t.TempDir(), "r.jsonl")
	live, _ := os.ReadFile(path)
	os.WriteFile(rotated+".000001", live, 0o600)
	os.WriteFile(rotated, []byte(`{"seq":4,"par`), 0o600)
	l = openFileAt(t, rotated, 0)
	recordN(t, l, 3, 2)
	l.Close()
	if v := verifyFiles(t, rotated+".000001", rotated); v.Break != nil || v.Lines != 5 {
		t.Fatalf("after a crash following a rotation: %+v %v", v, v.Break)
	}
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":4,"half`)
	f.Close()
	l = openFileAt(t, path, 0)
	recordN(t, l, 3, 3)
	l.Close()
	if err := os.Rename(path, path+".000001"); err != nil {
		t.Fatal(err)
	}
	l = openFileAt(t, path, 0)
	recordN(t, l, 6, 2)
	l.Close()
	v := verifyFiles(t, path+".000001", path)
	if v.Break != nil || v.Lines != 8 || v.LastSeq != 8 {
		t.Fatalf("%+v %v", v, v.Break)
	}
}

// TestNothingInClear: a hashed id is not the id, is stable, and depends
// on the salt.
func TestNothingInClear(t *testing.T) {
	a, b := NewHasher([]byte("one")), NewHasher([]byte("two"))
	id := "tok-123"
	if h := a.Hash(id); strings.Contains(h, id) || !strings.HasPrefix(h, HashPrefix) || h != a.Hash(id) || h == b.Hash(id) {
		t.Fatalf("hash %q", h)
	}
	l, path := openTestFile(t, 0)
	if err := l.Record(t.Context(), &Event{RequestID: "r", Principal: "p", Action: ActionTokenIssue, Result: Success, TokenID: l.HashID(id)}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	b2, _ := os.ReadFile(filepath.Clean(path))
	if bytes.Contains(b2, []byte(id)) {
		t.Fatal("token id in clear")
	}
}
