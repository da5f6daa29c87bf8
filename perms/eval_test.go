package perms

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// mustPolicy parses value and compiles it for user.
func mustPolicy(t testing.TB, user, value string) *Policy {
	t.Helper()
	v, err := Parse(value)
	if err != nil {
		t.Fatalf("Parse(%q): %v", value, err)
	}
	p, err := Compile(user, v.Global, "group test", v.Sourced("group test"))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

// want is an expected evaluation: allowed and denied permissions.
type want struct {
	path   string
	allow  []Perm
	deny   []Perm
	effSet *Set // optional exact set
}

var allPermList = []Perm{Read, List, Traverse, CreateFolder, Write, Rename, DeleteFolder, DeleteFile, SetAttributes}

func fullAllow() []Perm { return allPermList }

func checkWants(t *testing.T, p *Policy, wants []want) {
	t.Helper()
	for _, w := range wants {
		for _, q := range w.allow {
			if err := p.Check(w.path, q); err != nil {
				t.Errorf("%s: %v denied: %v (%s)", w.path, q, err, p.Explain(w.path, q))
			}
		}
		for _, q := range w.deny {
			if err := p.Check(w.path, q); err == nil {
				t.Errorf("%s: %v allowed (%s)", w.path, q, p.Explain(w.path, q))
			}
		}
		if w.effSet != nil {
			if got := p.Effective(w.path); got != *w.effSet {
				t.Errorf("Effective(%s) = %v, want %v", w.path, got, *w.effSet)
			}
		}
	}
}

func setp(s Set) *Set { return &s }

func TestPerm_E01_FirstMatchReplacesGlobal(t *testing.T) {
	p := mustPolicy(t, "u", "allow-read, allow-list\n/a/*, allow-write\n/a/b/*, allow-full-control\n/c, deny-full-control")
	tests := []struct {
		path string
		want Set
		rule int
	}{
		{"/a/x", NewSet(Write), 0},       // replaces global: no read, no list
		{"/a/b/x", NewSet(Write), 0},     // first match wins over the more specific later rule
		{"/c", DenyFullControl(), 2},     //
		{"/c/x", NewSet(Read, List), -1}, // global
		{"/", NewSet(Read, List), -1},
	}
	for _, tt := range tests {
		if got := p.Effective(tt.path); got != tt.want {
			t.Errorf("Effective(%s) = %v, want %v", tt.path, got, tt.want)
		}
		if e := p.Explain(tt.path, Read); e.RuleIndex != tt.rule {
			t.Errorf("Explain(%s).RuleIndex = %d, want %d", tt.path, e.RuleIndex, tt.rule)
		}
	}
}

func TestPerm_E02_Allowed(t *testing.T) {
	tests := []struct {
		set  string
		perm Perm
		want bool
	}{
		{"allow-read", Read, true},
		{"allow-read", List, false},
		{"allow-read, allow-list", List, true},
		{"allow-full-control", SetAttributes, true},
		{"allow-full-control, allow-read", DeleteFile, true},
		{"deny-full-control", Read, false},
		{"allow-read, deny-full-control", Read, false},
		{"deny-full-control, allow-full-control", Write, false},
		{"allow-full-control, deny-full-control", Write, false},
		{"allow-read, allow-write", Read | Write, true},
		{"allow-read", Read | Write, false},
	}
	for _, tt := range tests {
		s, err := ParseSet(tt.set)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Allows(tt.perm); got != tt.want {
			t.Errorf("{%s}.Allows(%v) = %v, want %v", tt.set, tt.perm, got, tt.want)
		}
	}
	if FullControl().Allows(0) || FullControl().Allows(1<<12) {
		t.Error("full control allows a zero or unknown Perm")
	}
	var zero Set
	for _, q := range allPermList {
		if zero.Allows(q) {
			t.Errorf("zero set allows %v", q)
		}
	}
}

func TestPerm_E03_DocumentedExampleA(t *testing.T) {
	p := mustPolicy(t, "u", "allow-read\n/inbox/*, allow-full-control\n*.csv, allow-read, allow-write")
	checkWants(t, p, []want{
		{path: "/inbox/a.csv", allow: fullAllow(), effSet: setp(FullControl())},
		{path: "/x/a.csv", allow: []Perm{Read, Write}, deny: []Perm{DeleteFile, List, Rename}, effSet: setp(NewSet(Read, Write))},
		{path: "/x/a.txt", allow: []Perm{Read}, deny: []Perm{Write, DeleteFile, List}, effSet: setp(NewSet(Read))},
		{path: "/inbox", allow: []Perm{Read}, deny: []Perm{List, Write}, effSet: setp(NewSet(Read))},
	})
}

func TestPerm_E04_DocumentedExampleB(t *testing.T) {
	p := mustPolicy(t, "u", "allow-read\n/inbox/*, allow-full-control\n*.csv, allow-write")
	checkWants(t, p, []want{
		{path: "/x/a.csv", allow: []Perm{Write}, deny: []Perm{Read, List, DeleteFile}, effSet: setp(NewSet(Write))},
		{path: "/inbox/a.csv", allow: fullAllow(), effSet: setp(FullControl())},
	})
	// STAT needs read or list (SPEC 8.2).
	if err := p.CheckAny("/x/a.csv", Read, List); err == nil {
		t.Error("STAT of a write-only CSV allowed")
	}
}

func TestPerm_E05_DocumentedExampleCOrder(t *testing.T) {
	p := mustPolicy(t, "u", "allow-read\n*.csv, allow-write\n/inbox/*, allow-full-control")
	err := p.Check("/inbox/a.csv", DeleteFile)
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("REMOVE /inbox/a.csv: %v, want denial", err)
	}
	var d *Denial
	if errors.As(err, &d) && (d.RuleIndex != 0 || d.RuleExpr != "*.csv") {
		t.Errorf("decided by %d %q, want the CSV rule", d.RuleIndex, d.RuleExpr)
	}
	if err := p.Check("/inbox/a.txt", DeleteFile); err != nil {
		t.Errorf("REMOVE /inbox/a.txt: %v", err)
	}
}

