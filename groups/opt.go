package groups

// Opt is an option value that is either unset or explicitly set.
//
// On an [Account], unset means Inherit: the value comes from the account's
// configured primary group (scalars) or from its associated groups
// (permissions, virtual folders); see the package documentation. Writing
// "Inherit" in the configuration and leaving the option out are the same
// thing (SPEC 1(d), decision A9). On a [Group], unset means the option's
// group-level default (SPEC CFG-07).
//
// The zero Opt is unset. An Opt is a value: copying it copies the value.
type Opt[T any] struct {
	v   T
	set bool
}

// Explicit returns an Opt set to v.
func Explicit[T any](v T) Opt[T] { return Opt[T]{v: v, set: true} }

// Inherit returns an unset Opt. It equals the zero Opt; the constructor
// exists so that code reads as the configuration does.
func Inherit[T any]() Opt[T] { return Opt[T]{} }

// Get returns the value and whether it is set. The value is the zero T when
// it is not.
func (o Opt[T]) Get() (T, bool) { return o.v, o.set }

// IsSet reports whether the value is explicit.
func (o Opt[T]) IsSet() bool { return o.set }

// Or returns the value when it is set and def otherwise.
func (o Opt[T]) Or(def T) T {
	if o.set {
		return o.v
	}
	return def
}

// SourceKind says where an effective value came from.
type SourceKind string

// Kinds of [Source].
const (
	// SourceAccount: the account set the value explicitly.
	SourceAccount SourceKind = "account"
	// SourceGroup: the value was inherited from the named group.
	SourceGroup SourceKind = "group"
	// SourceDefault: neither the account nor the group consulted (named in
	// the Source, when there was one) set the option; it has its
	// documented default value.
	SourceDefault SourceKind = "default"
	// SourceFailClosed: the value is deny-full-control because the primary
	// group, which alone supplies the global permission line, is not
	// associated for this connection (SPEC GRP-08). The Source names that
	// primary group.
	SourceFailClosed SourceKind = "fail-closed"
)

// Source records where an effective value came from: the account, a group,
// or a default. UUID and Name identify the account or group (for
// SourceDefault and SourceFailClosed, the group that was consulted and had
// no value; empty when there was none).
type Source struct {
	Kind SourceKind
	UUID string
	Name string
}

// String returns "account NAME", "group NAME", "default" or
// "fail-closed (primary group NAME not associated)". It is the form used as
// a perms.Source.
func (s Source) String() string {
	switch s.Kind {
	case SourceAccount, SourceGroup:
		return string(s.Kind) + " " + s.Name
	case SourceFailClosed:
		return "fail-closed (primary group " + s.Name + " not associated)"
	default:
		return string(s.Kind)
	}
}

// Valued is an effective value with its provenance.
type Valued[T any] struct {
	Value  T
	Source Source
}
