package perms

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The index must give exactly the linear first-match result; these tests
// compare the two on random policies and paths. The alphabets are small
// and full of case-folding traps (k, K, Kelvin sign; s, S, long s; é, É)
// so that rules and paths collide often.

var (
	litAlphabet  = []string{"a", "b", "A", "k", "K", "\u212a", "s", "ſ", "S", "é", "É", ".", "-", "1", "/"}
	pathAlphabet = []string{"a", "b", "A", "B", "k", "K", "\u212a", "s", "ſ", "S", "é", "É", ".", "-", "1", "/", "/", "\n", "\xff", "?", "*"}
	globPieces   = []string{"*", "?", "[a-c]", "[!b]", "[k]", "${USER}", "[?]", "[é-ê]"}
	testUsers    = []string{"a", "K", "ſ", "ab", "a*", "[a]"}
)

func randLit(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(litAlphabet[r.IntN(len(litAlphabet))])
	}
	return b.String()
}

// randGlobAlt returns a glob alternative starting with '/' or a wildcard.
func randGlobAlt(r *rand.Rand) string {
	var b strings.Builder
	switch r.IntN(4) {
	case 0:
		b.WriteString("*")
	case 1:
		b.WriteString("?")
	default:
		b.WriteString("/")
	}
	for range r.IntN(6) {
		if r.IntN(3) == 0 {
			b.WriteString(globPieces[r.IntN(len(globPieces))])
		} else {
			b.WriteString(randLit(r, 1+r.IntN(3)))
		}
	}
	return b.String()
}

func randRegexpLit(r *rand.Rand) string {
	return strings.NewReplacer(".", `\.`, "/", "/").Replace(randLit(r, 1+r.IntN(4)))
}

func randExpr(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return "m/^" + randRegexpLit(r) + "/" + []string{"", "i"}[r.IntN(2)]
	case 1:
		return "m/" + randRegexpLit(r) + "$/" + []string{"", "i"}[r.IntN(2)]
	case 2:
		return "m/^" + randRegexpLit(r) + ".*" + randRegexpLit(r) + "$/" + []string{"", "i"}[r.IntN(2)]
	case 3:
		return "e/" + randRegexpLit(r) + "/" + []string{"", "i"}[r.IntN(2)]
	case 4:
		return "m/" + randRegexpLit(r) + "/"
	}
	g := randGlobAlt(r)
	for r.IntN(3) == 0 {
		g += " | " + randGlobAlt(r)
	}
	if r.IntN(8) == 0 {
		g = "! " + g
	}
	return g
}

func randPath(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("/")
	for range r.IntN(9) {
		b.WriteString(pathAlphabet[r.IntN(len(pathAlphabet))])
	}
	return b.String()
}

// randPolicy compiles a policy of n random rules.
func randPolicy(t testing.TB, r *rand.Rand, n int) *Policy {
	t.Helper()
	rules := make([]SourcedRule, 0, n)
	for len(rules) < n {
		e := randExpr(r)
		if _, ee := compileExpr(e, "user"); ee != nil {
			continue // a random class range may be reversed, etc.
		}
		rules = append(rules, SourcedRule{Rule: Rule{Expr: e, Set: NewSet(Perm(1 << r.IntN(9))), Line: len(rules) + 2}})
	}
	user := testUsers[r.IntN(len(testUsers))]
	p, err := Compile(user, NewSet(Read), "g", rules)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return p
}