func TestPerm_E06_DocumentedExamplesDE(t *testing.T) {
	d := mustPolicy(t, "u", "allow-read\n/inbox*, allow-full-control")
	checkWants(t, d, []want{
		{path: "/inbox-qa/x", allow: fullAllow()},
		{path: "/inbox", allow: fullAllow()},
		{path: "/inbox/x", allow: fullAllow()},
	})
	e := mustPolicy(t, "u", "allow-read\n/inbox, allow-full-control\n/inbox/*, allow-full-control")
	checkWants(t, e, []want{
		{path: "/inbox-qa/x", allow: []Perm{Read}, deny: []Perm{Write, List}, effSet: setp(NewSet(Read))},
		{path: "/inbox", allow: fullAllow()},
		{path: "/inbox/a/b.txt", allow: fullAllow()},
	})
}

func TestPerm_E07_DenyPrecedence(t *testing.T) {
	p := mustPolicy(t, "u", "allow-read, deny-full-control")
	if err := p.Check("/a.txt", Read); err == nil {
		t.Error("OPEN(read) allowed under allow-read, deny-full-control")
	}
	q := mustPolicy(t, "u", "allow-read\n/x/*, deny-full-control, allow-full-control")
	checkWants(t, q, []want{{path: "/x/a", deny: allPermList}})
	e := q.Explain("/x/a", Read)
	if !e.DenyFired || e.Allowed {
		t.Errorf("Explain = %+v, want DenyFired", e)
	}
	if e := q.Explain("/y", Read); e.DenyFired || !e.Allowed {
		t.Errorf("Explain(/y) = %+v", e)
	}
}

func TestPerm_E08_NonHierarchical(t *testing.T) {
	p := mustPolicy(t, "u", "allow-list,allow-read\n/uploads, deny-full-control\n/uploads/*/*, allow-list, allow-write, allow-read")
	checkWants(t, p, []want{
		{path: "/", allow: []Perm{List}},                                 // READDIR / lists uploads
		{path: "/uploads", deny: []Perm{List, Read, Traverse}},           // READDIR /uploads denied
		{path: "/uploads/tok", allow: []Perm{List}, deny: []Perm{Write}}, // global
		{path: "/uploads/tok/f", allow: []Perm{Write, Read, List}},
		{path: "/uploads/f", deny: []Perm{Write}},
	})
}

