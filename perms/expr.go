package perms

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// matcher is one compiled matching expression.
type matcher struct {
	re     *regexp.Regexp
	negate bool // the expression matches when re does not (e/…/, leading '!')
	// keys are necessary conditions for a match, for the index: the
	// expression can only match a path that satisfies at least one of them.
	// nil means no condition is known and the rule is always tried.
	keys []litKey
	// fast, when not nil, decides the match without running re: the
	// expression is a glob whose every alternative is a literal with
	// optional leading and trailing '*' (or a "folder/" literal). It is
	// equivalent to re; the tests check that.
	fast []fastAlt
}

// fastKind is the shape of a literal glob alternative.
type fastKind uint8

const (
	fastExact    fastKind = iota // "/a/b"
	fastPrefix                   // "/a/*"
	fastSuffix                   // "*.csv"
	fastContains                 // "*tmp*" ("*" when lit is empty)
	fastFolder                   // "/reports/": "/reports" or "/reports/*"
)

// fastAlt is one literal glob alternative; lit is folded.
type fastAlt struct {
	kind fastKind
	lit  []byte
}

// match reports whether the expression matches path. folded is
// appendFold(path); it is used (and must be set) only when m.fast is.
func (m *matcher) match(path string, folded []byte) bool {
	if m.fast == nil {
		return m.matchRE(path)
	}
	for _, a := range m.fast {
		var ok bool
		switch a.kind {
		case fastExact:
			ok = bytes.Equal(folded, a.lit)
		case fastPrefix:
			ok = bytes.HasPrefix(folded, a.lit)
		case fastSuffix:
			ok = bytes.HasSuffix(folded, a.lit)
		case fastContains:
			ok = bytes.Contains(folded, a.lit)
		case fastFolder:
			ok = bytes.HasPrefix(folded, a.lit) && (len(folded) == len(a.lit) || folded[len(a.lit)] == '/')
		}
		if ok {
			return !m.negate
		}
	}
	return m.negate
}

// matchRE reports whether the expression matches path, using the regexp
// only: the reference behaviour.
func (m *matcher) matchRE(path string) bool { return m.re.MatchString(path) != m.negate }

// keyKind says how a litKey is tested against a path.
type keyKind uint8

const (
	prefixFold  keyKind = iota // folded path starts with s (s is folded)
	suffixFold                 // folded path ends with s
	prefixExact                // path starts with s, byte for byte
	suffixExact                // path ends with s
	numKeyKinds
)

// litKey is a literal the path must start or end with.
type litKey struct {
	kind keyKind
	s    string
}

// exprError is a problem in an expression; off is a byte offset in it.
type exprError struct {
	off      int
	tok, msg string
}

// userVar is the placeholder expanded to the account name (PERM-P07). It is
// case-sensitive.
const userVar = "${USER}"

// compileExpr compiles a trimmed matching expression for user (SPEC 7(b),
// PERM-M02…M10).
func compileExpr(expr, user string) (*matcher, *exprError) {
	if !utf8.ValidString(expr) {
		return nil, &exprError{0, expr, "invalid UTF-8"}
	}
	if !isMethod(expr) {
		return compileGlob(expr, 0, user)
	}
	method := expr[0]
	closing := strings.LastIndexByte(expr, '/')
	if closing < 2 {
		return nil, &exprError{0, expr, "unterminated " + expr[:2] + "…/ expression"}
	}
	body, mods := expr[2:closing], expr[closing+1:]
	switch method {
	case 'm', 'e':
	case 'g':
	case 't':
		return nil, &exprError{0, expr, "time-based t/…/ expressions are not supported in permissions"}
	default:
		return nil, &exprError{0, expr, "unknown matching method " + expr[:2] + "…/ (use m/…/, e/…/, g/…/ or a plain glob)"}
	}
	if !validModifiers(method, mods) {
		return nil, &exprError{closing + 1, mods, "unknown modifier for " + expr[:2] + "…/"}
	}
	if method == 'g' {
		return compileGlob(body, 2, user)
	}
	return compileRegexp(body, method == 'e', strings.Contains(mods, "i"), user)
}

// compileRegexp compiles m/…/ (search semantics, PERM-M07) or e/…/
// (matches when the regexp does not, PERM-M08). ${USER} is regexp-quoted.
func compileRegexp(body string, exclude, fold bool, user string) (*matcher, *exprError) {
	pat := strings.ReplaceAll(body, userVar, regexp.QuoteMeta(user))
	if fold {
		pat = "(?i)" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = fmt.Sprintf("unsupported or invalid regular expression (RE2 syntax): %s: `%s`", se.Code, se.Expr)
		}
		return nil, &exprError{2, body, msg}
	}
	m := &matcher{re: re, negate: exclude}
	if !exclude {
		m.keys = regexpKeys(pat)
	}
	return m, nil
}

