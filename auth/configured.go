package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/groups"
	"github.com/sftpkit/sftpkit/keys"
	"github.com/sftpkit/sftpkit/vfs"
)

// Reasons reported by Configured in addition to the groups.Reason* values
// (which it passes through unchanged).
const (
	ReasonHomeMissing      Reason = "home-missing"
	ReasonHomeCreateFailed Reason = "home-create-failed"
	ReasonConfigInvalid    Reason = groups.ReasonConfigInvalid
	// ReasonVirtualFolderConflict: a virtual folder collides with a real
	// entry of the home (SPEC VF-09).
	ReasonVirtualFolderConflict Reason = "virtual-folder-conflict"
	// ReasonLockedOut: too many failures from this source or for this
	// account (Lockout).
	ReasonLockedOut Reason = "locked-out"
	// ReasonPasswordExpired: password_lifetime has run out (SPEC §15).
	ReasonPasswordExpired Reason = "password-expired"
	// ReasonAccountDisabled: the account is disabled (in the
	// configuration, or by the lifecycle in the StateStore).
	ReasonAccountDisabled Reason = groups.ReasonAccountDisabled
	// ReasonInactive: disable_on_inactivity has run out (SPEC §16).
	ReasonInactive Reason = "inactive"
	// ReasonPasswordChangeFailed: the in-band change of an expired
	// password at login did not succeed.
	ReasonPasswordChangeFailed Reason = "password-change-failed"
	// ReasonStateUnavailable: the StateStore could not be read or written
	// when the login needed it (fail closed).
	ReasonStateUnavailable Reason = "state-unavailable"
)

// ConfiguredOptions tune a Configured authenticator. The zero value is
// usable.
type ConfiguredOptions struct {
	// Now returns the current time (account expiry); nil means time.Now.
	Now func() time.Time
	// OSHome resolves ${OS_HOME} in home paths; nil makes such accounts fail.
	OSHome groups.OSHomeFunc
	// Logger receives what the client must not see (why a login failed in
	// detail, homes created); nil discards.
	Logger *slog.Logger
	// Storage is how the account's storage is laid out; pass the same
	// value to sftpserver.EffectiveFS.
	Storage vfs.AccountOptions
	// Lockout, when non-nil, bans sources and accounts after repeated
	// failures; it is checked before any credential work.
	Lockout *Lockout
	// KeyStore, when non-nil, holds more keys per account (Quatrix-style
	// key objects, SPEC §20): a usable stored key logs in like an
	// authorized key (KEY-01), and its last use is recorded.
	KeyStore keys.Store
	// State, when non-nil, is where the server remembers what the read-only
	// configuration cannot hold (see AccountState): it turns on the
	// lifecycle at login (PWD-09, PWD-12, INACT-04, INACT-05, INACT-09),
	// own password changes (ChangePassword, PWD-06…PWD-08, and the in-band
	// change of an expired password through keyboard-interactive) and
	// SweepSource. Nil: only the configured last_password_update is
	// checked at login, nothing is recorded, and passwords cannot be
	// changed.
	State StateStore
	// Policy is checked when a password is set (PWD-05): own changes and
	// AdminResetPassword. The zero value checks only the maximum length
	// and edge whitespace.
	Policy PasswordPolicy
	// Lifecycle holds the inactivity grace interval and the password
	// expiry warning days used at login; give a Sweeper the same value.
	Lifecycle Lifecycle
}

// Configured authenticates the accounts of a groups.Config, each resolved
// with its groups for the connection's source address (SPEC §1–§4, §9,
// §12). It is immutable and safe for concurrent use.
//
// For each connection the account is resolved once, at the first attempt,
// with the source IP: IP rules, enabled flags and expiry refuse the login
// before any password hashing. Credentials follow the effective
// required_credentials: "any" (a password or a key), "password", "ssh-key",
// or "password, ssh-key" (both, in either order, through SSH partial
// success). A password is checked against the account's stored hash
// (argon2id, see HashPassword); keys come from ssh_authorized_keys_content
// and ssh_authorized_keys_path. Only after the credentials are verified is
// the home prepared: created when create_home_folder allows (HOME-15),
// otherwise a missing home refuses the login (HOME-14).
//
// The Identity's Value is the account's *groups.Effective: the session
// snapshot (SPEC CFG-12) from which the server builds the filesystem and the
// permission policy.
type Configured struct {
	cfg   *groups.Config
	opt   ConfiguredOptions
	log   *slog.Logger
	dummy *argon2Hash
	certs keys.CertPolicy
}

