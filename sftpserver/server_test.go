package sftpserver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

const bigSize = 64 << 20

func TestServer_RefusesToRunWithoutAuth(t *testing.T) {
	srv := &sftpserver.Server{Root: t.TempDir()}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Serve(l)
	if err == nil || !strings.Contains(err.Error(), "Authenticator") {
		t.Fatalf("Serve without Auth = %v, want an error naming the missing Authenticator", err)
	}
}

func TestServer_RefusesNoClientAuth(t *testing.T) {
	open := auth.AuthenticatorFunc(func(ctx context.Context, c auth.ConnInfo, cfg *ssh.ServerConfig) error {
		cfg.NoClientAuth = true
		return nil
	})
	ts := sftptest.NewServer(t, &sftpserver.Server{Auth: open})
	_, err := ssh.Dial("tcp", ts.Addr, &ssh.ClientConfig{User: "x", HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err == nil {
		t.Fatal("a server whose authenticator sets NoClientAuth let a client in")
	}
}

// TestServer_IdentityMustComeFromAuthenticator: a callback that succeeds
// without an auth.Identity is refused (fail closed).
func TestServer_IdentityMustComeFromAuthenticator(t *testing.T) {
	sloppy := auth.AuthenticatorFunc(func(ctx context.Context, c auth.ConnInfo, cfg *ssh.ServerConfig) error {
		cfg.PasswordCallback = func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, nil }
		return nil
	})
	ts, rec := newTestServer(t, &sftpserver.Server{Auth: sloppy})
	c, err := ssh.Dial("tcp", ts.Addr, &ssh.ClientConfig{User: "x", Auth: []ssh.AuthMethod{ssh.Password("y")}, HostKeyCallback: ssh.FixedHostKey(ts.HostKey)})
	if err == nil {
		// The handshake may complete before the server drops the
		// connection: it must then close it. (Opening a channel here could
		// hang in x/crypto's client when the peer closes at that moment.)
		defer c.Close()
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("connection without an identity left open")
		}
	}
	rec.wait(t, "auth.rejected no-identity", func(e sftpserver.Event) bool {
		return e.Type == sftpserver.EventAuthRejected && e.Reason == "no-identity"
	})
}

// TestPkgSFTP_Operations drives every listed operation with pkg/sftp's client,
// once logged in with the password and once with the key.
func TestPkgSFTP_Operations(t *testing.T) {
	for _, method := range []string{"password", "key"} {
		t.Run(method, func(t *testing.T) {
			ts, rec := newTestServer(t, nil)
			cfg := ts.ClientConfig()
			if method == "password" {
				cfg.Auth = []ssh.AuthMethod{ssh.Password(ts.Password)}
			} else {
				cfg.Auth = []ssh.AuthMethod{ssh.PublicKeys(ts.Signer)}
			}
			c, err := sftp.NewClient(ts.Dial(t, cfg), sftp.UseConcurrentWrites(true))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			rec.wait(t, "auth.succeeded", func(e sftpserver.Event) bool {
				return e.Type == sftpserver.EventAuthSucceeded && e.User == ts.User
			})
			exercise(t, ts, c, rec)
		})
	}
}

