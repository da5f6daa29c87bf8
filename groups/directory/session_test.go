package directory

import (
	"errors"
	"io/fs"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"
	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/perms"
)

// An unlocked user's home holds the protected "/Projects Shared With Me"
// folder (QLOCK-05) with the shared projects; the policy names the project
// and preset that decide (Explain), list-only on the folder itself.
func TestQLOCK_05_UnlockedHomeWithSharedFolder(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	p, err := f.d.CreateProject(ctx, f.owner.ID, "Beta [2026]")
	if err != nil {
		t.Fatal(err)
	}
	f.d.SetMember(ctx, f.owner.ID, p.ID, u.ID, PresetReadWrite)
	acct := &Account{User: u.ID, Tenant: u.Tenant}
	st := Storage{Root: t.TempDir()}

	fsys, err := f.d.SessionFS(ctx, acct, st)
	if err != nil {
		t.Fatal(err)
	}
	shared := "/" + SharedFolder
	if fi, err := fsys.Stat(shared + "/Beta [2026]"); err != nil || !fi.IsDir() {
		t.Fatalf("project mount: %v", err)
	}
	if err := fsys.Mkdir("/mine", 0o700); err != nil {
		t.Fatalf("own home not writable: %v", err)
	}
	if err := fsys.Remove(shared); err == nil {
		t.Fatal("the shared folder was removed")
	}
	if err := fsys.Rename(shared+"/Beta [2026]", "/stolen"); err == nil {
		t.Fatal("a mount point was renamed")
	}

	pol, err := f.d.SessionPolicy(ctx, acct, u.LoginID)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		need perms.Perm
		ok   bool
	}{
		{"/mine/file", perms.Write, true},
		{shared, perms.List, true},
		{shared, perms.CreateFolder, false},
		{shared + "/x", perms.Write, false},
		{shared + "/Beta [2026]", perms.List, true},
		{shared + "/Beta [2026]", perms.DeleteFolder, false},
		{shared + "/Beta [2026]/report.pdf", perms.Write, true},
		{shared + "/Beta [2026]/old", perms.DeleteFolder, true},
		{shared + "/Beta [2026]x/report.pdf", perms.Write, false}, // a prefix sibling is not the project
	}
	for _, c := range cases {
		if err := pol.Check(c.path, c.need); (err == nil) != c.ok {
			t.Errorf("%s %v: %v, want allowed=%v", c.path, c.need, err, c.ok)
		}
	}
	e := pol.Explain(shared+"/Beta [2026]/report.pdf", perms.Write)
	if !strings.Contains(string(e.Source), "Beta [2026]") || !strings.Contains(string(e.Source), "read_write") {
		t.Fatalf("Explain source %q", e.Source)
	}
}

// A locked user's root is read-only and lists only the shares; a user
// without any share gets an empty root.
func TestQLOCK_03_LockedRootReadOnly(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true, LockSFTPHome: true})
	acct := &Account{User: u.ID, Tenant: u.Tenant}
	fsys, err := f.d.SessionFS(ctx, acct, Storage{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := fsys.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil || len(names) != 0 {
		t.Fatalf("root lists %v, %v", names, err)
	}
	if err := fsys.Mkdir("/x", 0o700); err == nil {
		t.Fatal("the locked root is writable")
	}
	pol, err := f.d.SessionPolicy(ctx, acct, u.LoginID)
	if err != nil {
		t.Fatal(err)
	}
	if err := pol.Check("/", perms.List); err != nil {
		t.Fatal(err)
	}
	var den *perms.Denial
	if err := pol.Check("/x", perms.CreateFolder); !errors.As(err, &den) {
		t.Fatalf("mkdir /x: %v", err)
	}
	if _, err := f.d.SessionFS(ctx, &Account{User: "nobody"}, Storage{Root: t.TempDir()}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unknown account: %v", err)
	}
}

// lockedFixture: a Jailed user sharing Alpha (list_read) and Beta
// (read_write), not Hidden (none).
func lockedFixture(t *testing.T) (*fixture, User, *Account, Storage) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "j@acme.example", NewUser{Class: ClassJailed, SFTP: true})
	for name, preset := range map[string]Preset{"Alpha": PresetListRead, "Beta": PresetReadWrite, "Hidden": PresetNone} {
		p, err := f.d.CreateProject(ctx, f.owner.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		f.d.SetMember(ctx, f.owner.ID, p.ID, u.ID, preset)
	}
	return f, u, &Account{User: u.ID, Tenant: u.Tenant}, Storage{Root: t.TempDir()}
}

func rootNames(t *testing.T, fsys interface {
	Open(string) (afero.File, error)
}) []string {
	t.Helper()
	d, err := fsys.Open("/")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func TestQLOCK_01_RootIsTheSharedView(t *testing.T) {
	f, _, acct, st := lockedFixture(t)
	fsys, err := f.d.SessionFS(ctx, acct, st)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/homes", "/projects", "/" + SharedFolder} {
		if _, err := fsys.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want not found", p, err)
		}
	}
}