// regexpKeys returns the literal prefix of a regexp anchored with ^ (or
// the suffix of one anchored with $), the longer of the two, or nil.
func regexpKeys(pat string) []litKey {
	re, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		return nil
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return nil
	}
	var best litKey
	sub := re.Sub
	if sub[0].Op == syntax.OpBeginText && sub[1].Op == syntax.OpLiteral {
		best = literalKey(sub[1], prefixFold, prefixExact)
	}
	n := len(sub)
	if sub[n-1].Op == syntax.OpEndText && sub[n-2].Op == syntax.OpLiteral {
		if k := literalKey(sub[n-2], suffixFold, suffixExact); len(k.s) > len(best.s) {
			best = k
		}
	}
	if best.s == "" {
		return nil
	}
	return []litKey{best}
}

func literalKey(lit *syntax.Regexp, foldKind, exactKind keyKind) litKey {
	s := string(lit.Rune)
	if lit.Flags&syntax.FoldCase != 0 {
		return litKey{foldKind, foldString(s)}
	}
	return litKey{exactKind, s}
}

// Globs (SPEC 7(b), PERM-M02…M06, PERM-M10).
//
// A glob is anchored and case-insensitive; '*' matches any sequence and '?'
// any one character, both crossing '/'; "[seq]", "[!seq]" and ranges are
// character classes (a ']' right after "[" or "[!" is a member, so "[]]"
// matches ']'); '|' separates alternatives (spaces around them are
// ignored); a leading '!' negates the whole expression; ${USER} is the
// account name, taken literally; an alternative ending in '/' also matches
// the folder itself. Meta-characters are escaped with brackets: "[?]",
// "[*]", "[[]", "[|]". A glob is translated to one RE2 regexp, so matching
// is linear in the path length whatever the pattern.

type gtokKind uint8

const (
	gLit gtokKind = iota
	gStar
	gQuest
	gClass
	gUser
	gBar
)

type gtok struct {
	kind  gtokKind
	r     rune   // gLit
	class string // gClass: RE2 class text
	off   int    // byte offset in the expression
}

// compileGlob compiles glob s, which starts at byte base of the expression.
func compileGlob(s string, base int, user string) (*matcher, *exprError) {
	// Trim, then look for the leading '!'.
	lead := len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace))
	base += lead
	s = strings.TrimSpace(s)
	negate := false
	if strings.HasPrefix(s, "!") {
		negate = true
		s1 := strings.TrimLeftFunc(s[1:], unicode.IsSpace)
		base += len(s) - len(s1)
		s = s1
		if s == "" {
			return nil, &exprError{base - 1, "!", "nothing to negate after '!'"}
		}
	}
	if s == "" {
		return nil, &exprError{base, "", "empty glob"}
	}
	toks, ee := scanGlob(s, base)
	if ee != nil {
		return nil, ee
	}
	var alts [][]gtok
	cur := []gtok{}
	for _, t := range toks {
		if t.kind == gBar {
			alts = append(alts, cur)
			cur = []gtok{}
			continue
		}
		cur = append(cur, t)
	}
	alts = append(alts, cur)

	var res []string
	var keys []litKey
	var fast []fastAlt
	allFast := true
	constrained := !negate
	for i, alt := range alts {
		alt = trimSpaceToks(alt)
		if len(alt) == 0 {
			off := base
			if i > 0 {
				off = barOffset(toks, i)
			}
			return nil, &exprError{off, "|", "empty alternative in glob"}
		}
		if first := alt[0]; first.kind == gUser || first.kind == gLit && first.r != '/' {
			return nil, &exprError{first.off, s, "glob can never match: virtual paths start with '/'"}
		}
		sugar := false
		if last := alt[len(alt)-1]; last.kind == gLit && last.r == '/' {
			sugar = true // PERM-M10: "/reports/" is "/reports | /reports/*"
			alt = alt[:len(alt)-1]
		}
		var b strings.Builder
		for _, t := range alt {
			switch t.kind {
			case gLit:
				b.WriteString(regexp.QuoteMeta(string(t.r)))
			case gStar:
				b.WriteString(".*")
			case gQuest:
				b.WriteString(".")
			case gClass:
				b.WriteString(t.class)
			case gUser:
				b.WriteString(regexp.QuoteMeta(user))
			}
		}
		if sugar {
			b.WriteString("(?:/.*)?")
		}
		res = append(res, b.String())
		if allFast {
			if fa, ok := globFast(alt, sugar, user); ok {
				fast = append(fast, fa)
			} else {
				allFast = false
			}
		}
		if constrained {
			k := globKey(alt, sugar, user)
			if k.s == "" {
				constrained = false
			} else {
				keys = append(keys, k)
			}
		}
	}
	re, err := regexp.Compile("(?is)^(?:" + strings.Join(res, "|") + ")$")
	if err != nil { // not expected: every piece is quoted
		return nil, &exprError{base, s, "invalid glob: " + err.Error()}
	}
	m := &matcher{re: re, negate: negate}
	if constrained {
		m.keys = keys
	}
	if allFast {
		m.fast = fast
	}
	return m, nil
}

