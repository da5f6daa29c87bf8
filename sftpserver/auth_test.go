package sftpserver_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups"
	"github.com/sftpkit/sftpkit/keys"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/vfs"
)

func newSignerT(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// certFor signs a user certificate for key with ca, then returns a signer
// presenting it.
func certFor(t *testing.T, ca, key ssh.Signer, principals []string, after, before time.Time, critical map[string]string) ssh.Signer {
	t.Helper()
	cert := &ssh.Certificate{
		Key: key.PublicKey(), CertType: ssh.UserCert, KeyId: "test",
		ValidPrincipals: principals,
		ValidAfter:      uint64(after.Unix()), ValidBefore: uint64(before.Unix()),
		Permissions: ssh.Permissions{CriticalOptions: critical},
	}
	if err := cert.SignCert(rand.Reader, ca); err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewCertSigner(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCERT_Matrix: OpenSSH user certificates through auth.Configured
// (SPEC §11 CERT-03/04): only a certificate from a trusted CA, in its
// validity window, naming the account among its principals, from an
// allowed source, for an account that allows certificates, logs in.
func TestCERT_Matrix(t *testing.T) {
	dir := t.TempDir()
	ca, otherCA := newSignerT(t), newSignerT(t)
	caFile := filepath.Join(dir, "ca.pub")
	if err := os.WriteFile(caFile, ssh.MarshalAuthorizedKey(ca.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	text := `
[server]
trusted_user_ca_keys = ` + caFile + `

[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = ` + filepath.Join(dir, "h") + `
create_home_folder = Yes

[accounts/c]
name = c
required_credentials = ssh-key
allow_certificate_authentication = Yes

[accounts/c2]
name = c2
required_credentials = ssh-key
allow_certificate_authentication = No
`
	cfg, err := groups.Parse("cert.ini", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.NewConfigured(cfg, auth.ConfiguredOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := newTestServer(t, &sftpserver.Server{Auth: a, FS: sftpserver.EffectiveFS(vfs.AccountOptions{}), Policy: sftpserver.EffectivePolicy()})
	now := time.Now()
	valid := func(user string, principals []string, critical map[string]string, by ssh.Signer) ssh.Signer {
		return certFor(t, by, newSignerT(t), principals, now.Add(-time.Hour), now.Add(time.Hour), critical)
	}
	for _, tc := range []struct {
		name   string
		user   string
		signer ssh.Signer
		ok     bool
	}{
		{"principal matches", "c", valid("c", []string{"c"}, nil, ca), true},
		{"one of several principals", "c", valid("c", []string{"x", "c"}, nil, ca), true},
		{"wrong CA", "c", valid("c", []string{"c"}, nil, otherCA), false},
		{"wrong principal", "c", valid("c", []string{"someone-else"}, nil, ca), false},
		{"empty principals (x/crypto's CertChecker alone accepts it)", "c", valid("c", nil, nil, ca), false},
		{"expired", "c", certFor(t, ca, newSignerT(t), []string{"c"}, now.Add(-2*time.Hour), now.Add(-time.Hour), nil), false},
		{"not yet valid", "c", certFor(t, ca, newSignerT(t), []string{"c"}, now.Add(time.Hour), now.Add(2*time.Hour), nil), false},
		{"source-address allows loopback", "c", valid("c", []string{"c"}, map[string]string{"source-address": "127.0.0.0/8"}, ca), true},
		{"source-address mismatch", "c", valid("c", []string{"c"}, map[string]string{"source-address": "10.0.0.0/8"}, ca), false},
		{"unknown critical option", "c", valid("c", []string{"c"}, map[string]string{"force-command": "/bin/true"}, ca), false},
		{"option disabled (CERT-04)", "c2", valid("c2", []string{"c2"}, nil, ca), false},
	} {
		c, err := ssh.Dial("tcp", ts.Addr, &ssh.ClientConfig{User: tc.user, Auth: []ssh.AuthMethod{ssh.PublicKeys(tc.signer)}, HostKeyCallback: ssh.FixedHostKey(ts.HostKey)})
		if err == nil {
			c.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// failingSigner offers a real public key but cannot prove it holds it.
type failingSigner struct{ ssh.Signer }

func (failingSigner) Sign(io.Reader, []byte) (*ssh.Signature, error) {
	return nil, io.ErrUnexpectedEOF
}

// TestCVE_2024_45337_OfferedKeyIsNeverTheIdentity: with auth.Configured, a
// key the client only offers (PublicKeyCallback accepts it as authorized)
// but never signs with does not authenticate, and after a password login
// the identity carries no key; with "password, ssh-key" it is not the
// second factor either.
func TestCVE_2024_45337_OfferedKeyIsNeverTheIdentity(t *testing.T) {
	hash, _ := auth.HashPassword("pw")
	text := `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/h
create_home_folder = Yes

[accounts/any]
name = any
password = ` + hash + `
ssh_authorized_keys_content = {KEY:any}

[accounts/both]
name = both
password = ` + hash + `
required_credentials = password, ssh-key
ssh_authorized_keys_content = {KEY:both}
`
	f := newConfigServer(t, text, "any", "both")
	dial := func(user string, methods ...ssh.AuthMethod) (*ssh.Client, error) {
		return ssh.Dial("tcp", f.ts.Addr, &ssh.ClientConfig{User: user, Auth: methods, HostKeyCallback: ssh.FixedHostKey(f.ts.HostKey)})
	}
	if c, err := dial("any", ssh.PublicKeys(failingSigner{f.keys["any"]})); err == nil {
		c.Close()
		t.Fatal("an offered but unsigned key logged in")
	}
	c, err := dial("any", ssh.PublicKeys(failingSigner{f.keys["any"]}), ssh.Password("pw"))
	if err != nil {
		t.Fatalf("password after an unsigned offer: %v", err)
	}
	c.Close()
	ev := f.rec.wait(t, "auth.succeeded any", func(e sftpserver.Event) bool {
		return e.Type == sftpserver.EventAuthSucceeded && e.User == "any"
	})
	if strings.Join(ev.Methods, ",") != "password" {
		t.Errorf("methods = %v, want password only", ev.Methods)
	}
	if c, err := dial("both", ssh.PublicKeys(failingSigner{f.keys["both"]}), ssh.Password("pw")); err == nil {
		c.Close()
		t.Fatal("an unsigned key counted as the second factor")
	}
}

// TestKEY01_KeyStoreKeysLogIn: keys kept in a keys.Store log in like
// authorized keys while usable (QKEY-05), and their last use is recorded;
// a disabled or expired stored key is refused.
func TestKEY01_KeyStoreKeysLogIn(t *testing.T) {
	text := `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/h
create_home_folder = Yes

[accounts/q]
name = q
required_credentials = ssh-key
`
	now := time.Now()
	store := keys.NewMemoryStore(keys.MemoryStoreOptions{Now: func() time.Time { return now }})
	good, disabled := newSignerT(t), newSignerT(t)
	ctx := context.Background()
	kg, err := store.Add(ctx, "q", keys.Key{Title: "laptop", PublicKey: good.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	kd, err := store.Add(ctx, "q", keys.Key{Title: "old", PublicKey: disabled.PublicKey()})
	if err != nil {
		t.Fatal(err)
	}
	off := keys.StatusDisabled
	if _, err := store.Update(ctx, "q", kd.ID, keys.Update{Status: &off}); err != nil {
		t.Fatal(err)
	}
	f := serveConfig(t, text, nil, auth.ConfiguredOptions{KeyStore: store, Now: func() time.Time { return now }})
	dial := func(s ssh.Signer) error {
		c, err := ssh.Dial("tcp", f.ts.Addr, &ssh.ClientConfig{User: "q", Auth: []ssh.AuthMethod{ssh.PublicKeys(s)}, HostKeyCallback: ssh.FixedHostKey(f.ts.HostKey)})
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(good); err != nil {
		t.Fatalf("stored key: %v", err)
	}
	if err := dial(disabled); err == nil {
		t.Fatal("disabled stored key logged in")
	}
	k, err := store.Get(ctx, "q", kg.ID)
	if err != nil || !k.LastUsed.Equal(now) {
		t.Errorf("last used = %v, %v; want %v", k.LastUsed, err, now)
	}
}
