package sftpserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/groups"
	"github.com/sftpkit/sftpkit/internal/vpath"
	"github.com/sftpkit/sftpkit/perms"
	"github.com/sftpkit/sftpkit/vfs"
)

// SessionInfo describes an authenticated SFTP session to a FileSystem.
type SessionInfo struct {
	Identity  *auth.Identity
	SessionID string
	Remote    net.Addr
	Local     net.Addr
	// Deletes is the server's scheduler for delayed deletes (wrap the
	// session's Fs with vfs.DelayedDelete to use it). Pending deletes
	// outlive the session; Shutdown runs them, Close drops them.
	Deletes *vfs.DeleteScheduler
}

// A FileSystem gives each SFTP session its filesystem. It is the seam between
// the server and storage: the returned afero.Fs receives canonical virtual
// paths ("/", "/a/b") and is the whole world the session can see, so it must
// confine itself (see package vfs). If the returned Fs implements io.Closer it
// is closed when the session ends.
//
// The files it opens are read and written with ReadAt and WriteAt, one
// request at a time per session and in the order the client sent them, with
// buffers the server reuses: as io.WriterAt requires, WriteAt must not keep
// the slice it is given.
type FileSystem interface {
	NewFS(ctx context.Context, s SessionInfo) (afero.Fs, error)
}

// FileSystemFunc adapts a function to the FileSystem interface.
type FileSystemFunc func(ctx context.Context, s SessionInfo) (afero.Fs, error)

// NewFS calls f(ctx, s).
func (f FileSystemFunc) NewFS(ctx context.Context, s SessionInfo) (afero.Fs, error) { return f(ctx, s) }

// A PolicyFunc returns the permission policy of an SFTP session (SPEC §7,
// §8): which operations each virtual path allows. It is called once per
// session, after authentication; the policy is immutable for the session's
// life (SPEC CFG-12). It must return a policy or an error: a nil policy
// without an error refuses the session (fail closed), as an error does. To
// give every session full control, leave Server.Policy nil.
type PolicyFunc func(ctx context.Context, s SessionInfo) (*perms.Policy, error)

// HomeDirs returns the default FileSystem: each account is jailed, with
// vfs.RootFs (os.Root), in root/<account name>, a directory created with mode
// 0700 at the account's first login. Account names that are not a single
// valid path element are refused. opts are passed to vfs.NewRootFs.
func HomeDirs(root string, opts ...vfs.RootOption) FileSystem {
	return FileSystemFunc(func(ctx context.Context, s SessionInfo) (afero.Fs, error) {
		name := s.Identity.User
		if err := vpath.ValidName(name); err != nil {
			return nil, fmt.Errorf("sftpserver: account name %q cannot name a home folder: %w", name, err)
		}
		home := filepath.Join(root, name)
		if err := os.MkdirAll(home, 0o700); err != nil {
			return nil, fmt.Errorf("sftpserver: creating home folder: %w", err)
		}
		return vfs.NewRootFs(home, opts...)
	})
}

// effective returns the *groups.Effective an authenticator such as
// auth.Configured stored in the session's identity.
func effective(s SessionInfo) (*groups.Effective, error) {
	eff, ok := s.Identity.Value.(*groups.Effective)
	if !ok || eff == nil {
		return nil, fmt.Errorf("sftpserver: the identity of %q carries no *groups.Effective (use auth.Configured)", s.Identity.User)
	}
	return eff, nil
}

// EffectiveFS returns a FileSystem for accounts of a groups.Config,
// authenticated by auth.Configured: each session gets vfs.OpenAccount —
// its home jailed with vfs.RootFs, its virtual folders mounted, and the
// upload and delete behaviours it resolved to. When opt.Deletes is nil the
// server's scheduler is used, so ssh_delete_delay works and pending deletes
// run at Shutdown; when opt.Usage is nil, one quota registry is made for
// all the sessions this FileSystem serves. Pass the same opt to
// auth.ConfiguredOptions.Storage.
func EffectiveFS(opt vfs.AccountOptions) FileSystem {
	if opt.Usage == nil {
		opt.Usage = vfs.NewQuotaRegistry() // shared by every session served
	}
	return FileSystemFunc(func(ctx context.Context, s SessionInfo) (afero.Fs, error) {
		eff, err := effective(s)
		if err != nil {
			return nil, err
		}
		o := opt
		if o.Deletes == nil {
			o.Deletes = s.Deletes
		}
		return vfs.OpenAccount(eff, o)
	})
}

// EffectivePolicy returns a PolicyFunc for accounts authenticated by
// auth.Configured: the permission rules their groups and account resolved
// to, compiled for the account name (SPEC §7, §2(c)).
func EffectivePolicy() PolicyFunc {
	return func(ctx context.Context, s SessionInfo) (*perms.Policy, error) {
		eff, err := effective(s)
		if err != nil {
			return nil, err
		}
		return eff.Policy()
	}
}
