package perms

import (
	"fmt"
	"math/bits"
	"strings"
	"unicode"
)

// Perm is one permission. The constants are distinct bits so that a Perm
// value can also carry several permissions at once; [Set.Allows] then
// requires all of them.
type Perm uint16

// The permissions of SFTPPlus's `permissions` option (SPEC 7(b) describes
// what each one allows; SPEC 8.2 maps SFTP requests onto them).
const (
	Read          Perm = 1 << iota // allow-read: read file content, get attributes
	List                           // allow-list: list folders, get attributes of members, read links
	Traverse                       // allow-traverse: list only the folders inside a folder
	CreateFolder                   // allow-create-folder: create folders
	Write                          // allow-write: create, overwrite and append to files
	Rename                         // allow-rename: rename (needed on source and destination)
	DeleteFolder                   // allow-delete-folder: delete folders
	DeleteFile                     // allow-delete-file: delete files
	SetAttributes                  // allow-set-attributes: change attributes

	allPerms = Read | List | Traverse | CreateFolder | Write | Rename | DeleteFolder | DeleteFile | SetAttributes
)

// permNames is indexed by bit position.
var permNames = [...]string{
	"allow-read",
	"allow-list",
	"allow-traverse",
	"allow-create-folder",
	"allow-write",
	"allow-rename",
	"allow-delete-folder",
	"allow-delete-file",
	"allow-set-attributes",
}

// Configuration tokens for the two full-control flags.
const (
	tokAllowFull = "allow-full-control"
	tokDenyFull  = "deny-full-control"
)

// String returns the configuration token of a single permission, such as
// "allow-read". A value with several bits set returns the tokens joined by
// ", "; a value with no or unknown bits returns "Perm(0x…)".
func (p Perm) String() string {
	if p != 0 && p&^allPerms == 0 {
		if bits.OnesCount16(uint16(p)) == 1 {
			return permNames[bits.TrailingZeros16(uint16(p))]
		}
		var b strings.Builder
		for q := range p.each() {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(q.String())
		}
		return b.String()
	}
	if p == 0 {
		return "Perm(0)"
	}
	return fmt.Sprintf("Perm(%#x)", uint16(p))
}

// each yields the single-bit permissions in p, lowest bit first.
func (p Perm) each() func(yield func(Perm) bool) {
	return func(yield func(Perm) bool) {
		for v := uint16(p); v != 0; v &= v - 1 {
			if !yield(Perm(v & -v)) {
				return
			}
		}
	}
}

// lookupToken maps a trimmed configuration token to a permission. It is
// case-insensitive and accepts the legacy aliases "read" and "write"
// (PERM-P02). full is +1 for allow-full-control and -1 for
// deny-full-control.
func lookupToken(tok string) (p Perm, full int, ok bool) {
	switch {
	case strings.EqualFold(tok, tokAllowFull):
		return 0, +1, true
	case strings.EqualFold(tok, tokDenyFull):
		return 0, -1, true
	case strings.EqualFold(tok, "read"):
		return Read, 0, true
	case strings.EqualFold(tok, "write"):
		return Write, 0, true
	}
	for i, name := range permNames {
		if strings.EqualFold(tok, name) {
			return 1 << i, 0, true
		}
	}
	return 0, 0, false
}

// Set is a permission set as written on one configuration line: the allowed
// permissions plus the allow-full-control and deny-full-control flags. The
// zero Set allows nothing. Sets are small comparable values.
type Set struct {
	allow     Perm
	allowFull bool
	denyFull  bool
}

// NewSet returns the set allowing exactly the given permissions.
func NewSet(p ...Perm) Set {
	var s Set
	for _, q := range p {
		s.allow |= q & allPerms
	}
	return s
}

// FullControl returns the set {allow-full-control}, which allows every
// operation.
func FullControl() Set { return Set{allowFull: true} }

// DenyFullControl returns the set {deny-full-control}, which allows nothing.
func DenyFullControl() Set { return Set{denyFull: true} }

// Allows reports whether the set allows p (PERM-E02): never when the set
// holds deny-full-control, whatever else it holds; always when it holds
// allow-full-control; otherwise when every permission in p was listed.
// Allows(0) is false, and so is Allows of a value with bits that are not
// permissions.
func (s Set) Allows(p Perm) bool {
	switch {
	case p == 0 || p&^allPerms != 0 || s.denyFull:
		return false
	case s.allowFull:
		return true
	}
	return s.allow&p == p
}

// DenyAll reports whether the set holds deny-full-control.
func (s Set) DenyAll() bool { return s.denyFull }

// AllowAll reports whether the set holds allow-full-control.
func (s Set) AllowAll() bool { return s.allowFull }

// Perms returns the permissions listed individually in the set, ignoring
// the full-control flags.
func (s Set) Perms() Perm { return s.allow }

// String returns the set as a canonical, comma-separated token list:
// deny-full-control, then allow-full-control, then the individual
// permissions in declaration order. [ParseSet] accepts it back. The zero
// set returns "".
func (s Set) String() string {
	var toks []string
	if s.denyFull {
		toks = append(toks, tokDenyFull)
	}
	if s.allowFull {
		toks = append(toks, tokAllowFull)
	}
	for p := range s.allow.each() {
		toks = append(toks, p.String())
	}
	return strings.Join(toks, ", ")
}

// ParseSet parses one comma-separated permission list such as
// "allow-read, allow-write". Tokens are trimmed and case-insensitive; the
// aliases "read" and "write" are accepted (PERM-P02). An empty list, an
// empty token or an unknown token is an error; errors are *ParseError values
// with Line 1, joined with [errors.Join].
func ParseSet(s string) (Set, error) {
	set, errs := parseSetAt(s, 1, 0, s)
	if len(errs) > 0 {
		return Set{}, joinErrs(errs)
	}
	return set, nil
}

// parseSetAt parses the permission list s, which starts at byte offset off
// of line (the whole line, for column numbers).
func parseSetAt(s string, lineNo, off int, line string) (Set, []error) {
	var set Set
	var errs []error
	if strings.TrimSpace(s) == "" {
		return set, []error{newParseError(lineNo, line, off, "", "missing permissions")}
	}
	pos := off
	for tok := range strings.SplitSeq(s, ",") {
		trimmed := strings.TrimSpace(tok)
		col := pos + (len(tok) - len(strings.TrimLeftFunc(tok, unicode.IsSpace)))
		pos += len(tok) + 1
		if trimmed == "" {
			errs = append(errs, newParseError(lineNo, line, col, trimmed, "empty permission token"))
			continue
		}
		p, full, ok := lookupToken(trimmed)
		if !ok {
			errs = append(errs, newParseError(lineNo, line, col, trimmed, "unknown permission"))
			continue
		}
		switch full {
		case +1:
			set.allowFull = true
		case -1:
			set.denyFull = true
		default:
			set.allow |= p
		}
	}
	return set, errs
}
