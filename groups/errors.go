package groups

import (
	"errors"
	"fmt"
)

// Sentinel errors. Configuration errors (*[ConfigError]) and refusals
// (*[Rejection]) wrap them, so callers test them with errors.Is.
var (
	// ErrMissingDefaultGroup: the configuration defines no
	// [groups/DEFAULT_GROUP] section (CFG-01).
	ErrMissingDefaultGroup = errors.New("the configuration must define the group DEFAULT_GROUP")
	// ErrDefaultGroupRenamed: DEFAULT_GROUP has another name (CFG-02).
	ErrDefaultGroupRenamed = errors.New("DEFAULT_GROUP cannot be renamed")
	// ErrDefaultGroupUndeletable is for management APIs: DEFAULT_GROUP
	// cannot be deleted (CFG-02).
	ErrDefaultGroupUndeletable = errors.New("DEFAULT_GROUP cannot be deleted")
	// ErrUnknownGroup: an account refers to a group that is not defined
	// (CFG-05).
	ErrUnknownGroup = errors.New("unknown group")
	// ErrDuplicateUUID: two sections have the same UUID (CFG-06).
	ErrDuplicateUUID = errors.New("duplicate UUID")
	// ErrDuplicateName: two accounts have the same name (CFG-06).
	ErrDuplicateName = errors.New("duplicate account name")
	// ErrUnknownSection: a section is neither [server], [groups/UUID] nor
	// [accounts/UUID].
	ErrUnknownSection = errors.New("unknown section")
	// ErrUnknownOption: an option is not known in its section.
	ErrUnknownOption = errors.New("unknown option")
	// ErrMissingOption: a mandatory option is missing.
	ErrMissingOption = errors.New("missing option")
	// ErrInvalidValue: an option has a value it cannot take.
	ErrInvalidValue = errors.New("invalid value")
	// ErrNotInheritable: an account inherits an option its primary group
	// does not provide and that has no usable default (CFG-09, HOME-09;
	// SFTPPlus event 20022).
	ErrNotInheritable = errors.New("property cannot be inherited")
	// ErrNoOSHomeResolver: a path uses ${OS_HOME} and no OSHomeFunc was
	// given (HOME-10).
	ErrNoOSHomeResolver = errors.New("${OS_HOME} used but no OS home resolver is configured")
	// ErrInvalidUserName: a user name cannot be used as a path component
	// (".", "..", empty, control characters) (HOME-05).
	ErrInvalidUserName = errors.New("user name cannot be used as a path component")
)

// ConfigError is one configuration error, positioned at a line of a file.
// [Parse] returns all of them joined with errors.Join.
type ConfigError struct {
	// File and Line locate the error (Line ≥ 1).
	File string
	Line int
	// Section is the section name ("groups/g-partners"); Option the option
	// name, empty for section-level errors.
	Section string
	Option  string
	// Msg describes the error.
	Msg string
	// Err is the sentinel the error wraps (ErrInvalidValue, ErrUnknownGroup,
	// …).
	Err error
}

// Error formats e as "file:line: [section] option: msg".
func (e *ConfigError) Error() string {
	return position(e.File, e.Line, e.Section, e.Option) + e.Msg
}

// Unwrap returns e.Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// Reasons of a [Rejection]: the reason strings of SPEC EVT-02 that the
// resolver can decide.
const (
	ReasonUnknownUser       = "unknown-user"
	ReasonAccountDisabled   = "account-disabled"
	ReasonGroupDisabled     = "group-disabled"
	ReasonAccountExpired    = "account-expired"
	ReasonIPDeniedAccount   = "ip-denied-account"
	ReasonNoGroupAssociated = "no-group-associated"
	ReasonConfigInvalid     = "config-invalid"
)

// Rejection is the error [Config.Resolve] returns when the account may not
// log in. The server reports it as an auth.rejected event; the client only
// ever sees a generic authentication failure (AUTH-02). A Rejection never
// carries a password, a hash or a key.
type Rejection struct {
	// Reason is one of the Reason constants (SPEC EVT-02).
	Reason string
	// Account is the account name that was asked for.
	Account string
	// Option names the option at fault, for config-invalid.
	Option string
	// Group is the UUID of the group at fault (group-disabled,
	// config-invalid), when there is one.
	Group string
	// Source is the source address, for the IP reasons.
	Source string
	// Err is the underlying cause (ErrNotInheritable, ErrUnknownGroup,
	// ErrNoOSHomeResolver, …), or nil.
	Err error
}

// Error describes the rejection.
func (r *Rejection) Error() string {
	s := fmt.Sprintf("groups: %q rejected: %s", r.Account, r.Reason)
	if r.Group != "" {
		s += fmt.Sprintf(" (group %q)", r.Group)
	}
	if r.Option != "" {
		s += " (option " + r.Option + ")"
	}
	if r.Source != "" {
		s += " (source " + r.Source + ")"
	}
	if r.Err != nil {
		s += ": " + r.Err.Error()
	}
	return s
}

// Unwrap returns r.Err.
func (r *Rejection) Unwrap() error { return r.Err }
