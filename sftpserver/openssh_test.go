package sftpserver_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/internal/opensshtest"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

// opensshUser is the account the OpenSSH tests log in as.
const opensshUser = "alice"

// opensshEnv is a server plus an OpenSSH sftp client set up to reach it
// (internal/opensshtest): a key, a known_hosts file pinning the host key,
// askpass for password logins.
type opensshEnv struct {
	ts       *sftptest.Server
	rec      *recorder
	home     string
	c        *opensshtest.Client
	password string
}

func newOpenSSHEnv(t *testing.T) *opensshEnv {
	t.Helper()
	return newOpenSSHEnvWith(t, func(pub ssh.PublicKey, hash string) *sftpserver.Server {
		a, err := auth.NewStatic(auth.Account{Name: opensshUser, PasswordHash: hash, AuthorizedKeys: []ssh.PublicKey{pub}})
		if err != nil {
			t.Fatal(err)
		}
		return &sftpserver.Server{Auth: a}
	})
}

// newOpenSSHEnvWith generates the client's key and password and starts the
// server mkServer returns for them (its Events are set here).
func newOpenSSHEnvWith(t *testing.T, mkServer func(pub ssh.PublicKey, passwordHash string) *sftpserver.Server) *opensshEnv {
	t.Helper()
	c := opensshtest.New(t)
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		t.Fatal(err)
	}
	password := hex.EncodeToString(pw)
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	ts, rec := newTestServer(t, mkServer(c.PublicKey, hash))
	c.AddHost(t, ts.Addr, ts.HostKey)
	return &opensshEnv{ts: ts, rec: rec, home: filepath.Join(ts.Root, opensshUser), c: c, password: password}
}

// runSFTP runs OpenSSH's sftp with the batch file content batch, logging in
// with method ("key" or "password"). For password login, password is what
// the askpass script answers.
func (e *opensshEnv) runSFTP(t *testing.T, method, password, batch string) opensshtest.Result {
	t.Helper()
	switch method {
	case "key":
		return e.runSFTPWith(t, sftpLogin{Preferred: "publickey", Key: true}, batch)
	case "password":
		return e.runSFTPWith(t, sftpLogin{Preferred: "password,keyboard-interactive", Password: password}, batch)
	}
	t.Fatalf("unknown login method %q", method)
	return opensshtest.Result{}
}

