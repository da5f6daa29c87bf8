package directory_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/groups/directory"
	"github.com/sftpkit/sftpkit/internal/opensshtest"
	"github.com/sftpkit/sftpkit/keys"
	"github.com/sftpkit/sftpkit/perms"
	"github.com/sftpkit/sftpkit/sftpserver"
	"github.com/sftpkit/sftpkit/sftpserver/sftptest"
)

type testClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

const password = "pat's long passphrase"

// The directory behind a real server, driven with OpenSSH's sftp: logins
// by generated ID, custom login per listener, keys, trial expiry, and a
// Jailed user's "Projects Shared With Me" (SPEC §18–§21).
func TestEndToEnd_OpenSSH(t *testing.T) {
	opensshtest.NeedSFTP(t)
	t.Run("memory", func(t *testing.T) {
		clk := &testClock{}
		endToEnd(t, clk, directory.NewMemoryStore(clk.Now))
	})
	t.Run("sqlite", func(t *testing.T) {
		clk := &testClock{}
		s, err := directory.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "directory.db"), clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		endToEnd(t, clk, s)
	})
}

func endToEnd(t *testing.T, clk *testClock, store directory.Store) {
	ctx := context.Background()
	dedicated, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	d := directory.New(directory.Options{Now: clk.Now, Store: store})
	tenant, owner, err := d.CreateTenant(ctx, directory.NewTenant{Name: "acme", UserLicences: 10, SFTPLicences: 5,
		Module: directory.SFTPModule{Enabled: true}, DedicatedEndpoint: dedicated.Addr().String(), OwnerEmail: "owner@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	authn, err := d.Authenticator()
	if err != nil {
		t.Fatal(err)
	}
	st := directory.Storage{Root: t.TempDir()}
	account := func(s sftpserver.SessionInfo) *directory.Account {
		a, _ := s.Identity.Value.(*directory.Account)
		return a
	}
	rejected := make(chan string, 64)
	srv := &sftpserver.Server{
		Auth: authn,
		Events: sinkFunc(func(e sftpserver.Event) {
			if e.Type == sftpserver.EventAuthRejected {
				rejected <- e.Reason
			}
		}),
		FS: sftpserver.FileSystemFunc(func(ctx context.Context, s sftpserver.SessionInfo) (afero.Fs, error) {
			return d.SessionFS(ctx, account(s), st)
		}),
		Policy: func(ctx context.Context, s sftpserver.SessionInfo) (*perms.Policy, error) {
			return d.SessionPolicy(ctx, account(s), s.Identity.User)
		},
	}
	ts := sftptest.NewServer(t, srv)
	go srv.Serve(dedicated)
	c := opensshtest.New(t)
	c.AddHost(t, ts.Addr, ts.HostKey)
	c.AddHost(t, dedicated.Addr().String(), ts.HostKey)
	keyText := string(ssh.MarshalAuthorizedKey(c.PublicKey))

	pat, err := d.CreateUser(ctx, owner.ID, directory.NewUser{Email: "pat@acme.example", Name: "Pat", SFTP: true, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	key, err := d.AddKey(ctx, owner.ID, pat.ID, "laptop", keyText, clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateUser(ctx, owner.ID, pat.ID, directory.UserUpdate{CustomLogin: ptr("pat")}); err != nil {
		t.Fatal(err)
	}
	main, other := ts.Addr, dedicated.Addr().String()
	pw := func(user, addr string) opensshtest.Login {
		return opensshtest.Login{User: user, Addr: addr, Preferred: "password,keyboard-interactive", Password: password}
	}
	withKey := func(user, addr string) opensshtest.Login {
		return opensshtest.Login{User: user, Addr: addr, Preferred: "publickey", Key: true}
	}

	// refused runs a login that must fail and checks the reason the
	// server's event gives (the client only sees a failure).
	refused := func(t *testing.T, l opensshtest.Login, what, reason string) {
		t.Helper()
		c.Run(t, l, "pwd\n").MustFail(t, what)
		select {
		case got := <-rejected:
			if got != reason {
				t.Fatalf("%s: refused for %q, want %q", what, got, reason)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no auth.rejected event", what)
		}
	}

	t.Run("login", func(t *testing.T) {
		c.Run(t, pw(pat.LoginID, main), "pwd\n").MustSucceed(t, "generated ID, password")
		c.Run(t, withKey(pat.LoginID, main), "pwd\n").MustSucceed(t, "generated ID, key")
		refused(t, pw(pat.Email, main), "email as login", "unknown-user")
		c.Run(t, pw("pat", other), "pwd\n").MustSucceed(t, "custom login on the dedicated listener")
		refused(t, pw("pat", main), "custom login on another listener", "unknown-user")
		c.Run(t, pw(pat.LoginID, other), "pwd\n").MustSucceed(t, "generated ID on the dedicated listener")
	})

	t.Run("keys", func(t *testing.T) {
		if _, err := d.UpdateKey(ctx, owner.ID, pat.ID, key.ID, keys.Update{Status: ptr(keys.StatusDisabled)}); err != nil {
			t.Fatal(err)
		}
		refused(t, withKey(pat.LoginID, main), "disabled key", "bad-credentials")
		if _, err := d.UpdateKey(ctx, owner.ID, pat.ID, key.ID, keys.Update{Status: ptr(keys.StatusActive)}); err != nil {
			t.Fatal(err)
		}
		c.Run(t, withKey(pat.LoginID, main), "pwd\n").MustSucceed(t, "re-enabled key")
		clk.Add(time.Hour) // the key expires exactly now
		refused(t, withKey(pat.LoginID, main), "expired key", "bad-credentials")
		c.Run(t, pw(pat.LoginID, main), "pwd\n").MustSucceed(t, "password still works")
	})

	t.Run("jailed", func(t *testing.T) {
		jay, err := d.CreateUser(ctx, owner.ID, directory.NewUser{Email: "jay@acme.example", Class: directory.ClassJailed, SFTP: true, Password: password})
		if err != nil {
			t.Fatal(err)
		}
		presets := map[string]directory.Preset{"Alpha": directory.PresetListRead, "Beta": directory.PresetReadWrite,
			"Gamma": directory.PresetList, "Hidden": directory.PresetNone}
		for _, name := range []string{"Alpha", "Beta", "Gamma", "Hidden"} {
			p, err := d.CreateProject(ctx, owner.ID, name)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.SetMember(ctx, owner.ID, p.ID, jay.ID, presets[name]); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(st.Root, "projects", p.Storage)
			os.MkdirAll(dir, 0o700)
			if err := os.WriteFile(filepath.Join(dir, "readme.txt"), []byte(name+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		local := filepath.Join(c.Dir, "up.txt")
		os.WriteFile(local, []byte("upload\n"), 0o600)
		login := pw(jay.LoginID, main)

		r := c.Run(t, login, "ls -1 /\n")
		r.MustSucceed(t, "list the root")
		var names []string
		for _, l := range strings.Split(strings.TrimSpace(r.Out), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "sftp>") {
				names = append(names, strings.TrimPrefix(l, "/"))
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"Alpha", "Beta", "Gamma"}) {
			t.Fatalf("root lists %q, want Alpha, Beta, Gamma", names)
		}
		c.Run(t, login, "get /Alpha/readme.txt alpha.txt\n").MustSucceed(t, "read under List and read")
		if b, _ := os.ReadFile(filepath.Join(c.Dir, "alpha.txt")); string(b) != "Alpha\n" {
			t.Fatalf("downloaded %q", b)
		}
		denied := func(cmd string) {
			t.Helper()
			r := c.Run(t, login, cmd+"\n")
			r.MustFail(t, cmd)
			if !strings.Contains(r.Out, "Permission denied") {
				t.Fatalf("%s: %s", cmd, r.Out)
			}
		}
		denied("put " + local + " /Alpha/up.txt") // List and read: no write
		denied("get /Gamma/readme.txt gamma.txt") // List only: no read
		c.Run(t, login, "put "+local+" /Beta/up.txt\n").MustSucceed(t, "write under Read and write")
		if b, _ := os.ReadFile(filepath.Join(st.Root, "projects", projectStorage(t, d, owner.ID, "Beta"), "up.txt")); string(b) != "upload\n" {
			t.Fatalf("uploaded %q", b)
		}
		for _, cmd := range []string{"rmdir /Beta", "rename /Beta /Delta", "rename /Alpha /Beta2", "mkdir /x", "put " + local + " /root.txt"} {
			denied(cmd) // the locked root and the mount points (QLOCK-03, QLOCK-04)
		}
		if _, err := os.Stat(filepath.Join(st.Root, "projects", projectStorage(t, d, owner.ID, "Beta"))); err != nil {
			t.Fatalf("Beta's storage: %v", err)
		}
	})

	t.Run("trial over", func(t *testing.T) {
		if err := d.SetSFTPModule(ctx, tenant.ID, directory.SFTPModule{Enabled: true, TrialEndsAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		refused(t, pw(pat.LoginID, main), "module in an expired trial", "sftp-module-disabled")
		refused(t, pw("pat", other), "custom login, expired trial", "sftp-module-disabled")
	})
}

type sinkFunc func(sftpserver.Event)

func (f sinkFunc) HandleEvent(_ context.Context, e sftpserver.Event) { f(e) }

func projectStorage(t *testing.T, d *directory.Directory, actor, name string) string {
	t.Helper()
	ps, err := d.Projects(context.Background(), actor)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Name == name {
			return p.Storage
		}
	}
	t.Fatalf("no project %s", name)
	return ""
}

func ptr[T any](v T) *T { return &v }
