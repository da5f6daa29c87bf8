package keys

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AuthorizedKey is one usable line (or RFC 4716 block) of an
// authorized_keys input, with the conditions of its options. Build it with
// [ParseAuthorizedKeyLines] or [LoadAuthorizedKeyLines] and ask
// [AuthorizedKey.Allows] at every login; [MatchAuthorizedKey] does both for
// a list.
type AuthorizedKey struct {
	// Key is the public key. It is never a certificate, a DSA key or an
	// RSA key shorter than MinRSABits.
	Key ssh.PublicKey
	// Comment is the text after the key data (or the Comment header of an
	// RFC 4716 block, or the subject common name of an X.509 certificate). It is attacker-influenced text: log it as an
	// attribute, never in a message.
	Comment string
	// ExpiresAt is the instant of the line's expiry-time= option (the
	// earliest, when the option is repeated); the zero time means none.
	// The key is refused from that instant on.
	ExpiresAt time.Time
	// From holds the patterns of the from= option, in order, "!" kept;
	// nil means any source.
	From []string
	// Options lists the accepted restriction options of the line in
	// lower case ("restrict", "no-pty", …). They need no enforcement on an
	// SFTP-only server and are kept for logging.
	Options []string
	// Line is the 1-based line number (the BEGIN line of an RFC 4716
	// block or of an X.509 certificate block).
	Line int
	// File is the file that was read; empty for ParseAuthorizedKeyLines.
	File string
}

// Allows reports whether the key may be used at now by a client connecting
// from source. It returns nil, or an error wrapping [ErrKeyExpired] (now is
// at or after ExpiresAt) or [ErrSourceNotAllowed] (From is set and source
// does not match it, or source is not a valid address).
//
// From follows OpenSSH's from="pattern-list": patterns are separated by
// commas; each is an IP address, a CIDR block or a wildcard pattern ('*'
// any run of characters, '?' one) matched against the textual address; a
// leading '!' negates. The source is allowed when some pattern matches and
// no negated pattern does. Host names are never resolved: a host-name
// pattern never matches (as with OpenSSH's default UseDNS no), and a
// pattern list that cannot be read allows nothing. IPv4-mapped IPv6
// sources are compared as IPv4.
func (k AuthorizedKey) Allows(now time.Time, source netip.Addr) error {
	if !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return fmt.Errorf("%w (expiry-time %s)", ErrKeyExpired, k.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if k.From != nil {
		ok, err := matchFrom(k.From, source)
		if err != nil {
			return fmt.Errorf("%w (from= option unusable: %v)", ErrSourceNotAllowed, err)
		}
		if !ok {
			return fmt.Errorf("%w (from= option)", ErrSourceNotAllowed)
		}
	}
	return nil
}

// MatchAuthorizedKey returns the first entry of list whose key is pub and
// that [AuthorizedKey.Allows] the login at now from source, as OpenSSH
// tries every line holding the key. When no entry allows it, the error
// wraps [ErrKeyNotFound] if no entry holds pub, or else the refusal of the
// first entry that does ([ErrKeyExpired] or [ErrSourceNotAllowed]).
func MatchAuthorizedKey(list []AuthorizedKey, pub ssh.PublicKey, now time.Time, source netip.Addr) (AuthorizedKey, error) {
	if pub == nil {
		return AuthorizedKey{}, ErrKeyNotFound
	}
	want := string(pub.Marshal())
	var first error
	for _, k := range list {
		if k.Key == nil || string(k.Key.Marshal()) != want {
			continue
		}
		err := k.Allows(now, source)
		if err == nil {
			return k, nil
		}
		if first == nil {
			first = fmt.Errorf("keys: %s: %w", location(k.File, k.Line), err)
		}
	}
	if first == nil {
		first = ErrKeyNotFound
	}
	return AuthorizedKey{}, first
}

// lineOptions is the result of reading the options of one line.
type lineOptions struct {
	expires  time.Time
	from     []string
	accepted []string
	hostPat  bool // from= holds a host-name pattern, which never matches
}

// Option names, in lower case (OpenSSH compares them case-insensitively).
var (
	// acceptedFlags take capabilities away that an SFTP-only server never
	// grants anyway: accepting them changes nothing.
	acceptedFlags = map[string]bool{
		"restrict": true, "no-pty": true, "no-port-forwarding": true,
		"no-agent-forwarding": true, "no-x11-forwarding": true, "no-user-rc": true,
	}
	// refusedFlags would change what the key may do; the line is unusable.
	refusedFlags = map[string]string{
		"cert-authority":     "cert-authority lines are not used; certificates are trusted through the configured CA keys",
		"pty":                "option pty grants a capability and is not accepted",
		"port-forwarding":    "option port-forwarding grants a capability and is not accepted",
		"agent-forwarding":   "option agent-forwarding grants a capability and is not accepted",
		"x11-forwarding":     "option X11-forwarding grants a capability and is not accepted",
		"user-rc":            "option user-rc grants a capability and is not accepted",
		"no-touch-required":  "option no-touch-required would waive the security-key touch check and is not accepted",
		"verify-required":    "option verify-required cannot be enforced and is not accepted",
		"no-verify-required": "option no-verify-required is not an OpenSSH option",
	}
	// refusedValued would change the behaviour of the session.
	refusedValued = map[string]bool{
		"command": true, "environment": true, "permitopen": true, "permitlisten": true,
		"principals": true, "tunnel": true,
	}
)

// splitOptions splits an authorized_keys line that starts with options into
// the options text and the rest, as OpenSSH's sshkey_advance_past_options
// does: the options end at the first blank outside double quotes, and \"
// never toggles quoting. ok is false for an unterminated quote.
func splitOptions(line string) (opts, rest string, ok bool) {
	quoted := false
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		if !quoted && (c == ' ' || c == '\t') {
			break
		}
		if c == '\\' && i+1 < len(line) && line[i+1] == '"' {
			i++
		} else if c == '"' {
			quoted = !quoted
		}
	}
	if quoted {
		return "", "", false
	}
	return line[:i], strings.TrimLeft(line[i:], " \t"), true
}

