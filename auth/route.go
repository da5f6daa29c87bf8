package auth

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Route returns an Authenticator that hands each connection to the
// Authenticator pick chooses for the user name the client gives (the
// server locks the name at the first attempt, so one connection has one
// choice). Use it to serve two account sources on the same listeners, for
// example a directory's SFTP users beside a configuration file's
// accounts. pick runs at the first attempt, with the connection's ctx and
// ConnInfo; a nil result refuses the connection's attempts as an unknown
// user.
func Route(pick func(ctx context.Context, c ConnInfo, user string) Authenticator) Authenticator {
	return routed{pick: pick}
}

type routed struct {
	pick func(ctx context.Context, c ConnInfo, user string) Authenticator
}

// errNoMethod refuses a method the chosen Authenticator does not offer.
var errNoMethod = errors.New("auth: authentication method not offered for this account")

func (r routed) Setup(ctx context.Context, c ConnInfo, cfg *ssh.ServerConfig) error {
	if cfg == nil {
		return errors.New("auth: Setup called with a nil ssh.ServerConfig")
	}
	base := *cfg
	var (
		once sync.Once
		sub  *ssh.ServerConfig
		serr error
	)
	// chosen returns the chosen Authenticator's callbacks for user.
	chosen := func(user string) (*ssh.ServerConfig, error) {
		once.Do(func() {
			a := r.pick(ctx, c, user)
			if a == nil {
				serr = &Failure{Reason: ReasonUnknownUser, User: user}
				return
			}
			s := base
			if err := a.Setup(ctx, c, &s); err != nil {
				serr = err
				return
			}
			sub = &s
		})
		return sub, serr
	}
	cfg.PasswordCallback = func(m ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
		s, err := chosen(m.User())
		if err != nil {
			return nil, err
		}
		if s.PasswordCallback == nil {
			return nil, errNoMethod
		}
		return s.PasswordCallback(m, password)
	}
	cfg.KeyboardInteractiveCallback = func(m ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
		s, err := chosen(m.User())
		if err != nil {
			return nil, err
		}
		if s.KeyboardInteractiveCallback == nil {
			return nil, errNoMethod
		}
		return s.KeyboardInteractiveCallback(m, ch)
	}
	cfg.PublicKeyCallback = func(m ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		s, err := chosen(m.User())
		if err != nil {
			return nil, err
		}
		if s.PublicKeyCallback == nil {
			return nil, errNoMethod
		}
		return s.PublicKeyCallback(m, key)
	}
	cfg.VerifiedPublicKeyCallback = func(m ssh.ConnMetadata, key ssh.PublicKey, p *ssh.Permissions, alg string) (*ssh.Permissions, error) {
		s, err := chosen(m.User())
		if err != nil {
			return nil, err
		}
		if s.VerifiedPublicKeyCallback == nil {
			return nil, errNoMethod
		}
		return s.VerifiedPublicKeyCallback(m, key, p, alg)
	}
	// "none" goes to the chosen Authenticator when it answers it (to name
	// the account's methods, AUTH-07), and is refused otherwise.
	cfg.NoClientAuth = true
	cfg.NoClientAuthCallback = func(m ssh.ConnMetadata) (*ssh.Permissions, error) {
		s, err := chosen(m.User())
		if err != nil {
			return nil, err
		}
		if !s.NoClientAuth || s.NoClientAuthCallback == nil {
			return nil, errNoMethod
		}
		return s.NoClientAuthCallback(m)
	}
	return nil
}