// TestOpenSSH_Batch drives the server with OpenSSH's sftp in batch mode,
// logged in with a key and with a password (through SSH_ASKPASS).
func TestOpenSSH_Batch(t *testing.T) {
	opensshtest.NeedSFTP(t)
	for _, method := range []string{"key", "password"} {
		t.Run(method, func(t *testing.T) {
			e := newOpenSSHEnv(t)
			src, sum := randomFile(t, bigSize)
			dst := filepath.Join(e.c.Dir, "down.bin")

			// 1. put, get, ls -l, mkdir, and a symlink that must be refused.
			r := e.runSFTP(t, method, e.password, strings.Join([]string{
				"put " + src + " big.bin",
				"get big.bin " + dst,
				"ls -l",
				"mkdir d",
				"-ln -s /etc/passwd link",
				"",
			}, "\n"))
			r.MustSucceed(t, "put/get/ls/mkdir")
			if got := fileSHA(t, filepath.Join(e.home, "big.bin")); got != sum {
				t.Fatal("uploaded file differs on disk")
			}
			if got := fileSHA(t, dst); got != sum {
				t.Fatal("downloaded file differs from the original")
			}
			want := map[string][]string{"key": {auth.MethodPublicKey}, "password": {auth.MethodPassword, auth.MethodKeyboardInteractive}}[method]
			e.rec.wait(t, "auth.succeeded by "+method, func(ev sftpserver.Event) bool {
				if ev.Type != sftpserver.EventAuthSucceeded || ev.User != opensshUser {
					return false
				}
				for _, m := range ev.Methods {
					if slices.Contains(want, m) {
						return true
					}
				}
				return false
			})
			if !strings.Contains(r.Out, "big.bin") {
				t.Errorf("ls -l output does not list big.bin:\n%s", r.Out)
			}
			if fi, err := os.Stat(filepath.Join(e.home, "d")); err != nil || !fi.IsDir() {
				t.Fatalf("mkdir d: %v, %v", fi, err)
			}
			if fi, err := os.Lstat(filepath.Join(e.home, "link")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("ln -s /etc/passwd created %v (err %v)", fi, err)
			}
			up := e.rec.wait(t, "transfer.upload", func(ev sftpserver.Event) bool {
				return ev.Type == sftpserver.EventUpload && ev.User == opensshUser
			})
			if up.BytesWritten != bigSize || up.Aborted || up.Err != nil || up.Path != "/big.bin" {
				t.Errorf("upload event = %+v", up)
			}
			down := e.rec.wait(t, "transfer.download", func(ev sftpserver.Event) bool {
				return ev.Type == sftpserver.EventDownload && ev.User == opensshUser
			})
			if down.BytesRead != bigSize || down.Aborted || down.Err != nil || down.Path != "/big.bin" {
				t.Errorf("download event = %+v", down)
			}

			// 2. rename (posix-rename@openssh.com) and chmod (setstat).
			e.runSFTP(t, method, e.password, "rename big.bin d/big.bin\nchmod 600 d/big.bin\n").MustSucceed(t, "rename/chmod")
			if _, err := os.Stat(filepath.Join(e.home, "big.bin")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("big.bin still at the old name: %v", err)
			}
			fi, err := os.Stat(filepath.Join(e.home, "d", "big.bin"))
			if err != nil {
				t.Fatalf("renamed file: %v", err)
			}
			if fi.Size() != bigSize || fi.Mode().Perm() != 0o600 {
				t.Fatalf("d/big.bin: size %d mode %v, want %d and 0600", fi.Size(), fi.Mode(), bigSize)
			}
			if fileSHA(t, filepath.Join(e.home, "d", "big.bin")) != sum {
				t.Fatal("renamed file differs")
			}
			e.rec.wait(t, "fs.rename", func(ev sftpserver.Event) bool {
				return ev.Type == sftpserver.EventRename && ev.Err == nil && ev.Path == "/big.bin" && ev.Target == "/d/big.bin"
			})
			e.rec.wait(t, "fs.setstat", func(ev sftpserver.Event) bool {
				return ev.Type == sftpserver.EventSetstat && ev.Err == nil && ev.Path == "/d/big.bin"
			})

			// 3. rm, rmdir.
			e.runSFTP(t, method, e.password, "rm d/big.bin\nrmdir d\n").MustSucceed(t, "rm/rmdir")
			if _, err := os.Stat(filepath.Join(e.home, "d")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("d still exists: %v", err)
			}
			entries, err := os.ReadDir(e.home)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 0 {
				t.Errorf("home not empty at the end: %v", entries)
			}
		})
	}
}

// TestOpenSSH_WrongPassword: a wrong password makes sftp exit non-zero.
func TestOpenSSH_WrongPassword(t *testing.T) {
	opensshtest.NeedSFTP(t)
	e := newOpenSSHEnv(t)
	r := e.runSFTP(t, "password", "wrong-password", "ls\n")
	if r.TimedOut {
		t.Fatalf("sftp timed out; output:\n%s", r.Out)
	}
	if r.Err == nil {
		t.Fatalf("sftp with a wrong password succeeded; output:\n%s", r.Out)
	}
	e.rec.wait(t, "auth.rejected", func(ev sftpserver.Event) bool {
		return ev.Type == sftpserver.EventAuthRejected && ev.User == opensshUser
	})
	for _, ev := range e.rec.snapshot() {
		if ev.Type == sftpserver.EventAuthSucceeded || ev.Type == sftpserver.EventSessionStart {
			t.Fatalf("wrong password produced %+v", ev)
		}
	}
}

