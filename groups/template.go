package groups

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Placeholders recognised in path values. They are case-sensitive: ${user}
// is literal text (HOME-06).
const (
	PlaceholderUser   = "${USER}"
	PlaceholderShared = "${SHARED}"
	PlaceholderOSHome = "${OS_HOME}"
)

// OSHomeFunc returns the home directory the operating system reports for a
// user; it resolves ${OS_HOME} (HOME-10). It returns an absolute path.
type OSHomeFunc func(ctx context.Context, user string) (string, error)

// userEscapes are the nine characters replaced by '.' when a user name is
// substituted for ${USER} in a path (SPEC 4(a), HOME-04).
const userEscapes = `\/:*?"<>|`

// EscapeUser returns the path component substituted for ${USER}: name with
// each of \ / : * ? " < > | replaced by '.' (HOME-04). Names that would
// climb or vanish — empty, ".", "..", or any that escapes to those — and
// names with control characters are refused with ErrInvalidUserName
// (HOME-05).
func EscapeUser(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", ErrInvalidUserName
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsControl(r):
			return "", ErrInvalidUserName
		case strings.ContainsRune(userEscapes, r):
			b.WriteByte('.')
		default:
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s == "" || s == "." || s == ".." {
		return "", ErrInvalidUserName
	}
	return s, nil
}

