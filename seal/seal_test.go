package seal_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tokend-dev/tokend/seal"
)

// The sealed format: a version byte, the 12-byte GCM nonce, the ciphertext
// (as long as the plaintext) and the 16-byte GCM tag.
const (
	nonceSize = 12
	tagSize   = 16
	overhead  = 1 + nonceSize + tagSize
)

func testKey(fill byte) []byte { return bytes.Repeat([]byte{fill}, 32) }

func newBox(t testing.TB, key []byte) *seal.Box {
	t.Helper()
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func TestSealRoundTrip(t *testing.T) {
	t.Parallel()
	box := newBox(t, testKey(1))
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for _, tc := range []struct {
		name           string
		plaintext, aad []byte
	}{
		{"empty", nil, nil},
		{"one byte", []byte{0}, nil},
		{"text with aad", []byte("signing key material"), []byte("signing_keys/kid-1")},
		{"binary", []byte{0, 0xff, 0, 0x80, 1, 2, 3}, []byte{0}},
		{"one MiB", big, []byte("row")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sealed := box.Seal(tc.plaintext, tc.aad)
			if got, want := len(sealed), overhead+len(tc.plaintext); got != want {
				t.Fatalf("sealed length %d, want %d (version+nonce+ciphertext+tag)", got, want)
			}
			if len(tc.plaintext) >= 8 && bytes.Contains(sealed, tc.plaintext) {
				t.Fatal("sealed blob holds the plaintext in clear")
			}
			got, err := box.Open(sealed, tc.aad)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if !bytes.Equal(got, tc.plaintext) {
				t.Fatalf("round trip changed the plaintext (%d bytes in, %d out)", len(tc.plaintext), len(got))
			}
		})
	}
}

// Every single-byte change anywhere in the blob, in every region, must make
// Open fail with ErrOpen.
func TestOpenRefusesTampering(t *testing.T) {
	t.Parallel()
	box := newBox(t, testKey(2))
	plaintext, aad := []byte("a recoverable provider secret"), []byte("row-7")
	sealed := box.Seal(plaintext, aad)
	ctEnd := 1 + nonceSize + len(plaintext)
	for _, tc := range []struct {
		region     string
		start, end int
	}{
		{"version", 0, 1},
		{"nonce", 1, 1 + nonceSize},
		{"ciphertext", 1 + nonceSize, ctEnd},
		{"tag", ctEnd, len(sealed)},
	} {
		t.Run(tc.region, func(t *testing.T) {
			t.Parallel()
			if tc.end <= tc.start || tc.end > len(sealed) {
				t.Fatalf("bad region [%d,%d) of %d bytes", tc.start, tc.end, len(sealed))
			}
			for i := tc.start; i < tc.end; i++ {
				for _, mask := range []byte{0x01, 0x80, 0xff} {
					b := bytes.Clone(sealed)
					b[i] ^= mask
					if pt, err := box.Open(b, aad); !errors.Is(err, seal.ErrOpen) || pt != nil {
						t.Fatalf("byte %d ^ %#x: Open = (%q, %v), want ErrOpen", i, mask, pt, err)
					}
				}
			}
		})
	}
	if _, err := box.Open(sealed, aad); err != nil {
		t.Fatalf("untouched blob must still open: %v", err)
	}
}

func TestOpenRefusesMalformed(t *testing.T) {
	t.Parallel()
	box := newBox(t, testKey(3))
	sealed := box.Seal([]byte("secret"), nil)
	for name, b := range map[string][]byte{
		"nil":                 nil,
		"version only":        sealed[:1],
		"shorter than header": sealed[:overhead-1],
		"last byte cut":       sealed[:len(sealed)-1],
		"byte appended":       append(bytes.Clone(sealed), 0),
		"all zero":            make([]byte, len(sealed)),
	} {
		if pt, err := box.Open(b, nil); !errors.Is(err, seal.ErrOpen) || pt != nil {
			t.Errorf("%s: Open = (%q, %v), want ErrOpen", name, pt, err)
		}
	}
}

func TestOpenRefusesWrongKey(t *testing.T) {
	t.Parallel()
	oneBit := testKey(4)
	oneBit[31] ^= 1
	sealed := newBox(t, testKey(4)).Seal([]byte("secret"), []byte("aad"))
	for name, key := range map[string][]byte{
		"other key":       testKey(5),
		"one bit differs": oneBit,
	} {
		if pt, err := newBox(t, key).Open(sealed, []byte("aad")); !errors.Is(err, seal.ErrOpen) || pt != nil {
			t.Errorf("%s: Open = (%q, %v), want ErrOpen", name, pt, err)
		}
	}
}