func exercise(t *testing.T, ts *sftptest.Server, c *sftp.Client, rec *recorder) {
	src, sum := randomFile(t, bigSize)

	// put
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Create("/big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(in); err != nil {
		t.Fatal(err)
	}
	in.Close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fileSHA(t, filepath.Join(home(ts), "big.bin")); got != sum {
		t.Fatal("uploaded file differs on disk")
	}
	up := rec.wait(t, "transfer.upload", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventUpload })
	if up.BytesWritten != bigSize || up.Aborted || up.Err != nil || up.Path != "/big.bin" {
		t.Errorf("upload event = %+v", up)
	}

	// get
	dst := filepath.Join(t.TempDir(), "down.bin")
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := c.Open("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rf.WriteTo(out); err != nil {
		t.Fatal(err)
	}
	rf.Close()
	out.Close()
	if fileSHA(t, dst) != sum {
		t.Fatal("downloaded file differs")
	}
	down := rec.wait(t, "transfer.download", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventDownload })
	if down.BytesRead != bigSize || down.Aborted {
		t.Errorf("download event = %+v", down)
	}

	// mkdir, rename, posix-rename, ls
	if err := c.Mkdir("/d"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("/big.bin", "/d/big.bin"); err != nil {
		t.Fatal(err)
	}
	if err := writeSmall(c, "/d/other.txt", "other"); err != nil {
		t.Fatal(err)
	}
	if err := writeSmall(c, "/d/replace.txt", "new"); err != nil {
		t.Fatal(err)
	}
	if err := c.PosixRename("/d/replace.txt", "/d/other.txt"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(home(ts), "d", "other.txt")); err != nil || string(b) != "new" {
		t.Fatalf("posix-rename did not replace: %q, %v", b, err)
	}
	entries, err := c.ReadDir("/d")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "big.bin,other.txt" {
		t.Fatalf("ls /d = %v", names)
	}
	fi, err := c.Stat("/d/big.bin")
	if err != nil || fi.Size() != bigSize {
		t.Fatalf("stat = %v, %v", fi, err)
	}
	if st, ok := fi.Sys().(*sftp.FileStat); !ok || st.UID != 1000 || st.GID != 1000 {
		t.Errorf("stat shows owner %+v, want the virtual ids 1000/1000", fi.Sys())
	}

	// setstat: chmod, chtimes, truncate
	if err := c.Chmod("/d/other.txt", 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Truncate("/d/other.txt", 1); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := c.Chtimes("/d/other.txt", mtime, mtime); err != nil {
		t.Fatal(err)
	}
	host, err := os.Stat(filepath.Join(home(ts), "d", "other.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if host.Mode().Perm() != 0o600 || !host.ModTime().Equal(mtime) || host.Size() != 1 {
		t.Fatalf("setstat not applied: mode %v mtime %v size %d", host.Mode(), host.ModTime(), host.Size())
	}

	// rm, rmdir
	if err := c.RemoveDirectory("/d"); err == nil {
		t.Fatal("rmdir of a non-empty directory succeeded")
	}
	for _, p := range []string{"/d/big.bin", "/d/other.txt"} {
		if err := c.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.RemoveDirectory("/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home(ts), "d")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("directory still there: %v", err)
	}
	for _, typ := range []sftpserver.EventType{sftpserver.EventMkdir, sftpserver.EventRename, sftpserver.EventSetstat, sftpserver.EventRemove, sftpserver.EventRmdir} {
		rec.wait(t, string(typ), func(e sftpserver.Event) bool { return e.Type == typ && e.Err == nil })
	}
	rec.wait(t, "failed rmdir", func(e sftpserver.Event) bool {
		return e.Type == sftpserver.EventRmdir && e.Err != nil && e.Status == 4
	})
}

func writeSmall(c *sftp.Client, name, content string) error {
	f, err := c.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(content)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestPkgSFTP_LegacyRenameOverwritesFileNotDir: SSH_FXP_RENAME replaces a file
// (SPEC 8(d)) but never a directory.
func TestPkgSFTP_LegacyRenameOverwritesFileNotDir(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := ts.Client(t)
	for _, n := range []string{"/a", "/b"} {
		if err := writeSmall(c, n, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Rename("/a", "/b"); err != nil {
		t.Fatalf("rename over a file: %v", err)
	}
	if err := c.Mkdir("/dir"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("/b", "/dir"); err == nil {
		t.Fatal("rename over a directory succeeded")
	}
}

func TestAuth_WrongPasswordAndUnknownUser(t *testing.T) {
	ts, rec := newTestServer(t, nil)
	for _, tc := range []struct{ user, pass, reason string }{
		{ts.User, "wrong", string(auth.ReasonBadCredentials)},
		{"nobody", "x", string(auth.ReasonUnknownUser)},
	} {
		_, err := ssh.Dial("tcp", ts.Addr, &ssh.ClientConfig{User: tc.user, Auth: []ssh.AuthMethod{ssh.Password(tc.pass)}, HostKeyCallback: ssh.FixedHostKey(ts.HostKey)})
		if err == nil {
			t.Fatalf("%s/%s logged in", tc.user, tc.pass)
		}
		ev := rec.wait(t, "auth.rejected "+tc.reason, func(e sftpserver.Event) bool {
			return e.Type == sftpserver.EventAuthRejected && e.User == tc.user
		})
		if ev.Reason != tc.reason {
			t.Errorf("%s: reason %q, want %q", tc.user, ev.Reason, tc.reason)
		}
	}
}

// TestSession_OnlySFTPSubsystem: exec, shell and other subsystems are refused.
func TestSession_OnlySFTPSubsystem(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := ts.Dial(t, nil)
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run("id"); err == nil {
		t.Fatal("exec succeeded")
	}
	s2, _ := c.NewSession()
	if err := s2.RequestSubsystem("shell"); err == nil {
		t.Fatal("unknown subsystem accepted")
	}
	if _, _, err := c.OpenChannel("direct-tcpip", nil); err == nil {
		t.Fatal("direct-tcpip channel accepted")
	}
}

// TestSession_ExitStatus: a clean SFTP session ends with exit-status 0.
func TestSession_ExitStatus(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := ts.Dial(t, nil)
	ch, reqs, err := c.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := ch.SendRequest("subsystem", true, str("sftp")); !ok || err != nil {
		t.Fatalf("subsystem sftp refused: %v", err)
	}
	go io.Copy(io.Discard, ch)
	ch.CloseWrite()
	for req := range reqs {
		if req.Type == "exit-status" {
			if len(req.Payload) != 4 || req.Payload[3] != 0 {
				t.Fatalf("exit-status payload %x, want 0", req.Payload)
			}
			return
		}
	}
	t.Fatal("channel closed without exit-status")
}

func TestLimits_SessionsPerConnAndHandles(t *testing.T) {
	ts := sftptest.NewServer(t, &sftpserver.Server{MaxSessionsPerConn: 1, MaxHandlesPerSession: 2})
	c := ts.Dial(t, nil)
	s1, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	if _, err := c.NewSession(); err == nil {
		t.Fatal("second session accepted with MaxSessionsPerConn=1")
	}
	cl := ts.Client(t)
	var open []*sftp.File
	for i := range 2 {
		f, err := cl.Create("/f" + string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, f)
	}
	if _, err := cl.Create("/fc"); err == nil || !strings.Contains(err.Error(), "too many open handles") {
		t.Fatalf("third handle: %v, want too many open handles", err)
	}
	open[0].Close()
	f, err := cl.Create("/fc")
	if err != nil {
		t.Fatalf("handle after close: %v", err)
	}
	f.Close()
}

func TestLimits_ConnsPerIP(t *testing.T) {
	ts := sftptest.NewServer(t, &sftpserver.Server{MaxConnsPerIP: 1})
	ts.Dial(t, nil)
	_, err := ssh.Dial("tcp", ts.Addr, ts.ClientConfig())
	if err == nil {
		t.Fatal("second connection from the same IP accepted with MaxConnsPerIP=1")
	}
}

func TestLimits_HandshakeTimeout(t *testing.T) {
	ts := sftptest.NewServer(t, &sftpserver.Server{HandshakeTimeout: 200 * time.Millisecond})
	nc, err := net.Dial("tcp", ts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	// Say nothing: the server must hang up.
	if _, err := io.Copy(io.Discard, nc); err != nil {
		t.Fatalf("server did not close the silent connection: %v", err)
	}
}

func TestLimits_IdleTimeout(t *testing.T) {
	ts := sftptest.NewServer(t, &sftpserver.Server{IdleTimeout: 300 * time.Millisecond})
	c := ts.Dial(t, nil)
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("idle connection not closed")
	}
}

// TestShutdown_DuringUpload: Shutdown lets a running upload finish whole and
// refuses new connections.
func TestShutdown_DuringUpload(t *testing.T) {
	ts, rec := newTestServer(t, nil)
	c := ts.Client(t)
	f, err := c.Create("/up.bin")
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 2048) // 32 KiB
	const chunks = 256                                      // 8 MiB
	written := make(chan struct{})
	upErr := make(chan error, 1)
	go func() {
		for i := range chunks {
			if _, err := f.Write(chunk); err != nil {
				upErr <- err
				return
			}
			if i == 16 {
				close(written)
			}
			time.Sleep(time.Millisecond)
		}
		upErr <- f.Close()
	}()
	<-written
	shutdownDone := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		shutdownDone <- ts.Server.Shutdown(ctx)
	}()
	// A new connection is refused once Shutdown has started.
	time.Sleep(100 * time.Millisecond)
	if c2, err := ssh.Dial("tcp", ts.Addr, ts.ClientConfig()); err == nil {
		c2.Close()
		t.Error("new connection accepted during Shutdown")
	}
	if err := <-upErr; err != nil {
		t.Fatalf("upload during Shutdown failed: %v", err)
	}
	if err := <-shutdownDone; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	fi, err := os.Stat(filepath.Join(home(ts), "up.bin"))
	if err != nil || fi.Size() != chunks*int64(len(chunk)) {
		t.Fatalf("file after shutdown: %v, %v; want %d bytes", fi, err, chunks*len(chunk))
	}
	ev := rec.wait(t, "transfer.upload", func(e sftpserver.Event) bool { return e.Type == sftpserver.EventUpload })
	if ev.Aborted || ev.BytesWritten != chunks*int64(len(chunk)) {
		t.Fatalf("upload event %+v", ev)
	}
}

func TestShutdown_ReturnsCtxErrWhileTransferOpen(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	c := ts.Client(t)
	f, err := c.Create("/held.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := ts.Server.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with an open handle = %v, want DeadlineExceeded", err)
	}
}

func TestListenAndServe_SeveralAddrs(t *testing.T) {
	a1, a2 := freeAddr(t), freeAddr(t)
	ts := sftptest.NewServer(t, nil) // for credentials and host key
	srv := &sftpserver.Server{Addrs: []string{a1, a2}, HostKeys: ts.Server.HostKeys, Auth: ts.Server.Auth, Root: t.TempDir()}
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe() }()
	for _, a := range []string{a1, a2} {
		var c *ssh.Client
		var err error
		for range 100 {
			if c, err = ssh.Dial("tcp", a, ts.ClientConfig()); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("dial %s: %v", a, err)
		}
		c.Close()
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, sftpserver.ErrServerClosed) {
		t.Fatalf("ListenAndServe = %v, want ErrServerClosed", err)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestServer_AlgorithmsMustBeSupported(t *testing.T) {
	ts := sftptest.NewServer(t, nil)
	for _, alg := range []*ssh.Algorithms{
		{Ciphers: []string{"3des-cbc"}},
		{KeyExchanges: []string{"diffie-hellman-group1-sha1"}},
		{PublicKeyAuths: []string{ssh.KeyAlgoDSA}},
	} {
		srv := &sftpserver.Server{HostKeys: ts.Server.HostKeys, Auth: ts.Server.Auth, Root: t.TempDir(), Algorithms: alg}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Serve(l); err == nil || !strings.Contains(err.Error(), "SupportedAlgorithms") {
			t.Errorf("Serve with %+v = %v, want an unsupported-algorithm error", alg, err)
		}
	}
	// A restriction inside the supported set works.
	ts2 := sftptest.NewServer(t, &sftpserver.Server{Algorithms: &ssh.Algorithms{Ciphers: []string{ssh.CipherAES128GCM}}})
	cfg := ts2.ClientConfig()
	cfg.Ciphers = []string{ssh.CipherChaCha20Poly1305}
	if _, err := ssh.Dial("tcp", ts2.Addr, cfg); err == nil {
		t.Fatal("a cipher outside the restriction was negotiated")
	}
	cfg.Ciphers = []string{ssh.CipherAES128GCM}
	c, err := ssh.Dial("tcp", ts2.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestLimits_MaxConns(t *testing.T) {
	ts := sftptest.NewServer(t, &sftpserver.Server{MaxConns: 1})
	ts.Dial(t, nil)
	if c, err := ssh.Dial("tcp", ts.Addr, ts.ClientConfig()); err == nil {
		c.Close()
		t.Fatal("second connection accepted with MaxConns=1")
	}
}

// TestServer_NoneNeverAuthenticates: an authenticator's NoClientAuthCallback
// may only name methods; even one that "succeeds" with an identity cannot
// open a session.
func TestServer_NoneNeverAuthenticates(t *testing.T) {
	sloppy := auth.AuthenticatorFunc(func(ctx context.Context, c auth.ConnInfo, cfg *ssh.ServerConfig) error {
		cfg.NoClientAuth = true
		cfg.NoClientAuthCallback = func(cm ssh.ConnMetadata) (*ssh.Permissions, error) {
			return (&auth.Identity{User: cm.User()}).Permissions(), nil
		}
		cfg.PasswordCallback = func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, errors.New("no") }
		return nil
	})
	ts := sftptest.NewServer(t, &sftpserver.Server{Auth: sloppy})
	if c, err := ssh.Dial("tcp", ts.Addr, &ssh.ClientConfig{User: "x", HostKeyCallback: ssh.FixedHostKey(ts.HostKey)}); err == nil {
		c.Close()
		t.Fatal("the none method logged in")
	}
}