// globFast returns the fast form of an alternative made of literals with
// optional leading and trailing stars.
func globFast(alt []gtok, sugar bool, user string) (fastAlt, bool) {
	lead, trail := 0, len(alt)
	for lead < trail && alt[lead].kind == gStar {
		lead++
	}
	for trail > lead && alt[trail-1].kind == gStar {
		trail--
	}
	var lit strings.Builder
	for _, t := range alt[lead:trail] {
		switch t.kind {
		case gLit:
			lit.WriteRune(t.r)
		case gUser:
			lit.WriteString(user)
		default:
			return fastAlt{}, false
		}
	}
	a := fastAlt{lit: appendFold(nil, lit.String())}
	starBefore, starAfter := lead > 0, trail < len(alt)
	switch {
	case sugar && (starBefore || starAfter):
		return fastAlt{}, false
	case sugar:
		a.kind = fastFolder
	case starBefore && starAfter, starBefore && trail == lead:
		a.kind = fastContains
	case starBefore:
		a.kind = fastSuffix
	case starAfter:
		a.kind = fastPrefix
	default:
		a.kind = fastExact
	}
	return a, true
}

// globKey returns the longer of the literal prefix and the literal suffix
// of one alternative, folded.
func globKey(alt []gtok, sugar bool, user string) litKey {
	lit := func(t gtok) (string, bool) {
		switch t.kind {
		case gLit:
			return string(t.r), true
		case gUser:
			return user, true
		}
		return "", false
	}
	var pre strings.Builder
	for _, t := range alt {
		s, ok := lit(t)
		if !ok {
			break
		}
		pre.WriteString(s)
	}
	if sugar {
		// The alternative also matches the folder itself, so it has no
		// fixed suffix; its prefix is the folder name.
		return litKey{prefixFold, foldString(pre.String())}
	}
	var suf []string
	for i := len(alt) - 1; i >= 0; i-- {
		s, ok := lit(alt[i])
		if !ok {
			break
		}
		suf = append(suf, s)
	}
	var sb strings.Builder
	for i := len(suf) - 1; i >= 0; i-- {
		sb.WriteString(suf[i])
	}
	p, q := foldString(pre.String()), foldString(sb.String())
	if len(q) > len(p) {
		return litKey{suffixFold, q}
	}
	return litKey{prefixFold, p}
}

func trimSpaceToks(alt []gtok) []gtok {
	for len(alt) > 0 && alt[0].kind == gLit && unicode.IsSpace(alt[0].r) {
		alt = alt[1:]
	}
	for len(alt) > 0 && alt[len(alt)-1].kind == gLit && unicode.IsSpace(alt[len(alt)-1].r) {
		alt = alt[:len(alt)-1]
	}
	return alt
}

// barOffset returns the offset of the i-th '|' token (1-based).
func barOffset(toks []gtok, i int) int {
	for _, t := range toks {
		if t.kind == gBar {
			i--
			if i == 0 {
				return t.off
			}
		}
	}
	return 0
}

// scanGlob splits a glob into tokens; base is the byte offset of s in the
// expression.
func scanGlob(s string, base int) ([]gtok, *exprError) {
	var toks []gtok
	for i := 0; i < len(s); {
		off := base + i
		switch c := s[i]; {
		case c == '*':
			toks = append(toks, gtok{kind: gStar, off: off})
			i++
		case c == '?':
			toks = append(toks, gtok{kind: gQuest, off: off})
			i++
		case c == '|':
			toks = append(toks, gtok{kind: gBar, off: off})
			i++
		case c == '$' && strings.HasPrefix(s[i:], userVar):
			toks = append(toks, gtok{kind: gUser, off: off})
			i += len(userVar)
		case c == '[':
			class, n, ee := scanClass(s[i:], off)
			if ee != nil {
				return nil, ee
			}
			toks = append(toks, gtok{kind: gClass, class: class, off: off})
			i += n
		default:
			r, w := utf8.DecodeRuneInString(s[i:])
			toks = append(toks, gtok{kind: gLit, r: r, off: off})
			i += w
		}
	}
	return toks, nil
}

// scanClass translates the character class at the start of s ("[…]") to
// RE2 and returns its length in bytes.
func scanClass(s string, off int) (string, int, *exprError) {
	var b strings.Builder
	b.WriteByte('[')
	k := 1
	if k < len(s) && s[k] == '!' {
		b.WriteByte('^')
		k++
	}
	for first := true; ; first = false {
		if k >= len(s) {
			return "", 0, &exprError{off, s, "unterminated character class '[' (escape a literal '[' as \"[[]\")"}
		}
		lo, w := utf8.DecodeRuneInString(s[k:])
		if lo == ']' && !first {
			b.WriteByte(']')
			return b.String(), k + 1, nil
		}
		k += w
		hi := lo
		if k+1 < len(s) && s[k] == '-' && s[k+1] != ']' {
			var w2 int
			hi, w2 = utf8.DecodeRuneInString(s[k+1:])
			if hi < lo {
				return "", 0, &exprError{off, s[:k+1+w2], "invalid range in character class"}
			}
			k += 1 + w2
		}
		if hi == lo {
			fmt.Fprintf(&b, `\x{%x}`, lo)
		} else {
			fmt.Fprintf(&b, `\x{%x}-\x{%x}`, lo, hi)
		}
	}
}