// dequote reads a double-quoted option value at the start of s, as
// OpenSSH's opt_dequote: \" stands for ", every other character is itself.
func dequote(s string) (val, rest string, ok bool) {
	if s == "" || s[0] != '"' {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '"':
			b.WriteByte('"')
			i++
		case s[i] == '"':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(s[i])
		}
	}
	return "", "", false
}

// parseOptions reads the options text of one line. problem is "" when the
// line is usable, else a fixed description of why it is not; it never
// quotes the line.
func parseOptions(s string) (o lineOptions, problem string) {
	fromSeen := false
	for s != "" {
		end := strings.IndexAny(s, "=,")
		if end < 0 {
			end = len(s)
		}
		name := strings.ToLower(s[:end])
		if end < len(s) && s[end] == '=' {
			val, rest, ok := dequote(s[end+1:])
			if !ok {
				return o, "malformed authorized_keys options (option values must be double-quoted)"
			}
			s = rest
			switch {
			case name == "from":
				if fromSeen {
					return o, "option from= given more than once"
				}
				fromSeen = true
				pats, host, err := parseFrom(val)
				if err != "" {
					return o, err
				}
				o.from, o.hostPat = pats, host
			case name == "expiry-time":
				t, err := parseExpiryTime(val)
				if err != nil {
					return o, "option expiry-time= is not a valid time (YYYYMMDD[HHMM[SS]][Z])"
				}
				if o.expires.IsZero() || t.Before(o.expires) {
					o.expires = t
				}
			case refusedValued[name]:
				return o, "option " + name + "= would change the session and is not accepted"
			default:
				return o, "unknown authorized_keys option"
			}
		} else {
			s = s[end:]
			switch {
			case acceptedFlags[name]:
				o.accepted = append(o.accepted, name)
			case refusedFlags[name] != "":
				return o, refusedFlags[name]
			default:
				return o, "unknown authorized_keys option"
			}
		}
		if s == "" {
			break
		}
		if s[0] != ',' {
			return o, "malformed authorized_keys options"
		}
		s = s[1:]
	}
	return o, ""
}

