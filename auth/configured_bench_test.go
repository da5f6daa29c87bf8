package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/groups"
)

// benchServer answers one SSH handshake per accepted connection with a
// Configured authenticator over a one-account configuration.
func benchServer(b *testing.B) (addr string, key ssh.Signer) {
	b.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ = ssh.NewSignerFromKey(priv)
	_, hpriv, _ := ed25519.GenerateKey(rand.Reader)
	host, _ := ssh.NewSignerFromKey(hpriv)
	hash, err := HashPassword("right password")
	if err != nil {
		b.Fatal(err)
	}
	text := "[groups/DEFAULT_GROUP]\nname = DEFAULT_GROUP\nhome_folder_path = " + b.TempDir() +
		"\ncreate_home_folder = Yes\n\n[accounts/a]\nname = alice\npassword = " + hash +
		"\nssh_authorized_keys_content = " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key.PublicKey()))) + "\n"
	cfg, err := groups.Parse("bench.ini", []byte(text))
	if err != nil {
		b.Fatal(err)
	}
	a, err := NewConfigured(cfg, ConfiguredOptions{})
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				sc := &ssh.ServerConfig{}
				sc.AddHostKey(host)
				a.Setup(context.Background(), ConnInfo{RemoteAddr: nc.RemoteAddr(), LocalAddr: nc.LocalAddr()}, sc)
				LockUsername(sc)
				if c, _, _, err := ssh.NewServerConn(nc, sc); err == nil {
					c.Close()
				}
			}()
		}
	}()
	return l.Addr().String(), key
}

// BenchmarkLogin measures whole handshakes: a failed password for a known
// and for an unknown account must cost the same (the argon2 work is spent
// either way), and a key login for comparison.
func BenchmarkLogin(b *testing.B) {
	addr, key := benchServer(b)
	cases := []struct {
		name string
		user string
		auth ssh.AuthMethod
		ok   bool
	}{
		{"failed-password-known-user", "alice", ssh.Password("wrong"), false},
		{"failed-password-unknown-user", "mallory", ssh.Password("wrong"), false},
		{"key-login", "alice", ssh.PublicKeys(key), true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			cfg := &ssh.ClientConfig{User: tc.user, Auth: []ssh.AuthMethod{tc.auth}, HostKeyCallback: ssh.InsecureIgnoreHostKey()}
			for b.Loop() {
				c, err := ssh.Dial("tcp", addr, cfg)
				if (err == nil) != tc.ok {
					b.Fatalf("login: %v", err)
				}
				if c != nil {
					c.Close()
				}
			}
		})
	}
}