func TestOpenRefusesWrongAAD(t *testing.T) {
	t.Parallel()
	box := newBox(t, testKey(6))
	for _, tc := range []struct {
		name       string
		sealedWith []byte
		openWith   []byte
	}{
		{"other row", []byte("row-1"), []byte("row-2")},
		{"extended", []byte("row-1"), []byte("row-1x")},
		{"truncated", []byte("row-1"), []byte("row-")},
		{"missing", []byte("row-1"), nil},
		{"unexpected", nil, []byte("row-1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sealed := box.Seal([]byte("secret"), tc.sealedWith)
			if _, err := box.Open(sealed, tc.sealedWith); err != nil {
				t.Fatalf("right aad refused: %v", err)
			}
			if pt, err := box.Open(sealed, tc.openWith); !errors.Is(err, seal.ErrOpen) || pt != nil {
				t.Fatalf("Open with aad %q = (%q, %v), want ErrOpen", tc.openWith, pt, err)
			}
		})
	}
}

// Sealing the same plaintext many times, from several goroutines at once (a
// Box is documented safe for concurrent use), never repeats a nonce or a blob.
func TestSealNoncesAreUnique(t *testing.T) {
	t.Parallel()
	const workers, per = 8, 1250 // 10,000 seals
	box := newBox(t, testKey(7))
	plaintext, aad := []byte("same plaintext every time"), []byte("same aad")
	blobs := make([][]byte, workers*per)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				blobs[w*per+i] = box.Seal(plaintext, aad)
			}
		})
	}
	wg.Wait()
	nonces := make(map[string]bool, len(blobs))
	seen := make(map[string]bool, len(blobs))
	var values [nonceSize]map[byte]bool // distinct values at each nonce position
	for i, b := range blobs {
		nonce := string(b[1 : 1+nonceSize])
		for j := range nonceSize {
			if values[j] == nil {
				values[j] = map[byte]bool{}
			}
			values[j][nonce[j]] = true
		}
		if nonces[nonce] {
			t.Fatalf("seal %d repeats a nonce", i)
		}
		nonces[nonce] = true
		if seen[string(b)] {
			t.Fatalf("seal %d repeats a blob", i)
		}
		seen[string(b)] = true
	}
	for j, v := range values {
		if len(v) < 128 { // a random byte takes ~all 256 values in 10,000 draws
			t.Errorf("nonce byte %d takes only %d distinct values: not random", j, len(v))
		}
	}
	for _, i := range []int{0, len(blobs) / 2, len(blobs) - 1} {
		if pt, err := box.Open(blobs[i], aad); err != nil || !bytes.Equal(pt, plaintext) {
			t.Fatalf("blob %d: Open = (%q, %v)", i, pt, err)
		}
	}
}

func TestNewRefusesWrongKeyLength(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if box, err := seal.New(make([]byte, n)); err == nil || box != nil {
			t.Errorf("New with a %d-byte key: (%v, %v), want an error", n, box, err)
		} else if !strings.Contains(err.Error(), "32 bytes") {
			t.Errorf("New with a %d-byte key: error %q does not say 32 bytes", n, err)
		}
	}
}

// A key given as TOKEND_MASTER_KEY, in hex or base64, is the very key: its
// boxes open each other's blobs and New's, and Load then ignores the data
// directory.
func TestLoadMasterKey(t *testing.T) {
	t.Parallel()
	// 0xfb 0xff 0xbf is "+/+/" in base64: standard, not URL-safe, encoding.
	key := append(bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 10), 0x01, 0x02)
	sealed := newBox(t, key).Seal([]byte("secret"), []byte("aad"))
	for _, tc := range []struct{ name, masterKey string }{
		{"hex", hex.EncodeToString(key)},
		{"upper-case hex", strings.ToUpper(hex.EncodeToString(key))},
		{"base64", base64.StdEncoding.EncodeToString(key)},
		{"hex with newline", hex.EncodeToString(key) + "\n"},
		{"base64 with spaces", "  " + base64.StdEncoding.EncodeToString(key) + " \n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			box, err := seal.Load(tc.masterKey, dir)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if pt, err := box.Open(sealed, []byte("aad")); err != nil || string(pt) != "secret" {
				t.Fatalf("loaded box does not open New's blob: (%q, %v)", pt, err)
			}
			if _, err := os.Stat(filepath.Join(dir, seal.KeyFile)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("Load with a master key touched the data directory: stat = %v", err)
			}
		})
	}
}

// A bad TOKEND_MASTER_KEY is refused with an error that names the variable,
// says what is wanted, and does not echo the (secret) value.
func TestLoadRefusesBadMasterKey(t *testing.T) {
	t.Parallel()
	key := testKey(0xab)
	h := hex.EncodeToString(key)
	for name, masterKey := range map[string]string{
		"hex, 31 bytes":    h[:62],
		"hex, 33 bytes":    h + "ab",
		"hex, odd length":  h[:63],
		"hex, non-hex":     h[:63] + "g",
		"base64, 31 bytes": base64.StdEncoding.EncodeToString(key[:31]),
		"base64, 33 bytes": base64.StdEncoding.EncodeToString(append(key, 1)),
		"base64, garbage":  "!!" + base64.StdEncoding.EncodeToString(key)[2:],
		"raw 32 bytes":     string(key),
		"whitespace":       "   \n",
		"word":             "changeme-changeme-changeme-0001",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			box, err := seal.Load(masterKey, dir)
			if err == nil || box != nil {
				t.Fatalf("Load accepted %q", masterKey)
			}
			msg := err.Error()
			if !strings.Contains(msg, "TOKEND_MASTER_KEY") || !strings.Contains(msg, "32 bytes") {
				t.Fatalf("error %q should name TOKEND_MASTER_KEY and the wanted 32 bytes", msg)
			}
			if s := strings.TrimSpace(masterKey); s != "" && strings.Contains(msg, s) {
				t.Fatalf("error %q echoes the key", msg)
			}
			if _, err := os.Stat(filepath.Join(dir, seal.KeyFile)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused master key must not fall back to a key file: stat = %v", err)
			}
		})
	}
}

