package perms

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// Warning is a likely mistake that [Lint] found in a `permissions` value:
// the value is valid and means what [Compile] makes of it, but probably not
// what its author meant. Warnings are informational.
type Warning struct {
	Line int    // 1-based line of the rule within the option value (0 when unknown)
	Rule int    // index of the rule in Value.Rules; -1 for the global line
	Kind string // one of the Kind constants
	Msg  string // what is wrong, naming the rule, and what to write instead
}

// String returns "line L: MSG (KIND)".
func (w Warning) String() string {
	return fmt.Sprintf("line %d: %s (%s)", w.Line, w.Msg, w.Kind)
}

// The kinds of [Warning], one per documented trap (SPEC §7(b)).
const (
	// KindPrefixGlob: "/inbox*" — a folder-like literal followed directly
	// by '*' also matches "/inbox-qa" and everything under it, because '*'
	// crosses '/' and needs no folder boundary.
	KindPrefixGlob = "prefix-glob"
	// KindFolderItself: "/inbox/*" does not match the folder "/inbox"
	// itself; no rule does, so the folder gets the global set, which
	// refuses folder operations the rule allows (listing it, deleting it…).
	KindFolderItself = "folder-itself"
	// KindShadowed: the rule is never used, because every path it matches
	// is matched by earlier rules (an identical expression, or a glob such
	// as "/inbox*" or "/inbox/" before "/inbox/*.csv").
	KindShadowed = "shadowed"
	// KindAfterCatchAll: the rule is never used, because an earlier rule
	// ("*", "/*", "/", m/.*/ …) matches every path.
	KindAfterCatchAll = "after-catch-all"
	// KindAccountUser: ${USER} in an account's own permissions; it can only
	// ever stand for that account's name.
	KindAccountUser = "account-user"
)

// LintOptions says how a value is used.
type LintOptions struct {
	// AccountLevel is true when the value is an account's own
	// `permissions` option rather than a group's.
	AccountLevel bool
}

// Lint reports the documented permission traps in v (SPEC §7(b)), in rule
// order: prefix globs that cross folder boundaries ([KindPrefixGlob]),
// "/x/*" rules that leave the folder "/x" to the global set
// ([KindFolderItself]), rules that can never be reached ([KindShadowed],
// [KindAfterCatchAll]) and ${USER} in an account's own rules
// ([KindAccountUser]). It is conservative: a rule is only called
// unreachable when that is certain from the expressions alone. Rules whose
// expression does not compile are skipped (Parse reports them).
func Lint(v *Value, opt LintOptions) []Warning {
	if v == nil {
		return nil
	}
	shapes := make([]*lintShape, len(v.Rules))
	for i, r := range v.Rules {
		shapes[i] = newLintShape(strings.TrimSpace(r.Expr))
	}
	var out []Warning
	warn := func(i int, kind, format string, args ...any) {
		r := v.Rules[i]
		msg := fmt.Sprintf("rule %d %q: ", i+1, r.Expr) + fmt.Sprintf(format, args...)
		out = append(out, Warning{Line: r.Line, Rule: i, Kind: kind, Msg: msg})
	}
	catchAll := -1
	for j, sj := range shapes {
		if sj == nil {
			continue
		}
		if opt.AccountLevel && strings.Contains(v.Rules[j].Expr, userVar) {
			warn(j, KindAccountUser, "${USER} in an account's own permissions always stands for this account's name; write the name itself (${USER} is for group permissions shared by many accounts)")
		}
		if catchAll >= 0 {
			warn(j, KindAfterCatchAll, "never used: rule %d %q (line %d) before it matches every path",
				catchAll+1, v.Rules[catchAll].Expr, v.Rules[catchAll].Line)
			continue
		}
		if by := shadowedBy(shapes, j); len(by) > 0 {
			var names []string
			for _, i := range by {
				names = append(names, fmt.Sprintf("rule %d %q (line %d)", i+1, v.Rules[i].Expr, v.Rules[i].Line))
			}
			warn(j, KindShadowed, "never used: every path it matches is matched first by %s", strings.Join(names, ", "))
		} else {
			lintPrefixGlob(sj, func(lit string) {
				warn(j, KindPrefixGlob, "also matches %q and everything under it, since '*' crosses '/'; for the folder and its content write %q or %q",
					lit+"-other", lit+" | "+lit+"/*", lit+"/")
			})
			lintFolderItself(v, shapes, j, func(folder string, lost []string) {
				warn(j, KindFolderItself, "does not match the folder %q itself, and no rule does: the folder gets the global permissions (%s), not this rule's (%s), and refuse on it what the rule allows: %s; add a rule for %q or write %q",
					folder, setText(v.Global), setText(v.Rules[j].Set), strings.Join(lost, ", "), folder, folder+"/")
			})
		}
		if sj.catchAll() {
			catchAll = j
		}
	}
	return out
}

