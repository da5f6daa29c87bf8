package perms

import (
	"fmt"
	"math/rand/v2"
	gopath "path"
	"strings"
	"testing"
)

// lintKinds lints value and returns its warnings as "RULE:KIND" (RULE is
// 1-based, as in the messages), in order.
func lintKinds(t *testing.T, value string, opt LintOptions) ([]string, []Warning) {
	t.Helper()
	v, err := Parse(value)
	if err != nil {
		t.Fatalf("Parse(%q): %v", value, err)
	}
	ws := Lint(v, opt)
	var got []string
	for _, w := range ws {
		got = append(got, fmt.Sprintf("%d:%s", w.Rule+1, w.Kind))
		if w.Rule < 0 || w.Rule >= len(v.Rules) || w.Line != v.Rules[w.Rule].Line {
			t.Errorf("%q: warning %+v does not point at its rule", value, w)
		}
		if !strings.Contains(w.Msg, fmt.Sprintf("%q", v.Rules[w.Rule].Expr)) {
			t.Errorf("%q: message %q does not name the rule", value, w.Msg)
		}
	}
	return got, ws
}

type lintCase struct {
	name  string
	value string
	want  []string // "RULE:KIND", RULE 1-based
	opt   LintOptions
}

func runLintCases(t *testing.T, cases []lintCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ws := lintKinds(t, c.value, c.opt)
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("Lint(%q) = %v, want %v", c.value, got, c.want)
				for _, w := range ws {
					t.Logf("  %s", w)
				}
			}
		})
	}
}

func lines(s ...string) string { return strings.Join(s, "\n") }

// (a) "/x*" also matches "/x-other".
func TestLint_PrefixGlob(t *testing.T) {
	runLintCases(t, []lintCase{
		{"folder prefix", lines("allow-read", "/inbox*, allow-full-control"), []string{"1:" + KindPrefixGlob}, LintOptions{}},
		{"nested folder prefix", lines("allow-read", "/data/partner42*, allow-read"), []string{"1:" + KindPrefixGlob}, LintOptions{}},
		{"user prefix", lines("allow-read", "/queue/${USER}*, allow-write"), []string{"1:" + KindPrefixGlob}, LintOptions{}},
		{"in an alternative", lines("allow-read", "*.csv | /inbox**, allow-write"), []string{"1:" + KindPrefixGlob}, LintOptions{}},
		{"g form slash", lines("allow-read", "g//inbox*/, allow-write"), []string{"1:" + KindPrefixGlob}, LintOptions{}},
		// Not traps: a file-name prefix, a separator before the star, a
		// folder with its content, a suffix glob, a negation.
		{"file prefix with dot", lines("allow-read", "/logs/app.*, allow-write"), nil, LintOptions{}},
		{"prefix ending in separator", lines("allow-read", "/out/invoice_*, allow-write", "/out/report-*, allow-write"), nil, LintOptions{}},
		{"folder content", lines("allow-read", "/inbox | /inbox/*, allow-write"), nil, LintOptions{}},
		{"sugar", lines("allow-read", "/inbox/, allow-write"), nil, LintOptions{}},
		{"suffix", lines("allow-read", "*.csv, allow-write"), nil, LintOptions{}},
		{"negated", lines("allow-read", "! /inbox*, allow-write"), nil, LintOptions{}},
		{"star in the middle", lines("allow-read", "/inbox*/x, allow-write"), nil, LintOptions{}},
		{"regexp", lines("allow-read", "m/^/inbox/, allow-write"), nil, LintOptions{}},
	})
	_, ws := lintKinds(t, lines("allow-read", "/inbox*, allow-full-control"), LintOptions{})
	for _, s := range []string{`"/inbox-other"`, `"/inbox | /inbox/*"`, `"/inbox/"`} {
		if !strings.Contains(ws[0].Msg, s) {
			t.Errorf("message %q lacks %s", ws[0].Msg, s)
		}
	}
}

