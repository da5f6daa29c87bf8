package groups

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// IP-01: the rule parser.
func TestIP01_Parse(t *testing.T) {
	good := []struct {
		value string
		want  string // rules, one per line
		warns []int  // lines with a host-bits warning
	}{
		{"", "", nil},
		{"allow 10.3.4.0/24", "allow 10.3.4.0/24", nil},
		{"ALLOW 10.3.4.1\nDeny ::/0", "allow 10.3.4.1/32\ndeny ::/0", nil},
		{"\n  allow   2001:db8::/32  \n\n\tdeny 2001:db8::1\r\n", "allow 2001:db8::/32\ndeny 2001:db8::1/128", nil},
		{"allow 192.168.124.0/16", "allow 192.168.0.0/16", []int{1}},
		{"deny 10.0.0.1\nallow 10.0.0.1/8\nallow 2001:db8::1/64", "deny 10.0.0.1/32\nallow 10.0.0.0/8\nallow 2001:db8::/64", []int{2, 3}},
		{"allow ::ffff:10.0.0.1", "allow 10.0.0.1/32", nil},
		{"allow ::ffff:10.0.0.0/104", "allow 10.0.0.0/8", nil},
		{"allow 0.0.0.0/0\nallow ::/0", "allow 0.0.0.0/0\nallow ::/0", nil},
	}
	for _, tc := range good {
		rules, warns, err := ParseIPRules(tc.value)
		if err != nil || rules.String() != tc.want {
			t.Errorf("ParseIPRules(%q) = %q, %v; want %q", tc.value, rules, err, tc.want)
		}
		var wl []int
		for _, w := range warns {
			wl = append(wl, w.Line)
			if !strings.Contains(w.String(), "host bits") || !strings.HasPrefix(w.String(), "line ") {
				t.Errorf("warning %q", w)
			}
		}
		if len(wl) != len(tc.warns) || (len(wl) > 0 && wl[0] != tc.warns[0]) {
			t.Errorf("ParseIPRules(%q) warnings on lines %v, want %v", tc.value, wl, tc.warns)
		}
	}
	bad := []struct {
		value string
		line  int
		text  string
	}{
		{"10.0.0.1", 1, "allow or deny"},
		{"permit 10.0.0.1", 1, "allow or deny"},
		{"allow", 1, "without an address"},
		{"allow 10.0.0.1 10.0.0.2", 1, "unexpected"},
		{"allow 10.0.0.1 # office", 1, "unexpected"},
		{"allow host.example.com", 1, "host names"},
		{"allow 10.0.0.1-10.0.0.9", 1, "ranges"},
		{"allow 10.10.1.1-15", 1, "ranges"},
		{"allow 10.0.0.0/33", 1, "not an IP address or CIDR"},
		{"allow 10.0.0.0/", 1, "not an IP address or CIDR"},
		{"allow fe80::1%eth0", 1, "zoned"},
		{"allow fe80::/64%eth0", 1, "not an IP address"},
		{"allow 10.0.0.256", 1, "not an IP address"},
		{"allow 10.0.0.1\n\ndeny nonsense", 3, "not an IP address"},
		{"allow,10.0.0.1", 1, "allow or deny"},
	}
	for _, tc := range bad {
		rules, _, err := ParseIPRules(tc.value)
		var re *IPRuleError
		if !errors.As(err, &re) || re.Line != tc.line || !strings.Contains(re.Msg, tc.text) || rules != nil {
			t.Errorf("ParseIPRules(%q) = %v, %v; want line %d %q", tc.value, rules, err, tc.line, tc.text)
		}
	}
	// All errors are reported.
	_, _, err := ParseIPRules("allow x\ndeny y\nallow 10.0.0.1")
	if errs := flatten(err); len(errs) != 2 {
		t.Errorf("errors = %v", errs)
	}
}

