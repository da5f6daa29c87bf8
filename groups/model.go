package groups

import (
	"fmt"
	"strings"
	"time"

	"github.com/sftpkit/sftpkit/perms"
)

// DefaultGroup is the UUID and the name of the group every configuration
// must define and that is attached to every account configured without a
// group (SPEC CFG-01…CFG-03).
const DefaultGroup = "DEFAULT_GROUP"

// MaxNameLen is the longest account name accepted, in characters (SPEC
// CFG-11): longer names are refused by the configuration and looked up
// without any work by [Config.Account].
const MaxNameLen = 150

// Credentials is the value of required_credentials: which credentials an
// account must present (SPEC §9).
type Credentials uint8

// Values of required_credentials.
const (
	// CredentialsAny: a valid password or a valid SSH key ("any", or empty).
	CredentialsAny Credentials = iota
	// CredentialsPassword: a valid password ("password").
	CredentialsPassword
	// CredentialsSSHKey: a valid SSH key ("ssh-key").
	CredentialsSSHKey
	// CredentialsPasswordAndSSHKey: both ("password, ssh-key", either
	// order).
	CredentialsPasswordAndSSHKey
)

// String returns the configuration spelling: "any", "password", "ssh-key"
// or "password, ssh-key".
func (c Credentials) String() string {
	switch c {
	case CredentialsAny:
		return "any"
	case CredentialsPassword:
		return "password"
	case CredentialsSSHKey:
		return "ssh-key"
	case CredentialsPasswordAndSSHKey:
		return "password, ssh-key"
	}
	return fmt.Sprintf("Credentials(%d)", uint8(c))
}

// ParseCredentials parses a required_credentials value: "any" or empty,
// "password", "ssh-key", or "password, ssh-key" in either order, case
// insensitive.
func ParseCredentials(s string) (Credentials, error) {
	var pw, key, anyTok bool
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "":
			if strings.TrimSpace(s) != "" {
				return 0, fmt.Errorf("empty item in %q", s)
			}
		case "any":
			anyTok = true
		case "password":
			pw = true
		case "ssh-key":
			key = true
		default:
			return 0, fmt.Errorf("%q is not one of any, password, ssh-key", strings.TrimSpace(f))
		}
	}
	switch {
	case anyTok && (pw || key):
		return 0, fmt.Errorf("%q: any cannot be combined with other credentials", s)
	case pw && key:
		return CredentialsPasswordAndSSHKey, nil
	case pw:
		return CredentialsPassword, nil
	case key:
		return CredentialsSSHKey, nil
	}
	return CredentialsAny, nil
}

// NeedsPassword reports whether a password is part of every successful
// authentication.
func (c Credentials) NeedsPassword() bool {
	return c == CredentialsPassword || c == CredentialsPasswordAndSSHKey
}

// NeedsSSHKey reports whether an SSH key is part of every successful
// authentication.
func (c Credentials) NeedsSSHKey() bool {
	return c == CredentialsSSHKey || c == CredentialsPasswordAndSSHKey
}

// AllowsPassword reports whether the password method may be offered.
func (c Credentials) AllowsPassword() bool { return c != CredentialsSSHKey }

// AllowsSSHKey reports whether the publickey method may be offered.
func (c Credentials) AllowsSSHKey() bool { return c != CredentialsPassword }

// AmendWriteName is the value of amend_write_name (SPEC §13).
type AmendWriteName string

// Values of amend_write_name.
const (
	// AmendNone: uploads keep their names (empty value, or the legacy
	// "disabled").
	AmendNone AmendWriteName = ""
	// AmendUUIDPrefix: a version-4 UUID and "-" are prefixed to the name
	// of every upload ("uuid-prefix").
	AmendUUIDPrefix AmendWriteName = "uuid-prefix"
)

