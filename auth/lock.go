package auth

import (
	"sync"

	"golang.org/x/crypto/ssh"
)

// LockUsername wraps the authentication callbacks of cfg so that the user
// name of the connection's first authentication attempt is the only one
// accepted: an attempt under another name is rejected with
// [ReasonUsernameChanged] before the wrapped callback runs, as OpenSSH does.
// cfg must be the configuration of a single connection.
//
// The wrapped callbacks' results are returned unchanged, so an unwrapped
// *ssh.PartialSuccessError still reaches x/crypto/ssh as one.
func LockUsername(cfg *ssh.ServerConfig) {
	var (
		mu    sync.Mutex
		first string
		set   bool
	)
	check := func(c ssh.ConnMetadata) error {
		mu.Lock()
		defer mu.Unlock()
		if !set {
			first, set = c.User(), true
			return nil
		}
		if c.User() != first {
			return &Failure{Reason: ReasonUsernameChanged, User: c.User()}
		}
		return nil
	}
	if cb := cfg.NoClientAuthCallback; cb != nil {
		cfg.NoClientAuthCallback = func(c ssh.ConnMetadata) (*ssh.Permissions, error) {
			if err := check(c); err != nil {
				return nil, err
			}
			return cb(c)
		}
	}
	if cb := cfg.PasswordCallback; cb != nil {
		cfg.PasswordCallback = func(c ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if err := check(c); err != nil {
				return nil, err
			}
			return cb(c, pw)
		}
	}
	if cb := cfg.PublicKeyCallback; cb != nil {
		cfg.PublicKeyCallback = func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			if err := check(c); err != nil {
				return nil, err
			}
			return cb(c, k)
		}
	}
	if cb := cfg.VerifiedPublicKeyCallback; cb != nil {
		cfg.VerifiedPublicKeyCallback = func(c ssh.ConnMetadata, k ssh.PublicKey, p *ssh.Permissions, alg string) (*ssh.Permissions, error) {
			if err := check(c); err != nil {
				return nil, err
			}
			return cb(c, k, p, alg)
		}
	}
	if cb := cfg.KeyboardInteractiveCallback; cb != nil {
		cfg.KeyboardInteractiveCallback = func(c ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			if err := check(c); err != nil {
				return nil, err
			}
			return cb(c, ch)
		}
	}
}