func TestPerm_E09_DefaultAllowAll(t *testing.T) {
	for name, p := range map[string]*Policy{"AllowAll": AllowAll(), "blank value": mustPolicy(t, "u", "")} {
		for _, path := range []string{"/", "/a", "/deep/er/path.txt"} {
			for _, q := range allPermList {
				if err := p.Check(path, q); err != nil {
					t.Errorf("%s: %s %v: %v", name, path, q, err)
				}
			}
			if err := p.Check(path, allPermList...); err != nil {
				t.Errorf("%s: all perms on %s: %v", name, path, err)
			}
		}
	}
	if e := AllowAll().Explain("/x", Write); !e.Allowed || e.RuleIndex != -1 || e.Source != "default" {
		t.Errorf("AllowAll().Explain = %+v", e)
	}
}

// PERM-E10 (storage refusals map to PERMISSION_DENIED even under full
// control) is the storage layer's job: this package only ever narrows.

func TestPerm_E11_DenialMessage(t *testing.T) {
	p := mustPolicy(t, "u", "allow-read\n/secret*, deny-full-control, allow-read")
	tests := []struct {
		path string
		need []Perm
		msg  string
	}{
		{"/inbox", []Perm{List}, "permission denied: allow-list required for /inbox"},
		{"/a", []Perm{Read, Write}, "permission denied: allow-write required for /a"},
		{"/a", []Perm{Write, Rename}, "permission denied: allow-write required for /a"},
		{"/a", []Perm{Read | Rename | Write}, "permission denied: allow-write required for /a"},
		{"/secret/x", []Perm{Read}, "permission denied: allow-read required for /secret/x"},
	}
	for _, tt := range tests {
		err := p.Check(tt.path, tt.need...)
		if err == nil {
			t.Fatalf("Check(%s, %v) allowed", tt.path, tt.need)
		}
		if err.Error() != tt.msg {
			t.Errorf("message %q, want %q", err, tt.msg)
		}
		if !errors.Is(err, fs.ErrPermission) {
			t.Error("denial is not fs.ErrPermission")
		}
		var d *Denial
		if !errors.As(err, &d) || d.Path != tt.path || d.Allowed {
			t.Errorf("denial %+v", d)
		}
		// The client-safe text never names the rule or its source.
		if strings.Contains(err.Error(), "secret*") || strings.Contains(err.Error(), "group") {
			t.Errorf("message leaks configuration: %q", err)
		}
	}
	// CheckAny: nil if one is allowed, else a denial naming the first.
	if err := p.CheckAny("/d", List, Read); err != nil {
		t.Errorf("CheckAny(list, read): %v", err)
	}
	err := p.CheckAny("/d", List, Traverse)
	if err == nil || err.Error() != "permission denied: allow-list required for /d" {
		t.Errorf("CheckAny(list, traverse) = %v", err)
	}
	if p.CheckAny("/d") == nil {
		t.Error("CheckAny with nothing allowed")
	}
	if err := p.Check("/d"); err != nil {
		t.Errorf("Check with nothing needed: %v", err)
	}
	if p.Check("/d", 0) == nil {
		t.Error("Check(0) allowed")
	}
}

func TestExplain(t *testing.T) {
	v, err := Parse("allow-read\n\n*.csv, allow-write\n/inbox/*, allow-full-control")
	if err != nil {
		t.Fatal(err)
	}
	rules := v.Sourced("group partners")
	rules[1].Source = "account alice"
	p, err := Compile("alice", v.Global, "group default", rules)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Explain("/inbox/a.csv", DeleteFile)
	wantE := Explanation{Path: "/inbox/a.csv", Need: DeleteFile, Allowed: false, RuleIndex: 0, RuleExpr: "*.csv", RuleLine: 3,
		Source: "group partners", Set: NewSet(Write)}
	if got != wantE {
		t.Errorf("Explain = %+v\nwant %+v", got, wantE)
	}
	got = p.Explain("/inbox/a.txt", DeleteFile)
	if !got.Allowed || got.RuleIndex != 1 || got.Source != "account alice" || got.RuleLine != 4 {
		t.Errorf("Explain = %+v", got)
	}
	got = p.Explain("/a.txt", Read)
	if !got.Allowed || got.RuleIndex != -1 || got.RuleExpr != "" || got.Source != "group default" || got.Set != NewSet(Read) {
		t.Errorf("Explain = %+v", got)
	}
	s := p.Explain("/inbox/a.csv", DeleteFile).String()
	if s != `allow-delete-file on /inbox/a.csv: denied by rule 1 "*.csv" (line 3, group partners): allow-write` {
		t.Errorf("String = %s", s)
	}
	if s := p.Explain("/a", Write).String(); s != "allow-write on /a: denied by global permissions (group default): allow-read" {
		t.Errorf("String = %s", s)
	}
}

