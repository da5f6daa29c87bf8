package auth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMaxPasswordLength is the longest password accepted, in characters
// (SPEC §15(d): 150).
const DefaultMaxPasswordLength = 150

// The rules of a [PasswordPolicy], in evaluation order (SPEC PWD-01). Each
// [PolicyViolation] wraps one of them, so errors.Is tells which rules a
// password broke. None of them ever carries the password.
var (
	ErrPasswordTooShort    = errors.New("auth: password too short")
	ErrPasswordWhitespace  = errors.New("auth: password starts or ends with whitespace")
	ErrPasswordTooLong     = errors.New("auth: password too long")
	ErrPasswordTooWeak     = errors.New("auth: password too weak")
	ErrPasswordComposition = errors.New("auth: password lacks a required kind of character")
	ErrPasswordReused      = errors.New("auth: password used before")
)

// CharClasses is a set of kinds of characters a password must contain
// (password_character_requirements).
type CharClasses uint8

// The character classes. A symbol is any character that is neither a
// letter nor a digit (punctuation, symbols, inner spaces).
const (
	RequireLower CharClasses = 1 << iota
	RequireUpper
	RequireDigit
	RequireSymbol
)

// String names the classes, e.g. "lowercase, digit".
func (c CharClasses) String() string {
	var names []string
	for _, n := range []struct {
		c    CharClasses
		name string
	}{{RequireLower, "lowercase"}, {RequireUpper, "uppercase"}, {RequireDigit, "digit"}, {RequireSymbol, "symbol"}} {
		if c&n.c != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// StrengthEstimator scores a password from 0 (guessable) to 4 (very
// unguessable), as zxcvbn does; userInputs are words specific to the
// account (its name, …) that make a password weaker when it contains
// them. With zxcvbn-go, for instance:
//
//	func(pw string, in []string) int { return zxcvbn.PasswordStrength(pw, in).Score }
type StrengthEstimator func(password string, userInputs []string) int

// strengthFloors are the minimum lengths implied by each strength level
// (SPEC PWD-03: 0 → none, 1 → 4, 2 → 7, 3 → 9, 4 → 11 characters).
var strengthFloors = [...]int{0, 4, 7, 9, 11}

// StrengthFloor returns the minimum length, in characters, implied by the
// strength level (clamped to 0..4).
func StrengthFloor(level int) int {
	return strengthFloors[max(0, min(level, 4))]
}

// PasswordPolicy is what a new password must satisfy when it is set, by an
// administrator or by its owner (SPEC §15, PWD-01…PWD-05). It is never
// applied at login to a password already stored (PWD-05).
//
// The zero value checks only the two rules every password of the SDK obeys:
// at most [DefaultMaxPasswordLength] characters and no leading or trailing
// whitespace (both SFTPPlus rules, and what `passwd` over SSH refuses too).
// Everything else is opt-in; [DefaultPasswordPolicy] has SFTPPlus' defaults.
// Lengths count characters (Unicode code points), not bytes.
type PasswordPolicy struct {
	// MinLength is the minimum length in characters; 0 disables the rule
	// (PWD-02).
	MinLength int
	// MaxLength is the maximum length in characters; 0 means
	// DefaultMaxPasswordLength (150), a negative value disables the rule.
	MaxLength int
	// AllowEdgeWhitespace accepts passwords that start or end with
	// whitespace (space, tab, any Unicode space). By default they are
	// refused: they are almost always a copy-and-paste accident.
	AllowEdgeWhitespace bool
	// MinStrength is the minimum strength level, 0..4 (values above 4 act
	// as 4). Each level implies a minimum length (see StrengthFloor) that
	// is enforced even without an estimator (PWD-03).
	MinStrength int
	// Strength estimates the strength of a password; nil enforces only
	// the length floor of MinStrength.
	Strength StrengthEstimator
	// Require lists the kinds of characters a password must contain;
	// 0 requires none (NIST SP 800-63 advises against such rules).
	Require CharClasses
	// History is how many passwords must differ before one can be used
	// again: the new password must not match the current one nor the
	// History−1 before it (PWD-04). 0 disables the rule.
	History int
}

// DefaultPasswordPolicy returns SFTPPlus' server defaults: at least 8
// characters, strength level 4 (hence at least 11 characters), at most 150,
// no leading or trailing whitespace, the last 8 passwords not reused. Add a
// StrengthEstimator to score more than the length.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinLength: 8, MinStrength: 4, History: 8}
}

// Validate reports whether the policy's settings make sense.
func (p PasswordPolicy) Validate() error {
	switch {
	case p.MinLength < 0:
		return fmt.Errorf("auth: password policy: negative minimum length %d", p.MinLength)
	case p.MinStrength < 0 || p.MinStrength > 4:
		return fmt.Errorf("auth: password policy: strength %d outside 0..4", p.MinStrength)
	case p.History < 0:
		return fmt.Errorf("auth: password policy: negative history %d", p.History)
	case p.Require&^(RequireLower|RequireUpper|RequireDigit|RequireSymbol) != 0:
		return fmt.Errorf("auth: password policy: unknown character class %#x", uint8(p.Require))
	}
	if maxLen := p.maxLength(); maxLen >= 0 && maxLen < max(p.MinLength, StrengthFloor(p.MinStrength)) {
		return fmt.Errorf("auth: password policy: maximum length %d below the minimum %d", maxLen, max(p.MinLength, StrengthFloor(p.MinStrength)))
	}
	return nil
}

// maxLength returns the effective maximum length; -1: none.
func (p PasswordPolicy) maxLength() int {
	switch {
	case p.MaxLength == 0:
		return DefaultMaxPasswordLength
	case p.MaxLength < 0:
		return -1
	}
	return p.MaxLength
}

// PolicyViolation is one broken rule. It wraps the rule's sentinel error
// (ErrPasswordTooShort, …) and explains it without quoting the password.
type PolicyViolation struct {
	// Rule is the sentinel error of the rule.
	Rule error
	// Detail says what the rule wants, e.g. "at least 8 characters".
	Detail string
}

// Error names the rule and what it wants.
func (v *PolicyViolation) Error() string { return v.Rule.Error() + ": " + v.Detail }

// Unwrap returns the rule's sentinel error.
func (v *PolicyViolation) Unwrap() error { return v.Rule }

// PolicyError is the error of [PasswordPolicy.Check]: every rule the
// password broke, in evaluation order (PWD-01). errors.Is matches each
// broken rule's sentinel; Primary is the first.
type PolicyError struct {
	// Violations are the broken rules, in evaluation order; never empty.
	Violations []*PolicyViolation
}

// Primary returns the sentinel error of the first broken rule.
func (e *PolicyError) Primary() error {
	if len(e.Violations) == 0 {
		return nil
	}
	return e.Violations[0].Rule
}

// Error lists every broken rule, never the password.
func (e *PolicyError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = strings.TrimPrefix(v.Error(), "auth: ")
	}
	return "auth: password refused: " + strings.Join(parts, "; ")
}

