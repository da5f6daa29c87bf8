// Package opensshtest runs OpenSSH's sftp client against a server in
// tests: a scratch directory with a private key and a known_hosts file
// pinning the server's host key, password login through an askpass script,
// batch files, a clean environment (no agent, no caller's askpass) and a
// timeout.
package opensshtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// Timeout bounds one sftp run.
const Timeout = 120 * time.Second

// NeedSFTP returns the path of OpenSSH's sftp binary. It skips the test
// when the binary is missing, except on CI (CI set), which must install
// openssh-client.
func NeedSFTP(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("sftp")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("OpenSSH sftp client not found (install openssh-client on CI): %v", err)
		}
		t.Skipf("OpenSSH sftp client not found: %v", err)
	}
	return p
}

// Client is a scratch directory from which sftp reaches one server.
type Client struct {
	// Dir is the client's scratch directory, sftp's working directory.
	Dir string
	// KeyFile is the client's Ed25519 private key file; PublicKey its
	// public half, for the server's configuration.
	KeyFile   string
	PublicKey ssh.PublicKey
	// KnownHosts pins the server's host key.
	KnownHosts string
	// Extra are more ssh options given to every run ("-o", "BindAddress=…").
	Extra []string
}

// New makes a client with a fresh Ed25519 key; pin the server's host key
// with AddHost before running sftp.
func New(t testing.TB) *Client {
	t.Helper()
	c := &Client{Dir: t.TempDir()}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicKey, err = ssh.NewPublicKey(pub); err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "sftpkit-test")
	if err != nil {
		t.Fatal(err)
	}
	c.KeyFile = filepath.Join(c.Dir, "id_ed25519")
	if err := os.WriteFile(c.KeyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	c.KnownHosts = filepath.Join(c.Dir, "known_hosts")
	return c
}

// AddHost pins hostKey for the server listening on addr (call it once per
// listener).
func (c *Client) AddHost(t testing.TB, addr string, hostKey ssh.PublicKey) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(c.KnownHosts, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("[" + host + "]:" + port + " " + string(ssh.MarshalAuthorizedKey(hostKey))); err != nil {
		t.Fatal(err)
	}
}

// Login says how a run logs in.
type Login struct {
	// User and Addr (host:port) name the account and the server.
	User, Addr string
	// Preferred is ssh's PreferredAuthentications value.
	Preferred string
	// Key offers the client's key (IdentitiesOnly); without it
	// PubkeyAuthentication is off.
	Key bool
	// Password, when not empty, is what the askpass script answers to
	// every password or keyboard-interactive prompt.
	Password string
}

// Result is the outcome of one sftp run.
type Result struct {
	Err      error // from cmd.Run: nil means exit status 0
	Out      string
	TimedOut bool
	Elapsed  time.Duration
}

// MustSucceed fails the test unless the run exited with status 0.
func (r Result) MustSucceed(t testing.TB, what string) {
	t.Helper()
	if r.TimedOut {
		t.Fatalf("%s: sftp timed out after %v; output:\n%s", what, r.Elapsed, r.Out)
	}
	if r.Err != nil {
		t.Fatalf("%s: sftp failed: %v; output:\n%s", what, r.Err, r.Out)
	}
}

// MustFail fails the test unless the run failed (without timing out).
func (r Result) MustFail(t testing.TB, what string) {
	t.Helper()
	if r.TimedOut {
		t.Fatalf("%s: sftp timed out after %v; output:\n%s", what, r.Elapsed, r.Out)
	}
	if r.Err == nil {
		t.Fatalf("%s: sftp succeeded, want a failure; output:\n%s", what, r.Out)
	}
}

// Run runs sftp with the batch file content batch.
func (c *Client) Run(t testing.TB, login Login, batch string) Result {
	t.Helper()
	bin := NeedSFTP(t)
	host, port, err := net.SplitHostPort(login.Addr)
	if err != nil {
		t.Fatal(err)
	}
	bf, err := os.CreateTemp(c.Dir, "batch-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bf.WriteString(batch); err != nil {
		t.Fatal(err)
	}
	if err := bf.Close(); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv()
	// BatchMode=no must come before -b: sftp adds its own "BatchMode yes"
	// for -b and ssh keeps the first value given.
	batchMode := "BatchMode=yes"
	if login.Password != "" {
		batchMode = "BatchMode=no"
		env = append(env, "SSH_ASKPASS="+c.askpass(t, login.Password), "SSH_ASKPASS_REQUIRE=force", "DISPLAY=:0")
	}
	args := []string{"-F", "/dev/null", "-o", batchMode, "-q", "-b", bf.Name(), "-P", port,
		"-o", "PreferredAuthentications=" + login.Preferred,
		"-o", "NumberOfPasswordPrompts=1",
		"-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + c.KnownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR",
	}
	if login.Key {
		args = append(args, "-i", c.KeyFile, "-o", "IdentitiesOnly=yes")
	} else {
		args = append(args, "-o", "PubkeyAuthentication=no")
	}
	args = append(args, c.Extra...)
	args = append(args, login.User+"@"+host)

	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = c.Dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	start := time.Now()
	err = cmd.Run()
	r := Result{Err: err, Out: out.String(), TimedOut: ctx.Err() != nil, Elapsed: time.Since(start)}
	t.Logf("sftp %s@%s (%s) took %v", login.User, login.Addr, login.Preferred, r.Elapsed.Round(time.Millisecond))
	if os.Getenv("SFTPKIT_DEBUG") != "" {
		t.Logf("output:\n%s", r.Out)
	}
	return r
}

// askpass writes an SSH_ASKPASS script that prints password and returns
// its path.
func (c *Client) askpass(t testing.TB, password string) string {
	t.Helper()
	f, err := os.CreateTemp(c.Dir, "askpass-*.sh")
	if err != nil {
		t.Fatal(err)
	}
	quoted := "'" + strings.ReplaceAll(password, "'", `'\''`) + "'"
	if _, err := f.WriteString("#!/bin/sh\nprintf '%s\\n' " + quoted + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f.Name(), 0o700); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}

// cleanEnv is the environment without an SSH agent or the caller's
// askpass settings, so only the credentials a test gives are used.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch strings.SplitN(kv, "=", 2)[0] {
		case "SSH_AUTH_SOCK", "SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "DISPLAY":
			continue
		}
		env = append(env, kv)
	}
	return env
}
