package perms

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// userRegexpTails are the fixed regexp endings of FuzzUserExpansion: a
// fuzzed regexp tail could hold a '|' and escape the anchor.
var userRegexpTails = []string{"", "$", "(?:/.*)?$", "/", `\b`}

// FuzzUserExpansion checks that ${USER} is inserted as a literal: a rule
// written for one account never matches another account's path.
//
// The expression is PREFIX ${USER} TAIL, with PREFIX a literal starting
// with '/' (so the user name sits at a fixed position) and TAIL a glob
// without '|' (for globs) or one of a few fixed regexp endings (for m/…/
// and m/…/i). For two names u1 and u2 that vpath.ValidName accepts and
// that do not contain each other, case-insensitively, the rule compiled for
// u1 must not match PREFIX u2 S, whatever S: a match would need the text
// after PREFIX to start with u1 (up to case), so u1 would be a prefix of u2
// or u2 of u1. Meta-characters in u1 ("a*", "[a-z]", "a|b", ".*") must not
// widen the rule. The index and the linear scan must agree. Conversely, the
// rule compiled for u1 must match PREFIX u1 TAIL when TAIL is a plain
// literal, and for globs also with u1 in another case.
func FuzzUserExpansion(f *testing.F) {
	for _, s := range []struct {
		u1, u2, prefix, tail string
		kind                 uint8
	}{
		{"alice", "bob", "/queue/", "/*", 0},
		{"JohnD", "Other", "/queue/", "/pending", 0},
		{"a*", "ab", "/queue/", "/x", 0},
		{"*", "bob", "/queue/", "/*", 0},
		{"[a-z]dmin", "admin", "/home/", "/", 0},
		{"a|b", "b", "/q/", "", 0},
		{"!x", "y", "/q/", "*", 0},
		{"?", "z", "/q/", "*", 3},
		{".*", "anything", "/q/", "", 1},
		{"a+", "aa", "/q/", "", 2},
		{"${USER}", "x", "/q/", "", 0},
		{"\u212a", "x", "/q/", "/*", 0},
		{"ſ", "t", "/q/", "/*", 2},
		{"x y", "x", "/q/", "/*", 0},
		{"é", "É", "/q/", "/*", 0},
	} {
		f.Add(s.u1, s.u2, s.prefix, s.tail, s.kind)
	}
	f.Fuzz(func(t *testing.T, u1, u2, prefix, tail string, kind uint8) {
		if vpath.ValidName(u1) != nil || vpath.ValidName(u2) != nil {
			return
		}
		f1, f2 := foldString(u1), foldString(u2)
		if strings.Contains(f1, f2) || strings.Contains(f2, f1) {
			return
		}
		// PREFIX: a literal, meta-characters and '$' removed.
		prefix = strings.Map(func(r rune) rune {
			if strings.ContainsRune("*?[]|!$", r) {
				return -1
			}
			return r
		}, strings.ToValidUTF8(prefix, ""))
		if !strings.HasPrefix(prefix, "/") {
			prefix = "/" + prefix
		}
		tail = strings.ToValidUTF8(tail, "")
		var expr string
		ownTail := tail // what follows the name in the account's own path
		literalTail := tail == "" || strings.IndexFunc(tail, func(r rune) bool {
			return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '/' || r == '.' || r == '-'))
		}) < 0 && !strings.HasSuffix(tail, "/")
		switch kind % 4 {
		case 0, 3: // glob, plain or g/…/
			tail = strings.ReplaceAll(tail, "|", "")
			expr = prefix + userVar + tail
			if kind%4 == 3 {
				expr = "g/" + expr + "/"
			}
		default: // m/…/ and m/…/i
			tail = userRegexpTails[int(kind/4)%len(userRegexpTails)]
			literalTail = tail == "" || tail == "$" || tail == "(?:/.*)?$"
			ownTail = ""
			expr = "m/^" + regexp.QuoteMeta(prefix) + userVar + tail + "/"
			if kind%4 == 2 {
				expr += "i"
			}
		}
		rule := []SourcedRule{{Rule: Rule{Expr: expr, Set: NewSet(Write), Line: 2}, Source: "group g"}}
		p1, err := Compile(u1, NewSet(Read), "group g", rule)
		if err != nil {
			return // e.g. an unterminated class in the tail
		}
		// Another account's path: never matched.
		for _, s := range []string{"", "/", "/x", tail, "/" + u1, u1} {
			path := prefix + u2 + s
			if got, lin := p1.firstMatch(path), p1.linearMatch(path); got != lin || got >= 0 {
				t.Fatalf("rule %q for %q matches %q (indexed %d, linear %d)", expr, u1, path, got, lin)
			}
			if p1.Check(path, Write) == nil {
				t.Fatalf("rule %q for %q grants write on %q", expr, u1, path)
			}
		}
		// The account's own path: matched.
		if !literalTail {
			return
		}
		owns := []string{prefix + u1 + ownTail}
		if kind%4 != 1 { // case-insensitive
			owns = append(owns, prefix+swapCase(u1)+ownTail)
		}
		for _, path := range owns {
			if got, lin := p1.firstMatch(path), p1.linearMatch(path); got != 0 || lin != 0 {
				t.Fatalf("rule %q for %q does not match its own path %q (indexed %d, linear %d)", expr, u1, path, got, lin)
			}
		}
	})
}

// swapCase changes the case of every letter that has another case.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		if u := unicode.ToUpper(r); u != r {
			return u
		}
		return unicode.ToLower(r)
	}, s)
}
