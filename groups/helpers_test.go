package groups

import (
	"context"
	"errors"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sftpkit/sftpkit/perms"
)

// defaultGroup is a DEFAULT_GROUP section most test configurations start
// with.
const defaultGroup = `[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = /srv/default
`

func mustParse(t testing.TB, text string) *Config {
	t.Helper()
	c, err := Parse("test.ini", []byte(text))
	if err != nil {
		t.Fatalf("Parse: %v\n--- config:\n%s", err, text)
	}
	return c
}

// parseErrs parses text, which must fail, and returns the individual
// errors.
func parseErrs(t testing.TB, text string) []error {
	t.Helper()
	c, err := Parse("test.ini", []byte(text))
	if err == nil {
		t.Fatalf("Parse succeeded, want an error\n--- config:\n%s", text)
	}
	if c != nil {
		t.Errorf("Parse returned a Config with an error")
	}
	return flatten(err)
}

// wantOneErr parses text and checks it fails with exactly one error that
// names line and option, wraps sentinel and contains each of the
// substrings.
func wantOneErr(t *testing.T, text string, line int, section, option string, sentinel error, substrings ...string) {
	t.Helper()
	errs := parseErrs(t, text)
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1:\n%v", len(errs), errors.Join(errs...))
	}
	checkErr(t, errs[0], line, section, option, sentinel, substrings...)
}

func checkErr(t *testing.T, err error, line int, section, option string, sentinel error, substrings ...string) {
	t.Helper()
	msg := err.Error()
	prefix := "test.ini:" + strconv.Itoa(line) + ": [" + section + "]"
	if option != "" {
		prefix += " " + option
	}
	prefix += ": "
	if !strings.HasPrefix(msg, prefix) {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("error %q does not wrap %v", msg, sentinel)
	}
	for _, s := range substrings {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not contain %q", msg, s)
		}
	}
}

func resolve(t testing.TB, c *Config, name, ip string) (*Effective, error) {
	t.Helper()
	return c.Resolve(context.Background(), name, netip.MustParseAddr(ip), ResolveOptions{})
}

func mustResolve(t testing.TB, c *Config, name, ip string) *Effective {
	t.Helper()
	e, err := resolve(t, c, name, ip)
	if err != nil {
		t.Fatalf("Resolve(%s from %s): %v", name, ip, err)
	}
	return e
}

// wantRejection checks that err is a *Rejection with the reason.
func wantRejection(t testing.TB, err error, reason string) *Rejection {
	t.Helper()
	var r *Rejection
	if !errors.As(err, &r) {
		t.Fatalf("error %v is not a *Rejection (want reason %s)", err, reason)
	}
	if r.Reason != reason {
		t.Fatalf("reason = %q, want %q (%v)", r.Reason, reason, err)
	}
	return r
}

func groupUUIDs(refs []GroupRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.UUID
	}
	return out
}

func ignoredUUIDs(refs []IgnoredGroup) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.UUID
	}
	return out
}

func ruleExprs(rules []perms.SourcedRule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.Expr + " → " + r.Set.String() + " [" + string(r.Source) + "]"
	}
	return out
}

func mustSet(t testing.TB, s string) perms.Set {
	t.Helper()
	set, err := perms.ParseSet(s)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// errPrefix matches "name:LINE: " with LINE ≥ 1.
var errPrefix = regexp.MustCompile(`^([^:\n]+):([1-9][0-9]*): `)