// Without TOKEND_MASTER_KEY the first Load creates <dataDir>/master.key
// (0600, 64 hex digits) and later Loads reuse it.
func TestLoadKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, seal.KeyFile)
	first, err := seal.Load("", dir)
	if err != nil {
		t.Fatalf("first Load: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("first Load did not create %s: %v", seal.KeyFile, err)
	}
	if mode := fi.Mode(); mode != 0o600 {
		t.Fatalf("%s has mode %v, want -rw-------", seal.KeyFile, mode)
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(content)))
	if err != nil || len(key) != 32 {
		t.Fatalf("%s holds %d bytes (%v), want 32 bytes in hex", seal.KeyFile, len(key), err)
	}
	if bytes.Equal(key, make([]byte, 32)) {
		t.Fatal("generated key is all zeros")
	}
	sealed := first.Seal([]byte("secret"), []byte("aad"))

	second, err := seal.Load("", dir)
	if err != nil {
		t.Fatalf("second Load: %v", err)
	}
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(after, content) {
		t.Fatalf("second Load rewrote %s (%v)", seal.KeyFile, err)
	}
	for name, box := range map[string]*seal.Box{"second Load": second, "New(file key)": newBox(t, key)} {
		if pt, err := box.Open(sealed, []byte("aad")); err != nil || string(pt) != "secret" {
			t.Errorf("%s does not open the first box's blob: (%q, %v)", name, pt, err)
		}
	}

	// Another data directory gets another key.
	other, err := seal.Load("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed, []byte("aad")); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("a fresh data directory's key opened the blob: %v", err)
	}

	// TOKEND_MASTER_KEY wins over the key file.
	mk := testKey(9)
	viaEnv, err := seal.Load(hex.EncodeToString(mk), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := viaEnv.Open(sealed, []byte("aad")); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("Load used the key file although TOKEND_MASTER_KEY was given: %v", err)
	}
	if _, err := viaEnv.Open(newBox(t, mk).Seal([]byte("x"), nil), nil); err != nil {
		t.Fatalf("Load did not use TOKEND_MASTER_KEY: %v", err)
	}
}

func TestLoadKeyFileAcceptsBase64(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := testKey(0x5a)
	if err := os.WriteFile(filepath.Join(dir, seal.KeyFile), []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	box, err := seal.Load("", dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if _, err := box.Open(newBox(t, key).Seal([]byte("x"), nil), nil); err != nil {
		t.Fatalf("Load did not use the base64 key file: %v", err)
	}
}

func TestLoadRefusesBadKeyFile(t *testing.T) {
	t.Parallel()
	h := hex.EncodeToString(testKey(0x11))
	for name, content := range map[string]string{
		"empty":        "",
		"short hex":    h[:62] + "\n",
		"long hex":     h + "00\n",
		"not a key":    "hello\n",
		"short base64": base64.StdEncoding.EncodeToString(testKey(1)[:16]),
		"two keys":     h + "\n" + h + "\n",
		"hex, non-hex": h[:63] + "z\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, seal.KeyFile)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			box, err := seal.Load("", dir)
			if err == nil || box != nil {
				t.Fatalf("Load accepted a key file holding %q", content)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "32 bytes") {
				t.Fatalf("error %q should name %s and the wanted 32 bytes", err, path)
			}
			if after, _ := os.ReadFile(path); string(after) != content {
				t.Fatal("Load replaced a bad key file; it must leave it for the operator")
			}
		})
	}
}

func TestLoadRefusesMissingDataDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "does-not-exist")
	if box, err := seal.Load("", dir); err == nil || box != nil {
		t.Fatalf("Load in a missing directory: (%v, %v), want an error", box, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load created the data directory: %v", err)
	}
}

// Processes starting together on a fresh data directory agree on one key:
// none reads the file before its writer finished it.
func TestLoadConcurrentFirstStart(t *testing.T) {
	t.Parallel()
	for round := 0; round < 20; round++ {
		dir := t.TempDir()
		const n = 8
		boxes := make([]*seal.Box, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { boxes[i], errs[i] = seal.Load("", dir) })
		}
		wg.Wait()
		sealed := []byte(nil)
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d, load %d: %v", round, i, errs[i])
			}
			if sealed == nil {
				sealed = boxes[i].Seal([]byte("x"), nil)
			}
			if _, err := boxes[i].Open(sealed, nil); err != nil {
				t.Fatalf("round %d: load %d got another key", round, i)
			}
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("round %d: %d files left in the data directory", round, len(entries))
		}
	}
}
