package perms

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The ASCII fast path of appendFold gives what the rune-by-rune loop
// gives, whatever the existing content of dst and wherever the first
// non-ASCII byte is.
func TestAppendFold_FastPathEqualsSlow(t *testing.T) {
	for _, s := range []string{
		"", "/", "/Inbox/Report-2024.CSV", "/a/\u212aelvin", "ſ/S", "/x\xffY", "É", "/abc/DÉF/ghi",
		strings.Repeat("/Partner0042", 40) + "/é",
	} {
		for _, dst := range [][]byte{nil, []byte("pre"), make([]byte, 0, 1)} {
			want := appendFoldSlow(append([]byte(nil), dst...), s)
			if got := appendFold(append([]byte(nil), dst...), s); string(got) != string(want) {
				t.Errorf("appendFold(%q, %q) = %q, want %q", dst, s, got, want)
			}
		}
	}
	// The fold of a valid string is valid, rune for rune.
	if f := foldString("/A/\u212a/ſ"); f != "/a/k/s" || !utf8.ValidString(f) {
		t.Errorf("foldString = %q", f)
	}
}
