package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/netip"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/keys"
)

// Account is what an authenticated SFTP connection is, carried in
// auth.Identity.Value for SessionFS and SessionPolicy.
type Account struct {
	User   string // the user's ID
	Tenant string // the tenant's ID
}

// Authenticator logs SFTP users of the directory in through the server's
// authentication seam (auth.Authenticator): the login name is a generated
// login ID or, on the tenant's dedicated endpoint, a custom login (Login);
// the password is the account password (QLIC-10); keys are the user's
// active, unexpired keys from the key store (QKEY-05). Every refusal
// looks the same to the client; the reason (unknown-user,
// sftp-module-disabled, sftp-disabled, inactive, contact, bad-credentials,
// key-…) is the auth.Failure's for the server's events.
type Authenticator struct {
	d *Directory
}

// Authenticator returns the directory's authenticator.
func (d *Directory) Authenticator() (*Authenticator, error) {
	if _, err := d.dummyHash(); err != nil {
		return nil, err
	}
	return &Authenticator{d: d}, nil
}

// dummyHash returns a hash of a random secret, made once: verifying a
// password against it spends the same work as against a real one, for
// logins that do not exist.
func (d *Directory) dummyHash() (string, error) {
	d.dummyOnce.Do(func() {
		secret := make([]byte, 24)
		rand.Read(secret)
		d.dummy, d.dummyErr = auth.HashPassword(string(secret))
	})
	return d.dummy, d.dummyErr
}

var _ auth.Authenticator = (*Authenticator)(nil)

// Setup implements auth.Authenticator.
func (a *Authenticator) Setup(ctx context.Context, c auth.ConnInfo, cfg *ssh.ServerConfig) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if cfg == nil {
		return errors.New("directory: Setup called with a nil ssh.ServerConfig")
	}
	cfg.PasswordCallback = func(m ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
		return a.password(ctx, c, m.User(), password, auth.MethodPassword)
	}
	cfg.KeyboardInteractiveCallback = func(m ssh.ConnMetadata, challenge ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
		answers, err := challenge("", "", []string{"Password: "}, []bool{false})
		if err != nil {
			return nil, err
		}
		if len(answers) != 1 {
			return nil, &auth.Failure{Reason: auth.ReasonBadCredentials, User: m.User()}
		}
		return a.password(ctx, c, m.User(), []byte(answers[0]), auth.MethodKeyboardInteractive)
	}
	cfg.PublicKeyCallback = func(m ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		// Only offered: accept it for the signature check, decide nothing.
		if _, _, err := a.key(ctx, c, m.User(), key); err != nil {
			return nil, err
		}
		return &ssh.Permissions{}, nil
	}
	cfg.VerifiedPublicKeyCallback = func(m ssh.ConnMetadata, key ssh.PublicKey, _ *ssh.Permissions, _ string) (*ssh.Permissions, error) {
		u, k, err := a.key(ctx, c, m.User(), key)
		if err != nil {
			return nil, err
		}
		a.d.keys.Touch(ctx, u.ID, k.ID, a.d.now())
		id := &auth.Identity{User: m.User(), Methods: []string{auth.MethodPublicKey},
			KeyFingerprint: ssh.FingerprintSHA256(key), Value: &Account{User: u.ID, Tenant: u.Tenant}}
		return id.Permissions(), nil
	}
	return nil
}

// refusal turns a Login error into the auth.Failure the server reports.
func refusal(login string, err error) error {
	var le *LoginError
	if errors.As(err, &le) {
		return &auth.Failure{Reason: auth.Reason(le.Reason), User: login}
	}
	return err
}

func (a *Authenticator) password(ctx context.Context, c auth.ConnInfo, login string, password []byte, method string) (*ssh.Permissions, error) {
	u, _, err := a.d.Login(ctx, login, c.LocalAddr)
	hash, _ := a.d.dummyHash()
	if err == nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, verr := auth.VerifyPassword(hash, string(password))
	switch {
	case err != nil:
		return nil, refusal(login, err)
	case verr != nil || !ok || u.PasswordHash == "":
		return nil, &auth.Failure{Reason: auth.ReasonBadCredentials, User: login}
	}
	id := &auth.Identity{User: login, Methods: []string{method}, Value: &Account{User: u.ID, Tenant: u.Tenant}}
	return id.Permissions(), nil
}

// key checks that key is one of the login's usable keys and returns the
// user and the stored key.
func (a *Authenticator) key(ctx context.Context, c auth.ConnInfo, login string, key ssh.PublicKey) (User, keys.Key, error) {
	u, _, err := a.d.Login(ctx, login, c.LocalAddr)
	if err != nil {
		return User{}, keys.Key{}, refusal(login, err)
	}
	k, err := a.d.keys.Find(ctx, u.ID, key)
	if err == nil {
		err = k.Usable(a.d.now(), sourceAddr(c.RemoteAddr))
	}
	if err != nil {
		return User{}, keys.Key{}, &auth.Failure{Reason: auth.ReasonBadCredentials, User: login}
	}
	return u, k, nil
}

func sourceAddr(a net.Addr) netip.Addr {
	if a == nil {
		return netip.Addr{}
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