// (b) "/x/*" leaves the folder "/x" to the global set.
func TestLint_FolderItself(t *testing.T) {
	runLintCases(t, []lintCase{
		{"folder content only", lines("allow-read", "/inbox/*, allow-full-control"), []string{"1:" + KindFolderItself}, LintOptions{}},
		{"user folder", lines("allow-read", "/queue/${USER}/*, allow-list, allow-write"), []string{"1:" + KindFolderItself}, LintOptions{}},
		{"one alternative", lines("allow-read", "/a/* | /b | /b/*, allow-list"), []string{"1:" + KindFolderItself}, LintOptions{}},
		// The folder is covered by a rule, before or after.
		{"folder rule before", lines("allow-read", "/inbox, allow-list", "/inbox/*, allow-full-control"), nil, LintOptions{}},
		{"folder rule after", lines("allow-read", "/inbox/*, allow-full-control", "/INBOX, allow-list"), nil, LintOptions{}},
		{"same rule", lines("allow-read", "/inbox | /inbox/*, allow-full-control"), nil, LintOptions{}},
		{"sugar", lines("allow-read", "/inbox/, allow-full-control"), nil, LintOptions{}},
		{"covered by a regexp", lines("allow-read", "/inbox/*, allow-full-control", "m/^/inbox$/, allow-list"), nil, LintOptions{}},
		{"covered by a user rule", lines("allow-read", "/q/${USER}/*, allow-full-control", "/q/${USER}, allow-list"), nil, LintOptions{}},
		// The global set allows the same folder operations: no surprise.
		{"same folder permissions", lines("allow-full-control", "/support/*, allow-full-control"), nil, LintOptions{}},
		{"global allows more on the folder", lines("allow-read, allow-list", "/pull/*, allow-read"), nil, LintOptions{}},
		{"list and read both stat", lines("allow-list, allow-write", "/queue/${USER}/*, allow-read, allow-write"), nil, LintOptions{}},
		{"traverse is not list", lines("allow-traverse", "/a/*, allow-list"), []string{"1:" + KindFolderItself}, LintOptions{}},
		{"only file permissions differ", lines("allow-list", "/drop/*, allow-list, allow-write, allow-delete-file"), nil, LintOptions{}},
		// Deeper or wildcard shapes are deliberate (SPEC PERM-E08).
		{"two levels", lines("allow-list", "/uploads/*/*, allow-list, allow-write"), nil, LintOptions{}},
		{"class folder", lines("allow-read", "/[ab]/*, allow-write"), nil, LintOptions{}},
		{"root", lines("allow-read", "/*, allow-write"), nil, LintOptions{}},
	})
	_, ws := lintKinds(t, lines("allow-read", "/inbox/*, allow-full-control"), LintOptions{})
	for _, s := range []string{`folder "/inbox"`, "(allow-read)", "(allow-full-control)", "refuse on it what the rule allows: listing, listing files, creating, deleting, renaming, changing attributes;", `"/inbox/"`} {
		if !strings.Contains(ws[0].Msg, s) {
			t.Errorf("message %q lacks %s", ws[0].Msg, s)
		}
	}
}

