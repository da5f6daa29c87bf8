package vfs

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpkit/sftpkit/groups"
)

// resolve loads a configuration ({BASE} = a temp dir) and resolves user.
func resolve(t *testing.T, text, user string) (*groups.Effective, string) {
	t.Helper()
	base := t.TempDir()
	cfg, err := groups.Parse("t.ini", []byte(strings.ReplaceAll(text, "{BASE}", base)))
	if err != nil {
		t.Fatal(err)
	}
	eff, err := cfg.Resolve(context.Background(), user, netip.MustParseAddr("127.0.0.1"), groups.ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return eff, base
}

const accountConfig = `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}/home
create_home_folder = Yes
create_home_folder_owner = sftp
create_home_folder_group = partners
home_folder_structure =
    /in
    /in/deep/er
    /team/sub
virtual_folders =
    /q/${USER}, {BASE}/queues/${USER}
    /team, {BASE}/team
    /gone, {BASE}/gone

[accounts/a]
name = alice
`

func TestPrepareAccount(t *testing.T) {
	eff, base := resolve(t, accountConfig, "alice")
	os.MkdirAll(filepath.Join(base, "team"), 0o755)
	var chowned []string
	opt := AccountOptions{Chown: func(path, owner, group string) error {
		if owner != "sftp" || group != "partners" {
			t.Errorf("chown %s to %s:%s", path, owner, group)
		}
		chowned = append(chowned, path)
		return nil
	}}
	p, err := PrepareAccount(eff, opt)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(base, "home", "alice")
	// HOME-15, HOME-17: home and the per-user virtual folder created (and
	// chowned, HOME-18); /team, without ${USER}, never is.
	if !p.HomeCreated || len(p.Created) != 1 || p.Created[0] != filepath.Join(base, "queues", "alice") {
		t.Errorf("prepared %+v", p)
	}
	if len(chowned) != 2 {
		t.Errorf("chowned %v", chowned)
	}
	// HFS: /in created; /in/deep/er has no parent (HFS-02); /team/sub lies in
	// a virtual folder (HFS-09); /gone's real path is missing (VF-12).
	if fi, err := os.Stat(filepath.Join(home, "in")); err != nil || !fi.IsDir() {
		t.Errorf("/in not created: %v", err)
	}
	if _, err := os.Stat(filepath.Join(home, "in", "deep")); err == nil {
		t.Error("parent created without StructureCreateParents")
	}
	if _, err := os.Stat(filepath.Join(base, "team", "sub")); err == nil {
		t.Error("structure entry created inside a virtual folder")
	}
	var warn []string
	for _, w := range p.Warnings {
		warn = append(warn, w.Error())
	}
	all := strings.Join(warn, "\n")
	for _, want := range []string{"/in/deep/er", "/team/sub", "/gone"} {
		if !strings.Contains(all, want) {
			t.Errorf("no warning about %s in:\n%s", want, all)
		}
	}
	if strings.Contains(all, base) {
		t.Errorf("warnings name host paths:\n%s", all)
	}
}

func TestPrepareAccount_StructureParentsFlag(t *testing.T) {
	eff, base := resolve(t, accountConfig, "alice")
	if _, err := PrepareAccount(eff, AccountOptions{StructureCreateParents: true}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(base, "home", "alice", "in", "deep", "er")); err != nil || !fi.IsDir() {
		t.Errorf("/in/deep/er not created with StructureCreateParents: %v", err)
	}
}

func TestPrepareAccount_ChownFailureRefuses(t *testing.T) {
	eff, base := resolve(t, accountConfig, "alice")
	boom := errors.New("boom")
	_, err := PrepareAccount(eff, AccountOptions{Chown: func(string, string, string) error { return boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the chown error", err)
	}
	if _, err := os.Stat(filepath.Join(base, "home", "alice")); err != nil {
		t.Error("HOME-18: the created home must be left in place")
	}
}

func TestPrepareAccount_CollisionRefuses(t *testing.T) {
	eff, base := resolve(t, accountConfig, "alice")
	os.MkdirAll(filepath.Join(base, "home", "alice", "team"), 0o755)
	if _, err := PrepareAccount(eff, AccountOptions{}); !errors.Is(err, ErrVirtualFolderConflict) {
		t.Fatalf("err = %v, want ErrVirtualFolderConflict (VF-09)", err)
	}
}