// Unwrap returns every violation, for errors.Is and errors.As.
func (e *PolicyError) Unwrap() []error {
	errs := make([]error, len(e.Violations))
	for i, v := range e.Violations {
		errs[i] = v
	}
	return errs
}

// Check reports whether password may be set, returning nil or a
// *[PolicyError] listing every broken rule in the order of SPEC PWD-01:
// length, whitespace, maximum length, strength, character classes,
// history. history holds the stored hashes of the current password first,
// then the previous ones, newest first (as kept by [PasswordPolicy.UpdateHistory]);
// only the first History entries are consulted, each by [VerifyPassword],
// and entries that do not parse are skipped. A password over the maximum
// length is not hashed against the history (its other violations are
// enough, and hashing it would cost for nothing).
func (p PasswordPolicy) Check(password string, history []string) error {
	return p.CheckWithInputs(password, history, nil)
}

// CheckWithInputs is [PasswordPolicy.Check] with words specific to the
// account (its name, e-mail, …) for the strength estimator.
func (p PasswordPolicy) CheckWithInputs(password string, history []string, userInputs []string) error {
	var vs []*PolicyViolation
	add := func(rule error, format string, args ...any) {
		vs = append(vs, &PolicyViolation{Rule: rule, Detail: fmt.Sprintf(format, args...)})
	}
	n := utf8.RuneCountInString(password)
	if p.MinLength > 0 && n < p.MinLength {
		add(ErrPasswordTooShort, "at least %d characters required", p.MinLength)
	}
	if !p.AllowEdgeWhitespace && hasEdgeSpace(password) {
		add(ErrPasswordWhitespace, "no leading or trailing spaces or tabs allowed")
	}
	tooLong := false
	if maxLen := p.maxLength(); maxLen >= 0 && n > maxLen {
		tooLong = true
		add(ErrPasswordTooLong, "at most %d characters allowed", maxLen)
	}
	if level := min(p.MinStrength, 4); level > 0 {
		if floor := StrengthFloor(level); n < floor {
			add(ErrPasswordTooWeak, "strength level %d needs at least %d characters", level, floor)
		} else if p.Strength != nil {
			if score := p.Strength(password, userInputs); score < level {
				add(ErrPasswordTooWeak, "strength %d below the required %d", max(score, 0), level)
			}
		}
	}
	if missing := p.Require &^ classesOf(password); missing != 0 {
		add(ErrPasswordComposition, "must also contain: %s", missing)
	}
	if p.History > 0 && !tooLong && reused(password, history, p.History) {
		add(ErrPasswordReused, "must differ from the last %d passwords", p.History)
	}
	if len(vs) > 0 {
		return &PolicyError{Violations: vs}
	}
	return nil
}

// UpdateHistory returns the history to store after newHash becomes the
// current password: newHash first, then the previous entries, keeping the
// History most recent. With History 0 it returns nil, so turning the rule
// off clears the stored history at the next update (PWD-04). history is not
// modified.
func (p PasswordPolicy) UpdateHistory(history []string, newHash string) []string {
	if p.History <= 0 {
		return nil
	}
	out := make([]string, 0, p.History)
	out = append(out, newHash)
	for _, h := range history {
		if len(out) == p.History {
			break
		}
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

func hasEdgeSpace(s string) bool {
	if s == "" {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}

func classesOf(s string) CharClasses {
	var c CharClasses
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			c |= RequireLower
		case unicode.IsUpper(r):
			c |= RequireUpper
		case unicode.IsDigit(r):
			c |= RequireDigit
		case unicode.IsLetter(r): // letters without case (CJK, …)
		default:
			c |= RequireSymbol
		}
	}
	return c
}

// reused reports whether password matches one of the first depth hashes of
// history. Every consulted entry is verified, so the time taken does not
// say which one matched.
func reused(password string, history []string, depth int) bool {
	found := false
	for _, h := range history[:min(depth, len(history))] {
		if ok, err := VerifyPassword(h, password); err == nil && ok {
			found = true
		}
	}
	return found
}