// VirtualFolder maps a virtual path (what the client sees, relative to its
// home root) to a real path on the storage (SPEC §6). In configuration
// values both sides may contain ${USER}; in an [Effective] snapshot it has
// been substituted.
type VirtualFolder struct {
	// VirtualPath is a canonical virtual path, never "/".
	VirtualPath string
	// RealPath is an absolute real path (Unix or Windows form).
	RealPath string
	// PerUser is set in an Effective snapshot when the configured real path
	// contained ${USER}: such a folder is created at login when the primary
	// group's create_home_folder allows (HOME-17); others never are.
	PerUser bool
}

// Options are the options that both groups and accounts carry. On a group,
// an unset option takes the option's group-level default; on an account,
// an unset option is Inherit (see the package documentation).
type Options struct {
	// HomeFolderPath is the home folder template (SPEC §4). On a group the
	// value gets /${USER} appended unless it holds ${USER}, starts with
	// ${SHARED} or starts with ${OS_HOME}; on an account it is used as
	// written (only the placeholders are substituted). Default: none — an
	// account inheriting an unset value cannot log in (CFG-09).
	HomeFolderPath Opt[string]
	// LockInHomeFolder (default Yes) is informative: every account of this
	// package is an application account and is always locked (HOME-12).
	LockInHomeFolder Opt[bool]
	// CreateHomeFolder (default No): create a missing home after a
	// successful authentication (HOME-14, HOME-15).
	CreateHomeFolder Opt[bool]
	// CreateHomeFolderOwner (default ${DEFAULT_OS_USER}) owns a created
	// home folder (HOME-18).
	CreateHomeFolderOwner Opt[string]
	// CreateHomeFolderGroup (default ${DEFAULT_OS_GROUP}) is the OS group
	// of a created home folder (HOME-18).
	CreateHomeFolderGroup Opt[string]
	// RequiredCredentials (default any) decides which credentials are
	// needed (SPEC §9).
	RequiredCredentials Opt[Credentials]
	// SSHAuthorizedKeysPath (default empty: no file-based keys) is a path
	// template with the same placeholder rules as HomeFolderPath (KEY-02).
	// The legacy value "disabled" reads as empty (KEY-11).
	SSHAuthorizedKeysPath Opt[string]
	// AllowCertificateAuthentication (default Yes) gates OpenSSH user
	// certificates (SPEC §11).
	AllowCertificateAuthentication Opt[bool]
	// PasswordLifetime is in days (default 0: passwords never expire).
	PasswordLifetime Opt[int]
	// DisableOnInactivity is in days (default 0: never).
	DisableOnInactivity Opt[int]
	// Permissions are the parsed permission lines (SPEC §7). A group with
	// none has allow-full-control (PERM-P06).
	Permissions Opt[*perms.Value]
	// AmendWriteName (default empty) renames uploads (SPEC §13).
	AmendWriteName Opt[AmendWriteName]
	// VirtualFolders (default none). On an account an explicit value,
	// even an empty one, replaces the groups' folders (GRP-04).
	VirtualFolders Opt[[]VirtualFolder]

	// The options below are sftpkit extensions, not SFTPPlus options (see
	// the package documentation).

	// AtomicUploads (default No): uploads are written under a hidden
	// temporary name and published under their own name only on a clean
	// close.
	AtomicUploads Opt[bool]
	// QuotaMaxBytes limits the total size of the account's files, in bytes
	// (default 0: unlimited). The configuration accepts the suffixes K, M,
	// G and T (KiB, MiB, GiB, TiB).
	QuotaMaxBytes Opt[int64]
	// QuotaMaxFiles limits the number of the account's files (default 0:
	// unlimited).
	QuotaMaxFiles Opt[int64]
}