func TestNilPolicyFailsClosed(t *testing.T) {
	var p *Policy
	if p.Check("/a", Read) == nil || p.Effective("/a") != (Set{}) || p.Explain("/a", Read).Allowed {
		t.Error("nil policy allows")
	}
}

func TestPolicyAccessors(t *testing.T) {
	p := mustPolicy(t, "bob", "allow-read\n/x/*, allow-write")
	if p.User() != "bob" {
		t.Error(p.User())
	}
	if s, src := p.Global(); s != NewSet(Read) || src != "group test" {
		t.Error(s, src)
	}
	rules := p.Rules()
	if len(rules) != 1 || rules[0].Expr != "/x/*" || rules[0].Source != "group test" {
		t.Errorf("%+v", rules)
	}
	rules[0].Expr = "changed"
	if p.Rules()[0].Expr != "/x/*" {
		t.Error("Rules is not a copy")
	}
}

// Compile reports bad expressions in hand-built rules, with the rule's line.
func TestCompile_Errors(t *testing.T) {
	_, err := Compile("u", FullControl(), "g", []SourcedRule{
		{Rule: Rule{Expr: "/ok/*", Set: FullControl(), Line: 2}, Source: "group a"},
		{Rule: Rule{Expr: "m/(?=x)/", Set: FullControl(), Line: 3}, Source: "group a"},
		{Rule: Rule{Expr: "", Set: FullControl(), Line: 4}, Source: "group b"},
	})
	pes := parseErrors(t, err)
	if len(pes) != 2 || pes[0].Line != 3 || pes[1].Line != 4 {
		t.Fatalf("errors = %v", err)
	}
	if !strings.Contains(err.Error(), "group a") || !strings.Contains(err.Error(), "group b") {
		t.Errorf("error does not name the sources: %v", err)
	}
}

// PERM-E12: evaluation is deterministic and side-effect free, and a Policy
// is safe for concurrent use (run with -race).
func TestPerm_E12_DeterministicConcurrent(t *testing.T) {
	p := mustPolicy(t, "alice", "allow-read\n/inbox/*, allow-full-control\n*.csv, allow-write\n! /tmp/* | /tmp/keep*, allow-list\nm/^/queue/${USER}/\\d+$/, allow-delete-file\ne/x/, allow-rename")
	var paths []string
	for i := range 200 {
		paths = append(paths, fmt.Sprintf("/inbox/f%d.csv", i), fmt.Sprintf("/tmp/%d", i), fmt.Sprintf("/queue/alice/%d", i), fmt.Sprintf("/x%d", i))
	}
	type res struct {
		set Set
		e   Explanation
		err string
	}
	eval := func(path string) res {
		r := res{set: p.Effective(path), e: p.Explain(path, Write)}
		if err := p.Check(path, Read, Write); err != nil {
			r.err = err.Error()
		}
		return r
	}
	wantRes := make([]res, len(paths))
	for i, path := range paths {
		wantRes[i] = eval(path)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := range 16 {
		wg.Go(func() {
			for round := range 5 {
				for k := range paths {
					i := (k + g*31 + round*7) % len(paths)
					if got := eval(paths[i]); got != wantRes[i] {
						select {
						case errs <- fmt.Sprintf("%s: %+v vs %+v", paths[i], got, wantRes[i]):
						default:
						}
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestExplanation_LogValue(t *testing.T) {
	p := mustPolicy(t, "u", "allow-read\n*.csv, deny-full-control")
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})).Info("denied", "perm", p.Explain("/a.csv", Read))
	want := `level=INFO msg=denied perm.path=/a.csv perm.need=allow-read perm.allowed=false perm.rule=1 perm.expr=*.csv perm.rule_line=2 perm.source="group test" perm.set=deny-full-control perm.deny=true` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
}