func setText(s Set) string {
	if t := s.String(); t != "" {
		return t
	}
	return "no permissions"
}

// lintShape is the structure of one expression, for Lint.
type lintShape struct {
	expr   string
	glob   bool // plain glob or g/…/
	negate bool // glob with a leading '!'
	alts   []lintAlt
	re     *regexp.Regexp // m/…/ and e/…/, compiled for placeholderUser
	method byte           // 'm' or 'e' for regexps
	body   string         // regexp body
	fold   bool           // regexp i modifier
	m      *matcher       // compiled for placeholderUser
}

// lintAlt is one glob alternative: its tokens, without the trailing '/'
// of the folder sugar ("/reports/"), and whether it had one.
type lintAlt struct {
	toks  []gtok
	sugar bool
}

// newLintShape analyses a trimmed expression; nil when it does not compile.
func newLintShape(expr string) *lintShape {
	m, ee := compileExpr(expr, placeholderUser)
	if ee != nil {
		return nil
	}
	s := &lintShape{expr: expr, m: m}
	if !isMethod(expr) || expr[0] == 'g' {
		body := expr
		if isMethod(expr) {
			body = expr[2:strings.LastIndexByte(expr, '/')]
		}
		s.glob = true
		s.negate, s.alts = splitGlob(body)
		return s
	}
	closing := strings.LastIndexByte(expr, '/')
	s.method, s.body, s.fold = expr[0], expr[2:closing], strings.Contains(expr[closing+1:], "i")
	s.re = m.re
	return s
}

// splitGlob splits a glob that compileGlob accepts into its alternatives,
// as compileGlob does.
func splitGlob(s string) (negate bool, alts []lintAlt) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "!") {
		negate = true
		s = strings.TrimLeftFunc(s[1:], unicode.IsSpace)
	}
	toks, _ := scanGlob(s, 0)
	cur := []gtok{}
	flush := func() {
		a := lintAlt{toks: trimSpaceToks(cur)}
		if n := len(a.toks); n > 0 && a.toks[n-1].kind == gLit && a.toks[n-1].r == '/' {
			a.toks, a.sugar = a.toks[:n-1], true
		}
		alts = append(alts, a)
	}
	for _, t := range toks {
		if t.kind == gBar {
			flush()
			cur = []gtok{}
			continue
		}
		cur = append(cur, t)
	}
	flush()
	return negate, alts
}

// universal reports whether the alternative matches every canonical path:
// "*", "/*", "/" and the like.
func (a lintAlt) universal() bool {
	t := a.toks
	if len(t) == 0 {
		return a.sugar // "/"
	}
	if t[0].kind == gLit && t[0].r == '/' {
		t = t[1:]
	}
	if len(t) == 0 {
		return false // "//"
	}
	for _, x := range t {
		if x.kind != gStar {
			return false
		}
	}
	return true
}

// litLen returns the number of leading literal tokens (characters and
// ${USER}): every path the alternative matches starts with them.
func litLen(toks []gtok) int {
	n := 0
	for n < len(toks) && (toks[n].kind == gLit || toks[n].kind == gUser) {
		n++
	}
	return n
}

// tokEq reports whether two glob tokens match the same text: literals are
// compared in the folded domain, as the case-insensitive matcher does.
func tokEq(a, b gtok) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case gLit:
		return foldRune(a.r) == foldRune(b.r)
	case gClass:
		return a.class == b.class
	}
	return true
}

