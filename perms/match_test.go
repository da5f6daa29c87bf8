package perms

import (
	"testing"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// matchCase is one expression/path pair and whether the expression
// matches the path.
type matchCase struct {
	expr, path string
	want       bool
}

// compileOne compiles a policy with the single rule expr.
func compileOne(t *testing.T, user, expr string) *Policy {
	t.Helper()
	p, err := Compile(user, Set{}, "global", []SourcedRule{{Rule: Rule{Expr: expr, Set: FullControl(), Line: 1}, Source: "test"}})
	if err != nil {
		t.Fatalf("Compile(%q, %q): %v", user, expr, err)
	}
	return p
}

// runMatchCases checks every case through the indexed and the linear
// evaluation, and through Parse.
func runMatchCases(t *testing.T, user string, cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		if _, err := Parse("allow-read\n" + c.expr + ", allow-full-control"); err != nil {
			t.Errorf("Parse(%q): %v", c.expr, err)
			continue
		}
		p := compileOne(t, user, c.expr)
		got := p.firstMatch(c.path) == 0
		lin := p.linearMatch(c.path) == 0
		if got != c.want || lin != c.want {
			t.Errorf("%q matches %q = %v (linear %v), want %v", c.expr, c.path, got, lin, c.want)
		}
	}
}

// PERM-M01: the subject is the canonical virtual path; callers canonicalise
// with vpath before asking.
func TestPerm_M01_SubjectIsCanonicalPath(t *testing.T) {
	p := compileOne(t, "alice", "/inbox/*")
	for _, raw := range []string{"inbox/a.txt", "/inbox//a.txt", "/x/../inbox/./a.txt", "/../../inbox/a.txt"} {
		c, err := vpath.Canonical(raw)
		if err != nil {
			t.Fatal(err)
		}
		if p.firstMatch(c) != 0 {
			t.Errorf("%q (canonical %q) not matched by /inbox/*", raw, c)
		}
	}
	c, _ := vpath.Canonical("/inbox/")
	if p.firstMatch(c) == 0 {
		t.Errorf("canonical %q matched by /inbox/*", c)
	}
}

func TestPerm_M02_GlobAnchoredCaseInsensitive(t *testing.T) {
	runMatchCases(t, "u", []matchCase{
		{"*.CSV", "/a/b.csv", true},
		{"*.csv", "/a/b.CSV", true},
		{"/Inbox/*", "/inbox/x", true},
		{"/inbox/*", "/INBOX/X", true},
		{"/inbox", "/inbox/x", false},  // anchored at the end
		{"/inbox", "/x/inbox", false},  // anchored at the start
		{"*.csv", "/a.csv.bak", false}, // anchored
		{"/straße", "/STRASSE", false}, // simple folding only
		{"/ſ", "/S", true},             // long s folds with s (RE2 simple folding)
		{"/k", "/\u212a", true},        // Kelvin sign folds with k
		{"/Ǆ", "/ǆ", true},
	})
}

func TestPerm_M03_StarAndQuestionCrossSlash(t *testing.T) {
	runMatchCases(t, "u", []matchCase{
		{"*.csv", "/x.csv", true},
		{"*.csv", "/a/b/c.csv", true},
		{"/inbox*", "/inbox", true},
		{"/inbox*", "/inbox-qa", true},
		{"/inbox*", "/inbox/sub/file.txt", true},
		{"/a?b", "/a/b", true},
		{"/a?b", "/ab", false},
		{"/a?b", "/a//b", false},
		{"/?", "/é", true}, // one character, not one byte
		{"*", "/", true},
		{"*", "/line\nbreak", true}, // '*' crosses newlines too
	})
}

func TestPerm_M04_FolderStar(t *testing.T) {
	runMatchCases(t, "u", []matchCase{
		{"/inbox/*", "/inbox", false},
		{"/inbox/*", "/inbox/a", true},
		{"/inbox/*", "/inbox/a/b", true},
		{"/*", "/", true},
		{"/*", "/anything/at/all", true},
	})
}

func TestPerm_M05_CharacterClasses(t *testing.T) {
	runMatchCases(t, "u", []matchCase{
		{"/[a-c]*", "/b1", true},
		{"/[a-c]*", "/d1", false},
		{"/[a-c]*", "/B1", true}, // classes are case-insensitive too
		{"/[!a-c]*", "/d1", true},
		{"/[!a-c]*", "/a1", false},
		{"/a[?]", "/a?", true},
		{"/a[?]", "/ab", false},
		{"/a[*]", "/a*", true},
		{"/a[*]", "/abc", false},
		{"/a[[]b", "/a[b", true},
		{"/a[]]b", "/a]b", true},
		{"/a[!]]b", "/axb", true},
		{"/a[!]]b", "/a]b", false},
		{"/a[|]b", "/a|b", true},
		{"/a[-x]", "/a-", true},
		{"/a[x-]", "/a-", true},
		{"/[^a]", "/^", true}, // '^' is an ordinary class member in globs
		{"/[^a]", "/b", false},
		{"/[é-ë]", "/ê", true},
		{"/[!x]", "/\n", true},
	})
}

