package vpath

import (
	"errors"
	"strings"
	"testing"
)

// BenchmarkCanonical measures Canonical, which runs once per client path in
// every request, on representative inputs: a path that is already clean, a
// long path with "." and ".." segments and doubled slashes, a hostile path
// climbing far above the root (clamped at "/") just under MaxLen, and a
// long path refused for the NUL byte at its very end (the whole input is
// scanned before the refusal). Each case is checked once before timing.
func BenchmarkCanonical(b *testing.B) {
	long := strings.Repeat("/projects/./2024//q3/../q4/reports/", 12) + "summary.csv"
	hostile := strings.Repeat("../", 1300) + "etc/passwd"
	cases := []struct {
		name, in, want string
		err            error
	}{
		{"clean", "/inbox/partner-42/report.csv", "/inbox/partner-42/report.csv", nil},
		{"dotdot", long, strings.Repeat("/projects/2024/q4/reports", 12) + "/summary.csv", nil},
		{"hostile", hostile, "/etc/passwd", nil},
		{"refused", strings.Repeat("a/", MaxLen/2-1) + "\x00", "", ErrNUL},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if len(c.in) > MaxLen {
				b.Fatalf("input is %d bytes, over MaxLen", len(c.in))
			}
			if got, err := Canonical(c.in); got != c.want || !errors.Is(err, c.err) {
				b.Fatalf("Canonical(%.40q…) = %.40q, %v; want %.40q, %v", c.in, got, err, c.want, c.err)
			}
			b.SetBytes(int64(len(c.in)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Canonical(c.in)
			}
		})
	}
}
