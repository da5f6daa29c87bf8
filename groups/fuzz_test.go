package groups

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseConfig: Parse never panics; every error names the file and a
// line ≥ 1; a configuration that parses resolves without panicking.
func FuzzParseConfig(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("testdata", "appendix-c.ini")); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"",
		defaultGroup,
		defaultGroup + "[accounts/a]\nname = alice\ngroup = nope\n",
		defaultGroup + "[accounts/a]\nname = alice\n[accounts/b]\nname = alice\n",
		defaultGroup + "[groups/g]\nname = g\nsource_ip_filter =\n    allow 10.0.0.0/33\n    deny ::ffff:1.2.3.4/100\n",
		defaultGroup + "[groups/g]\nname = g\npermissions =\n    allow-read\n    m/(a/, allow-wrte\n",
		defaultGroup + "[groups/g]\nname = g\nvirtual_folders =\n    /${USER}, /srv/${USER}\n    /x/.., /y\nhome_folder_structure = /a/../b\n",
		"[server]\nlisten = :2222, [::]:22\nhost_key = k\n[groups/DEFAULT_GROUP]\nhome_folder_path = ${OS_HOME}/x\n[accounts/x]\nname = x\nexpire_datetime = 2025-03-23\n",
		"[groups/DEFAULT_GROUP]\nname = Default\n[groups/g,h]\n[accounts/]\n  orphan\nkey outside\n",
		defaultGroup + "atomic_uploads = yes\nquota_max_bytes = 10M\n[accounts/a]\nname = a\nquota_max_bytes = -1K\nquota_max_files = 9223372036854775808\n",
		"\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.ini", data)
		if err != nil {
			if c != nil {
				t.Fatal("Config returned with an error")
			}
			for _, e := range flatten(err) {
				msg := e.Error()
				m := errPrefix.FindStringSubmatch(msg)
				if m == nil || m[1] != "fuzz.ini" {
					t.Fatalf("error without file:line: %q", msg)
				}
				if strings.Contains(msg, "\n") {
					t.Fatalf("multi-line error: %q", msg)
				}
				var ce *ConfigError
				if errors.As(e, &ce) && strconv.Itoa(ce.Line) != m[2] {
					t.Fatalf("line mismatch: %q vs %d", msg, ce.Line)
				}
			}
			return
		}
		for _, w := range c.Warnings {
			if w.Line < 1 || !strings.HasPrefix(w.String(), "fuzz.ini:") {
				t.Fatalf("warning without position: %q", w)
			}
		}
		if c.Group(DefaultGroup) == nil {
			t.Fatal("parsed without DEFAULT_GROUP")
		}
		opt := ResolveOptions{OSHome: func(_ context.Context, u string) (string, error) { return "/home/os", nil }}
		for _, a := range c.Accounts() {
			for _, ip := range []string{"10.0.0.1", "::ffff:10.0.0.1", "2001:db8::1"} {
				e, err := c.Resolve(context.Background(), a.Name, netip.MustParseAddr(ip), opt)
				if err != nil {
					var r *Rejection
					if !errors.As(err, &r) {
						t.Fatalf("Resolve error is not a Rejection: %v", err)
					}
					continue
				}
				if _, err := e.Policy(); err != nil {
					t.Fatalf("Policy of a valid configuration: %v", err)
				}
				if len(e.AssociatedGroups()) == 0 {
					t.Fatal("resolved without associated groups")
				}
			}
		}
	})
}

// FuzzParseIPRules: never panics; accepted rules are masked, carry their
// line, and round-trip through String.
func FuzzParseIPRules(f *testing.F) {
	for _, s := range []string{
		"", "allow 10.0.0.0/8", "deny ::/0\nallow 192.168.124.0/16", "allow ::ffff:10.0.0.1/120",
		"allow fe80::1%eth0", "permit 1.2.3.4", "allow 1.2.3.4-5", "allow 1.2.3.4 5", "\n\n allow 2001:db8::/32 \r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		rules, warns, err := ParseIPRules(value)
		nLines := strings.Count(value, "\n") + 1
		for _, w := range warns {
			if w.Line < 1 || w.Line > nLines {
				t.Fatalf("warning line %d of %d", w.Line, nLines)
			}
		}
		if err != nil {
			if rules != nil {
				t.Fatal("rules returned with an error")
			}
			for _, e := range flatten(err) {
				var re *IPRuleError
				if !errors.As(e, &re) || re.Line < 1 || re.Line > nLines {
					t.Fatalf("bad error %v", e)
				}
			}
			return
		}
		last := 0
		for _, r := range rules {
			if !r.Prefix.IsValid() || r.Prefix != r.Prefix.Masked() || r.Line <= last || r.Line > nLines ||
				(r.Action != IPAllow && r.Action != IPDeny) || r.Prefix.Addr().Zone() != "" {
				t.Fatalf("bad rule %+v", r)
			}
			last = r.Line
		}
		again, _, err := ParseIPRules(rules.String())
		if err != nil || again.String() != rules.String() {
			t.Fatalf("round trip: %q → %q, %v", rules.String(), again.String(), err)
		}
		for _, r := range rules {
			a := r.Prefix.Addr()
			if got, ok := rules.Match(a); !ok || got.Prefix.Bits() > 128 {
				t.Fatalf("the network address of a rule matches no rule: %v", r)
			}
		}
	})
}