func TestPerm_M06_DisjunctionAndNegation(t *testing.T) {
	runMatchCases(t, "u", []matchCase{
		{"*.pdf | *.txt", "/r.pdf", true},
		{"*.pdf | *.txt", "/s.txt", true},
		{"*.pdf | *.txt", "/t.doc", false},
		{"*.pdf|*.txt", "/s.TXT", true},
		{"! *.tmp", "/a.txt", true},
		{"! *.tmp", "/a.tmp", false},
		{"!*.tmp", "/a.TMP", false},
		{"! *.tmp | *.filepart", "/a.txt", true},
		{"! *.tmp | *.filepart", "/a.tmp", false},
		{"! *.tmp | *.filepart", "/a.filepart", false},
		{"/a!b", "/a!b", true}, // '!' is literal except at the start
		{"g/! *.tmp/", "/a.tmp", false},
		{"g/! *.tmp/", "/a.txt", true},
	})
}

func TestPerm_M07_Regexp(t *testing.T) {
	runMatchCases(t, "u", []matchCase{
		{`m/\d+-.*/`, "/dir/12-report.txt", true},
		{`m/\d+-.*/`, "/12-x", true},
		{`m/\d+-.*/`, "/dir/report.txt", false},
		{`m/^/reports/\d+\.pdf$/`, "/reports/123.pdf", true},
		{`m/^/reports/\d+\.pdf$/`, "/x/reports/123.pdf", false},
		{`m/^/reports/\d+\.pdf$/`, "/reports/123.pdf.bak", false},
		{`m/^/reports/\d+\.pdf$/`, "/Reports/123.pdf", false}, // case-sensitive
		{`m/\.PDF$/`, "/a.pdf", false},
		{`m/\.pdf$/i`, "/a.pdf", true},
		{`m/\.pdf$/i`, "/a.PDF", true},
		{`m/^/reports/\d+\.pdf$/i`, "/REPORTS/1.PDF", true},
		{`m/a{1,3}/`, "/aa", true},
		{`m//`, "/anything", true},
		{`m/^$/`, "/", false},
	})
}

func TestPerm_M08_Exclusion(t *testing.T) {
	runMatchCases(t, "u", []matchCase{
		{`e/.*\.pdf/`, "/a.txt", true},
		{`e/.*\.pdf/`, "/a.pdf", false},
		{`e/.*\.pdf/`, "/a.PDF", true}, // case-sensitive
		{`e/.*\.pdf/i`, "/a.PDF", false},
	})
	// Documented use: global allow-write, e/.*\.pdf/ → allow-read: non-PDF
	// files read-only, PDF files write-only.
	p := mustPolicy(t, "u", "allow-write\ne/.*\\.pdf/, allow-read")
	if s := p.Effective("/a.txt"); s != NewSet(Read) {
		t.Errorf("/a.txt: %v", s)
	}
	if s := p.Effective("/a.pdf"); s != NewSet(Write) {
		t.Errorf("/a.pdf: %v", s)
	}
}

// PERM-M09 and PERM-P07.
func TestPerm_M09_UserExpansion(t *testing.T) {
	runMatchCases(t, "JohnD", []matchCase{
		{"/queue/${USER}/*", "/queue/JohnD/pending", true},
		{"/queue/${USER}/*", "/queue/johnd/pending", true},
		{"/queue/${USER}/*", "/queue/Other/pending", false},
		{"/queue/${user}/*", "/queue/JohnD/pending", false}, // ${USER} is case-sensitive
		{"/queue/${user}/*", "/queue/${user}/pending", true},
		{`m/^/queue/${USER}/`, "/queue/JohnD/x", true},
		{`m/^/queue/${USER}/`, "/queue/johnd/x", false},
		{`m/^/queue/${USER}/i`, "/queue/johnd/x", true},
		{`e/^/queue/${USER}//`, "/queue/JohnD/x", false},
		{`e/^/queue/${USER}//`, "/queue/Other/x", true},
	})
	runMatchCases(t, "a*", []matchCase{
		{"/queue/${USER}/*", "/queue/ab/x", false},
		{"/queue/${USER}/*", "/queue/a*/x", true},
	})
}

