package sftpserver_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

type configFixture struct {
	ts   *sftptest.Server
	rec  *recorder
	base string
	keys map[string]ssh.Signer
}

// newConfigServer serves a configuration in the SPEC's format; {BASE} in
// text becomes a temporary directory and {KEY:name} the authorized key line
// of a key generated for name.
func newConfigServer(t *testing.T, text string, names ...string) *configFixture {
	t.Helper()
	return serveConfig(t, text, names, auth.ConfiguredOptions{})
}

// serveConfig serves the configuration text (expanded as by expand, with a
// key generated for each of names) through auth.Configured with opt, each
// session laid out with opt.Storage.
func serveConfig(t *testing.T, text string, names []string, opt auth.ConfiguredOptions) *configFixture {
	t.Helper()
	f := &configFixture{base: t.TempDir(), keys: map[string]ssh.Signer{}}
	f.ts, f.rec = newTestServer(t, configuredServer(t, f.expand(t, text, names), opt))
	return f
}

// configuredServer is the server examples/sftpd runs for a configuration:
// auth.Configured with opt, EffectiveFS and EffectivePolicy.
func configuredServer(t *testing.T, text string, opt auth.ConfiguredOptions) *sftpserver.Server {
	t.Helper()
	cfg, err := groups.Parse("test.ini", []byte(text))
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	a, err := auth.NewConfigured(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	return &sftpserver.Server{Auth: a, FS: sftpserver.EffectiveFS(opt.Storage), Policy: sftpserver.EffectivePolicy()}
}

// expand replaces {BASE} with the fixture's directory and {KEY:name} with
// the authorized key line of a key generated for each of names.
func (f *configFixture) expand(t *testing.T, text string, names []string) string {
	t.Helper()
	text = strings.ReplaceAll(text, "{BASE}", f.base)
	for _, n := range names {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		s, err := ssh.NewSignerFromKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		f.keys[n] = s
		text = strings.ReplaceAll(text, "{KEY:"+n+"}", strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.PublicKey()))))
	}
	return text
}

// clientConfig logs in as user with its key.
func (f *configFixture) clientConfig(user string) *ssh.ClientConfig {
	return &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(f.keys[user])}, HostKeyCallback: ssh.FixedHostKey(f.ts.HostKey)}
}