// TestOpenSSH_GetOutsideHome: absolute and climbing paths to /etc/passwd
// must not fetch the host's file.
func TestOpenSSH_GetOutsideHome(t *testing.T) {
	opensshtest.NeedSFTP(t)
	e := newOpenSSHEnv(t)
	local := filepath.Join(e.c.Dir, "fetched")
	if err := os.Mkdir(local, 0o700); err != nil {
		t.Fatal(err)
	}
	r := e.runSFTP(t, "key", "", strings.Join([]string{
		"-get /etc/passwd " + filepath.Join(local, "p1"),
		"-get ../../../../etc/passwd " + filepath.Join(local, "p2"),
		"-get /../../../../etc/passwd " + filepath.Join(local, "p3"),
		"-get ../../../../../../../../../../etc/passwd " + filepath.Join(local, "p4"),
		"-cd ../../../..",
		"-get etc/passwd " + filepath.Join(local, "p5"),
		"pwd",
		"",
	}, "\n"))
	if r.TimedOut {
		t.Fatalf("sftp timed out; output:\n%s", r.Out)
	}
	if r.Err != nil {
		// Every command is "-"-prefixed: a failure here is a login problem.
		t.Fatalf("sftp failed: %v; output:\n%s", r.Err, r.Out)
	}
	if strings.Contains(r.Out, "root:") {
		t.Errorf("sftp output contains passwd content:\n%s", r.Out)
	}
	err := filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("root:")) {
			t.Errorf("%s holds the host's /etc/passwd", filepath.Base(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenSSH_Reput: OpenSSH's "reput" resumes an upload with APPEND and
// absolute offsets; the result must be the whole file, once.
func TestOpenSSH_Reput(t *testing.T) {
	e := newOpenSSHEnv(t)
	src, sum := randomFile(t, 8<<20+123)
	full, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(e.home, 0o700); err != nil {
		t.Fatal(err)
	}
	// A partial upload: the first 3 MiB already on the server.
	if err := os.WriteFile(filepath.Join(e.home, "big.bin"), full[:3<<20], 0o644); err != nil {
		t.Fatal(err)
	}
	e.runSFTP(t, "key", "", "reput "+src+" big.bin\n").MustSucceed(t, "reput")
	if got := fileSHA(t, filepath.Join(e.home, "big.bin")); got != sum {
		fi, _ := os.Stat(filepath.Join(e.home, "big.bin"))
		t.Fatalf("file after reput differs (size %d, want %d)", fi.Size(), len(full))
	}
}

// appendixC is SPEC Appendix C with the paths under {BASE}, the source
// ranges moved onto loopback (10.23.0.0/24 → 127.23.0.0/24, 10.2.2.0/24 →
// 127.2.2.0/24) so that OpenSSH can connect from them here, and alice's
// "$6$..." password replaced by an argon2id hash plus her key.
const appendixC = `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
enabled = yes
home_folder_path = {BASE}/sftp
create_home_folder = yes
permissions = allow-list, allow-read

[groups/g-partners]
name = partners
home_folder_path = {BASE}/partners
create_home_folder = yes
home_folder_structure =
    /pull
    /pull/invoices
    /push
permissions =
    allow-list, allow-read
    /push, allow-list
    /push/*, allow-list, allow-write, allow-rename
    *.exe, deny-full-control
virtual_folders =
    /team, {BASE}/shared/team
    /queue/${USER}, {BASE}/queues/${USER}
source_ip_filter =
    deny 127.23.0.1
    allow 127.23.0.0/24
ssh_delete_delay = 0

[groups/g-support]
name = support
source_ip_filter = allow 127.2.2.0/24
permissions =
    allow-full-control
    /support/*, allow-full-control
virtual_folders = /support, {BASE}/support

[accounts/a-alice]
name = alice
group = g-partners, g-support
password = {HASH}
ssh_authorized_keys_content = {KEY}
required_credentials = inherit
permissions = inherit
virtual_folders = inherit
`

// TestOpenSSH_AppendixC: the SPEC's reference configuration, served through
// examples' path (auth.Configured, EffectiveFS, EffectivePolicy) and driven
// by OpenSSH's sftp from several source addresses.
func TestOpenSSH_AppendixC(t *testing.T) {
	opensshtest.NeedSFTP(t)
	base := t.TempDir()
	e := newOpenSSHEnvWith(t, func(pub ssh.PublicKey, hash string) *sftpserver.Server {
		text := strings.NewReplacer("{BASE}", base, "{HASH}", hash,
			"{KEY}", strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))).Replace(appendixC)
		return configuredServer(t, text, auth.ConfiguredOptions{})
	})
	home := filepath.Join(base, "partners", "alice")
	src, _ := randomFile(t, 1000)
	from := func(ip string) { e.c.Extra = []string{"-o", "BindAddress=" + ip} }

	// From 127.23.0.7 alice is a partner only: home partners/alice with its
	// structure, uploads in /push only; /push/a.exe is allowed because
	// /push/* matches before *.exe (the appendix's rule-order fact).
	for _, d := range []string{"shared/team", "support"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	from("127.23.0.7")
	r := e.runSFTP(t, "key", "", "ls -1 /\nls -1 /pull\nls -1 /queue\n")
	r.MustSucceed(t, "partner listing")
	// The tree of the spec: home with /pull, /pull/invoices, /push, and the
	// partners' virtual folders /team and /queue/alice (support's /support is
	// not mounted: that group is not associated from this address).
	for _, want := range []string{"pull", "push", "team", "queue", "invoices", "alice"} {
		if !regexp.MustCompile(`(?m)(^|/)` + want + `$`).MatchString(r.Out) {
			t.Errorf("listing lacks %s:\n%s", want, r.Out)
		}
	}
	if strings.Contains(r.Out, "support") {
		t.Errorf("support mounted from a partners-only address:\n%s", r.Out)
	}
	if _, err := os.Stat(filepath.Join(base, "queues", "alice")); err != nil {
		t.Errorf("per-user virtual folder not created: %v", err)
	}
	e.runSFTP(t, "key", "", "put "+src+" /push/a.txt\nput "+src+" /push/a.exe\n").MustSucceed(t, "partner upload")
	for _, f := range []string{"push/a.txt", "push/a.exe", "pull/invoices"} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if r := e.runSFTP(t, "password", e.password, "put "+src+" /pull/x.txt\n"); r.Err == nil {
		t.Error("upload into /pull allowed")
	}
	ev := e.rec.wait(t, "auth.succeeded", func(ev sftpserver.Event) bool { return ev.Type == sftpserver.EventAuthSucceeded })
	if ev.User != "alice" {
		t.Errorf("event %+v", ev)
	}

	// From 127.2.2.5 alice is associated with support only: the global line
	// fails closed (deny-full-control, GRP-08), her home stays partners/alice.
	from("127.2.2.5")
	e.runSFTP(t, "key", "", "pwd\n").MustSucceed(t, "support-only login")
	if r := e.runSFTP(t, "key", "", "ls /\n"); r.Err == nil {
		t.Error("listing / allowed although the primary group is not associated")
	}
	// /support/* has full control through support's rule.
	e.runSFTP(t, "key", "", "put "+src+" /support/s.txt\n").MustSucceed(t, "support upload")
	if _, err := os.Stat(filepath.Join(base, "support", "s.txt")); err != nil {
		t.Errorf("upload into /support did not reach its real path: %v", err)
	}

	// From 127.23.0.1 (denied by partners, not in support) and 127.9.9.9: refused (IP-06).
	for _, ip := range []string{"127.23.0.1", "127.9.9.9"} {
		from(ip)
		if r := e.runSFTP(t, "key", "", "pwd\n"); r.Err == nil {
			t.Errorf("login from %s succeeded", ip)
		}
	}
	rej := e.rec.wait(t, "auth.rejected", func(ev sftpserver.Event) bool { return ev.Type == sftpserver.EventAuthRejected })
	if rej.Reason != "no-group-associated" {
		t.Errorf("rejection reason %q, want no-group-associated", rej.Reason)
	}
}

// TestServer_KEY09_AllowInsecureAlgorithms: a client that signs with its
// RSA key only by SHA-1 "ssh-rsa" is refused by default and accepted with
// AllowInsecureAlgorithms; rsa-sha2-256 works either way.
func TestServer_KEY09_AllowInsecureAlgorithms(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	sha1Only, err := ssh.NewSignerWithAlgorithms(signer.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSA})
	if err != nil {
		t.Fatal(err)
	}
	sha2Only, err := ssh.NewSignerWithAlgorithms(signer.(ssh.AlgorithmSigner), []string{ssh.KeyAlgoRSASHA256})
	if err != nil {
		t.Fatal(err)
	}
	for _, allow := range []bool{false, true} {
		t.Run("allow="+strconv.FormatBool(allow), func(t *testing.T) {
			a, err := auth.NewStatic(auth.Account{Name: "rsa", AuthorizedKeys: []ssh.PublicKey{signer.PublicKey()}})
			if err != nil {
				t.Fatal(err)
			}
			ts := sftptest.NewServer(t, &sftpserver.Server{Auth: a, AllowInsecureAlgorithms: allow})
			dial := func(s ssh.Signer) error {
				c, err := ssh.Dial("tcp", ts.Addr, &ssh.ClientConfig{User: "rsa",
					Auth: []ssh.AuthMethod{ssh.PublicKeys(s)}, HostKeyCallback: ssh.FixedHostKey(ts.HostKey)})
				if err == nil {
					c.Close()
				}
				return err
			}
			if err := dial(sha2Only); err != nil {
				t.Errorf("rsa-sha2-256 signature refused: %v", err)
			}
			err = dial(sha1Only)
			if allow && err != nil {
				t.Errorf("SHA-1 ssh-rsa signature refused with AllowInsecureAlgorithms: %v", err)
			}
			if !allow && err == nil {
				t.Error("SHA-1 ssh-rsa signature accepted by default")
			}
		})
	}
}

// TestServer_AllowInsecureAlgorithms_Names: Server.Algorithms may name an
// insecure algorithm only with AllowInsecureAlgorithms, and the option
// alone does not widen the default key exchanges.
func TestServer_AllowInsecureAlgorithms_Names(t *testing.T) {
	a, err := auth.NewStatic(auth.Account{Name: "u", PasswordHash: mustHashPassword(t, "pw")})
	if err != nil {
		t.Fatal(err)
	}
	_, hk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	host, err := ssh.NewSignerFromKey(hk)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(srv *sftpserver.Server) error {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(l) }()
		select {
		case err := <-done:
			return err // refused at start
		case <-time.After(200 * time.Millisecond):
			srv.Close()
			<-done
			return nil
		}
	}
	mk := func(allow bool) *sftpserver.Server {
		return &sftpserver.Server{Auth: a, HostKeys: []ssh.Signer{host}, Root: t.TempDir(), AllowInsecureAlgorithms: allow,
			Algorithms: &ssh.Algorithms{PublicKeyAuths: []string{ssh.KeyAlgoED25519, ssh.KeyAlgoRSA}}}
	}
	if err := serve(mk(false)); err == nil || !strings.Contains(err.Error(), "ssh-rsa") {
		t.Errorf("insecure public key algorithm without the option: err = %v", err)
	}
	if err := serve(mk(true)); err != nil {
		t.Errorf("insecure public key algorithm with the option: %v", err)
	}
	// The option alone keeps the secure key exchanges: a client offering
	// only diffie-hellman-group1-sha1 is refused.
	ts := sftptest.NewServer(t, &sftpserver.Server{Auth: a, AllowInsecureAlgorithms: true})
	cc := &ssh.ClientConfig{User: "u", Auth: []ssh.AuthMethod{ssh.Password("pw")}, HostKeyCallback: ssh.FixedHostKey(ts.HostKey)}
	cc.KeyExchanges = []string{ssh.InsecureKeyExchangeDH1SHA1}
	if c, err := ssh.Dial("tcp", ts.Addr, cc); err == nil {
		c.Close()
		t.Error("diffie-hellman-group1-sha1 negotiated without being configured")
	}
	cc.KeyExchanges = nil
	if c, err := ssh.Dial("tcp", ts.Addr, cc); err != nil {
		t.Errorf("default login: %v", err)
	} else {
		c.Close()
	}
}