// IP-02: a single address is a /32 or /128.
func TestIP02_SingleAddress(t *testing.T) {
	rules, _, err := ParseIPRules("allow 10.3.4.1\nallow 2001:db8::7")
	if err != nil || rules[0].Prefix.Bits() != 32 || rules[1].Prefix.Bits() != 128 {
		t.Fatalf("%v %v", rules, err)
	}
	for ip, want := range map[string]bool{"10.3.4.1": true, "10.3.4.2": false, "2001:db8::7": true, "2001:db8::8": false} {
		if got := rules.AllowsAccount(netip.MustParseAddr(ip)); got != want {
			t.Errorf("%s: %v", ip, got)
		}
	}
}

// IP-03: IPv4-mapped sources match as IPv4; IPv4 and IPv6 prefixes never
// cross families.
func TestIP03_AddressFamilies(t *testing.T) {
	v4all, _, _ := ParseIPRules("allow 0.0.0.0/0")
	v6all, _, _ := ParseIPRules("allow ::/0")
	net10, _, _ := ParseIPRules("allow 10.0.0.0/8")
	cases := []struct {
		rules IPRules
		src   string
		want  bool
	}{
		{net10, "::ffff:10.0.0.1", true},
		{net10, "10.0.0.1", true},
		{v4all, "::ffff:192.0.2.1", true},
		{v4all, "2001:db8::1", false},
		{v6all, "192.0.2.1", false},
		{v6all, "::ffff:192.0.2.1", false},
		{v6all, "2001:db8::1", true},
		{v6all, "fe80::1%eth0", true},
	}
	for _, tc := range cases {
		if got := tc.rules.AllowsAccount(netip.MustParseAddr(tc.src)); got != tc.want {
			t.Errorf("%v allows %s = %v, want %v", tc.rules, tc.src, got, tc.want)
		}
	}
	if got := NormalizeSource(netip.MustParseAddr("::ffff:10.0.0.1")); got != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("NormalizeSource = %v", got)
	}
	// Through the resolver: the snapshot records the unmapped address.
	c := mustParse(t, defaultGroup+"[accounts/a]\nname = alice\nsource_ip_filter = allow 10.0.0.0/8\n")
	e := mustResolve(t, c, "alice", "::ffff:10.1.2.3")
	if e.SourceAddr() != netip.MustParseAddr("10.1.2.3") {
		t.Errorf("SourceAddr = %v", e.SourceAddr())
	}
	// An invalid source matches nothing: refused by any non-empty filter.
	_, err := c.Resolve(context.Background(), "alice", netip.Addr{}, ResolveOptions{})
	wantRejection(t, err, ReasonIPDeniedAccount)
}

// IP-04: the account filter gates the login.
func TestIP04_AccountFilter(t *testing.T) {
	rules, _, _ := ParseIPRules("allow 10.3.4.1\ndeny 10.3.4.0/24\nallow 192.0.2.0/24")
	cases := []struct {
		rules IPRules
		src   string
		want  bool
	}{
		{rules, "10.3.4.1", true},      // first match allow
		{rules, "10.3.4.2", false},     // first match deny
		{rules, "192.0.2.9", true},     // later allow
		{rules, "198.51.100.1", false}, // no match with a non-empty list
		{nil, "198.51.100.1", true},    // empty list
	}
	for _, tc := range cases {
		if got := tc.rules.AllowsAccount(netip.MustParseAddr(tc.src)); got != tc.want {
			t.Errorf("%s: %v", tc.src, got)
		}
	}
	c := mustParse(t, defaultGroup+"[accounts/a]\nname = alice\nsource_ip_filter =\n    allow 10.3.4.1\n    deny 10.3.4.0/24\n")
	mustResolve(t, c, "alice", "10.3.4.1")
	for _, src := range []string{"10.3.4.2", "8.8.8.8"} {
		_, err := resolve(t, c, "alice", src)
		if r := wantRejection(t, err, ReasonIPDeniedAccount); r.Source != src || r.Account != "alice" {
			t.Errorf("rejection = %+v", r)
		}
	}
}