func TestQLOCK_02_RootListsExactlyTheShares(t *testing.T) {
	f, _, acct, st := lockedFixture(t)
	fsys, err := f.d.SessionFS(ctx, acct, st)
	if err != nil {
		t.Fatal(err)
	}
	if got := rootNames(t, fsys); !slices.Equal(got, []string{"Alpha", "Beta"}) {
		t.Fatalf("root lists %v", got)
	}
}

func TestQLOCK_04_MountPointsProtectedContentPerPreset(t *testing.T) {
	f, _, acct, st := lockedFixture(t)
	fsys, _ := f.d.SessionFS(ctx, acct, st)
	pol, err := f.d.SessionPolicy(ctx, acct, "j")
	if err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("/Beta"); err == nil {
		t.Fatal("a mount point was removed")
	}
	if err := fsys.Rename("/Beta", "/Gamma"); err == nil {
		t.Fatal("a mount point was renamed")
	}
	cases := []struct {
		path string
		need perms.Perm
		ok   bool
	}{
		{"/Beta", perms.DeleteFolder, false},
		{"/Beta", perms.Rename, false},
		{"/Beta/f", perms.Write, true},
		{"/Beta/d", perms.DeleteFolder, true},
		{"/Alpha/f", perms.Read, true},
		{"/Alpha/f", perms.Write, false},
		{"/Alpha/f", perms.DeleteFile, false},
	}
	for _, c := range cases {
		if err := pol.Check(c.path, c.need); (err == nil) != c.ok {
			t.Errorf("%s %v: %v, want allowed=%v", c.path, c.need, err, c.ok)
		}
	}
}

// Lock and shares are read when a session starts: a change shows at the
// next login (QLOCK-06, QLOCK-07).
func TestQLOCK_06_LockTakesEffectNextSession(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	acct := &Account{User: u.ID, Tenant: u.Tenant}
	st := Storage{Root: t.TempDir()}
	before, _ := f.d.SessionFS(ctx, acct, st)
	if got := rootNames(t, before); !slices.Equal(got, []string{SharedFolder}) {
		t.Fatalf("unlocked root %v", got)
	}
	f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{LockSFTPHome: ptr(true)})
	if got := rootNames(t, before); !slices.Equal(got, []string{SharedFolder}) {
		t.Fatalf("the running session changed: %v", got)
	}
	after, _ := f.d.SessionFS(ctx, acct, st)
	if got := rootNames(t, after); len(got) != 0 {
		t.Fatalf("locked root %v", got)
	}
}

func TestQLOCK_07_NewShareAppearsNextSession(t *testing.T) {
	f, u, acct, st := lockedFixture(t)
	p, _ := f.d.CreateProject(ctx, f.owner.ID, "Gamma")
	f.d.SetMember(ctx, f.owner.ID, p.ID, u.ID, PresetList)
	fsys, _ := f.d.SessionFS(ctx, acct, st)
	if got := rootNames(t, fsys); !slices.Equal(got, []string{"Alpha", "Beta", "Gamma"}) {
		t.Fatalf("root lists %v", got)
	}
}

// Keys of a user whose SFTP is disabled are kept but unusable; re-enabling
// SFTP makes them usable again (QKEY-08, at the directory's login).
func TestQKEY_08_KeysOfDisabledSFTPUser(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	text := edKey(t)
	if _, err := f.d.AddKey(ctx, f.owner.ID, u.ID, "k", text, time.Time{}); err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(text))
	a, err := f.d.Authenticator()
	if err != nil {
		t.Fatal(err)
	}
	try := func() error {
		var cfg ssh.ServerConfig
		a.Setup(ctx, auth.ConnInfo{}, &cfg)
		_, err := cfg.PublicKeyCallback(connMeta(u.LoginID), pub)
		return err
	}
	if err := try(); err != nil {
		t.Fatalf("enabled: %v", err)
	}
	f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{SFTP: ptr(false)})
	if err := try(); auth.ReasonOf(err) != auth.Reason(RefusedSFTPDisabled) {
		t.Fatalf("disabled: %v", err)
	}
	if ks, _ := f.d.Keys(ctx, f.owner.ID, u.ID); len(ks) != 1 {
		t.Fatal("the key was dropped")
	}
	f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{SFTP: ptr(true)})
	if err := try(); err != nil {
		t.Fatalf("re-enabled: %v", err)
	}
}

// connMeta is the ssh.ConnMetadata of a login attempt.
type connMeta string

func (c connMeta) User() string        { return string(c) }
func (connMeta) SessionID() []byte     { return nil }
func (connMeta) ClientVersion() []byte { return nil }
func (connMeta) ServerVersion() []byte { return nil }
func (connMeta) RemoteAddr() net.Addr  { return nil }
func (connMeta) LocalAddr() net.Addr   { return nil }
