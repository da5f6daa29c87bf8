package perms

import (
	"fmt"
	"testing"
)

// benchRules returns n rules of realistic mixed shapes: mostly
// literal-prefix folders "/partnerNNNN/*", every tenth a suffix glob
// "*.extNNN", and every hundredth (from rule 7) an anchored regexp. Rule 0
// and rule n-1 are folder rules, so that a path under /partner0000 is
// decided by rule 0 and one under the last partner folder by the last
// rule.
func benchRules(n int) []SourcedRule {
	rules := make([]SourcedRule, n)
	for i := range rules {
		var expr string
		switch {
		case i == 0 || i == n-1:
			expr = fmt.Sprintf("/partner%04d/*", i)
		case i%100 == 7:
			expr = fmt.Sprintf(`m/^/archive%04d/\d+\.pdf$/`, i)
		case i%10 == 5:
			expr = fmt.Sprintf("*.ext%03d", i)
		default:
			expr = fmt.Sprintf("/partner%04d/*", i)
		}
		rules[i] = SourcedRule{Rule: Rule{Expr: expr, Set: NewSet(Read, Write), Line: i + 2}, Source: "group partners"}
	}
	return rules
}

func benchPolicy(b *testing.B, n int) *Policy {
	b.Helper()
	p, err := Compile("alice", NewSet(List), "group partners", benchRules(n))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCheck measures Policy.Check on policies of 10 to 10000 rules,
// for a path decided by the first rule, one decided by the last rule and
// one no rule matches (the global set decides). The target is at most
// 100 ns and no allocation per check at 1000 rules.
func BenchmarkCheck(b *testing.B) {
	for _, n := range []int{10, 100, 1000, 10000} {
		p := benchPolicy(b, n)
		for _, c := range []struct {
			name, path string
			perm       Perm
			rule       int
		}{
			{"early", "/partner0000/incoming/Report-2024.CSV", Write, 0},
			{"last", fmt.Sprintf("/partner%04d/incoming/Report-2024.CSV", n-1), Write, n - 1},
			{"none", "/elsewhere/incoming/Report-2024.CSV", List, -1},
		} {
			b.Run(fmt.Sprintf("rules=%d/%s", n, c.name), func(b *testing.B) {
				if got := p.firstMatch(c.path); got != c.rule || p.linearMatch(c.path) != c.rule {
					b.Fatalf("%s decided by rule %d, want %d", c.path, got, c.rule)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := p.Check(c.path, c.perm); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCheckLinear is the reference: the same 1000-rule policy
// evaluated by a linear scan of the regexps, without the index.
func BenchmarkCheckLinear(b *testing.B) {
	p := benchPolicy(b, 1000)
	linear := *p
	linear.indexed = false
	for _, c := range []struct {
		name, path string
		perm       Perm
	}{
		{"last", "/partner0999/incoming/Report-2024.CSV", Write},
		{"none", "/elsewhere/incoming/Report-2024.CSV", List},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := linear.Check(c.path, c.perm); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckMixed is a realistic small policy: globs with suffixes,
// prefixes, a negation and a regexp.
func BenchmarkCheckMixed(b *testing.B) {
	p := mustPolicy(b, "alice", "allow-read, allow-list\n*.exe, deny-full-control\n/inbox/, allow-full-control\n/queue/${USER}/*, allow-read, allow-write\n! *.tmp | *.part, allow-list\n"+`m/^/reports/\d+\.pdf$/i, allow-read`)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Check("/queue/alice/Report.TXT", Write)
	}
}
