package vpath

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"", "/", nil},
		{".", "/", nil},
		{"/", "/", nil},
		{"a", "/a", nil},
		{"a/b/", "/a/b", nil},
		{"//a//b", "/a/b", nil},
		{"/a/./b", "/a/b", nil},
		{"..", "/", nil},
		{"../../etc/passwd", "/etc/passwd", nil},
		{"/a/../../b", "/b", nil}, // OP-14
		{"/a/b/..", "/a", nil},
		{"a b/ c", "/a b/ c", nil},
		{"/a\x00b", "", ErrNUL},
		{"\x00", "", ErrNUL},
		{`a\..\..\etc`, "", ErrBackslash},
		{`C:\Windows`, "", ErrBackslash},
		{"a\xffb", "", ErrUTF8},
		{strings.Repeat("a", MaxLen+1), "", ErrTooLong},
	}
	for _, tt := range tests {
		got, err := Canonical(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestValidName(t *testing.T) {
	ok := []string{"alice", "a*", "{alice,admin}", "[a-z]dmin", "bob.smith", "ü", "a b"}
	bad := []string{"", ".", "..", "a/b", "/", `adm\in`, "a\x00", "a\nb", "a\x7f", "\xff", strings.Repeat("x", MaxNameLen+1)}
	for _, n := range ok {
		if err := ValidName(n); err != nil {
			t.Errorf("ValidName(%q) = %v, want nil", n, err)
		}
	}
	for _, n := range bad {
		if err := ValidName(n); !errors.Is(err, ErrName) {
			t.Errorf("ValidName(%q) = %v, want ErrName", n, err)
		}
	}
}

// FuzzCanonical checks the invariants every later layer relies on.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"", "/", "..", "../../etc/passwd", "/a/./b//c/", "a\x00b", `a\b`, "/a/../../..", "\xff/..", "é/../x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := Canonical(p)
		if err != nil {
			if c != "" {
				t.Fatalf("error with non-empty result %q", c)
			}
			return
		}
		if !strings.HasPrefix(c, "/") {
			t.Fatalf("Canonical(%q) = %q: not absolute", p, c)
		}
		if c != "/" && strings.HasSuffix(c, "/") {
			t.Fatalf("Canonical(%q) = %q: trailing slash", p, c)
		}
		if strings.Contains(c, "//") || strings.ContainsAny(c, "\x00\\") {
			t.Fatalf("Canonical(%q) = %q: unclean", p, c)
		}
		for _, el := range strings.Split(c[1:], "/") {
			if el == ".." || el == "." {
				t.Fatalf("Canonical(%q) = %q: contains %q", p, c, el)
			}
		}
		if again, err := Canonical(c); err != nil || again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", p, c, again, err)
		}
		if !IsCanonical(c) {
			t.Fatalf("IsCanonical(%q) = false", c)
		}
	})
}

func TestResolveLink(t *testing.T) {
	tests := []struct {
		dir, target, want string
		ok                bool
	}{
		{"/in", "/secret", "/secret", true},
		{"/in", "x", "/in/x", true},
		{"/in", "../x", "/x", true},
		{"/in", "..", "/", true},
		{"/in", "../../etc", "", false}, // OP-16
		{"/", "../etc", "", false},
		{"/", "/../etc", "/etc", true}, // absolute: relative to the root
		{"/a/b", "../../c/./d", "/c/d", true},
		{"/a", "", "", false},
		{"/a", "x\x00", "", false},
		{"/a", `..\..\x`, "", false},
	}
	for _, tt := range tests {
		got, ok := ResolveLink(tt.dir, tt.target)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ResolveLink(%q, %q) = %q, %v; want %q, %v", tt.dir, tt.target, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRel(t *testing.T) {
	tests := []struct{ dir, target, want string }{
		{"/in", "/secret", "../secret"},
		{"/", "/a/b", "a/b"},
		{"/a/b", "/a/b", "."},
		{"/a/b", "/", "../.."},
		{"/a/b/c", "/a/x", "../../x"},
	}
	for _, tt := range tests {
		if got := Rel(tt.dir, tt.target); got != tt.want {
			t.Errorf("Rel(%q, %q) = %q, want %q", tt.dir, tt.target, got, tt.want)
		}
	}
}