var _ Authenticator = (*Configured)(nil)

// NewConfigured returns an authenticator over cfg.
func NewConfigured(cfg *groups.Config, opt ConfiguredOptions) (*Configured, error) {
	if cfg == nil {
		return nil, errors.New("auth: nil groups.Config")
	}
	dummy, err := newDummyHash()
	if err != nil {
		return nil, err
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Configured{cfg: cfg, opt: opt, log: log, dummy: dummy}
	a.certs.Now = a.now
	for _, path := range cfg.Server.TrustedUserCAKeys {
		cas, err := keys.LoadCAKeys(path)
		if err != nil {
			return nil, fmt.Errorf("auth: trusted_user_ca_keys: %w", err)
		}
		a.certs.CAs = append(a.certs.CAs, cas...)
	}
	return a, nil
}

// Setup implements Authenticator.
func (a *Configured) Setup(ctx context.Context, c ConnInfo, cfg *ssh.ServerConfig) error {
	if cfg == nil {
		return errors.New("auth: Setup called with a nil ssh.ServerConfig")
	}
	st := &configuredConn{a: a, ctx: ctx, source: addrOf(c.RemoteAddr)}
	cfg.PasswordCallback = st.password
	cfg.KeyboardInteractiveCallback = st.keyboardInteractive
	cfg.PublicKeyCallback = st.publicKey
	cfg.VerifiedPublicKeyCallback = st.verifiedKey
	cfg.NoClientAuth, cfg.NoClientAuthCallback = true, st.none
	return nil
}

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(ta.IP); ok {
			return groups.NormalizeSource(ip)
		}
	}
	if ap, err := netip.ParseAddrPort(fmt.Sprint(a)); err == nil {
		return groups.NormalizeSource(ap.Addr())
	}
	return netip.Addr{}
}

// configuredConn is the state of one connection. x/crypto/ssh runs the
// callbacks of one handshake one at a time; the mutex keeps -race honest.
type configuredConn struct {
	a      *Configured
	ctx    context.Context
	source netip.Addr

	mu       sync.Mutex
	resolved bool
	user     string
	eff      *groups.Effective
	// hash is the account's effective password hash: the StateStore's
	// override, else the configured one.
	hash string
	// expired: the password has expired but may be changed in-band
	// (keyboard-interactive) during this login; any other way in is
	// refused with password-expired.
	expired bool
	keys    []keys.AuthorizedKey
	err     error
	passOK  bool
	keyOK   bool
	keyFP   string
	methods []string
	notices []Notice // from resolving the account (keys skipped, …)
	// keysBroken: reading the key path failed (private key material, …):
	// key authentication is off for this account (fail closed, KEY-07).
	keysBroken bool
}

