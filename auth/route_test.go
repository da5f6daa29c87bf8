package auth

import (
	"context"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Route hands each connection to the Authenticator chosen for its user
// name; a nil choice refuses as an unknown user; the other source's
// accounts are not reachable through the chosen one.
func TestRoute(t *testing.T) {
	hash := func(pw string) string {
		h, err := HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a, _ := NewStatic(Account{Name: "alice", PasswordHash: hash("alice password")})
	b, _ := NewStatic(Account{Name: "bob", PasswordHash: hash("bob password")})
	r := Route(func(_ context.Context, _ ConnInfo, user string) Authenticator {
		switch user {
		case "alice":
			return a
		case "bob":
			return b
		}
		return nil
	})
	try := func(user, pw string) error {
		var cfg ssh.ServerConfig
		if err := r.Setup(context.Background(), ConnInfo{}, &cfg); err != nil {
			t.Fatal(err)
		}
		p, err := cfg.PasswordCallback(fakeConn{user}, []byte(pw))
		if err == nil {
			id, ierr := FromPermissions(p)
			if ierr != nil || id.User != user {
				t.Fatalf("%s: identity %v %v", user, id, ierr)
			}
		}
		return err
	}
	if err := try("alice", "alice password"); err != nil {
		t.Fatalf("alice: %v", err)
	}
	if err := try("bob", "bob password"); err != nil {
		t.Fatalf("bob: %v", err)
	}
	if err := try("alice", "bob password"); ReasonOf(err) != ReasonBadCredentials {
		t.Fatalf("alice with bob's password: %v", err)
	}
	if err := try("carol", "x"); ReasonOf(err) != ReasonUnknownUser {
		t.Fatalf("carol: %v", err)
	}
	// "none" is refused when the chosen Authenticator does not answer it.
	var cfg ssh.ServerConfig
	r.Setup(context.Background(), ConnInfo{}, &cfg)
	if _, err := cfg.NoClientAuthCallback(fakeConn{"alice"}); err == nil {
		t.Fatal("none authenticated")
	}
}
