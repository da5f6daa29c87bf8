package auth

import (
	"context"
	"errors"
	"fmt"
	"net"

	"golang.org/x/crypto/ssh"
)

// ConnInfo describes the connection being authenticated. The server fills it
// in before the SSH handshake starts.
type ConnInfo struct {
	// RemoteAddr is the client's address.
	RemoteAddr net.Addr
	// LocalAddr is the address the connection arrived on; it tells which
	// listener (endpoint) the client used.
	LocalAddr net.Addr
}

// An Authenticator decides who a connection is. It is the seam between the
// server and the credential policy.
//
// The server calls Setup once per TCP connection, before the handshake, with
// a fresh copy of its ssh.ServerConfig. Setup installs the authentication
// callbacks of that one connection (PasswordCallback, PublicKeyCallback plus
// VerifiedPublicKeyCallback, KeyboardInteractiveCallback, …), so per-connection
// state such as "which factor was already verified" lives in closures and is
// never shared between connections.
//
// The callback that completes authentication must return Permissions built
// with [Identity.Permissions]; the server reads the identity back with
// [FromPermissions] and refuses the connection when it is missing or names a
// different user. Identity must be decided in VerifiedPublicKeyCallback (the
// signature has been checked), never in PublicKeyCallback, which also runs for
// keys the client merely offers.
//
// Setup may set NoClientAuth only together with NoClientAuthCallback, to
// answer the "none" method with an unwrapped *ssh.PartialSuccessError
// naming the methods the account may use (SPEC AUTH-07); the server makes
// sure "none" can never authenticate and refuses NoClientAuth without a
// callback. After Setup the server wraps the callbacks with [LockUsername].
type Authenticator interface {
	Setup(ctx context.Context, c ConnInfo, cfg *ssh.ServerConfig) error
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(ctx context.Context, c ConnInfo, cfg *ssh.ServerConfig) error

// Setup calls f(ctx, c, cfg).
func (f AuthenticatorFunc) Setup(ctx context.Context, c ConnInfo, cfg *ssh.ServerConfig) error {
	return f(ctx, c, cfg)
}

// Identity is who an authenticated connection is. It travels from the
// Authenticator to the server inside ssh.Permissions.ExtraData.
type Identity struct {
	// User is the account name. It equals the SSH user name the client
	// authenticated as.
	User string
	// Methods lists the SSH authentication methods that succeeded, in order
	// ("password", "publickey", "keyboard-interactive").
	Methods []string
	// KeyFingerprint is the SHA256 fingerprint of the verified public key,
	// when a key took part in authentication.
	KeyFingerprint string
	// Value carries policy-specific data (for example a resolved account)
	// for the server's filesystem factory. The server does not look at it.
	Value any
	// Notices are things that happened while authenticating which the
	// server reports as events after the login (SPEC EVT-07): a home
	// created, a structure entry not created, a virtual folder whose real
	// path is missing, an authorized key skipped.
	Notices []Notice
}

// Notice is one event an authenticator asks the server to report.
type Notice struct {
	// Type is the event type, such as "home.created" (SPEC EVT-07).
	Type string
	// Detail says what and where, for administrators (it may name host
	// paths; clients never see it).
	Detail string
}

type identityKey struct{}

// Permissions returns ssh.Permissions carrying id, for the callback that
// completes authentication to return.
func (id *Identity) Permissions() *ssh.Permissions {
	return &ssh.Permissions{ExtraData: map[any]any{identityKey{}: id}}
}

// ErrNoIdentity is returned by FromPermissions when the permissions carry no
// Identity.
var ErrNoIdentity = errors.New("auth: authentication completed without an identity")

// FromPermissions returns the Identity stored by [Identity.Permissions].
func FromPermissions(p *ssh.Permissions) (*Identity, error) {
	if p == nil || p.ExtraData == nil {
		return nil, ErrNoIdentity
	}
	id, ok := p.ExtraData[identityKey{}].(*Identity)
	if !ok || id == nil || id.User == "" {
		return nil, ErrNoIdentity
	}
	return id, nil
}

// Reason says why an authentication attempt failed. It is reported in events
// and logs, never to the client, which always sees the same generic failure.
type Reason string

// Reasons reported by the authenticators of this package.
const (
	ReasonUnknownUser      Reason = "unknown-user"
	ReasonBadCredentials   Reason = "bad-credentials"
	ReasonMethodNotAllowed Reason = "method-not-allowed"
	ReasonUsernameChanged  Reason = "username-changed"
	ReasonWeakKey          Reason = "weak-key"
)

// Failure is the error an authentication callback returns when it rejects
// an attempt. The server reads Reason from it (with errors.As) for its
// login events.
type Failure struct {
	Reason Reason
	// User is the user name the client tried.
	User string
}

func (f *Failure) Error() string {
	return fmt.Sprintf("auth: %s rejected: %s", f.User, f.Reason)
}

// ReasonOf returns the Reason carried by err, or "" when err carries none.
func ReasonOf(err error) Reason {
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	return ""
}