// resolve resolves user once per connection.
func (st *configuredConn) resolve(user string) (*groups.Effective, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.resolved {
		if user != st.user {
			return nil, &Failure{Reason: ReasonUsernameChanged, User: user}
		}
		return st.eff, st.err
	}
	st.resolved, st.user = true, user
	if len(user) > groups.MaxNameLen { // CFG-11: refused before any lookup
		st.err = &Failure{Reason: ReasonUnknownUser, User: user}
		return nil, st.err
	}
	if l := st.a.opt.Lockout; l != nil {
		if err := l.Check(st.ctx, user, st.source); err != nil {
			st.a.log.Info("auth: attempt refused by lockout", "user", user, "source", st.source.String(), "err", err)
			st.err = &Failure{Reason: ReasonLockedOut, User: user}
			return nil, st.err
		}
	}
	eff, err := st.a.cfg.Resolve(st.ctx, user, st.source, groups.ResolveOptions{Now: st.a.opt.Now, OSHome: st.a.opt.OSHome})
	if err != nil {
		var rej *groups.Rejection
		reason := ReasonConfigInvalid
		if errors.As(err, &rej) {
			reason = Reason(rej.Reason)
		}
		st.a.log.Info("auth: account refused", "user", user, "source", st.source.String(), "reason", string(reason), "err", err)
		st.err = &Failure{Reason: reason, User: user}
		return nil, st.err
	}
	st.hash = eff.Password()
	if st.a.opt.State != nil {
		if err := st.applyState(user, eff); err != nil {
			st.err = err
			return nil, err
		}
	} else if PasswordExpired(eff.LastPasswordUpdate(), eff.PasswordLifetime().Value, st.a.now()) {
		st.err = &Failure{Reason: ReasonPasswordExpired, User: user}
		return nil, st.err
	}
	st.eff = eff
	// Keys are read for every connection (KEY-10), with their options.
	if content := eff.AuthorizedKeysContent(); content != "" {
		ks, warnings, err := keys.ParseAuthorizedKeyLines([]byte(content))
		st.keyNotices("ssh_authorized_keys_content", warnings, err)
		st.keys = append(st.keys, ks...)
	}
	if p := eff.AuthorizedKeysPath().Value; p != "" {
		ks, warnings, err := keys.LoadAuthorizedKeyLines(p)
		st.keyNotices("ssh_authorized_keys_path", warnings, err)
		if err == nil { // private key material anywhere: no key login (KEY-07)
			st.keys = append(st.keys, ks...)
		} else {
			st.keysBroken = true
		}
	}
	return eff, nil
}

// failed counts a failed credential for the lockout and returns the
// Failure to answer with.
func (st *configuredConn) failed(user string, reason Reason) error {
	if l := st.a.opt.Lockout; l != nil {
		l.Failure(st.ctx, user, st.source)
	}
	return &Failure{Reason: reason, User: user}
}

func (a *Configured) now() time.Time {
	if a.opt.Now != nil {
		return a.opt.Now()
	}
	return time.Now()
}

// keyNotices records what reading an account's keys reported (EVT-07).
// st.mu is held.
func (st *configuredConn) keyNotices(source string, warnings []keys.Warning, err error) {
	if err != nil {
		typ := "keys.read-failed"
		if errors.Is(err, keys.ErrPrivateKey) {
			typ = "keys.private-key-found"
		}
		st.notices = append(st.notices, Notice{Type: typ, Detail: source + ": " + err.Error()})
	}
	for _, w := range warnings {
		st.notices = append(st.notices, Notice{Type: "keys.invalid", Detail: source + ": " + w.String()})
	}
}

// none answers the "none" method with the methods the account's
// required_credentials allows (AUTH-04/05/07), as a partial success naming
// them (x/crypto offers no other way to choose the list per user). An
// account that cannot log in, or does not exist, gets every method, as an
// account allowing "any" would: the answer reveals nothing about it.
func (st *configuredConn) none(c ssh.ConnMetadata) (*ssh.Permissions, error) {
	next := ssh.ServerAuthCallbacks{
		PasswordCallback:            st.password,
		KeyboardInteractiveCallback: st.keyboardInteractive,
		PublicKeyCallback:           st.publicKey,
	}
	if eff, err := st.resolve(c.User()); err == nil {
		creds := eff.RequiredCredentials().Value
		if !creds.AllowsPassword() {
			next.PasswordCallback, next.KeyboardInteractiveCallback = nil, nil
		}
		if !creds.AllowsSSHKey() {
			next.PublicKeyCallback = nil
		}
	}
	return nil, &ssh.PartialSuccessError{Next: next}
}

func (st *configuredConn) password(c ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	return st.checkPassword(c, password, MethodPassword, nil)
}