func toksEq(a, b []gtok) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !tokEq(a[i], b[i]) {
			return false
		}
	}
	return true
}

// hasPrefixToks reports whether b starts with the tokens of a.
func hasPrefixToks(b, a []gtok) bool { return len(b) >= len(a) && toksEq(b[:len(a)], a) }

// toksText writes literal tokens back as glob text.
func toksText(toks []gtok) string {
	var b strings.Builder
	for _, t := range toks {
		if t.kind == gUser {
			b.WriteString(userVar)
		} else {
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// catchAll reports whether the expression provably matches every
// canonical path: a glob with a universal alternative ("*", "/*", "/"), or
// an m/…/ regexp that matches the empty string without any anchor or
// boundary (such as m/.*/), or only after a leading ^ (m/^/, m/^.*/). An
// e/…/ expression or a negated glob is never called a catch-all.
func (s *lintShape) catchAll() bool {
	if s.glob {
		if s.negate {
			return false
		}
		for _, a := range s.alts {
			if a.universal() {
				return true
			}
		}
		return false
	}
	if s.method != 'm' || !s.re.MatchString("") {
		return false
	}
	re, err := syntax.Parse(s.re.String(), syntax.Perl)
	if err != nil {
		return false
	}
	re = re.Simplify()
	if re.Op == syntax.OpBeginText {
		return true
	}
	if re.Op == syntax.OpConcat && len(re.Sub) > 0 && re.Sub[0].Op == syntax.OpBeginText {
		rest := &syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[1:]}
		return !hasAssertion(rest)
	}
	// Without assertions an empty match does not depend on its position,
	// so the search finds one at the start of every path.
	return !hasAssertion(re)
}

func hasAssertion(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, s := range re.Sub {
		if hasAssertion(s) {
			return true
		}
	}
	return false
}

// covers reports whether every path alternative b matches is matched by
// alternative a (both of non-negated globs). It only answers true when the
// tokens prove it:
//   - identical alternatives ("/a/*.csv" before "/A/*.CSV"), a's folder
//     sugar covering b's;
//   - a is a literal followed by stars ("/inbox*", "/inbox/*") and every
//     path b matches starts with that literal;
//   - a is a literal folder with the sugar ("/inbox/") and every path b
//     matches starts with the folder and a '/'.
func covers(a, b lintAlt) bool {
	if toksEq(a.toks, b.toks) && (a.sugar || !b.sugar) {
		return true
	}
	n := litLen(a.toks)
	bl := b.toks[:litLen(b.toks)]
	if n > 0 && n < len(a.toks) {
		for _, t := range a.toks[n:] {
			if t.kind != gStar {
				return false
			}
		}
		return hasPrefixToks(bl, a.toks[:n])
	}
	if n == len(a.toks) && a.sugar && n > 0 {
		return len(bl) > n && hasPrefixToks(bl, a.toks) && bl[n].kind == gLit && bl[n].r == '/'
	}
	return false
}

// shadowedBy returns earlier rules that together match every path rule j
// matches, or nil when that cannot be shown.
func shadowedBy(shapes []*lintShape, j int) []int {
	sj := shapes[j]
	// The same expression earlier.
	for i := range j {
		si := shapes[i]
		if si == nil {
			continue
		}
		if sameExpr(si, sj) {
			return []int{i}
		}
	}
	if !sj.glob || sj.negate {
		return nil
	}
	// Every alternative covered by some alternative of an earlier glob.
	var by []int
	for _, b := range sj.alts {
		found := -1
		for i := 0; i < j && found < 0; i++ {
			si := shapes[i]
			if si == nil || !si.glob || si.negate {
				continue
			}
			for _, a := range si.alts {
				if covers(a, b) {
					found = i
					break
				}
			}
		}
		if found < 0 {
			return nil
		}
		if !containsInt(by, found) {
			by = append(by, found)
		}
	}
	return by
}

func containsInt(s []int, x int) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// sameExpr reports whether two expressions are the same: regexps written
// identically, or globs with the same alternatives in the same order (case
// aside).
func sameExpr(a, b *lintShape) bool {
	if a.glob != b.glob {
		return false
	}
	if !a.glob {
		return a.method == b.method && a.body == b.body && a.fold == b.fold
	}
	if a.negate != b.negate || len(a.alts) != len(b.alts) {
		return false
	}
	for k := range a.alts {
		if a.alts[k].sugar != b.alts[k].sugar || !toksEq(a.alts[k].toks, b.alts[k].toks) {
			return false
		}
	}
	return true
}

// lintPrefixGlob calls report for each alternative of the form "/…/name*":
// a literal whose last segment looks like a folder name (it ends in a
// letter, a digit or ${USER}, and holds no '.') followed directly by
// stars.
func lintPrefixGlob(s *lintShape, report func(lit string)) {
	if !s.glob || s.negate {
		return
	}
	for _, a := range s.alts {
		n := litLen(a.toks)
		if n < 2 || n == len(a.toks) || a.sugar {
			continue
		}
		stars := true
		for _, t := range a.toks[n:] {
			stars = stars && t.kind == gStar
		}
		if !stars || a.toks[0].kind != gLit || a.toks[0].r != '/' {
			continue
		}
		lit := a.toks[:n]
		seg := lit
		for k := len(lit) - 1; k >= 0; k-- {
			if lit[k].kind == gLit && lit[k].r == '/' {
				seg = lit[k+1:]
				break
			}
		}
		if len(seg) == 0 {
			continue // "/x/*"
		}
		last := seg[len(seg)-1]
		if last.kind == gLit && !unicode.IsLetter(last.r) && !unicode.IsDigit(last.r) {
			continue // "/invoice_*", "/logs/app.*"
		}
		dotted := false
		for _, t := range seg {
			dotted = dotted || t.kind == gLit && t.r == '.'
		}
		if !dotted {
			report(toksText(lit))
		}
	}
}

// folderOps are the operations on a folder itself (SPEC 8.2) and the
// permissions that allow each.
var folderOps = []struct {
	name string
	any  []Perm // any one allows it
}{
	{"getting attributes", []Perm{Read, List, Traverse}},
	{"listing", []Perm{List, Traverse}},
	{"listing files", []Perm{List}},
	{"creating", []Perm{CreateFolder}},
	{"deleting", []Perm{DeleteFolder}},
	{"renaming", []Perm{Rename}},
	{"changing attributes", []Perm{SetAttributes}},
}

// folderOpsLost returns the folder operations rule allows and global
// does not.
func folderOpsLost(rule, global Set) []string {
	var lost []string
	allows := func(s Set, any []Perm) bool {
		for _, p := range any {
			if s.Allows(p) {
				return true
			}
		}
		return false
	}
	for _, op := range folderOps {
		if allows(rule, op.any) && !allows(global, op.any) {
			lost = append(lost, op.name)
		}
	}
	return lost
}

// lintFolderItself calls report for each alternative "/x/*" of rule j
// (a literal folder followed by "/*") when no rule of v matches the folder
// "/x" itself, so that the folder gets the global set, and the global set
// refuses folder operations that rule j allows (listing, deleting…): the
// author probably meant the rule to cover the folder too. A global set
// allowing more on the folder than the rule is taken as deliberate (a
// listable folder of read-only files). ${USER} is tried with a placeholder
// name.
func lintFolderItself(v *Value, shapes []*lintShape, j int, report func(folder string, lost []string)) {
	s := shapes[j]
	lost := folderOpsLost(v.Rules[j].Set, v.Global)
	if !s.glob || s.negate || len(lost) == 0 {
		return
	}
	for _, a := range s.alts {
		n := len(a.toks)
		if a.sugar || n < 4 || litLen(a.toks) != n-1 || a.toks[n-1].kind != gStar ||
			a.toks[n-2].kind != gLit || a.toks[n-2].r != '/' {
			continue
		}
		folder := a.toks[:n-2]
		path := strings.ReplaceAll(toksText(folder), userVar, placeholderUser)
		if len(folder) < 2 || strings.Contains(path, "//") {
			continue // not a canonical folder path
		}
		covered := false
		for _, sk := range shapes {
			if sk != nil && sk.m.matchRE(path) {
				covered = true
				break
			}
		}
		if !covered {
			report(toksText(folder), lost)
		}
	}
}
