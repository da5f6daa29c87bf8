package perms

import (
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// Source says where a global set or a rule came from, for provenance in
// explanations and logs: "group partners", "account alice", …
type Source string

// SourcedRule is a rule together with its provenance.
type SourcedRule struct {
	Rule
	Source Source
}

// compiledRule is a rule with its matcher for one user.
type compiledRule struct {
	SourcedRule
	m *matcher
}

// Policy is the compiled permission policy of one session: the global set
// and the ordered rules, with ${USER} expanded, every matcher compiled once
// and the rule index built. A Policy is immutable and safe for concurrent
// use; evaluation has no side effects (PERM-E12).
//
// A nil *Policy denies everything: a session without a policy fails
// closed. Use [AllowAll] for the full-control default.
type Policy struct {
	user         string
	global       Set
	globalSource Source
	rules        []compiledRule
	ix           index
	indexed      bool // false only in tests, to measure and check the index
}

// Compile builds the Policy of the account user: rules are tried in the
// given order (first match wins) and global applies when none matches.
//
// ${USER} in an expression becomes user, taken literally (PERM-P07): in a
// glob as if every meta-character were escaped with brackets, in m/…/ and
// e/…/ regexp-quoted. user must pass [vpath.ValidName]. Rules are normally
// produced by [Parse]; an expression that does not compile is reported as a
// *ParseError with the rule's Line, wrapped with its source. All errors are
// returned, joined.
func Compile(user string, global Set, globalSource Source, rules []SourcedRule) (*Policy, error) {
	if err := vpath.ValidName(user); err != nil {
		return nil, fmt.Errorf("perms: account name %q cannot be used in ${USER}: %w", user, err)
	}
	p := &Policy{
		user:         user,
		global:       global,
		globalSource: globalSource,
		rules:        make([]compiledRule, len(rules)),
		indexed:      true,
	}
	var errs []error
	for i, r := range rules {
		expr := strings.TrimSpace(r.Expr)
		var m *matcher
		var ee *exprError
		if expr == "" {
			ee = &exprError{0, "", "missing path expression"}
		} else {
			m, ee = compileExpr(expr, user)
		}
		if ee != nil {
			pe := newParseError(max(r.Line, 1), expr, ee.off, ee.tok, ee.msg)
			errs = append(errs, fmt.Errorf("perms: rule %d from %s: %w", i+1, r.Source, pe))
			continue
		}
		p.rules[i] = compiledRule{SourcedRule: r, m: m}
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}
	p.ix = buildIndex(p.rules)
	return p, nil
}

// AllowAll returns the policy with allow-full-control and no rules: what a
// session gets when neither its group nor its account sets `permissions`
// (PERM-P06, PERM-E09).
func AllowAll() *Policy {
	return &Policy{global: FullControl(), globalSource: "default", indexed: true}
}

// User returns the account name ${USER} was expanded to ("" for AllowAll).
func (p *Policy) User() string {
	if p == nil {
		return ""
	}
	return p.user
}

// Global returns the global set and where it came from.
func (p *Policy) Global() (Set, Source) {
	if p == nil {
		return Set{}, ""
	}
	return p.global, p.globalSource
}

// Rules returns a copy of the rules, in evaluation order.
func (p *Policy) Rules() []SourcedRule {
	if p == nil {
		return nil
	}
	out := make([]SourcedRule, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.SourcedRule
	}
	return out
}

// decide returns the deciding rule number (-1 for the global set) and set.
func (p *Policy) decide(path string) (int, Set) {
	if p == nil {
		return -1, Set{}
	}
	if i := p.firstMatch(path); i >= 0 {
		return i, p.rules[i].Set
	}
	return -1, p.global
}

// Effective returns the permission set for path (PERM-E01): the set of the
// first rule whose expression matches path, or the global set when none
// does. A rule's set replaces the global set; they are never merged. path is
// a canonical virtual path (PERM-M01, package vpath).
func (p *Policy) Effective(path string) Set {
	_, s := p.decide(path)
	return s
}

// Explain says whether need is allowed on path and which rule (or the
// global set) decided it, with its provenance.
func (p *Policy) Explain(path string, need Perm) Explanation {
	i, s := p.decide(path)
	return p.explain(path, need, i, s)
}

func (p *Policy) explain(path string, need Perm, i int, s Set) Explanation {
	e := Explanation{Path: path, Need: need, Allowed: s.Allows(need), RuleIndex: i, Set: s, DenyFired: s.denyFull}
	switch {
	case i >= 0:
		r := p.rules[i]
		e.RuleExpr, e.RuleLine, e.Source = r.Expr, r.Line, r.Source
	case p != nil:
		e.Source = p.globalSource
	}
	return e
}

// Check returns nil when every permission in need is allowed on path, and
// otherwise a *Denial naming the first missing one, in the order given (a
// Perm with several bits counts as its bits, lowest first). Check with no
// permissions returns nil; a zero or unknown Perm is never allowed.
func (p *Policy) Check(path string, need ...Perm) error {
	i, s := p.decide(path)
	for _, n := range need {
		for q := range n.each() {
			if !s.Allows(q) {
				return &Denial{p.explain(path, q, i, s)}
			}
		}
		if n == 0 {
			return &Denial{p.explain(path, n, i, s)}
		}
	}
	return nil
}

// CheckAny returns nil when at least one of the permissions is allowed on
// path (for example allow-list or allow-traverse for READDIR), and otherwise
// a *Denial naming the first one. CheckAny with no permissions returns a
// *Denial.
func (p *Policy) CheckAny(path string, oneOf ...Perm) error {
	i, s := p.decide(path)
	for _, q := range oneOf {
		if s.Allows(q) {
			return nil
		}
	}
	var first Perm
	if len(oneOf) > 0 {
		first = oneOf[0]
	}
	return &Denial{p.explain(path, first, i, s)}
}

// Explanation is the outcome of evaluating one permission on one path,
// with the rule that decided it. Its fields hold configuration detail (rule
// expressions, group names): log them, do not send them to clients.
type Explanation struct {
	Path      string // the virtual path evaluated
	Need      Perm   // the permission asked for
	Allowed   bool   // whether Set allows Need
	RuleIndex int    // 0-based position of the deciding rule; -1 when the global set decided
	RuleExpr  string // the rule's expression as written; "" for the global set
	RuleLine  int    // the rule's Line; 0 for the global set
	Source    Source // who contributed the deciding rule or global set
	Set       Set    // the deciding set
	DenyFired bool   // the deciding set holds deny-full-control
}

// String describes the decision for logs, for example
// `allow-write on /x/a.csv: denied by rule 2 "*.csv" (line 3, group partners): allow-read`.
func (e Explanation) String() string {
	verdict := "denied"
	if e.Allowed {
		verdict = "allowed"
	}
	var by string
	if e.RuleIndex >= 0 {
		by = fmt.Sprintf("rule %d %q (line %d, %s)", e.RuleIndex+1, e.RuleExpr, e.RuleLine, e.Source)
	} else {
		by = fmt.Sprintf("global permissions (%s)", e.Source)
	}
	set := e.Set.String()
	if set == "" {
		set = "no permissions"
	}
	return fmt.Sprintf("%s on %s: %s by %s: %s", e.Need, e.Path, verdict, by, set)
}

// LogValue implements [slog.LogValuer]: the explanation as a group of
// attributes. rule is 1-based, 0 when the global set decided.
func (e Explanation) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("path", e.Path),
		slog.String("need", e.Need.String()),
		slog.Bool("allowed", e.Allowed),
		slog.Int("rule", e.RuleIndex+1),
		slog.String("expr", e.RuleExpr),
		slog.Int("rule_line", e.RuleLine),
		slog.String("source", string(e.Source)),
		slog.String("set", e.Set.String()),
		slog.Bool("deny", e.DenyFired),
	)
}

// Denial is the error for a refused operation. errors.Is(err,
// fs.ErrPermission) holds. Its Error text is safe to send to the client
// (PERM-E11): it names the missing permission and the virtual path only,
// never the rule; the embedded Explanation has the detail for logs.
type Denial struct {
	Explanation
}

// Error returns "permission denied: PERM required for PATH", for example
// "permission denied: allow-list required for /inbox".
func (d *Denial) Error() string {
	return "permission denied: " + d.Need.String() + " required for " + d.Path
}

// Unwrap returns fs.ErrPermission.
func (d *Denial) Unwrap() error { return fs.ErrPermission }

var _ error = (*Denial)(nil)