// (c) rules every path of which is matched earlier.
func TestLint_Shadowed(t *testing.T) {
	runLintCases(t, []lintCase{
		{"identical", lines("allow-read", "/a/*, allow-write", "/a/*, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"identical but case", lines("allow-read", "*.CSV, allow-write", "*.csv, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"identical g form", lines("allow-read", "*.csv, allow-write", "g/*.csv/, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"identical regexp", lines("allow-read", `m/\d+/, allow-write`, `m/\d+/, allow-read`), []string{"2:" + KindShadowed}, LintOptions{}},
		{"identical exclusion", lines("allow-read", `e/\.pdf$/, allow-write`, `e/\.pdf$/, allow-read`), []string{"2:" + KindShadowed}, LintOptions{}},
		{"identical negation", lines("allow-read", "! *.tmp, allow-write", "!*.TMP, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"prefix glob", lines("allow-read", "/in_*, allow-write", "/in_box/*.csv, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"folder content", lines("allow-read", "/inbox/*, allow-write", "/inbox/sub/, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"sugar", lines("allow-read", "/inbox/, allow-write", "/INBOX/*.csv, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"sugar covers folder", lines("allow-read", "/inbox/, allow-write", "/inbox, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"user prefix", lines("allow-read", "/q/${USER}/*, allow-write", "/q/${USER}/in/*, allow-read"), []string{"2:" + KindShadowed}, LintOptions{}},
		{"alternatives by two rules", lines("allow-read", "/a/, allow-write", "/b/, allow-read", "/a/x | /b/y*, allow-list"), []string{"3:" + KindShadowed}, LintOptions{}},
		// Not provable, or not true.
		{"one alternative free", lines("allow-read", "/a/, allow-write", "/a/x | /c/y, allow-list"), nil, LintOptions{}},
		{"sugar vs star", lines("allow-read", "/inbox/*, allow-list", "/inbox/, allow-write"), nil, LintOptions{}},
		{"suffix then prefix", lines("allow-read", "*.csv, allow-write", "/inbox/*.csv, allow-read"), nil, LintOptions{}},
		{"user vs literal", lines("allow-read", "/q/${USER}*, allow-write", "/q/alice/x, allow-read"), []string{"1:" + KindPrefixGlob}, LintOptions{}},
		{"regexp modifiers differ", lines("allow-read", `m/a/, allow-write`, `m/a/i, allow-read`), nil, LintOptions{}},
		{"negation vs plain", lines("allow-read", "! *.tmp, allow-write", "*.tmp, allow-read"), nil, LintOptions{}},
		{"class case", lines("allow-read", "/[a-c]x, allow-write", "/[A-C]x, allow-read"), nil, LintOptions{}},
		{"folder does not cover prefix", lines("allow-read", "/inbox/, allow-write", "/inbox-qa/*, allow-list"), []string{"2:" + KindFolderItself}, LintOptions{}},
	})
	_, ws := lintKinds(t, lines("allow-read", "/in_*, allow-write", "/in_box/*.csv, allow-read"), LintOptions{})
	if !strings.Contains(ws[0].Msg, `rule 1 "/in_*" (line 2)`) {
		t.Errorf("message %q does not name the shadowing rule", ws[0].Msg)
	}
}

// (d) rules after a catch-all.
func TestLint_AfterCatchAll(t *testing.T) {
	runLintCases(t, []lintCase{
		{"star", lines("allow-read", "*, allow-list", "/a, allow-write", "*.csv, allow-write"), []string{"2:" + KindAfterCatchAll, "3:" + KindAfterCatchAll}, LintOptions{}},
		{"slash star", lines("allow-read", "/*, allow-list", "/a, allow-write"), []string{"2:" + KindAfterCatchAll}, LintOptions{}},
		{"slash sugar", lines("allow-read", "/, allow-list", "/a, allow-write"), []string{"2:" + KindAfterCatchAll}, LintOptions{}},
		{"alternative", lines("allow-read", "/a | **, allow-list", "/b, allow-write"), []string{"2:" + KindAfterCatchAll}, LintOptions{}},
		{"regexp", lines("allow-read", "m/.*/, allow-list", "/a, allow-write"), []string{"2:" + KindAfterCatchAll}, LintOptions{}},
		{"anchored regexp", lines("allow-read", "m/^/, allow-list", "/a, allow-write"), []string{"2:" + KindAfterCatchAll}, LintOptions{}},
		{"case-insensitive regexp", lines("allow-read", "m/x*/i, allow-list", "/a, allow-write"), []string{"2:" + KindAfterCatchAll}, LintOptions{}},
		{"g form", lines("allow-read", "g/*/, allow-list", "/a, allow-write"), []string{"2:" + KindAfterCatchAll}, LintOptions{}},
		{"catch-all last", lines("allow-read", "/a, allow-write", "*, allow-list"), nil, LintOptions{}},
		// Not catch-alls.
		{"exclusion", lines("allow-read", `e/\.pdf$/, allow-list`, "/a, allow-write"), nil, LintOptions{}},
		{"exclusion of nothing", lines("allow-read", `e/^$/, allow-list`, "/a, allow-write"), nil, LintOptions{}},
		{"negation", lines("allow-read", "! /nothing, allow-list", "/a, allow-write"), nil, LintOptions{}},
		{"double slash", lines("allow-read", "//, allow-list", "/a, allow-write"), nil, LintOptions{}},
		{"anchored both ends", lines("allow-read", "m/^.*$/, allow-list", "/a, allow-write"), nil, LintOptions{}},
		{"word boundary", lines("allow-read", `m/\b/, allow-list`, "/a, allow-write"), nil, LintOptions{}},
		{"question", lines("allow-read", "/?*, allow-list", "/a, allow-write"), nil, LintOptions{}},
	})
	_, ws := lintKinds(t, lines("allow-read", "*, allow-list", "/a, allow-write"), LintOptions{})
	if !strings.Contains(ws[0].Msg, `rule 1 "*" (line 2)`) {
		t.Errorf("message %q does not name the catch-all", ws[0].Msg)
	}
}

// (e) ${USER} in an account's own rules.
func TestLint_AccountUser(t *testing.T) {
	value := lines("allow-read", "/queue/${USER}/, allow-write", "/inbox/, allow-write", `m/^/home/${USER}$/, allow-list`)
	runLintCases(t, []lintCase{
		{"account", value, []string{"1:" + KindAccountUser, "3:" + KindAccountUser}, LintOptions{AccountLevel: true}},
		{"group", value, nil, LintOptions{}},
		{"lower-case is not the placeholder", lines("allow-read", "/q/${user}/, allow-write"), nil, LintOptions{AccountLevel: true}},
	})
}

// The documented examples of SPEC §7 and the Appendix C fixture: warnings
// only where the specification itself describes the trap.
func TestLint_SpecExamples(t *testing.T) {
	runLintCases(t, []lintCase{
		// Examples A, B and C: "/inbox/*" leaves /inbox to the global
		// allow-read; PERM-E03 spells it out: "/inbox read only (cannot
		// list it)". That is trap (b), reported.
		{"A", lines("allow-read", "/inbox/*, allow-full-control", "*.csv, allow-read, allow-write"), []string{"1:" + KindFolderItself}, LintOptions{}},
		{"B", lines("allow-read", "/inbox/*, allow-full-control", "*.csv, allow-write"), []string{"1:" + KindFolderItself}, LintOptions{}},
		{"C", lines("allow-read", "*.csv, allow-write", "/inbox/*, allow-full-control"), []string{"2:" + KindFolderItself}, LintOptions{}},
		// Example D: "/inbox*" gives /inbox-qa/x full control, the trap
		// the specification warns about (7(b), PERM-M03): (a).
		{"D", lines("allow-read", "/inbox*, allow-full-control"), []string{"1:" + KindPrefixGlob}, LintOptions{}},
		// Example E is the recommended fix: nothing to say.
		{"E", lines("allow-read", "/inbox, allow-full-control", "/inbox/*, allow-full-control"), nil, LintOptions{}},
		// The HTTP examples.
		{"reports", lines("allow-read, allow-list", "*.exe, deny-full-control", "/reports/, allow-write"), nil, LintOptions{}},
		{"hidden parent", lines("allow-list,allow-read", "/uploads, deny-full-control", "/uploads/*/*, allow-list, allow-write, allow-read"), nil, LintOptions{}},
		{"exclusion", lines("allow-write", `e/.*\.pdf/, allow-read`), nil, LintOptions{}},
		// Appendix C.
		{"DEFAULT_GROUP", "allow-list, allow-read", nil, LintOptions{}},
		{"partners", lines("allow-list, allow-read", "/push, allow-list", "/push/*, allow-list, allow-write, allow-rename", "*.exe, deny-full-control"), nil, LintOptions{}},
		{"support", lines("allow-full-control", "/support/*, allow-full-control"), nil, LintOptions{}},
	})
}

func TestLint_Robust(t *testing.T) {
	if ws := Lint(nil, LintOptions{}); ws != nil {
		t.Errorf("Lint(nil) = %v", ws)
	}
	// A hand-built value with a broken rule: skipped, the others linted.
	v := &Value{Global: NewSet(Read), Rules: []Rule{
		{Expr: "m/(/", Set: NewSet(Read), Line: 2},
		{Expr: "*", Set: NewSet(Read), Line: 3},
		{Expr: "/a", Set: NewSet(Read), Line: 4},
	}}
	ws := Lint(v, LintOptions{})
	if len(ws) != 1 || ws[0].Rule != 2 || ws[0].Line != 4 || ws[0].Kind != KindAfterCatchAll {
		t.Errorf("Lint = %v", ws)
	}
	if s := ws[0].String(); !strings.HasPrefix(s, "line 4: rule 3 \"/a\": never used") || !strings.HasSuffix(s, "("+KindAfterCatchAll+")") {
		t.Errorf("String = %q", s)
	}
}

// Every rule Lint calls unreachable is never the first match, on random
// policies and paths: the shadowing analysis is sound.
func TestLint_UnreachableIsSound(t *testing.T) {
	r := newTestRand()
	reported := 0
	for range 3000 {
		n := 1 + r.IntN(6)
		var b strings.Builder
		b.WriteString("allow-read")
		for range n {
			fmt.Fprintf(&b, "\n%s, allow-write", lintRandExpr(r))
		}
		v, err := Parse(b.String())
		if err != nil {
			continue
		}
		dead := map[int]bool{}
		for _, w := range Lint(v, LintOptions{}) {
			if w.Kind == KindShadowed || w.Kind == KindAfterCatchAll {
				dead[w.Rule] = true
				reported++
			}
		}
		if len(dead) == 0 {
			continue
		}
		for _, user := range []string{"user", "alice", "K"} {
			p, err := Compile(user, v.Global, "g", v.Sourced("g"))
			if err != nil {
				t.Fatal(err)
			}
			for range 100 {
				path := randPath(r)
				if r.IntN(2) == 0 {
					path = lintPathFrom(r, v.Rules[r.IntN(len(v.Rules))].Expr, user)
				}
				path = gopath.Clean("/" + path) // canonical, as Check receives it
				if i := p.linearMatch(path); dead[i] {
					t.Fatalf("rule %d %q reported unreachable but decides %q for %q\n%s", i+1, v.Rules[i].Expr, path, user, v)
				}
			}
		}
	}
	if reported < 300 {
		t.Errorf("only %d unreachable rules reported: the generator is too weak", reported)
	}
}

func newTestRand() *rand.Rand { return rand.New(rand.NewPCG(3, 4)) }

var (
	lintLits  = []string{"/a", "/A", "/b", "/k", "/\u212a", "/a/b", "/a-b", "/q/${USER}", "/q/user", "/x.csv"}
	lintTails = []string{"", "*", "/*", "/", "*.csv", "/*/*", "?", "/b*", "**"}
)

// lintRandExpr returns an expression from a small vocabulary, so that
// rules of one policy overlap often.
func lintRandExpr(r *rand.Rand) string {
	switch r.IntN(12) {
	case 0:
		return []string{"*", "/*", "/", "m/.*/", "m/^/", "m/b*/i", `e/\.csv$/`, "! /a/*", "//"}[r.IntN(9)]
	case 1:
		return []string{`m/^\/a/`, `m/\.csv$/i`, `m/^/q/${USER}$/`, `e/^/a/`}[r.IntN(4)]
	case 2:
		return "*.csv"
	}
	alt := func() string { return lintLits[r.IntN(len(lintLits))] + lintTails[r.IntN(len(lintTails))] }
	e := alt()
	for r.IntN(4) == 0 {
		e += " | " + alt()
	}
	if r.IntN(10) == 0 {
		e = "g/" + e + "/"
	}
	return e
}

// lintPathFrom returns a path the expression probably matches.
func lintPathFrom(r *rand.Rand, expr, user string) string {
	if isMethod(expr) {
		expr = expr[2:strings.LastIndexByte(expr, '/')]
	}
	alts := strings.Split(strings.TrimPrefix(expr, "! "), " | ")
	a := alts[r.IntN(len(alts))]
	if strings.HasSuffix(a, "/") && r.IntN(2) == 0 {
		a = strings.TrimSuffix(a, "/")
	}
	rep := strings.NewReplacer("*", []string{"", "x", "/y", "-b/c", ".csv"}[r.IntN(5)], "?", "a", "${USER}", user,
		"^", "", "$", "", `\`, "", ".*", "")
	return rep.Replace(a)
}