func mustHashPassword(t *testing.T, pw string) string {
	t.Helper()
	h, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// sftpLogin says how runSFTPWith logs in as opensshUser.
type sftpLogin struct {
	// Preferred is ssh's PreferredAuthentications value.
	Preferred string
	// Key offers the environment's key; without it PubkeyAuthentication
	// is off.
	Key bool
	// Password, when not empty, is what the askpass script answers to every
	// password or keyboard-interactive prompt (one prompt per method).
	Password string
}

// runSFTPWith is runSFTP with explicit PreferredAuthentications and
// identity options, for multi-step logins.
func (e *opensshEnv) runSFTPWith(t *testing.T, login sftpLogin, batch string) opensshtest.Result {
	t.Helper()
	return e.c.Run(t, opensshtest.Login{User: opensshUser, Addr: e.ts.Addr, Preferred: login.Preferred, Key: login.Key, Password: login.Password}, batch)
}

// multiStepConfig is a groups configuration whose account alice needs both
// her password and her key (SPEC AUTH-06).
const multiStepConfig = `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
enabled = yes
home_folder_path = {BASE}/sftp
create_home_folder = yes
permissions = allow-full-control

[accounts/a-alice]
name = alice
password = {HASH}
ssh_authorized_keys_content = {KEY}
required_credentials = password, ssh-key
`

// TestOpenSSH_MultiStep drives SPEC AUTH-06 (required_credentials =
// password, ssh-key) with OpenSSH's sftp: key then password (the password
// through keyboard-interactive or password) and password then key log in;
// key + wrong password, the key alone and the password alone are refused.
func TestOpenSSH_MultiStep(t *testing.T) {
	opensshtest.NeedSFTP(t)
	base := t.TempDir()
	e := newOpenSSHEnvWith(t, func(pub ssh.PublicKey, hash string) *sftpserver.Server {
		text := strings.NewReplacer("{BASE}", base, "{HASH}", hash,
			"{KEY}", strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))).Replace(multiStepConfig)
		return configuredServer(t, text, auth.ConfiguredOptions{})
	})
	succeeded := func() []sftpserver.Event {
		var out []sftpserver.Event
		for _, ev := range e.rec.snapshot() {
			if ev.Type == sftpserver.EventAuthSucceeded {
				out = append(out, ev)
			}
		}
		return out
	}

	ok := []struct {
		name  string
		login sftpLogin
		want  []string // methods of the success event, in order
	}{
		{"key then password", sftpLogin{Preferred: "publickey,keyboard-interactive,password", Key: true, Password: e.password},
			[]string{auth.MethodPublicKey, auth.MethodKeyboardInteractive}},
		{"key then password method", sftpLogin{Preferred: "publickey,password", Key: true, Password: e.password},
			[]string{auth.MethodPublicKey, auth.MethodPassword}},
		{"password then key", sftpLogin{Preferred: "password,publickey", Key: true, Password: e.password},
			[]string{auth.MethodPassword, auth.MethodPublicKey}},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			e.runSFTPWith(t, tt.login, "pwd\n").MustSucceed(t, tt.name)
			// Each case has its own order of methods, so the event is its own.
			e.rec.wait(t, "auth.succeeded with methods "+strings.Join(tt.want, ","), func(ev sftpserver.Event) bool {
				return ev.Type == sftpserver.EventAuthSucceeded && ev.User == opensshUser && slices.Equal(ev.Methods, tt.want)
			})
		})
	}

	refused := []struct {
		name  string
		login sftpLogin
	}{
		{"key and wrong password", sftpLogin{Preferred: "publickey,keyboard-interactive,password", Key: true, Password: "wrong-password"}},
		{"wrong password then key", sftpLogin{Preferred: "password,publickey", Key: true, Password: "wrong-password"}},
		{"key only", sftpLogin{Preferred: "publickey", Key: true}},
		{"key only, password methods allowed but no password", sftpLogin{Preferred: "publickey,keyboard-interactive,password", Key: true}},
		{"password only", sftpLogin{Preferred: "password,keyboard-interactive", Password: e.password}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			before := len(succeeded())
			r := e.runSFTPWith(t, tt.login, "pwd\n")
			if r.TimedOut {
				t.Fatalf("sftp timed out; output:\n%s", r.Out)
			}
			if r.Err == nil {
				t.Fatalf("login succeeded; output:\n%s", r.Out)
			}
			e.rec.wait(t, "auth.rejected", func(ev sftpserver.Event) bool {
				return ev.Type == sftpserver.EventAuthRejected && ev.User == opensshUser
			})
			if n := len(succeeded()); n != before {
				t.Errorf("a refused login produced a success event: %+v", succeeded()[before:])
			}
		})
	}
}
