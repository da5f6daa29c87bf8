// Package sftptest runs an sftpserver.Server on a loopback port for tests,
// in the spirit of net/http/httptest.
//
//	func TestUpload(t *testing.T) {
//		srv := sftptest.NewServer(t, nil)
//		c := srv.Client(t)
//		f, err := c.Create("/hello.txt")
//		...
//	}
//
// Everything a test starts is stopped with t.Cleanup.
package sftptest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"net"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/sftpserver"
)

// DefaultUser is the account NewServer creates when the server has no
// Authenticator.
const DefaultUser = "test"

// Server is an sftpserver.Server listening on 127.0.0.1.
type Server struct {
	// Addr is the listening address, "127.0.0.1:port".
	Addr string
	// Server is the running server.
	Server *sftpserver.Server
	// HostKey is the server's host key, pinned by ClientConfig.
	HostKey ssh.PublicKey

	// User, Password and Signer are the credentials of the account NewServer
	// created; empty when the caller supplied its own Authenticator.
	User     string
	Password string
	Signer   ssh.Signer

	// Root is the directory holding the accounts' homes when the default
	// filesystem is used (each account in Root/<name>).
	Root string
}

// NewServer starts srv (a zero Server when nil) on a loopback port and stops
// it with t.Cleanup. Missing pieces are filled in for the test: an ed25519
// host key; when srv.Auth is nil, an account DefaultUser with a random
// password and key (see Server.User, Password, Signer); when neither srv.FS
// nor srv.Root is set, Root = t.TempDir().
func NewServer(t testing.TB, srv *sftpserver.Server) *Server {
	t.Helper()
	if srv == nil {
		srv = &sftpserver.Server{}
	}
	ts := &Server{Server: srv}
	if len(srv.HostKeys) == 0 {
		srv.HostKeys = []ssh.Signer{newSigner(t)}
	}
	ts.HostKey = srv.HostKeys[0].PublicKey()
	if srv.Auth == nil {
		ts.User = DefaultUser
		ts.Password = randomPassword(t)
		ts.Signer = newSigner(t)
		hash, err := auth.HashPassword(ts.Password)
		if err != nil {
			t.Fatalf("sftptest: %v", err)
		}
		a, err := auth.NewStatic(auth.Account{Name: ts.User, PasswordHash: hash, AuthorizedKeys: []ssh.PublicKey{ts.Signer.PublicKey()}})
		if err != nil {
			t.Fatalf("sftptest: %v", err)
		}
		srv.Auth = a
	}
	if srv.FS == nil && srv.Root == "" {
		srv.Root = t.TempDir()
	}
	ts.Root = srv.Root

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sftptest: listen: %v", err)
	}
	ts.Addr = l.Addr().String()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != sftpserver.ErrServerClosed {
			t.Errorf("sftptest: Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ts
}

// ClientConfig returns an SSH client configuration that pins the server's
// host key and offers the test account's password and key.
func (s *Server) ClientConfig() *ssh.ClientConfig {
	cfg := &ssh.ClientConfig{User: s.User, HostKeyCallback: ssh.FixedHostKey(s.HostKey)}
	if s.Signer != nil {
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(s.Signer))
	}
	if s.Password != "" {
		cfg.Auth = append(cfg.Auth, ssh.Password(s.Password))
	}
	return cfg
}

// Dial opens an SSH connection with cfg (ClientConfig() when nil), closed
// with t.Cleanup.
func (s *Server) Dial(t testing.TB, cfg *ssh.ClientConfig) *ssh.Client {
	t.Helper()
	if cfg == nil {
		cfg = s.ClientConfig()
	}
	c, err := ssh.Dial("tcp", s.Addr, cfg)
	if err != nil {
		t.Fatalf("sftptest: ssh dial %s: %v", s.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Client returns a pkg/sftp client connected as the test account, closed
// with t.Cleanup.
func (s *Server) Client(t testing.TB) *sftp.Client {
	t.Helper()
	c, err := sftp.NewClient(s.Dial(t, nil))
	if err != nil {
		t.Fatalf("sftptest: sftp client: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newSigner(t testing.TB) ssh.Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("sftptest: %v", err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("sftptest: %v", err)
	}
	return s
}

func randomPassword(t testing.TB) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("sftptest: %v", err)
	}
	return hex.EncodeToString(b)
}
