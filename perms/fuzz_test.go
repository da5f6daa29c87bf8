package perms

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// FuzzParse: Parse never panics; every error is a *ParseError with a line
// and column inside the value; a parsed value round-trips through
// Value.String and compiles.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"allow-read",
		"allow-list, allow-write\n/inbox/*, allow-full-control\n/queue/${USER}/*, allow-read, allow-write",
		"allow-read\n*.csv, allow-write\n/inbox/*, allow-full-control",
		"allow-list,allow-read\n/uploads, deny-full-control\n/uploads/*/*, allow-list, allow-write, allow-read",
		"allow-write\ne/.*\\.pdf/, allow-read",
		"read\nm/a{1,3}/, read\nm/^/reports/\\d+\\.pdf$/i, write",
		"allow-read\n! *.tmp | *.filepart, deny-full-control\n/reports/, allow-write",
		"allow-read\n/[!a-c]*, allow-read\n/a[?], write\n/a[]]b, read",
		"/inbox/*\nt/x/, read\nm/(?=x)/, read\n/[a, read\n, read\nm/x/",
		"allow-read\r\n\r\ng/a,b/, read",
		"allow-read\n\xff, read",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		lines := strings.Count(value, "\n") + 1
		v, err := Parse(value)
		if err != nil {
			if v != nil {
				t.Fatal("value and error")
			}
			for _, pe := range parseErrors(t, err) {
				if pe.Line < 1 || pe.Line > lines || pe.Col < 1 {
					t.Fatalf("bad position %+v in %q", *pe, value)
				}
			}
			return
		}
		w, err := Parse(v.String())
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", v.String(), value, err)
		}
		if w.Global != v.Global || len(w.Rules) != len(v.Rules) {
			t.Fatalf("round trip %q: %+v vs %+v", value, v, w)
		}
		for i := range v.Rules {
			if v.Rules[i].Expr != w.Rules[i].Expr || v.Rules[i].Set != w.Rules[i].Set {
				t.Fatalf("round trip %q rule %d: %+v vs %+v", value, i, v.Rules[i], w.Rules[i])
			}
		}
		p, err := Compile(placeholderUser, v.Global, "g", v.Sourced("g"))
		if err != nil {
			t.Fatalf("Compile after Parse(%q): %v", value, err)
		}
		for _, path := range []string{"/", "/a", "/inbox/a.csv", "/queue/user/x"} {
			if p.firstMatch(path) != p.linearMatch(path) {
				t.Fatalf("index disagrees on %q for %q", path, value)
			}
		}
	})
}

// FuzzMatch: random expressions (one per line) and a path: no panic, the
// index agrees with the linear scan, and simple globs agree with a
// reference matcher.
func FuzzMatch(f *testing.F) {
	for _, s := range [][3]string{
		{"/inbox/*", "/inbox/a", "alice"},
		{"*.csv\n/inbox/*\n/inbox", "/INBOX/A.CSV", "bob"},
		{"/queue/${USER}/*", "/queue/JohnD/pending", "JohnD"},
		{"/queue/${USER}/*", "/queue/ab/x", "a*"},
		{"! *.tmp | *.filepart", "/a.tmp", "u"},
		{`m/\d+-.*/` + "\n" + `e/.*\.pdf/i`, "/dir/12-report.txt", "u"},
		{`m/^/reports/\d+\.pdf$/i`, "/Reports/1.PDF", "u"},
		{"/[a-c]*\n/[!a-c]*\n/a[?]", "/b1", "u"},
		{"/reports/\n/s*", "/\u017f", "u"},
		{"/k*", "/\u212a", "u"},
		{"*\xff", "/\xff", "u"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, exprs, path, user string) {
		if vpath.ValidName(user) != nil {
			user = "user"
		}
		var rules []SourcedRule
		for i, e := range strings.Split(exprs, "\n") {
			e = strings.TrimSpace(e)
			if e == "" || len(rules) == 16 {
				continue
			}
			if _, ee := compileExpr(e, user); ee != nil {
				continue
			}
			rules = append(rules, SourcedRule{Rule: Rule{Expr: e, Set: NewSet(Perm(1 << (i % 9))), Line: i + 1}})
		}
		p, err := Compile(user, NewSet(Read), "g", rules)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		for _, q := range []string{path, strings.ToUpper(path), strings.ToLower(path), "/" + path} {
			got, want := p.firstMatch(q), p.linearMatch(q)
			if got != want {
				t.Fatalf("path %q: indexed %d, linear %d%s", q, got, want, dumpRules(p))
			}
		}
		checkFastPath(t, p, path)
		for i, r := range p.rules {
			if ok, simple := refGlob(r.Expr, path); simple && ok != r.m.matchRE(path) {
				t.Fatalf("glob %q on %q: matcher %v, reference %v (rule %d)", r.Expr, path, !ok, ok, i)
			}
		}
	})
}

// refGlob is a reference matcher for globs made only of literals, '*' and
// '?' (no classes, alternatives, negation, ${USER}, spaces or trailing
// '/'): a dynamic-programming match over runes with Unicode simple case
// folding. simple is false for other expressions.
func refGlob(expr, path string) (match, simple bool) {
	if isMethod(expr) || strings.ContainsAny(expr, "[]|!$") || strings.HasSuffix(expr, "/") || !utf8.ValidString(expr) ||
		strings.IndexFunc(expr, unicode.IsSpace) >= 0 {
		return false, false
	}
	pat, s := []rune(expr), []rune(path) // invalid bytes become U+FFFD, as in RE2
	// dp[j]: pat[:i] matches s[:j].
	dp := make([]bool, len(s)+1)
	dp[0] = true
	for _, pc := range pat {
		next := make([]bool, len(s)+1)
		for j := 0; j <= len(s); j++ {
			switch {
			case pc == '*':
				next[j] = dp[j] || (j > 0 && next[j-1])
			case j == 0:
			case pc == '?':
				next[j] = dp[j-1]
			default:
				next[j] = dp[j-1] && strings.EqualFold(string(pc), string(s[j-1]))
			}
		}
		dp = next
	}
	return dp[len(s)], true
}