// checkPassword verifies password; challenge is the keyboard-interactive
// challenge (nil for the password method), through which an expired
// password may be changed in-band.
func (st *configuredConn) checkPassword(c ssh.ConnMetadata, password []byte, method string, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	eff, err := st.resolve(c.User())
	if err != nil {
		if ReasonOf(err) == ReasonUnknownUser {
			st.a.dummy.verify(password) // do not reveal which names exist
			return nil, st.failed(c.User(), ReasonUnknownUser)
		}
		return nil, err
	}
	creds := eff.RequiredCredentials().Value
	st.mu.Lock()
	hash := st.hash
	st.mu.Unlock()
	if !creds.AllowsPassword() || hash == "" {
		st.a.dummy.verify(password)
		return nil, &Failure{Reason: ReasonMethodNotAllowed, User: c.User()}
	}
	ok, err := VerifyPassword(hash, string(password))
	if err != nil {
		st.a.log.Error("auth: the account's stored password hash is unusable", "user", c.User(), "err", err)
		return nil, &Failure{Reason: ReasonConfigInvalid, User: c.User()}
	}
	if !ok {
		return nil, st.failed(c.User(), ReasonBadCredentials)
	}
	st.mu.Lock()
	expired := st.expired
	st.mu.Unlock()
	if expired {
		if challenge == nil {
			st.a.log.Info("auth: expired password; it can be changed at login through keyboard-interactive", "user", c.User())
			return nil, &Failure{Reason: ReasonPasswordExpired, User: c.User()}
		}
		if err := st.changeExpired(eff, c.User(), string(password), challenge); err != nil {
			return nil, err
		}
	}
	st.mu.Lock()
	st.passOK = true
	st.mu.Unlock()
	return st.next(eff, c.User(), method)
}

func (st *configuredConn) keyboardInteractive(c ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	answers, err := challenge("", "", []string{passwordPrompt}, []bool{false})
	if err != nil {
		return nil, err
	}
	if len(answers) != 1 {
		return nil, &Failure{Reason: ReasonBadCredentials, User: c.User()}
	}
	return st.checkPassword(c, []byte(answers[0]), MethodKeyboardInteractive, challenge)
}