// IP-05: group association, recorded ignored groups.
func TestIP05_GroupAssociation(t *testing.T) {
	c := mustParse(t, defaultGroup+`
[groups/empty]
name = empty
home_folder_path = /srv
[groups/allow]
name = allow
source_ip_filter = allow 10.0.0.0/8
[groups/deny]
name = deny
source_ip_filter =
    deny 10.1.0.0/16
    allow 10.0.0.0/8
[accounts/a]
name = alice
group = empty, allow, deny
`)
	cases := []struct {
		src           string
		assoc, ignore []string
	}{
		{"10.2.0.1", []string{"empty", "allow", "deny"}, nil},
		{"10.1.0.1", []string{"empty", "allow"}, []string{"deny"}},
		{"192.0.2.1", []string{"empty"}, []string{"allow", "deny"}},
	}
	for _, tc := range cases {
		e := mustResolve(t, c, "alice", tc.src)
		if got := groupUUIDs(e.AssociatedGroups()); !equalStrings(got, tc.assoc) {
			t.Errorf("%s: associated %v, want %v", tc.src, got, tc.assoc)
		}
		if got := ignoredUUIDs(e.IgnoredGroups()); !equalStrings(got, tc.ignore) {
			t.Errorf("%s: ignored %v, want %v", tc.src, got, tc.ignore)
		}
		for _, ig := range e.IgnoredGroups() {
			if ig.Reason != IgnoredSourceIP {
				t.Errorf("ignored reason %q", ig.Reason)
			}
		}
	}
}

// IP-06: no associated group refuses the login even when the account
// filter allowed the source.
func TestIP06_NoGroupAssociated(t *testing.T) {
	c := mustParse(t, defaultGroup+`
[groups/g]
name = g
source_ip_filter = allow 10.0.0.0/8
[accounts/a]
name = alice
group = g
source_ip_filter = allow 0.0.0.0/0
`)
	_, err := resolve(t, c, "alice", "192.0.2.1")
	if r := wantRejection(t, err, ReasonNoGroupAssociated); r.Source != "192.0.2.1" {
		t.Errorf("rejection = %+v", r)
	}
}