// parseFrom checks a from= pattern list. host reports a host-name pattern,
// which never matches. problem is non-empty when the list is unusable: an
// empty pattern, a CIDR block with bits set beyond its mask (OpenSSH
// refuses the list), a zoned address, or a negated host-name pattern, which
// could only be honoured by resolving names; refusing the line keeps it
// from admitting the very host it excludes.
func parseFrom(list string) (pats []string, host bool, problem string) {
	pats = strings.Split(list, ",")
	for _, p := range pats {
		kind, neg := classifyPattern(p)
		switch kind {
		case patInvalid:
			return nil, false, "option from= holds an invalid pattern"
		case patHost:
			if neg {
				return nil, false, "option from= holds a negated host-name pattern, which cannot be checked without DNS"
			}
			host = true
		}
	}
	return pats, host, ""
}

type patternKind int

const (
	patInvalid  patternKind = iota
	patPrefix               // IP address or CIDR block
	patWildcard             // wildcard over the characters of a textual address
	patHost                 // anything else: a host name, never matched
)

// classifyPattern returns the kind of one from= pattern and whether it is
// negated.
func classifyPattern(p string) (patternKind, bool) {
	neg := strings.HasPrefix(p, "!")
	if neg {
		p = p[1:]
	}
	if p == "" {
		return patInvalid, neg
	}
	if _, err := parsePrefix(p); err == nil {
		return patPrefix, neg
	}
	if strings.ContainsAny(p, "/%") {
		return patInvalid, neg // a malformed CIDR block or a zone
	}
	addrLike := true
	for i := 0; i < len(p); i++ {
		if !strings.ContainsRune("0123456789abcdefABCDEF.:*?", rune(p[i])) {
			addrLike = false
			break
		}
	}
	if addrLike {
		return patWildcard, neg
	}
	return patHost, neg
}

// parsePrefix reads an address ("10.0.0.1", an implicit single-address
// block) or a CIDR block whose address has no bits beyond the mask, as
// OpenSSH's addr_pton_cidr. IPv4-mapped IPv6 is read as IPv4. Zones are
// refused.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if p != p.Masked() {
			return netip.Prefix{}, errors.New("address has bits set beyond the mask")
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, errors.New("zoned address")
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// matchFrom reports whether source matches the from= pattern list pats.
func matchFrom(pats []string, source netip.Addr) (bool, error) {
	if !source.IsValid() {
		return false, nil
	}
	source = source.WithZone("").Unmap()
	text := strings.ToLower(source.String())
	matched := false
	for _, p := range pats {
		kind, neg := classifyPattern(p)
		body := strings.TrimPrefix(p, "!")
		var m bool
		switch kind {
		case patInvalid:
			return false, errors.New("invalid pattern")
		case patPrefix:
			pre, _ := parsePrefix(body)
			m = pre.Contains(source)
		case patWildcard:
			m = wildcardMatch(text, strings.ToLower(body))
		case patHost:
			if neg {
				return false, errors.New("negated host-name pattern")
			}
		}
		if m && neg {
			return false, nil
		}
		matched = matched || m
	}
	return matched, nil
}

// wildcardMatch matches s against pat, where '*' matches any run of bytes
// and '?' one byte (OpenSSH's match_pattern). It runs in O(len(s)·len(pat)).
func wildcardMatch(s, pat string) bool {
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pat) && pat[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pat) && (pat[pi] == '?' || pat[pi] == s[si]):
			si++
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == '*' {
		pi++
	}
	return pi == len(pat)
}

// parseExpiryTime reads OpenSSH's expiry-time format YYYYMMDD,
// YYYYMMDDHHMM or YYYYMMDDHHMMSS, in the server's local time zone, or in
// UTC with a trailing "Z" or "UTC" (any case). Times before 1970 are
// refused, as by OpenSSH.
func parseExpiryTime(s string) (time.Time, error) {
	loc := time.Local
	switch up := strings.ToUpper(s); {
	case len(s) > 1 && strings.HasSuffix(up, "Z"):
		s, loc = s[:len(s)-1], time.UTC
	case len(s) > 3 && strings.HasSuffix(up, "UTC"):
		s, loc = s[:len(s)-3], time.UTC
	}
	var layout string
	switch len(s) {
	case 8:
		layout = "20060102"
	case 12:
		layout = "200601021504"
	case 14:
		layout = "20060102150405"
	default:
		return time.Time{}, errors.New("bad length")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, errors.New("not a number")
		}
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, err
	}
	if t.Unix() < 0 {
		return time.Time{}, errors.New("before 1970")
	}
	return t, nil
}
