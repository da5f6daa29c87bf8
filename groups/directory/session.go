package directory

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/perms"
	"github.com/sftpkit/sftpkit/vfs"
)

// SharedFolder is the name of the folder holding the projects shared with
// an unlocked user (QLOCK-05); for a locked user it is the session's root.
const SharedFolder = "Projects Shared With Me"

// presetSets are Appendix A's permission sets: for the mount point and for
// what is inside it.
var presetSets = map[Preset][2]string{
	PresetList:     {"allow-list", "allow-list"},
	PresetListRead: {"allow-list, allow-read", "allow-list, allow-read"},
	PresetReadWrite: {"allow-list, allow-read",
		"allow-list, allow-read, allow-write, allow-create-folder, allow-rename, allow-delete-file, allow-delete-folder, allow-set-attributes"},
	PresetFull: {"allow-full-control", "allow-full-control"},
}

// Storage lays out the files of a directory's sessions on the host: the
// homes of unlocked users under Root/homes/<user ID>, the project folders
// under Root/projects/<project storage>. Directories are created on
// first use.
type Storage struct {
	Root string
}

// session resolves the account of an SFTP session to its user and shares.
func (d *Directory) session(ctx context.Context, acct *Account) (User, []Share, error) {
	if acct == nil {
		return User{}, nil, errors.New("directory: the session has no directory account")
	}
	var u User
	err := d.store.View(ctx, func(tx Tx) error {
		var err error
		u, err = tx.User(acct.User)
		return err
	})
	if err != nil {
		return User{}, nil, err
	}
	shares, err := d.SharedWith(ctx, u.ID)
	return u, shares, err
}

// SessionFS returns the filesystem of an SFTP session (SPEC §21): for a
// locked or Jailed user, a read-only root listing one mount per project
// shared with them (QLOCK-01, QLOCK-02); for others, their home with the
// protected "/Projects Shared With Me" folder holding the same mounts
// (QLOCK-05). Mount points are virtual folders of vfs, so they cannot be
// removed or renamed (QLOCK-04); what may be done inside them is
// SessionPolicy's.
func (d *Directory) SessionFS(ctx context.Context, acct *Account, st Storage) (afero.Fs, error) {
	u, shares, err := d.session(ctx, acct)
	if err != nil {
		return nil, err
	}
	prefix := ""
	var home afero.Fs = afero.NewReadOnlyFs(afero.NewMemMapFs())
	var mounts []vfs.Mount
	if !u.SharedProjectsRoot() {
		prefix = "/" + SharedFolder
		if home, err = rootFs(filepath.Join(st.Root, "homes", u.ID)); err != nil {
			return nil, err
		}
		mounts = append(mounts, vfs.Mount{Path: prefix, Fs: afero.NewReadOnlyFs(afero.NewMemMapFs())})
	}
	for _, s := range shares {
		fsys, err := rootFs(filepath.Join(st.Root, "projects", s.Project.Storage))
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, vfs.Mount{Path: prefix + "/" + s.Project.Name, Fs: fsys})
	}
	return vfs.NewMountTable(home, mounts, vfs.MountOptions{})
}

func rootFs(dir string) (afero.Fs, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("directory: storage: %w", err)
	}
	return vfs.NewRootFs(dir)
}

// SessionPolicy returns the permission policy of an SFTP session: the
// presets of Appendix A on each project mount and its content, list-only
// on the locked root and on "/Projects Shared With Me" (QLOCK-03), full
// control in an unlocked user's own home. Built from perms rules, so
// Policy.Explain names the project and preset that decided.
func (d *Directory) SessionPolicy(ctx context.Context, acct *Account, login string) (*perms.Policy, error) {
	u, shares, err := d.session(ctx, acct)
	if err != nil {
		return nil, err
	}
	prefix, global := "", "allow-list"
	if !u.SharedProjectsRoot() {
		prefix, global = "/"+SharedFolder, "allow-full-control"
	}
	var rules []perms.SourcedRule
	add := func(expr, set string, src perms.Source) error {
		s, err := perms.ParseSet(set)
		if err != nil {
			return err
		}
		rules = append(rules, perms.SourcedRule{Rule: perms.Rule{Expr: expr, Set: s}, Source: src})
		return nil
	}
	for _, s := range shares {
		sets, ok := presetSets[s.Preset]
		if !ok {
			continue
		}
		mount := prefix + "/" + s.Project.Name
		src := perms.Source(fmt.Sprintf("project %s (%s)", s.Project.Name, s.Preset))
		if err := add("m/^"+regexp.QuoteMeta(mount)+"$/", sets[0], src); err != nil {
			return nil, err
		}
		if err := add("m/^"+regexp.QuoteMeta(mount+"/")+"/", sets[1], src); err != nil {
			return nil, err
		}
	}
	if prefix != "" {
		// The folder and anything in it that is not a project: list only.
		if err := add("m/^"+regexp.QuoteMeta(prefix)+"(/|$)/", "allow-list", perms.Source(SharedFolder)); err != nil {
			return nil, err
		}
	}
	g, err := perms.ParseSet(global)
	if err != nil {
		return nil, err
	}
	src := perms.Source("user " + u.Email)
	if u.SharedProjectsRoot() {
		src = perms.Source(SharedFolder + " (locked)")
	}
	return perms.Compile(login, g, src, rules)
}