// IP-07: every documented scenario of SPEC 12(b).
func TestIP07_DocumentedScenarios(t *testing.T) {
	type probe struct {
		src    string
		assoc  []string // nil: refused
		reason string
	}
	scenarios := []struct {
		name   string
		config string
		probes []probe
	}{
		{
			name: "group allow range, account empty",
			config: `[groups/g]
name = g
home_folder_path = /srv
source_ip_filter = allow 10.3.4.0/24
[accounts/a]
name = alice
group = g
`,
			probes: []probe{
				{"10.3.4.1", []string{"g"}, ""},
				{"10.3.4.254", []string{"g"}, ""},
				{"10.3.5.1", nil, ReasonNoGroupAssociated},
			},
		},
		{
			name: "account allows one address",
			config: `[accounts/a]
name = alice
source_ip_filter = allow 10.3.4.1
`,
			probes: []probe{
				{"10.3.4.1", []string{DefaultGroup}, ""},
				{"10.3.4.2", nil, ReasonIPDeniedAccount},
			},
		},
		{
			name: "account allow one, deny its /24, allow the rest",
			config: `[accounts/a]
name = alice
source_ip_filter =
    allow 10.3.4.1
    deny 10.3.4.0/24
    allow 0.0.0.0/0
    allow ::/0
`,
			probes: []probe{
				{"10.3.4.1", []string{DefaultGroup}, ""},
				{"10.3.4.2", nil, ReasonIPDeniedAccount},
				{"10.3.4.200", nil, ReasonIPDeniedAccount},
				{"8.8.8.8", []string{DefaultGroup}, ""},
				{"2001:db8::1", []string{DefaultGroup}, ""},
			},
		},
		{
			name: "group deny one, allow two ranges",
			config: `[groups/g]
name = g
home_folder_path = /srv
source_ip_filter =
    deny 10.23.0.1
    allow 10.23.0.0/24
    allow 172.27.0.0/16
[accounts/a]
name = alice
group = g
`,
			probes: []probe{
				{"10.23.0.173", []string{"g"}, ""},
				{"172.27.3.21", []string{"g"}, ""},
				{"10.23.0.1", nil, ReasonNoGroupAssociated},
				{"35.12.4.142", nil, ReasonNoGroupAssociated},
			},
		},
		{
			name: "sales and support",
			config: `[groups/sales]
name = sales
home_folder_path = /srv
source_ip_filter = allow 192.168.124.0/16
[groups/support]
name = support
home_folder_path = /srv
source_ip_filter = allow 10.2.2.0/24
[accounts/a]
name = alice
group = sales, support
`,
			probes: []probe{
				{"192.168.124.23", []string{"sales"}, ""},
				{"192.168.1.1", []string{"sales"}, ""}, // the /16 after masking
				{"10.2.2.23", []string{"support"}, ""},
				{"8.8.8.8", nil, ReasonNoGroupAssociated},
			},
		},
		{
			name: "sales and support with an account filter",
			config: `[groups/sales]
name = sales
home_folder_path = /srv
source_ip_filter =
    allow 192.168.124.0/16
    allow 10.2.2.0/24
[groups/support]
name = support
home_folder_path = /srv
source_ip_filter = allow 10.2.2.0/24
[accounts/a]
name = alice
group = sales, support
source_ip_filter =
    allow 192.168.124.23
    allow 10.2.2.23
`,
			probes: []probe{
				{"192.168.124.23", []string{"sales"}, ""},
				{"10.2.2.23", []string{"sales", "support"}, ""},
				{"192.168.124.24", nil, ReasonIPDeniedAccount},
				{"10.2.2.24", nil, ReasonIPDeniedAccount},
				{"8.8.8.8", nil, ReasonIPDeniedAccount},
			},
		},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c := mustParse(t, defaultGroup+sc.config)
			for _, p := range sc.probes {
				for _, src := range []string{p.src, mapped(p.src)} {
					e, err := resolve(t, c, "alice", src)
					if p.assoc == nil {
						wantRejection(t, err, p.reason)
						continue
					}
					if err != nil {
						t.Errorf("%s: %v", src, err)
						continue
					}
					if got := groupUUIDs(e.AssociatedGroups()); !equalStrings(got, p.assoc) {
						t.Errorf("%s: associated %v, want %v", src, got, p.assoc)
					}
				}
			}
		})
	}
}

// mapped returns the IPv4-mapped IPv6 form of an IPv4 address, as a
// dual-stack listener reports it.
func mapped(s string) string {
	a := netip.MustParseAddr(s)
	if !a.Is4() {
		return s
	}
	return netip.AddrFrom16(a.As16()).String()
}

// IP-08: DEFAULT_GROUP's filter restricts every account using it
// implicitly.
func TestIP08_DefaultGroupFilter(t *testing.T) {
	c := mustParse(t, `[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = /srv
source_ip_filter = allow 10.0.0.0/8
[groups/g]
name = g
home_folder_path = /srv
[accounts/a]
name = alice
[accounts/b]
name = bob
group = g
`)
	mustResolve(t, c, "alice", "10.1.1.1")
	_, err := resolve(t, c, "alice", "192.0.2.1")
	wantRejection(t, err, ReasonNoGroupAssociated)
	mustResolve(t, c, "bob", "192.0.2.1") // does not use DEFAULT_GROUP
}

// IP-09: the resolver matches the address it is given (the server passes
// the TCP peer address, or the address of a trusted PROXY header).
func TestIP09_SourceIsWhatTheCallerPasses(t *testing.T) {
	c := mustParse(t, defaultGroup+"[accounts/a]\nname = alice\nsource_ip_filter = allow 203.0.113.7\n")
	mustResolve(t, c, "alice", "203.0.113.7")
	_, err := resolve(t, c, "alice", "127.0.0.1")
	wantRejection(t, err, ReasonIPDeniedAccount)
}

// IP-10: tenant-level allow-lists are a Quatrix feature outside this
// package.
func TestIP10_TenantAllowList(t *testing.T) {
	t.Skip("IP-10: tenant-level allow-lists belong to the Quatrix-style service, not to groups")
}