// publicKey only says whether key may be used; identity is decided in
// verifiedKey, once the client proved it holds the key.
func (st *configuredConn) publicKey(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	eff, err := st.resolve(c.User())
	if err != nil {
		return nil, err
	}
	if !eff.RequiredCredentials().Value.AllowsSSHKey() {
		return nil, &Failure{Reason: ReasonMethodNotAllowed, User: c.User()}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.keysBroken {
		return nil, &Failure{Reason: ReasonBadCredentials, User: c.User()}
	}
	if cert, isCert := key.(*ssh.Certificate); isCert {
		// A certificate counts as the ssh-key credential (CERT-03), when the
		// account allows certificates (CERT-04).
		if !eff.AllowCertificateAuthentication().Value {
			return nil, &Failure{Reason: ReasonMethodNotAllowed, User: c.User()}
		}
		if err := st.a.certs.Check(cert, c.User(), st.source); err != nil {
			st.a.log.Info("auth: certificate refused", "user", c.User(), "err", err)
			return nil, &Failure{Reason: ReasonBadCredentials, User: c.User()}
		}
		// Extensions (permit-*, no-touch-required) are not passed on.
		return &ssh.Permissions{}, nil
	}
	_, err = keys.MatchAuthorizedKey(st.keys, key, st.a.now(), st.source)
	if errors.Is(err, keys.ErrKeyNotFound) && st.a.opt.KeyStore != nil {
		// KEY-01: the key store's keys count too, when usable (QKEY-05).
		var k keys.Key
		if k, err = st.a.opt.KeyStore.Find(st.ctx, c.User(), key); err == nil {
			err = k.Usable(st.a.now(), st.source)
		}
	}
	if err != nil {
		if !errors.Is(err, keys.ErrKeyNotFound) {
			st.a.log.Info("auth: key refused", "user", c.User(), "err", err)
		}
		return nil, &Failure{Reason: ReasonBadCredentials, User: c.User()}
	}
	return &ssh.Permissions{}, nil
}

func (st *configuredConn) verifiedKey(c ssh.ConnMetadata, key ssh.PublicKey, _ *ssh.Permissions, _ string) (*ssh.Permissions, error) {
	eff, err := st.resolve(c.User())
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	st.keyOK = true
	st.keyFP = ssh.FingerprintSHA256(key)
	st.mu.Unlock()
	// The verified key, looked up again (not whichever key was offered
	// last): record its use when it is a stored key (QKEY last used).
	if ks := st.a.opt.KeyStore; ks != nil {
		if k, err := ks.Find(st.ctx, c.User(), key); err == nil {
			ks.Touch(st.ctx, c.User(), k.ID, st.a.now())
		}
	}
	return st.next(eff, c.User(), MethodPublicKey)
}

// next records a verified factor and either asks for the missing one
// (an unwrapped *ssh.PartialSuccessError, as x/crypto requires) or
// completes the login.
func (st *configuredConn) next(eff *groups.Effective, user, method string) (*ssh.Permissions, error) {
	creds := eff.RequiredCredentials().Value
	st.mu.Lock()
	st.methods = append(st.methods, method)
	needPass := creds.NeedsPassword() && !st.passOK
	needKey := creds.NeedsSSHKey() && !st.keyOK
	methods := append([]string(nil), st.methods...)
	fp := st.keyFP
	st.mu.Unlock()
	st.mu.Lock()
	expired := st.expired
	st.mu.Unlock()
	switch {
	case expired && !needPass:
		// Only the in-band change (keyboard-interactive) clears it.
		return nil, &Failure{Reason: ReasonPasswordExpired, User: user}
	case needPass:
		return nil, &ssh.PartialSuccessError{Next: ssh.ServerAuthCallbacks{
			PasswordCallback:            st.password,
			KeyboardInteractiveCallback: st.keyboardInteractive,
		}}
	case needKey:
		return nil, &ssh.PartialSuccessError{Next: ssh.ServerAuthCallbacks{PublicKeyCallback: st.publicKey}}
	}
	home := eff.Home().Value
	prep, err := vfs.PrepareAccount(eff, st.a.opt.Storage)
	if err != nil {
		reason := ReasonHomeCreateFailed
		switch {
		case errors.Is(err, vfs.ErrHomeMissing):
			reason = ReasonHomeMissing
		case errors.Is(err, vfs.ErrVirtualFolderConflict):
			reason = ReasonVirtualFolderConflict
		case errors.Is(err, vfs.ErrHomeNotDir), errors.Is(err, vfs.ErrHomeNotAbs):
			reason = ReasonConfigInvalid
		}
		st.a.log.Warn("auth: account storage unusable", "user", user, "home", home, "err", err)
		return nil, &Failure{Reason: reason, User: user}
	}
	var notices []Notice
	if prep.HomeCreated {
		notices = append(notices, Notice{Type: "home.created", Detail: home})
	}
	for _, p := range prep.Created {
		notices = append(notices, Notice{Type: "home.created", Detail: p})
	}
	for _, err := range prep.StructureFailed {
		notices = append(notices, Notice{Type: "home.structure-failed", Detail: err.Error()})
	}
	for _, vp := range prep.MissingVirtualFolders {
		notices = append(notices, Notice{Type: "vf.missing-real-path", Detail: vp})
	}
	for _, n := range eff.Notices() {
		notices = append(notices, Notice{Type: n.Event, Detail: n.Detail})
	}
	st.mu.Lock()
	notices = append(notices, st.notices...)
	st.mu.Unlock()
	if l := st.a.opt.Lockout; l != nil {
		l.Success(st.ctx, user, st.source)
	}
	if store := st.a.opt.State; store != nil { // INACT-04
		now := st.a.now()
		if err := store.Update(st.ctx, user, func(s *AccountState) error { s.LastLogin = now; return nil }); err != nil {
			st.a.log.Error("auth: cannot record the last login", "user", user, "err", err)
		}
	}
	id := &Identity{User: user, Methods: methods, KeyFingerprint: fp, Value: eff, Notices: notices}
	return id.Permissions(), nil
}
