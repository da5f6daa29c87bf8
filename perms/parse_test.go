package perms

import (
	"errors"
	"strings"
	"testing"
)

// parseErrors returns the *ParseError values inside err (joined or not).
func parseErrors(t *testing.T, err error) []*ParseError {
	t.Helper()
	var out []*ParseError
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var pe *ParseError
		if !errors.As(e, &pe) {
			t.Fatalf("error %v (%T) is not a *ParseError", e, e)
		}
		out = append(out, pe)
	}
	if err != nil {
		walk(err)
	}
	return out
}

func TestPerm_P01_Lines(t *testing.T) {
	tests := []struct {
		name      string
		value     string
		global    Set
		wantRules []Rule
	}{
		{"global only", "allow-read", NewSet(Read), nil},
		{"global only, surrounded by blank lines", "\n  \n allow-list \n\n", NewSet(List), nil},
		{"rules after global", "allow-list, allow-write\n/inbox/*, allow-full-control\n/queue/${USER}/*, allow-read, allow-write",
			NewSet(List, Write), []Rule{
				{Expr: "/inbox/*", Set: FullControl(), Line: 2},
				{Expr: "/queue/${USER}/*", Set: NewSet(Read, Write), Line: 3},
			}},
		{"blank lines between rules keep line numbers", "allow-read\r\n\r\n  /a/* , allow-write\r\n\t\n*.csv,allow-read",
			NewSet(Read), []Rule{
				{Expr: "/a/*", Set: NewSet(Write), Line: 3},
				{Expr: "*.csv", Set: NewSet(Read), Line: 5},
			}},
		{"global on a later line", "\n\nallow-read\n/x, allow-write", NewSet(Read), []Rule{{Expr: "/x", Set: NewSet(Write), Line: 4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Parse(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if v.Global != tt.global {
				t.Errorf("Global = %v, want %v", v.Global, tt.global)
			}
			if len(v.Rules) != len(tt.wantRules) {
				t.Fatalf("Rules = %+v, want %+v", v.Rules, tt.wantRules)
			}
			for i := range v.Rules {
				if v.Rules[i] != tt.wantRules[i] {
					t.Errorf("rule %d = %+v, want %+v", i, v.Rules[i], tt.wantRules[i])
				}
			}
		})
	}
}

func TestPerm_P02_Tokens(t *testing.T) {
	good := []struct {
		in   string
		want Set
	}{
		{"allow-read", NewSet(Read)},
		{"  ALLOW-Read ,\tallow-LIST  ", NewSet(Read, List)},
		{"read, write", NewSet(Read, Write)},
		{"READ,Write", NewSet(Read, Write)},
		{"allow-traverse,allow-create-folder,allow-rename,allow-delete-folder,allow-delete-file,allow-set-attributes",
			NewSet(Traverse, CreateFolder, Rename, DeleteFolder, DeleteFile, SetAttributes)},
		{"Allow-Full-Control", FullControl()},
		{"deny-full-control", DenyFullControl()},
		{"allow-read, allow-read", NewSet(Read)},
	}
	for _, tt := range good {
		got, err := ParseSet(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSet(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		v, err := Parse(tt.in + "\n/x/*, " + tt.in)
		if err != nil || v.Global != tt.want || v.Rules[0].Set != tt.want {
			t.Errorf("Parse with %q = %+v, %v", tt.in, v, err)
		}
	}
	bad := []struct {
		in   string
		tok  string
		col  int
		line int
	}{
		{"allow-read, allow-reed", "allow-reed", 13, 1},
		{"allow-all", "allow-all", 1, 1},
		{"allow-read\n/x/*, allow-read, execute", "execute", 19, 2},
		{"allow-read\n/x/*, allow-read,, allow-write", "", 18, 2},
		{"allow-read,", "", 12, 1},
		{"read-only", "read-only", 1, 1},
	}
	for _, tt := range bad {
		_, err := Parse(tt.in)
		pes := parseErrors(t, err)
		if len(pes) != 1 || pes[0].Token != tt.tok || pes[0].Col != tt.col || pes[0].Line != tt.line {
			t.Errorf("Parse(%q) errors = %v; want one naming %q at %d:%d", tt.in, err, tt.tok, tt.line, tt.col)
			continue
		}
		if !strings.Contains(err.Error(), `"`+tt.tok+`"`) {
			t.Errorf("error %q does not name token %q", err, tt.tok)
		}
	}
}

func TestPerm_P03_RuleNeedsPermissions(t *testing.T) {
	tests := []struct {
		value string
		tok   string
		msg   string
	}{
		{"allow-read\n/x", "/x", "no permissions"},
		{"allow-read\n/x,", "", "missing permissions"},
		{"allow-read\n/x,   ", "", "missing permissions"},
		{"allow-read\nm/x/", "m/x/", "no permissions"},
		{"allow-read\nm/x/ ,", "", "missing permissions"},
		{"allow-read\n, allow-read", "", "missing path expression"},
		{"/inbox/*", "/inbox/*", "global permission set"},
		{"/inbox/*, allow-full-control", "/inbox/*", "global permission set"},
		{"allow-read, *.csv", "*.csv", "global permission set"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.value)
		pes := parseErrors(t, err)
		if len(pes) != 1 || pes[0].Token != tt.tok || !strings.Contains(pes[0].Msg, tt.msg) {
			t.Errorf("Parse(%q) = %v; want one error on %q containing %q", tt.value, err, tt.tok, tt.msg)
		}
	}
}

func TestPerm_P04_DelimitedExpressions(t *testing.T) {
	tests := []struct {
		line string
		expr string
		set  Set
	}{
		{"m/a{1,3}/, allow-read", "m/a{1,3}/", NewSet(Read)},
		{"m/a{1,3}/i , allow-read", "m/a{1,3}/i", NewSet(Read)},
		{"e/x,y/,allow-write,allow-read", "e/x,y/", NewSet(Write, Read)},
		{"m/^/reports/\\d+\\.pdf$/, allow-read", "m/^/reports/\\d+\\.pdf$/", NewSet(Read)},
		{"m/a/b,c/, allow-read", "m/a/b,c/", NewSet(Read)},
		{"g//a,b/*/, allow-read", "g//a,b/*/", NewSet(Read)},
		{"  /plain/*  ,  allow-read", "/plain/*", NewSet(Read)},
		{"*.pdf | *.txt, allow-read", "*.pdf | *.txt", NewSet(Read)},
	}
	for _, tt := range tests {
		v, err := Parse("allow-list\n" + tt.line)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.line, err)
			continue
		}
		if r := v.Rules[0]; r.Expr != tt.expr || r.Set != tt.set {
			t.Errorf("Parse(%q) rule = %+v, want expr %q set %v", tt.line, r, tt.expr, tt.set)
		}
	}
	// A plain glob ends at the first comma, so a comma inside a class
	// leaves an unterminated class.
	if _, err := Parse("allow-list\n/a[,]b, allow-read"); err == nil {
		t.Error("glob with comma parsed")
	}
	// Junk after the closing delimiter.
	for _, line := range []string{"m/x/ junk, allow-read", "m/x/q, allow-read", "g/x/i, allow-read", "m/x, allow-read"} {
		if _, err := Parse("allow-list\n" + line); err == nil {
			t.Errorf("Parse(%q) succeeded", line)
		}
	}
}

func TestPerm_P05_UnsupportedExpressions(t *testing.T) {
	tests := []struct {
		expr string
		msg  string
	}{
		{`m/(?=foo)/`, "RE2"},                     // look-ahead
		{`m/(?<!foo)bar/`, "RE2"},                 // look-behind
		{`m/(a)\1/`, "RE2"},                       // back-reference
		{`m/a**/`, "RE2"},                         // bad repetition
		{`m/(unclosed/`, "RE2"},                   // missing paren
		{`e/[z-a]/`, "RE2"},                       // bad range
		{`m/\Z/`, "RE2"},                          // Python-only escape
		{`t/%Y-%m-%d/`, "time-based"},             // time glob
		{`x/abc/`, "unknown matching method"},     // unknown method
		{`M/abc/`, "unknown matching method"},     // methods are lower-case
		{`/[z-a]`, "invalid range"},               // bad glob range
		{`/[abc`, "unterminated character class"}, // bad glob class
		{`/[!]`, "unterminated character class"},
		{`!`, "nothing to negate"},
		{`*.pdf || *.txt`, "empty alternative"},
		{`inbox/*`, "can never match"},
		{`${USER}/*`, "can never match"},
	}
	for _, tt := range tests {
		_, err := Parse("allow-read\n" + tt.expr + ", allow-read")
		pes := parseErrors(t, err)
		if len(pes) != 1 || !strings.Contains(pes[0].Msg, tt.msg) || pes[0].Line != 2 {
			t.Errorf("Parse(%q) = %v; want one error on line 2 containing %q", tt.expr, err, tt.msg)
		}
	}
}

func TestPerm_P06_BlankValue(t *testing.T) {
	for _, value := range []string{"", "\n", "  \n\t\r\n"} {
		v, err := Parse(value)
		if err != nil {
			t.Fatal(err)
		}
		if v.Global != FullControl() || len(v.Rules) != 0 {
			t.Errorf("Parse(%q) = %+v, want allow-full-control and no rules", value, v)
		}
	}
}

// TestParse_AllErrors: every problem is reported, each a *ParseError with
// its own line and column.
func TestParse_AllErrors(t *testing.T) {
	value := "allow-read, bogus\n/ok/*, allow-read\n/x, nope\nm/(?=a)/, allow-read\n/y\n\xff, allow-read"
	_, err := Parse(value)
	pes := parseErrors(t, err)
	want := []struct {
		line, col int
		tok       string
	}{{1, 13, "bogus"}, {3, 5, "nope"}, {4, 3, "(?=a)"}, {5, 1, "/y"}, {6, 1, "\xff, allow-read"}}
	if len(pes) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(pes), len(want), err)
	}
	for i, w := range want {
		if pes[i].Line != w.line || pes[i].Col != w.col || pes[i].Token != w.tok {
			t.Errorf("error %d = %+v, want line %d col %d token %q", i, *pes[i], w.line, w.col, w.tok)
		}
	}
}