// login connects as user with its key, from source (an address on the
// loopback interface, "" for the default).
func (f *configFixture) login(t *testing.T, user, source string) (*sftp.Client, error) {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	nc, err := d.Dial("tcp", f.ts.Addr)
	if err != nil {
		return nil, err
	}
	conn, chans, reqs, err := ssh.NewClientConn(nc, f.ts.Addr, f.clientConfig(user))
	if err != nil {
		nc.Close()
		return nil, err
	}
	c := ssh.NewClient(conn, chans, reqs)
	sc, err := sftp.NewClient(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	t.Cleanup(func() { sc.Close(); c.Close() })
	return sc, nil
}

func (f *configFixture) rejected(t *testing.T, user, reason string) {
	t.Helper()
	ev := f.rec.wait(t, "auth.rejected for "+user, func(e sftpserver.Event) bool {
		return e.Type == sftpserver.EventAuthRejected && e.User == user
	})
	if ev.Reason != reason {
		t.Errorf("%s rejected with reason %q, want %q", user, ev.Reason, reason)
	}
}

const groupsConfig = `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/base
create_home_folder = Yes

[groups/g-partners]
name = partners
home_folder_path = {BASE}/partners
create_home_folder = Yes
home_folder_structure =
    /pull
    /push
permissions =
    allow-list
    /pull/*, allow-list, allow-read
    /push/*, allow-list, allow-write

[groups/g-local]
name = local-only
source_ip_filter =
    allow 127.0.0.2
home_folder_path = {BASE}/base
create_home_folder = Yes

[groups/g-off]
name = off
enabled = No
home_folder_path = {BASE}/base
create_home_folder = Yes

[groups/g-nocreate]
name = nocreate
home_folder_path = {BASE}/absent

[accounts/a-alice]
name = alice
group = g-partners
ssh_authorized_keys_content = {KEY:alice}

[accounts/a-bob]
name = bob
group = g-local
ssh_authorized_keys_content = {KEY:bob}

[accounts/a-dan]
name = dan
group = g-off
ssh_authorized_keys_content = {KEY:dan}

[accounts/a-erin]
name = erin
group = g-partners
permissions = allow-list, allow-read
ssh_authorized_keys_content = {KEY:erin}

[accounts/a-fay]
name = fay
ssh_authorized_keys_content = {KEY:fay}

[accounts/a-gus]
name = gus
group = g-nocreate
ssh_authorized_keys_content = {KEY:gus}
`

func TestConfig_EndToEnd(t *testing.T) {
	f := newConfigServer(t, groupsConfig, "alice", "bob", "dan", "erin", "fay", "gus", "mallory")

	t.Run("HOME-01 group home with USER appended, structure, permissions", func(t *testing.T) {
		c, err := f.login(t, "alice", "")
		if err != nil {
			t.Fatal(err)
		}
		wantOK(t, "upload into /push", openWrite(c, "/push/a.txt", os.O_CREATE))
		if _, err := os.Stat(filepath.Join(f.base, "partners", "alice", "push", "a.txt")); err != nil {
			t.Errorf("upload did not land in the resolved home: %v", err)
		}
		wantDenied(t, "upload into /", openWrite(c, "/a.txt", os.O_CREATE))
		wantDenied(t, "mkdir /x", c.Mkdir("/x"))
		if fi, err := c.Stat("/pull"); err != nil || !fi.IsDir() {
			t.Errorf("home folder structure /pull: %v, %v", fi, err)
		}
		ev := f.rec.wait(t, "auth.succeeded alice", func(e sftpserver.Event) bool {
			return e.Type == sftpserver.EventAuthSucceeded && e.User == "alice"
		})
		if len(ev.Methods) != 1 || ev.Methods[0] != "publickey" {
			t.Errorf("methods = %v", ev.Methods)
		}
	})

	t.Run("GRP-03 account explicit permissions replace the group's", func(t *testing.T) {
		c, err := f.login(t, "erin", "")
		if err != nil {
			t.Fatal(err)
		}
		wantDenied(t, "erin upload into /push", openWrite(c, "/push/e.txt", os.O_CREATE))
		if _, err := c.ReadDir("/"); err != nil {
			t.Errorf("erin ls /: %v", err)
		}
	})

	t.Run("CFG-03 DEFAULT_GROUP attached, PERM-E09 full control", func(t *testing.T) {
		c, err := f.login(t, "fay", "")
		if err != nil {
			t.Fatal(err)
		}
		wantOK(t, "mkdir", c.Mkdir("/anything"))
		if _, err := os.Stat(filepath.Join(f.base, "base", "fay", "anything")); err != nil {
			t.Error(err)
		}
	})

	t.Run("IP-05/IP-06 group associated only from its source", func(t *testing.T) {
		if _, err := f.login(t, "bob", "127.0.0.1"); err == nil {
			t.Fatal("bob logged in from a source no group allows")
		}
		f.rejected(t, "bob", "no-group-associated")
		if _, err := f.login(t, "bob", "127.0.0.2"); err != nil {
			t.Fatalf("bob from 127.0.0.2: %v", err)
		}
	})

	t.Run("EN-01 disabled group refuses valid credentials", func(t *testing.T) {
		if _, err := f.login(t, "dan", ""); err == nil {
			t.Fatal("dan logged in")
		}
		f.rejected(t, "dan", "group-disabled")
		if _, err := os.Stat(filepath.Join(f.base, "base", "dan")); !errors.Is(err, fs.ErrNotExist) {
			t.Error("home created for a refused account")
		}
	})

	t.Run("HOME-14 missing home without create_home_folder", func(t *testing.T) {
		if _, err := f.login(t, "gus", ""); err == nil {
			t.Fatal("gus logged in without a home")
		}
		f.rejected(t, "gus", "home-missing")
	})

	t.Run("unknown user", func(t *testing.T) {
		if _, err := f.login(t, "mallory", ""); err == nil {
			t.Fatal("mallory logged in")
		}
		f.rejected(t, "mallory", "unknown-user")
	})
}

// TestConfig_RequiredCredentials: required_credentials decides which
// methods log in; "password, ssh-key" needs both, in either order.
func TestConfig_RequiredCredentials(t *testing.T) {
	hash, err := auth.HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	text := `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/h
create_home_folder = Yes
`
	for _, u := range []struct{ name, creds string }{{"any", "any"}, {"pass", "password"}, {"key", "ssh-key"}, {"both", "password, ssh-key"}} {
		text += "\n[accounts/" + u.name + "]\nname = " + u.name + "\npassword = " + hash +
			"\nrequired_credentials = " + u.creds + "\nssh_authorized_keys_content = {KEY:" + u.name + "}\n"
	}
	f := newConfigServer(t, text, "any", "pass", "key", "both")
	try := func(user string, methods ...ssh.AuthMethod) error {
		c, err := ssh.Dial("tcp", f.ts.Addr, &ssh.ClientConfig{User: user, Auth: methods, HostKeyCallback: ssh.FixedHostKey(f.ts.HostKey)})
		if err == nil {
			c.Close()
		}
		return err
	}
	pw := ssh.Password("pw")
	for _, tc := range []struct {
		user    string
		methods []ssh.AuthMethod
		ok      bool
	}{
		{"any", []ssh.AuthMethod{pw}, true},
		{"any", []ssh.AuthMethod{ssh.PublicKeys(f.keys["any"])}, true},
		{"pass", []ssh.AuthMethod{pw}, true},
		{"pass", []ssh.AuthMethod{ssh.PublicKeys(f.keys["pass"])}, false},
		{"key", []ssh.AuthMethod{pw}, false},
		{"key", []ssh.AuthMethod{ssh.PublicKeys(f.keys["key"])}, true},
		{"both", []ssh.AuthMethod{pw}, false},
		{"both", []ssh.AuthMethod{ssh.PublicKeys(f.keys["both"])}, false},
		{"both", []ssh.AuthMethod{pw, ssh.PublicKeys(f.keys["both"])}, true},
		{"both", []ssh.AuthMethod{ssh.PublicKeys(f.keys["both"]), pw}, true},
	} {
		err := try(tc.user, tc.methods...)
		if (err == nil) != tc.ok {
			t.Errorf("%s with %d method(s): err = %v, want ok=%v", tc.user, len(tc.methods), err, tc.ok)
		}
	}
}

// TestConfig_LockoutAndPasswordExpiry: after repeated failures the account
// is refused even with the right password, with the same client-visible
// failure (AUTH-02) and reason locked-out in the event; an expired password
// refuses the login (password-expired).
func TestConfig_LockoutAndPasswordExpiry(t *testing.T) {
	hash, err := auth.HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	text := `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/h
create_home_folder = Yes
password_lifetime = 30

[accounts/u]
name = u
password = ` + hash + `

[accounts/old]
name = old
password = ` + hash + `
last_password_update = 1577836800
`
	lock, err := auth.NewLockout(auth.LockoutOptions{Source: auth.LockoutPolicy{MaxFailures: -1}, Account: auth.LockoutPolicy{MaxFailures: 3}})
	if err != nil {
		t.Fatal(err)
	}
	f := serveConfig(t, text, nil, auth.ConfiguredOptions{Lockout: lock})
	try := func(user, pw string) error {
		c, err := ssh.Dial("tcp", f.ts.Addr, &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{ssh.Password(pw)}, HostKeyCallback: ssh.FixedHostKey(f.ts.HostKey)})
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := try("u", "pw"); err != nil {
		t.Fatalf("first login: %v", err)
	}
	for range 3 {
		if try("u", "wrong") == nil {
			t.Fatal("wrong password accepted")
		}
	}
	errLocked := try("u", "pw")
	if errLocked == nil {
		t.Fatal("locked-out account logged in")
	}
	f.rec.wait(t, "locked-out", func(e sftpserver.Event) bool {
		return e.Type == sftpserver.EventAuthRejected && e.Reason == "locked-out"
	})
	errUnknown := try("nobody", "pw")
	if errUnknown == nil || errLocked.Error() != errUnknown.Error() {
		t.Errorf("client-visible failures differ: locked %q, unknown %q", errLocked, errUnknown)
	}
	if try("old", "pw") == nil {
		t.Fatal("expired password accepted")
	}
	f.rec.wait(t, "password-expired", func(e sftpserver.Event) bool {
		return e.Type == sftpserver.EventAuthRejected && e.User == "old" && e.Reason == "password-expired"
	})
}

// TestConfig_AUTH07_NoneAdvertisesPolicyMethods: the reply to "none" names
// only the methods required_credentials allows (AUTH-04, AUTH-05, AUTH-07),
// so a client holding only a refused kind of credential does not even try
// it; an unknown account gets every method, revealing nothing.
func TestConfig_AUTH07_NoneAdvertisesPolicyMethods(t *testing.T) {
	hash, _ := auth.HashPassword("pw")
	text := `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/h
create_home_folder = Yes
`
	for _, u := range []struct{ name, creds string }{{"pass", "password"}, {"key", "ssh-key"}} {
		text += "\n[accounts/" + u.name + "]\nname = " + u.name + "\npassword = " + hash +
			"\nrequired_credentials = " + u.creds + "\nssh_authorized_keys_content = {KEY:" + u.name + "}\n"
	}
	f := newConfigServer(t, text, "pass", "key")
	attempted := func(user string, m ssh.AuthMethod) string {
		c, err := ssh.Dial("tcp", f.ts.Addr, &ssh.ClientConfig{User: user, Auth: []ssh.AuthMethod{m}, HostKeyCallback: ssh.FixedHostKey(f.ts.HostKey)})
		if err == nil {
			c.Close()
			return "logged in"
		}
		return err.Error()
	}
	if got := attempted("key", ssh.Password("pw")); strings.Contains(got, "password") {
		t.Errorf("ssh-key account: password was offered: %s", got)
	}
	if got := attempted("pass", ssh.PublicKeys(f.keys["pass"])); strings.Contains(got, "publickey") {
		t.Errorf("password account: publickey was offered: %s", got)
	}
	if got := attempted("nobody", ssh.Password("pw")); !strings.Contains(got, "password") {
		t.Errorf("unknown account: password not offered: %s", got)
	}
	if got := attempted("pass", ssh.Password("pw")); got != "logged in" {
		t.Errorf("password account with its password: %s", got)
	}
}
