package perms

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Value is a parsed `permissions` option: the global permission set (the
// first non-blank line) and the path rules that follow it, in configuration
// order. It is plain data; [Compile] turns it, with the account name, into a
// [Policy].
type Value struct {
	// Global applies to every path no rule matches.
	Global Set
	// Rules are tried in order; the first whose expression matches a path
	// supplies that path's permission set.
	Rules []Rule
}

// Rule is one path rule: a matching expression and the permission set it
// gives the paths it matches.
type Rule struct {
	// Expr is the matching expression as written (before ${USER}
	// expansion), trimmed, including any METHOD/…/MODIFIERS markers.
	Expr string
	// Set is the permission set that replaces the global set for matching
	// paths.
	Set Set
	// Line is the 1-based line of the rule within the option value, so that
	// callers can add the line the value starts on in the configuration file.
	Line int
}

// Sourced returns the rules of v labelled with src, ready for [Compile].
func (v *Value) Sourced(src Source) []SourcedRule {
	out := make([]SourcedRule, len(v.Rules))
	for i, r := range v.Rules {
		out[i] = SourcedRule{Rule: r, Source: src}
	}
	return out
}

// String formats v back into a `permissions` value that [Parse] accepts:
// the global set on the first line, then one "expression, set" line per
// rule.
func (v *Value) String() string {
	var b strings.Builder
	b.WriteString(v.Global.String())
	for _, r := range v.Rules {
		b.WriteString("\n")
		b.WriteString(r.Expr)
		b.WriteString(", ")
		b.WriteString(r.Set.String())
	}
	return b.String()
}

// ParseError is one problem found by [Parse] or [ParseSet] (or by [Compile]
// in a rule built without Parse). Line and Col are 1-based within the option
// value; Col counts characters, not bytes.
type ParseError struct {
	Line  int    // 1-based line within the option value
	Col   int    // 1-based column (in characters) within the line
	Token string // the offending token or expression
	Msg   string // what is wrong
}

// Error returns "permissions line L, column C: MSG: "TOKEN"".
func (e *ParseError) Error() string {
	return fmt.Sprintf("permissions line %d, column %d: %s: %q", e.Line, e.Col, e.Msg, e.Token)
}

func newParseError(lineNo int, line string, off int, tok, msg string) *ParseError {
	off = min(max(off, 0), len(line))
	return &ParseError{Line: lineNo, Col: utf8.RuneCountInString(line[:off]) + 1, Token: tok, Msg: msg}
}

func joinErrs(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// Parse parses a `permissions` option value (PERM-P01…P06).
//
// Lines are separated by "\n" (a trailing "\r" is dropped) and blank lines
// are ignored. The first non-blank line is the global permission set; every
// later line is a rule "EXPRESSION, PERMISSION, PERMISSION…". A plain glob
// expression ends at the first comma; an expression with a method marker
// (m/…/, e/…/, g/…/) ends at its closing '/' and modifiers, so it may
// contain commas. A blank value is allow-full-control with no rules.
//
// Every expression is compiled once to catch errors early; ${USER} is
// validated but only expanded by [Compile]. All problems found are
// returned, each as a *ParseError naming the offending token, joined with
// [errors.Join].
func Parse(value string) (*Value, error) {
	v := &Value{}
	var errs []error
	haveGlobal := false
	for i, line := range strings.Split(value, "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !utf8.ValidString(line) {
			errs = append(errs, newParseError(n, line, 0, line, "invalid UTF-8"))
			haveGlobal = true
			continue
		}
		if !haveGlobal {
			haveGlobal = true
			set, es := parseSetAt(line, n, 0, line)
			for _, e := range es {
				var pe *ParseError
				if errors.As(e, &pe) && looksLikeExpr(pe.Token) {
					pe.Msg = "the first line is the global permission set and cannot hold a path expression"
				}
			}
			errs = append(errs, es...)
			v.Global = set
			continue
		}
		r, es := parseRuleLine(line, n)
		errs = append(errs, es...)
		if len(es) == 0 {
			v.Rules = append(v.Rules, r)
		}
	}
	if !haveGlobal {
		v.Global = FullControl()
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}
	return v, nil
}

// looksLikeExpr reports whether a token that is not a permission looks like
// a path expression, to give a better message for a missing global line.
func looksLikeExpr(tok string) bool {
	return tok != "" && (strings.ContainsAny(tok[:1], "/*?[!") || isMethod(tok))
}

// isMethod reports whether s starts with a METHOD_ID marker: one ASCII
// letter followed by '/'.
func isMethod(s string) bool {
	return len(s) >= 2 && isASCIILetter(s[0]) && s[1] == '/'
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// parseRuleLine parses "EXPRESSION, PERMISSIONS" (PERM-P03, PERM-P04).
func parseRuleLine(line string, n int) (Rule, []error) {
	start := len(line) - len(strings.TrimLeftFunc(line, unicode.IsSpace))
	rest := line[start:]
	exprEnd, permStart := -1, -1
	var errs []error
	if isMethod(rest) {
		closing := findClosing(rest)
		if closing < 0 {
			return Rule{}, []error{newParseError(n, line, start, strings.TrimSpace(rest),
				"unterminated "+rest[:2]+"…/ expression")}
		}
		j := closing + 1
		for j < len(rest) && isASCIILetter(rest[j]) {
			j++
		}
		exprEnd = start + j
		k := j + len(rest[j:]) - len(strings.TrimLeftFunc(rest[j:], unicode.IsSpace))
		if k < len(rest) && rest[k] == ',' {
			permStart = start + k + 1
		}
	} else if c := strings.IndexByte(rest, ','); c >= 0 {
		exprEnd, permStart = start+c, start+c+1
	} else {
		exprEnd = len(line)
	}
	expr := strings.TrimRightFunc(line[start:exprEnd], unicode.IsSpace)
	if expr == "" {
		errs = append(errs, newParseError(n, line, start, "", "missing path expression"))
	} else if _, ee := compileExpr(expr, placeholderUser); ee != nil {
		errs = append(errs, newParseError(n, line, start+ee.off, ee.tok, ee.msg))
	}
	if permStart < 0 {
		errs = append(errs, newParseError(n, line, start, expr, "rule has no permissions (expected \"EXPRESSION, PERMISSION…\")"))
		return Rule{}, errs
	}
	set, es := parseSetAt(line[permStart:], n, permStart, line)
	errs = append(errs, es...)
	return Rule{Expr: expr, Set: set, Line: n}, errs
}

// placeholderUser stands for ${USER} when Parse validates an expression.
const placeholderUser = "user"

// findClosing returns the index in s (which starts with "X/") of the '/'
// closing the expression, or -1. Because the expression itself may contain
// '/' and ',' (m/^/a/\d{1,3}/), the closing '/' is the last one that is
// followed by optional modifier letters and then a comma or the end of the
// line. Permission tokens never contain '/', so only a malformed line can
// offer a later candidate; one whose letters are not valid modifiers is
// skipped in favour of an earlier one.
func findClosing(s string) int {
	last, lastValid := -1, -1
	for i := 2; i < len(s); i++ {
		if s[i] != '/' {
			continue
		}
		j := i + 1
		for j < len(s) && isASCIILetter(s[j]) {
			j++
		}
		k := j + len(s[j:]) - len(strings.TrimLeftFunc(s[j:], unicode.IsSpace))
		if k < len(s) && s[k] != ',' {
			continue
		}
		last = i
		if validModifiers(s[0], s[i+1:j]) {
			lastValid = i
		}
	}
	if lastValid >= 0 {
		return lastValid
	}
	return last
}

// validModifiers reports whether mods are valid for the method letter.
func validModifiers(method byte, mods string) bool {
	switch method {
	case 'm', 'e':
		return strings.Trim(mods, "i") == ""
	default:
		return mods == ""
	}
}
