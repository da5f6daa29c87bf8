package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// SSH authentication method names, as recorded in [Identity.Methods].
const (
	MethodPassword            = "password"
	MethodPublicKey           = "publickey"
	MethodKeyboardInteractive = "keyboard-interactive"
)

// passwordPrompt is the one prompt of keyboard-interactive login (AUTH-08).
const passwordPrompt = "Password: "

// Account is one login of a [Static] authenticator.
type Account struct {
	// Name is the SSH user name. It must pass vpath.ValidName, since it may
	// become a folder name.
	Name string
	// PasswordHash is the stored hash of the password: preferably an
	// argon2id PHC string made by [HashPassword], or any other form
	// [VerifyPassword] checks (bcrypt, SHA-crypt $5$/$6$, passlib PBKDF2),
	// so that hashes imported from another system work; [NeedsRehash]
	// tells which to replace. Empty disables password (and
	// keyboard-interactive) login for the account.
	PasswordHash string
	// AuthorizedKeys are the public keys that may log in as the account
	// (see package keys to read them from a file). None disables key login.
	// Certificates are refused.
	AuthorizedKeys []ssh.PublicKey
}

// Static is an [Authenticator] over a fixed list of accounts: a valid
// password alone or a valid key alone logs in (SPEC AUTH-03). It is built
// by [NewStatic], immutable and safe for concurrent use.
//
// A password is offered by the password method or by keyboard-interactive
// with one hidden "Password: " prompt (AUTH-08). A key is decided only once
// its signature is verified; a key merely offered never authenticates. An
// unknown user or an account without a password still costs the same
// argon2 work as a real check, so timing does not reveal which accounts
// exist. (That dummy work is argon2id with [HashPassword]'s parameters: an
// account whose hash is of another scheme or cost costs a different time,
// one more reason to migrate hashes with [NeedsRehash].) Rejections are
// *[Failure] values carrying the reason.
type Static struct {
	accounts map[string]*staticAccount
	dummy    storedHash // argon2id, verified against when there is no real hash
}

type staticAccount struct {
	name string
	hash storedHash // nil: password login disabled
	keys [][]byte   // wire form of the authorized keys
}

var _ Authenticator = (*Static)(nil)

// NewStatic validates accounts and returns a Static authenticator over
// them. Every account needs a unique name that passes vpath.ValidName and
// at least one credential; every PasswordHash must pass
// [ValidatePasswordHash] (errors wrap [ErrInvalidHash]); authorized keys
// must be plain keys, not certificates.
// The accounts are copied: later changes to them have no effect.
func NewStatic(accounts ...Account) (*Static, error) {
	s := &Static{accounts: make(map[string]*staticAccount, len(accounts))}
	for i, a := range accounts {
		if a.Name == "" {
			return nil, fmt.Errorf("auth: account %d: empty name", i)
		}
		if err := vpath.ValidName(a.Name); err != nil {
			return nil, fmt.Errorf("auth: account %d (%q): invalid name: %w", i, a.Name, err)
		}
		if _, dup := s.accounts[a.Name]; dup {
			return nil, fmt.Errorf("auth: account %d (%q): duplicate name", i, a.Name)
		}
		if a.PasswordHash == "" && len(a.AuthorizedKeys) == 0 {
			return nil, fmt.Errorf("auth: account %q: no credential (set a password hash or authorized keys)", a.Name)
		}
		acct := &staticAccount{name: a.Name}
		if a.PasswordHash != "" {
			// The same parser as ValidatePasswordHash and VerifyPassword,
			// kept parsed so that each attempt only does the hashing work.
			h, err := parseHash(a.PasswordHash)
			if err != nil {
				return nil, fmt.Errorf("%w (account %q)", err, a.Name)
			}
			acct.hash = h
		}
		for j, k := range a.AuthorizedKeys {
			if k == nil {
				return nil, fmt.Errorf("auth: account %q: authorized key %d is nil", a.Name, j)
			}
			if _, ok := k.(*ssh.Certificate); ok {
				return nil, fmt.Errorf("auth: account %q: authorized key %d is a certificate", a.Name, j)
			}
			acct.keys = append(acct.keys, k.Marshal())
		}
		s.accounts[a.Name] = acct
	}
	var err error
	if s.dummy, err = newDummyHash(); err != nil {
		return nil, err
	}
	return s, nil
}

// Setup implements [Authenticator]. It installs PasswordCallback,
// PublicKeyCallback with VerifiedPublicKeyCallback, and
// KeyboardInteractiveCallback on cfg, the configuration of one connection.
func (s *Static) Setup(ctx context.Context, _ ConnInfo, cfg *ssh.ServerConfig) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if cfg == nil {
		return errors.New("auth: Setup called with a nil ssh.ServerConfig")
	}
	cfg.PasswordCallback = func(c ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
		return s.password(c.User(), password, MethodPassword)
	}
	cfg.KeyboardInteractiveCallback = func(c ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
		// Everyone gets the prompt, known or not, so the exchange does not
		// reveal which accounts exist.
		answers, err := challenge("", "", []string{passwordPrompt}, []bool{false})
		if err != nil {
			return nil, err
		}
		var password []byte
		if len(answers) == 1 {
			password = []byte(answers[0])
		}
		p, err := s.password(c.User(), password, MethodKeyboardInteractive)
		if err == nil && len(answers) != 1 {
			return nil, &Failure{Reason: ReasonBadCredentials, User: c.User()}
		}
		return p, err
	}
	cfg.PublicKeyCallback = func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		// The key is only offered here, its possession not yet proven:
		// accept it for the signature check but decide nothing.
		if err := s.checkKey(c.User(), key); err != nil {
			return nil, err
		}
		return &ssh.Permissions{}, nil
	}
	cfg.VerifiedPublicKeyCallback = func(c ssh.ConnMetadata, key ssh.PublicKey, _ *ssh.Permissions, _ string) (*ssh.Permissions, error) {
		if err := s.checkKey(c.User(), key); err != nil {
			return nil, err
		}
		id := &Identity{
			User:           c.User(),
			Methods:        []string{MethodPublicKey},
			KeyFingerprint: ssh.FingerprintSHA256(key),
		}
		return id.Permissions(), nil
	}
	return nil
}

// password checks a password for user, spending hashing work whether or
// not the account exists and has a password.
func (s *Static) password(user string, password []byte, method string) (*ssh.Permissions, error) {
	a := s.accounts[user]
	h := s.dummy
	if a != nil && a.hash != nil {
		h = a.hash
	}
	ok := h.verify(password)
	switch {
	case a == nil:
		return nil, &Failure{Reason: ReasonUnknownUser, User: user}
	case a.hash == nil:
		return nil, &Failure{Reason: ReasonMethodNotAllowed, User: user}
	case !ok:
		return nil, &Failure{Reason: ReasonBadCredentials, User: user}
	}
	id := &Identity{User: a.name, Methods: []string{method}}
	return id.Permissions(), nil
}

// checkKey reports whether key is authorized for user, as a *Failure.
func (s *Static) checkKey(user string, key ssh.PublicKey) error {
	a := s.accounts[user]
	switch {
	case a == nil:
		return &Failure{Reason: ReasonUnknownUser, User: user}
	case len(a.keys) == 0:
		return &Failure{Reason: ReasonMethodNotAllowed, User: user}
	}
	wire := key.Marshal()
	for _, k := range a.keys {
		if bytes.Equal(k, wire) {
			return nil
		}
	}
	return &Failure{Reason: ReasonBadCredentials, User: user}
}