// virtualUser is the user name as substituted into the virtual side of a
// virtual folder: raw, except the separators (VF-02).
func virtualUser(name string) (string, error) {
	if _, err := EscapeUser(name); err != nil {
		return "", err
	}
	return strings.NewReplacer("/", ".", `\`, ".").Replace(name), nil
}

// pathTemplate is a validated path value (home_folder_path,
// ssh_authorized_keys_path).
type pathTemplate struct {
	group  bool   // a group value: ${USER} is appended when absent
	shared bool   // ${SHARED} prefix (removed from rest)
	osHome bool   // rest starts with ${OS_HOME}
	rest   string // the value without the ${SHARED} prefix
}

// parsePathTemplate validates a path value. group selects the group rules
// (auto-append of ${USER}). It returns warnings for ${…} tokens that are
// not placeholders.
func parsePathTemplate(value string, group bool) (pathTemplate, []string, error) {
	t := pathTemplate{group: group, rest: value}
	var warns []string
	for _, r := range value {
		if unicode.IsControl(r) {
			return t, nil, errors.New("path contains a control character")
		}
	}
	if s, ok := strings.CutPrefix(value, PlaceholderShared); ok {
		t.shared, t.rest = true, s
		if !group {
			warns = append(warns, PlaceholderShared+" only matters in group values; ignored in an account value")
		}
	}
	if strings.Contains(t.rest, PlaceholderShared) {
		return t, nil, errors.New(PlaceholderShared + " is only recognised at the start of the value")
	}
	if i := strings.Index(t.rest, PlaceholderOSHome); i > 0 {
		return t, nil, errors.New(PlaceholderOSHome + " is only recognised at the start of the value")
	} else if i == 0 {
		if t.shared {
			return t, nil, errors.New(PlaceholderShared + " and " + PlaceholderOSHome + " cannot be combined")
		}
		t.osHome = true
		if strings.Contains(t.rest[len(PlaceholderOSHome):], PlaceholderOSHome) {
			return t, nil, errors.New(PlaceholderOSHome + " appears more than once")
		}
		warns = append(warns, PlaceholderOSHome+" needs an OS home resolver (ResolveOptions.OSHome); without one the account cannot log in")
	}
	if !t.osHome && !isAbsPath(t.rest) {
		return t, nil, fmt.Errorf("%q is not an absolute path", clip(value))
	}
	warns = append(warns, tokenWarnings(value)...)
	return t, warns, nil
}

// tokenWarnings reports ${…} tokens that are not placeholders, such as
// ${user} (HOME-06): they are kept literally.
func tokenWarnings(value string) []string {
	var warns []string
	s := value
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return warns
		}
		s = s[i:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return warns
		}
		tok := s[:j+1]
		s = s[j+1:]
		switch tok {
		case PlaceholderUser, PlaceholderShared, PlaceholderOSHome:
			continue
		}
		known := ""
		for _, p := range []string{PlaceholderUser, PlaceholderShared, PlaceholderOSHome} {
			if strings.EqualFold(tok, p) {
				known = p
			}
		}
		if known != "" {
			warns = append(warns, fmt.Sprintf("%q is not a placeholder (placeholders are case-sensitive: %s); it is kept literally", clip(tok), known))
		} else {
			warns = append(warns, fmt.Sprintf("%q is not a placeholder; it is kept literally", clip(tok)))
		}
	}
}

// isAbsPath reports whether p is an absolute Unix path, a Windows path
// with a drive letter, or a UNC path.
func isAbsPath(p string) bool {
	switch {
	case strings.HasPrefix(p, "/"), strings.HasPrefix(p, `\\`):
		return true
	case len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/'):
		c := p[0] | 0x20
		return c >= 'a' && c <= 'z'
	}
	return false
}

// windowsStyle reports whether p uses backslash separators.
func windowsStyle(p string) bool {
	return strings.Contains(p, `\`) && !strings.Contains(p, "/")
}

// expand substitutes the placeholders of t for user.
func (t pathTemplate) expand(ctx context.Context, user string, osHome OSHomeFunc) (string, error) {
	hasUser := strings.Contains(t.rest, PlaceholderUser)
	appendUser := t.group && !t.shared && !t.osHome && !hasUser
	var comp string
	if hasUser || appendUser {
		var err error
		if comp, err = EscapeUser(user); err != nil {
			return "", err
		}
	}
	base := t.rest
	if t.osHome {
		if osHome == nil {
			return "", ErrNoOSHomeResolver
		}
		h, err := osHome(ctx, user)
		if err != nil {
			return "", fmt.Errorf("%s for %q: %w", PlaceholderOSHome, user, err)
		}
		if !isAbsPath(h) {
			return "", fmt.Errorf("%s for %q: %q is not an absolute path", PlaceholderOSHome, user, h)
		}
		rest := t.rest[len(PlaceholderOSHome):]
		if rest != "" && (strings.HasSuffix(h, "/") || strings.HasSuffix(h, `\`)) && (rest[0] == '/' || rest[0] == '\\') {
			rest = rest[1:]
		}
		base = h + rest
	}
	if hasUser {
		base = strings.ReplaceAll(base, PlaceholderUser, comp)
	}
	if appendUser {
		sep := "/"
		if windowsStyle(base) {
			sep = `\`
		}
		trimmed := strings.TrimRight(base, `/\`)
		if trimmed == "" || (len(trimmed) == 2 && trimmed[1] == ':') {
			// "/" or "C:\": keep the root separator.
			trimmed = base[:len(trimmed)+1]
			sep = ""
		}
		base = trimmed + sep + comp
	}
	return base, nil
}

// ExpandGroupPath validates and expands a group-level path value
// (home_folder_path, ssh_authorized_keys_path) for user (SPEC §4):
// ${USER} is replaced by the escaped user name ([EscapeUser]) and appended
// as a last component when the value has none; a ${SHARED} prefix is
// removed and suppresses the append; ${OS_HOME} (only at the start) is
// replaced by what osHome returns and also suppresses the append. The
// value must be absolute.
func ExpandGroupPath(ctx context.Context, value, user string, osHome OSHomeFunc) (string, error) {
	t, _, err := parsePathTemplate(value, true)
	if err != nil {
		return "", err
	}
	return t.expand(ctx, user, osHome)
}

// ExpandAccountPath validates and expands an account-level path value: it is
// used as written (nothing is appended, HOME-07); ${USER} and ${OS_HOME}
// are still substituted.
func ExpandAccountPath(ctx context.Context, value, user string, osHome OSHomeFunc) (string, error) {
	t, _, err := parsePathTemplate(value, false)
	if err != nil {
		return "", err
	}
	return t.expand(ctx, user, osHome)
}
