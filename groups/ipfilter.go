package groups

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// IPAction is the action of a source-IP rule.
type IPAction uint8

// Actions of a source-IP rule.
const (
	IPAllow IPAction = iota + 1
	IPDeny
)

// String returns "allow" or "deny".
func (a IPAction) String() string {
	switch a {
	case IPAllow:
		return "allow"
	case IPDeny:
		return "deny"
	}
	return fmt.Sprintf("IPAction(%d)", uint8(a))
}

// IPRule is one source_ip_filter line: an action and the network it
// applies to. A single address is a /32 or /128 prefix (IP-02).
type IPRule struct {
	Action IPAction
	// Prefix is masked to its network address; an IPv4-mapped IPv6 prefix
	// (::ffff:a.b.c.d/n with n ≥ 96) is stored as the IPv4 prefix.
	Prefix netip.Prefix
	// Line is the 1-based line of the rule within the value.
	Line int
}

// String returns the rule as it would be written: "allow 10.0.0.0/24".
func (r IPRule) String() string { return r.Action.String() + " " + r.Prefix.String() }

// IPRules is a parsed source_ip_filter value (SPEC §12): rules tried top
// down, the first whose prefix contains the source decides.
type IPRules []IPRule

// IPRuleError is a syntax error in a source_ip_filter value. ParseIPRules
// returns all of them joined with errors.Join.
type IPRuleError struct {
	// Line is the 1-based line within the value.
	Line int
	// Token is the offending word, when there is one.
	Token string
	// Msg describes the error.
	Msg string
}

// Error formats e as "line N: msg".
func (e *IPRuleError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// ParseIPRules parses a source_ip_filter value (IP-01): one rule per line,
// "allow ADDRESS" or "deny ADDRESS" (action case-insensitive), ADDRESS an
// IPv4 or IPv6 address or CIDR prefix; blank lines are ignored. Host names,
// ranges, zones, a missing action and extra words are errors. A CIDR with
// host bits set (192.168.124.0/16) is masked to its network (192.168.0.0/16)
// and reported as a warning. An empty value gives no rules (no
// restriction).
func ParseIPRules(value string) (IPRules, []Warning, error) {
	var (
		rules IPRules
		warns []Warning
		errs  []error
	)
	for i, raw := range strings.Split(value, "\n") {
		n := i + 1
		fields := strings.Fields(raw)
		if len(fields) == 0 {
			continue
		}
		fail := func(tok, format string, args ...any) {
			errs = append(errs, &IPRuleError{Line: n, Token: tok, Msg: fmt.Sprintf(format, args...)})
		}
		var act IPAction
		switch strings.ToLower(fields[0]) {
		case "allow":
			act = IPAllow
		case "deny":
			act = IPDeny
		default:
			fail(fields[0], "rule %q does not start with allow or deny", clip(strings.TrimSpace(raw)))
			continue
		}
		if len(fields) == 1 {
			fail(fields[0], "%s without an address", fields[0])
			continue
		}
		if len(fields) > 2 {
			fail(fields[2], "unexpected %q after the address (one rule per line)", clip(fields[2]))
			continue
		}
		p, masked, err := parseIPOrCIDR(fields[1])
		if err != nil {
			fail(fields[1], "%v", err)
			continue
		}
		if masked {
			warns = append(warns, Warning{Line: n, Msg: fmt.Sprintf("%s has host bits set; using %s", fields[1], p)})
		}
		rules = append(rules, IPRule{Action: act, Prefix: p, Line: n})
	}
	if len(errs) > 0 {
		return nil, warns, errors.Join(errs...)
	}
	return rules, warns, nil
}

// parseIPOrCIDR parses one address or prefix, reporting whether host bits
// had to be masked.
func parseIPOrCIDR(s string) (netip.Prefix, bool, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, false, fmt.Errorf("%q is not an IP address or CIDR prefix", clip(s))
		}
	} else {
		a, err := netip.ParseAddr(s)
		switch {
		case err != nil && strings.Contains(s, "-"):
			return p, false, fmt.Errorf("%q: address ranges are not supported; write a CIDR prefix", clip(s))
		case err != nil:
			return p, false, fmt.Errorf("%q is not an IP address or CIDR prefix (host names are not supported)", clip(s))
		case a.Zone() != "":
			return p, false, fmt.Errorf("%q: zoned addresses are not supported", clip(s))
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	m := p.Masked()
	return m, m != p, nil
}

// NormalizeSource returns the address the rules are matched against: an
// IPv4-mapped IPv6 address (what a dual-stack listener reports,
// ::ffff:a.b.c.d) becomes the IPv4 address, and an IPv6 zone is dropped
// (IP-03).
func NormalizeSource(addr netip.Addr) netip.Addr {
	return addr.Unmap().WithZone("")
}

// Match returns the first rule whose prefix contains addr (after
// NormalizeSource), and whether there is one. An IPv4 prefix never
// contains an IPv6 address and the reverse (IP-03). An invalid addr
// matches nothing.
func (rs IPRules) Match(addr netip.Addr) (IPRule, bool) {
	addr = NormalizeSource(addr)
	if !addr.IsValid() {
		return IPRule{}, false
	}
	for _, r := range rs {
		if r.Prefix.Contains(addr) {
			return r, true
		}
	}
	return IPRule{}, false
}

// AllowsAccount applies rs as an account filter (IP-04): an empty list
// allows every source; otherwise the first matching rule decides and no
// match denies.
func (rs IPRules) AllowsAccount(addr netip.Addr) bool {
	if len(rs) == 0 {
		return true
	}
	r, ok := rs.Match(addr)
	return ok && r.Action == IPAllow
}

// Associates applies rs as a group filter (IP-05): an empty list associates
// the group; otherwise the group is associated only when the first
// matching rule allows.
func (rs IPRules) Associates(addr netip.Addr) bool { return rs.AllowsAccount(addr) }

// String returns the rules one per line.
func (rs IPRules) String() string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = r.String()
	}
	return strings.Join(lines, "\n")
}

func clip(s string) string {
	const max = 60
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