func TestIndex_EqualsLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	hits := 0
	for range 150 {
		p := randPolicy(t, r, 1+r.IntN(40))
		for range 200 {
			path := randPath(r)
			// Sometimes derive the path from a rule so that rules match.
			if r.IntN(3) == 0 && len(p.rules) > 0 {
				e := p.rules[r.IntN(len(p.rules))].Expr
				path = strings.NewReplacer("*", randLit(r, r.IntN(3)), "?", "a", "${USER}", p.user, " | ", "", "! ", "", "[", "", "]", "", "m/", "", "e/", "", "^", "", "$", "", `\`, "").Replace(e)
			}
			got, want := p.firstMatch(path), p.linearMatch(path)
			if got != want {
				t.Fatalf("user %q path %q: indexed rule %d, linear rule %d\nrules: %s", p.user, path, got, want, dumpRules(p))
			}
			if want >= 0 {
				hits++
			}
			checkFastPath(t, p, path)
		}
	}
	if hits < 1000 {
		t.Errorf("only %d matching evaluations: the generator is too weak", hits)
	}
}

// checkFastPath checks every rule's literal fast path against its regexp.
func checkFastPath(t testing.TB, p *Policy, path string) {
	t.Helper()
	folded := appendFold(nil, path)
	for i, r := range p.rules {
		if got, want := r.m.match(path, folded), r.m.matchRE(path); got != want {
			t.Fatalf("rule %d %q (fast %+v) on %q: fast path %v, regexp %v", i, r.Expr, r.m.fast, path, got, want)
		}
	}
}

// Literal globs are decided without a regexp.
func TestFastPath_Shapes(t *testing.T) {
	tests := []struct {
		expr string
		fast string // fmt of the kinds, "" for none
	}{
		{"/a/b", "[0]"},
		{"/a/*", "[1]"},
		{"*.csv", "[2]"},
		{"*tmp*", "[3]"},
		{"*", "[3]"},
		{"**", "[3]"},
		{"/reports/", "[4]"},
		{"/", "[4]"},
		{"! *.tmp | *.part", "[2 2]"},
		{"/q/${USER}/*", "[1]"},
		{"/a/* | /b?", ""},
		{"/a*/", ""},
		{"/a*b", ""},
		{"/[a]", ""},
		{"m/^a/", ""},
	}
	for _, tt := range tests {
		p := compileOne(t, "u", tt.expr)
		m := p.rules[0].m
		var kinds []fastKind
		for _, a := range m.fast {
			kinds = append(kinds, a.kind)
		}
		got := ""
		if m.fast != nil {
			got = fmt.Sprint(kinds)
		}
		if got != tt.fast {
			t.Errorf("%q fast = %q, want %q", tt.expr, got, tt.fast)
		}
	}
}

func dumpRules(p *Policy) string {
	var b strings.Builder
	for i, r := range p.rules {
		fmt.Fprintf(&b, "\n  %d: %q keys %+v", i, r.Expr, r.m.keys)
	}
	return b.String()
}

// The index really does bucket literal rules, and does not bucket rules it
// cannot bound.
func TestIndex_Buckets(t *testing.T) {
	p := mustPolicy(t, "Alice", strings.Join([]string{
		"allow-read",
		"/partner0001/*, allow-read",  // 0 prefix
		"*.CSV, allow-read",           // 1 suffix, folded
		"/reports/, allow-read",       // 2 prefix (sugar)
		"/q/${USER}/*, allow-read",    // 3 prefix with the user
		`m/^/Exact/\d+$/, allow-read`, // 4 exact prefix
		`m/\.PDF$/, allow-read`,       // 5 exact suffix
		`m/^/FOLD/i, allow-read`,      // 6 folded prefix
		"*x*, allow-read",             // 7 always
		"! /a/*, allow-read",          // 8 always
		`e/\.pdf$/, allow-read`,       // 9 always
		"/in/* | *.txt, allow-read",   // 10 two keys
		"/in/* | *, allow-read",       // 11 always: one alternative is unbounded
		`m/\d+/, allow-read`,          // 12 always: unanchored
	}, "\n"))
	want := map[keyKind]map[string][]int32{
		prefixFold:  {"/partner0001/": {0}, "/reports": {2}, "/q/alice/": {3}, "/fold": {6}, "/in/": {10}},
		suffixFold:  {".csv": {1}, ".txt": {10}},
		prefixExact: {"/Exact/": {4}},
		suffixExact: {".PDF": {5}},
	}
	for kind, m := range want {
		got := p.ix.keys[kind].m
		if fmt.Sprint(got) != fmt.Sprint(m) {
			t.Errorf("kind %d buckets = %v, want %v", kind, got, m)
		}
	}
	if fmt.Sprint(p.ix.always) != "[7 8 9 11 12]" {
		t.Errorf("always = %v", p.ix.always)
	}
}

// Folding matches RE2's simple case folding on every rune of the Basic
// Multilingual Plane: two runes fold to the same representative exactly
// when (?i) makes them equal.
func TestFoldRuneMatchesSimpleFold(t *testing.T) {
	for r := rune(0); r < 0x10000; r++ {
		f := foldRune(r)
		if foldRune(f) != f {
			t.Fatalf("foldRune(%U) = %U is not a fixed point", r, f)
		}
		if !strings.EqualFold(string(r), string(f)) {
			t.Fatalf("foldRune(%U) = %U is not in its fold orbit", r, f)
		}
	}
}