// PERM-P07: names with glob or regexp meta-characters are inserted
// literally, so a user can never reach another user's paths.
func TestPerm_P07_UserNameEscaping(t *testing.T) {
	tests := []struct {
		user  string
		cases []matchCase
	}{
		{"a*", []matchCase{
			{"/home/${USER}/*", "/home/a*/f", true},
			{"/home/${USER}/*", "/home/alice/f", false},
			{"/home/${USER}/*", "/home/a/f", false},
			{`m/^/home/${USER}/`, "/home/a*/f", true},
			{`m/^/home/${USER}/`, "/home/aaa/f", false},
			{`m/^/home/${USER}/`, "/home//f", false},
		}},
		{"{alice,admin}", []matchCase{
			{"/home/${USER}/*", "/home/{alice,admin}/f", true},
			{"/home/${USER}/*", "/home/alice/f", false},
			{"/home/${USER}/*", "/home/admin/f", false},
			{`m/^/home/${USER}/`, "/home/{alice,admin}/f", true},
			{`m/^/home/${USER}/`, "/home/alice/f", false},
		}},
		{"[a-z]dmin", []matchCase{
			{"/home/${USER}/*", "/home/[a-z]dmin/f", true},
			{"/home/${USER}/*", "/home/admin/f", false},
			{`m/^/home/${USER}/`, "/home/[a-z]dmin/f", true},
			{`m/^/home/${USER}/`, "/home/admin/f", false},
		}},
		{"a?", []matchCase{
			{"/home/${USER}/*", "/home/ab/f", false},
			{"/home/${USER}/*", "/home/a?/f", true},
			{`m/^/home/${USER}/`, "/home/a/f", false},
		}},
		{"x|*", []matchCase{
			{"/home/${USER}/*", "/home/x|*/f", true},
			{"/home/${USER}/*", "/home/x/f", false},
			{"/home/${USER}/*", "/secret", false},
			{`m/^/home/${USER}/`, "/home/x/f", false},
		}},
		{"!bob", []matchCase{
			{"/home/${USER}/*", "/home/!bob/f", true},
			{"/home/${USER}/*", "/home/alice/f", false},
		}},
		{"a]b[", []matchCase{
			{"/home/${USER}/*", "/home/a]b[/f", true},
			{"/home/${USER}/*", "/home/ab/f", false},
		}},
		{" bob ", []matchCase{ // spaces are kept, not trimmed like glob spaces
			{"/home/${USER}/*", "/home/ bob /f", true},
			{"/home/${USER}/*", "/home/bob/f", false},
			{"/home/${USER}/* | /x", "/home/ bob /f", true},
		}},
		{"a.b", []matchCase{
			{`m/^/home/${USER}$/`, "/home/axb", false},
			{`m/^/home/${USER}$/`, "/home/a.b", true},
		}},
		{`a)|(.*`, []matchCase{
			{`m/^/home/(${USER})/`, "/home/a)|(.*/f", true},
			{`m/^/home/(${USER})/`, "/home/zzz/f", false},
			{`m/^/home/(${USER})/`, "/etc/f", false},
		}},
		{"${USER}", []matchCase{ // no recursive expansion
			{"/home/${USER}/*", "/home/${USER}/f", true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) { runMatchCases(t, tt.user, tt.cases) })
	}
}

// PERM-P07 with vpath.ValidName: names that are not valid path elements
// are refused by Compile, whatever the rules.
func TestPerm_P07_InvalidUserNames(t *testing.T) {
	for _, user := range []string{`adm\in`, "", ".", "..", "a/b", "a\x00b", "a\nb", "\xff"} {
		if _, err := Compile(user, FullControl(), "g", nil); err == nil {
			t.Errorf("Compile(%q) succeeded", user)
		}
		if _, err := Compile(user, FullControl(), "g", []SourcedRule{{Rule: Rule{Expr: "/home/${USER}/*", Set: FullControl()}}}); err == nil {
			t.Errorf("Compile(%q) with ${USER} rule succeeded", user)
		}
	}
}

func TestPerm_M10_TrailingSlashSugar(t *testing.T) {
	runMatchCases(t, "u", []matchCase{
		{"/reports/", "/reports", true},
		{"/reports/", "/reports/a.pdf", true},
		{"/reports/", "/reports/sub/a.pdf", true},
		{"/reports/", "/REPORTS/a.pdf", true},
		{"/reports/", "/reports-old", false},
		{"/reports/", "/reportsx/a", false},
		{"/reports/ | /other", "/other", true},
		{"/reports/ | /other", "/reports", true},
		{"/a/ | /b/", "/b/c", true},
		{"g//reports//", "/reports", true},
		{"/", "/", true},
		{"/", "/x/y", true},
		{"! /reports/", "/reports", false},
		{"! /reports/", "/reports/x", false},
		{"! /reports/", "/x", true},
		{"/${USER}/", "/u", true},
		{"/${USER}/", "/u/x", true},
		{"/${USER}/", "/ux", false},
	})
}