// Group is one [groups/UUID] section. A Group obtained from a [Config] is
// shared by every resolution and must not be modified.
type Group struct {
	// UUID is the section name after "groups/"; accounts refer to it.
	UUID string
	// Name is the human label; for DEFAULT_GROUP it is DEFAULT_GROUP.
	Name string
	// Description is free text.
	Description string
	// Enabled (default Yes) is forced: a disabled group disables every
	// account that lists it (SPEC §3).
	Enabled bool
	// SourceIPFilter decides whether the group is associated with an
	// account for a connection (SPEC §12). Empty: always associated.
	SourceIPFilter IPRules

	Options

	// AllowOwnPasswordChange (default No) is read from the primary group.
	AllowOwnPasswordChange Opt[bool]
	// AS2RequireHTTPAuthentication (default Yes) is parsed and exposed
	// only: AS2 is not part of an SFTP server.
	AS2RequireHTTPAuthentication Opt[bool]
	// HomeFolderStructure lists the folders created in the home at login,
	// each in canonical virtual form ("/pull/invoices"), in order
	// (SPEC §5).
	HomeFolderStructure []string
	// SSHDeleteDelay (default 0) delays deletes; read from the primary
	// group only (SPEC §14).
	SSHDeleteDelay Opt[time.Duration]
}

// Account is one [accounts/UUID] section: an application account. An
// Account obtained from a [Config] is shared by every resolution and must
// not be modified.
type Account struct {
	// UUID is the section name after "accounts/".
	UUID string
	// Name is the login name: unique, a valid path element, at most
	// MaxNameLen characters.
	Name string
	// Description is free text.
	Description string
	// Enabled (default Yes).
	Enabled bool
	// Groups are the configured group UUIDs, in order, duplicates removed;
	// the first is the primary group. Empty means [DEFAULT_GROUP]
	// (CFG-03): see ConfiguredGroups.
	Groups []string
	// Password is the password hash (never a plain-text password); empty:
	// no password login.
	Password string
	// SSHAuthorizedKeysContent holds inline OpenSSH public-key lines.
	SSHAuthorizedKeysContent string
	// SourceIPFilter gates authentication (SPEC IP-04). Empty: no
	// account-level restriction.
	SourceIPFilter IPRules
	// ExpireDateTime is the instant after which the account may no longer
	// log in (EN-05); zero: never.
	ExpireDateTime time.Time
	// LastPasswordUpdate is when the password was last set (SPEC §15);
	// zero: unknown.
	LastPasswordUpdate time.Time
	// Created is when the account was created (SPEC §16); zero: unknown.
	Created time.Time

	Options
}

// ConfiguredGroups returns the account's configured group UUIDs: Groups,
// or [DEFAULT_GROUP] when there are none (CFG-03). The first is the
// primary group.
func (a *Account) ConfiguredGroups() []string {
	if len(a.Groups) == 0 {
		return []string{DefaultGroup}
	}
	return append([]string(nil), a.Groups...)
}

// Server holds the [server] section, read for the example server.
type Server struct {
	// Listen holds the addresses to listen on ("host:port").
	Listen []string
	// HostKeys holds the paths of the host private keys.
	HostKeys []string
	// TrustedUserCAKeys holds the paths of files of trusted user-CA public
	// keys (OpenSSH TrustedUserCAKeys), for certificate login (SPEC §11).
	TrustedUserCAKeys []string
}

// Warning is a configuration problem that does not stop the configuration
// from loading: a CIDR with host bits set, a ${user}-like token that is not
// a placeholder, an option that is ignored.
type Warning struct {
	// File and Line locate the problem; File is empty for values parsed
	// outside a file (then Line counts the lines of the value, from 1).
	File string
	Line int
	// Section and Option name where the problem is, when known.
	Section string
	Option  string
	// Msg describes the problem.
	Msg string
}

// String formats w as "file:line: [section] option: msg".
func (w Warning) String() string {
	return position(w.File, w.Line, w.Section, w.Option) + w.Msg
}

func position(file string, line int, section, option string) string {
	var b strings.Builder
	switch {
	case file != "":
		fmt.Fprintf(&b, "%s:%d: ", file, line)
	case line > 0:
		fmt.Fprintf(&b, "line %d: ", line)
	}
	if section != "" {
		fmt.Fprintf(&b, "[%s]", section)
		if option != "" {
			b.WriteString(" " + option)
		}
		b.WriteString(": ")
	} else if option != "" {
		b.WriteString(option + ": ")
	}
	return b.String()
}