// Columns count characters, not bytes.
func TestParse_ColumnCountsCharacters(t *testing.T) {
	_, err := Parse("allow-read\n/dossier/é/*, nope")
	pes := parseErrors(t, err)
	if len(pes) != 1 || pes[0].Col != 15 {
		t.Fatalf("got %v, want column 15", err)
	}
}

func TestPermString(t *testing.T) {
	for i, name := range permNames {
		p := Perm(1 << i)
		if p.String() != name {
			t.Errorf("Perm(%d).String() = %q, want %q", p, p.String(), name)
		}
		got, _, ok := lookupToken(name)
		if !ok || got != p {
			t.Errorf("lookupToken(%q) = %v, %v", name, got, ok)
		}
	}
	if got := (Read | Write).String(); got != "allow-read, allow-write" {
		t.Errorf("(Read|Write).String() = %q", got)
	}
	if got := Perm(0).String(); got != "Perm(0)" {
		t.Errorf("Perm(0).String() = %q", got)
	}
	if got := Perm(1 << 12).String(); got != "Perm(0x1000)" {
		t.Errorf("Perm(1<<12).String() = %q", got)
	}
}

func TestSet_StringRoundTrip(t *testing.T) {
	sets := []Set{
		NewSet(Read), NewSet(Read, List, Write), FullControl(), DenyFullControl(),
		{allow: Read, denyFull: true}, {allowFull: true, denyFull: true}, {allow: allPerms, allowFull: true},
	}
	for _, s := range sets {
		got, err := ParseSet(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSet(%q) = %v, %v; want %#v", s.String(), got, err, s)
		}
	}
	if got := NewSet(Write, Read).String(); got != "allow-read, allow-write" {
		t.Errorf("String = %q", got)
	}
	if got := (Set{denyFull: true, allowFull: true, allow: Read}).String(); got != "deny-full-control, allow-full-control, allow-read" {
		t.Errorf("String = %q", got)
	}
	if (Set{}).String() != "" {
		t.Error("zero set String not empty")
	}
	if _, err := ParseSet(""); err == nil {
		t.Error("ParseSet(\"\") succeeded")
	}
}

func TestValue_StringRoundTrip(t *testing.T) {
	value := "allow-list , read\n\n/inbox/*, allow-full-control\nm/a{1,3}/i, write\n/q/${USER}/ | *.x, deny-full-control, allow-read"
	v, err := Parse(value)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Parse(v.String())
	if err != nil {
		t.Fatalf("reparse %q: %v", v.String(), err)
	}
	if v.Global != w.Global || len(v.Rules) != len(w.Rules) {
		t.Fatalf("round trip: %+v vs %+v", v, w)
	}
	for i := range v.Rules {
		if v.Rules[i].Expr != w.Rules[i].Expr || v.Rules[i].Set != w.Rules[i].Set {
			t.Errorf("rule %d: %+v vs %+v", i, v.Rules[i], w.Rules[i])
		}
	}
}
