package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
)

// syncBuffer is a bytes.Buffer safe for the server and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs the server until the returned stop function is called.
func start(t *testing.T, o options) (out *syncBuffer, stop func() error) {
	t.Helper()
	out = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(ctx, context.Background(), o, log, out) }()
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", o.listen[0])
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run exited at start: %v", err)
		default:
		}
		if i > 200 {
			t.Fatal("server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("run did not return after cancel")
			}
		})
		return runErr
	}
	t.Cleanup(func() { stop() })
	return out, stop
}

func dial(t *testing.T, addr, user string, auth ...ssh.AuthMethod) (*sftp.Client, error) {
	t.Helper()
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: user, Auth: auth, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		return nil, err
	}
	sc, err := sftp.NewClient(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	t.Cleanup(func() { sc.Close(); c.Close() })
	return sc, nil
}

var passwordLine = regexp.MustCompile(`with the account "demo", password (\S+)`)

// TestRun_NoArguments: the defaults create host keys and a demo account whose
// password is printed once, kept across restarts, and usable over SFTP.
func TestRun_NoArguments(t *testing.T) {
	dir := t.TempDir()
	o := options{data: filepath.Join(dir, "sftpd-data"), user: "demo", listen: listFlag{freeAddr(t)}}
	out, stop := start(t, o)
	m := passwordLine.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no password printed; output:\n%s", out)
	}
	c, err := dial(t, o.listen[0], "demo", ssh.Password(m[1]))
	if err != nil {
		t.Fatalf("login with the printed password: %v", err)
	}
	// The default configuration: demo is a partner, home DATA/partners/demo
	// with /pull and /push, writable only under /push.
	f, err := c.OpenFile("/push/hello.txt", os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("hi"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(o.data, "partners", "demo", "push", "hello.txt")); err != nil || string(b) != "hi" {
		t.Fatalf("file on disk: %q, %v", b, err)
	}
	if _, err := c.OpenFile("/hello.txt", os.O_WRONLY|os.O_CREATE); err == nil {
		t.Fatal("upload outside /push allowed by the default permissions")
	}
	if _, err := c.OpenFile("/push/evil.exe", os.O_WRONLY|os.O_CREATE); err == nil {
		t.Fatal("*.exe upload allowed by the default permissions")
	}
	if fi, err := c.Stat("/pull"); err != nil || !fi.IsDir() {
		t.Fatalf("home folder structure: /pull = %v, %v", fi, err)
	}
	key1, err := os.ReadFile(filepath.Join(o.data, "ssh_host_ed25519_key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(o.data, "ssh_host_ecdsa_key")); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	// Second start: same keys, same password, nothing printed.
	out2, _ := start(t, o)
	if passwordLine.MatchString(out2.String()) {
		t.Fatal("password printed again at the second start")
	}
	if _, err := dial(t, o.listen[0], "demo", ssh.Password(m[1])); err != nil {
		t.Fatalf("login after restart: %v", err)
	}
	if key2, _ := os.ReadFile(filepath.Join(o.data, "ssh_host_ed25519_key")); !bytes.Equal(key1, key2) {
		t.Fatal("host key changed across restarts")
	}
}

// TestRun_PasswordAndKeys: with both flags either credential logs in.
func TestRun_PasswordAndKeys(t *testing.T) {
	dir := t.TempDir()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	ak := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(ak, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}
	o := options{
		data: filepath.Join(dir, "data"), root: filepath.Join(dir, "homes"), user: "bob",
		password: "s3cret-pass", keysFile: ak, listen: listFlag{freeAddr(t), freeAddr(t)}, single: true,
		hostKeys: listFlag{filepath.Join(dir, "hk")},
	}
	out, _ := start(t, o)
	if passwordLine.MatchString(out.String()) {
		t.Fatal("a password was generated although -password was given")
	}
	if _, err := dial(t, o.listen[0], "bob", ssh.Password("s3cret-pass")); err != nil {
		t.Fatalf("password login: %v", err)
	}
	if _, err := dial(t, o.listen[1], "bob", ssh.PublicKeys(signer)); err != nil {
		t.Fatalf("key login on the second listener: %v", err)
	}
	if _, err := dial(t, o.listen[0], "bob", ssh.Password("wrong")); err == nil {
		t.Fatal("wrong password accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "homes", "bob")); err != nil {
		t.Fatalf("home not created under -root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "hk")); err != nil {
		t.Fatalf("-host-key file not created: %v", err)
	}
}

// TestRun_BusyPort: a port in use is an error, not a silent success.
func TestRun_BusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	o := options{data: t.TempDir(), user: "demo", password: "x", listen: listFlag{l.Addr().String()}, single: true}
	err = run(context.Background(), context.Background(), o, slog.New(slog.DiscardHandler), io.Discard)
	if err == nil {
		t.Fatal("run on a busy port returned nil")
	}
}

// TestRun_BadConfig: every error of a bad configuration is reported with
// file:line, and run returns an *errConfig (exit status 2).
func TestRun_BadConfig(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct{ text, want string }{
		"missing DEFAULT_GROUP": {"[groups/g1]\nname = g1\n\n[accounts/a1]\nname = a1\n", "DEFAULT_GROUP"},
		"unknown group":         {"[groups/DEFAULT_GROUP]\nname = DEFAULT_GROUP\n[accounts/a]\nname = a\ngroup = nope\n", ".ini:5"},
		"duplicate account":     {"[groups/DEFAULT_GROUP]\nname = DEFAULT_GROUP\n[accounts/a]\nname = a\n[accounts/b]\nname = a\n", ".ini:6"},
		"bad CIDR":              {"[groups/DEFAULT_GROUP]\nname = DEFAULT_GROUP\nsource_ip_filter =\n    allow 10.0.0.0/33\n", ".ini:4"},
		"bad permission token":  {"[groups/DEFAULT_GROUP]\nname = DEFAULT_GROUP\npermissions =\n    allow-read\n    /in/*, allow-fly\n", ".ini:5"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".ini")
			os.WriteFile(path, []byte(tc.text), 0o600)
			o := options{data: dir, config: path, listen: listFlag{freeAddr(t)}}
			err := run(context.Background(), context.Background(), o, slog.New(slog.DiscardHandler), io.Discard)
			var ce *errConfig
			if !errors.As(err, &ce) {
				t.Fatalf("run = %v, want a configuration error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestHashPassword(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := hashPassword(strings.NewReader("s3cret\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	hash := strings.TrimSpace(out.String())
	if ok, err := auth.VerifyPassword(hash, "s3cret"); !ok || err != nil {
		t.Fatalf("printed hash %q does not verify: %v", hash, err)
	}
	if code := hashPassword(strings.NewReader("\n"), &out, &errOut); code == 0 {
		t.Fatal("empty password accepted")
	}
}
