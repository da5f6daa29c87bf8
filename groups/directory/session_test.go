package directory

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/sftpkit/sftpkit/perms"
)

// An unlocked user's home holds the protected "/Projects Shared With Me"
// folder (QLOCK-05) with the shared projects; the policy names the project
// and preset that decide (Explain), list-only on the folder itself.
func TestSession_UnlockedUser(t *testing.T) {
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
func TestSession_LockedUserWithoutShares(t *testing.T) {
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
