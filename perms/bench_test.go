package perms

import (
	"fmt"
	"testing"
)

// policy1000 has 1000 literal-prefix rules /partner0000/* … /partner0999/*.
func policy1000(b *testing.B) *Policy {
	rules := make([]SourcedRule, 1000)
	for i := range rules {
		rules[i] = SourcedRule{Rule: Rule{Expr: fmt.Sprintf("/partner%04d/*", i), Set: NewSet(Read, Write), Line: i + 2}, Source: "group partners"}
	}
	p, err := Compile("alice", NewSet(List), "group partners", rules)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCheck_1000Rules measures Check on a 1000-rule policy, with the
// index and with a linear scan, for a path decided by rule 900 and a path
// decided by the global set.
func BenchmarkCheck_1000Rules(b *testing.B) {
	p := policy1000(b)
	linear := *p
	linear.indexed = false
	for _, mode := range []struct {
		name string
		p    *Policy
	}{{"indexed", p}, {"linear", &linear}} {
		for _, c := range []struct {
			name, path string
			perm       Perm
		}{
			{"rule900", "/partner0899/incoming/report.csv", Write},
			{"global", "/elsewhere/report.csv", List},
		} {
			b.Run(mode.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := mode.p.Check(c.path, c.perm); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCheck_Mixed is a realistic small policy: globs with suffixes,
// prefixes, a negation and a regexp.
func BenchmarkCheck_Mixed(b *testing.B) {
	p := mustPolicy(b, "alice", "allow-read, allow-list\n*.exe, deny-full-control\n/inbox/, allow-full-control\n/queue/${USER}/*, allow-read, allow-write\n! *.tmp | *.part, allow-list\n"+`m/^/reports/\d+\.pdf$/i, allow-read`)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Check("/queue/alice/Report.TXT", Write)
	}
}
