package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// ErrEscapesRoot is returned, wrapped in an *fs.PathError or *os.LinkError,
// when a name, a symbolic link on the way to it, or the target of a new
// symbolic link would leave the root. It wraps [fs.ErrPermission].
var ErrEscapesRoot = fmt.Errorf("vfs: path escapes from root: %w", fs.ErrPermission)

// ErrSymlinksDisabled is returned, wrapped in an *os.LinkError, by
// [RootFs.SymlinkIfPossible] when the RootFs was built without
// [AllowSymlinks]. It wraps [fs.ErrPermission].
var ErrSymlinksDisabled = fmt.Errorf("vfs: symbolic link creation disabled: %w", fs.ErrPermission)

// RootFs is an afero.Fs confined to one directory with os.Root. Names are
// virtual paths: clean, absolute, '/'-separated ("/", "/a/b"); "/" is the
// root directory itself.
//
// RootFs also implements afero.Lstater and afero.Symlinker. Errors it
// returns carry virtual names only, never the host directory, and wrap the
// original cause (see the package documentation for the security model).
//
// A RootFs is immutable and safe for concurrent use. Create it with
// [NewRootFs] and release it with [RootFs.Close].
type RootFs struct {
	root     *os.Root
	symlinks bool
	// escape is the error os.Root reports for a path that leaves the root.
	// os does not export it, so NewRootFs captures it with a probe.
	escape error
}

// RootOption configures a [RootFs] at construction; see [NewRootFs].
type RootOption func(*rootOptions)

type rootOptions struct {
	symlinks bool
}

// AllowSymlinks enables [RootFs.SymlinkIfPossible]. Symbolic link creation
// is refused unless this option is given. Even then the link target must
// stay inside the root after lexical resolution relative to the link's
// directory; absolute targets are interpreted relative to the root ("/x"
// means root/x) and stored as relative links. Targets that would leave the
// root are refused with an error wrapping [ErrEscapesRoot] and so
// [fs.ErrPermission].
func AllowSymlinks() RootOption {
	return func(o *rootOptions) { o.symlinks = true }
}

// NewRootFs opens dir with [os.OpenRoot] and returns a RootFs confined to
// it. It fails if dir does not exist or is not a directory. The error, meant
// for the operator, names dir.
func NewRootFs(dir string, opts ...RootOption) (*RootFs, error) {
	var o rootOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("vfs: open root: %w", err)
	}
	r := &RootFs{root: root, symlinks: o.symlinks}
	if _, err := root.Lstat(".."); err != nil {
		r.escape = cause(err)
	} else {
		root.Close()
		return nil, fmt.Errorf("vfs: open root %s: os.Root does not confine \"..\"", dir)
	}
	return r, nil
}

// Close closes the underlying os.Root. Files already open stay usable; all
// other methods fail afterwards.
func (r *RootFs) Close() error {
	return r.root.Close()
}

// Name returns "RootFs". It never returns the host directory.
func (r *RootFs) Name() string { return "RootFs" }

// Create creates or truncates the named file, like [os.Create].
func (r *RootFs) Create(name string) (afero.File, error) {
	return r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Open opens the named file or directory for reading.
func (r *RootFs) Open(name string) (afero.File, error) {
	return r.OpenFile(name, os.O_RDONLY, 0)
}

// OpenFile opens the named file with the given flags, like [os.OpenFile].
// Only the permission bits of perm are used.
func (r *RootFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	const op = "open"
	rel, err := hostName(op, name)
	if err != nil {
		return nil, err
	}
	f, err := r.root.OpenFile(rel, flag, perm&fs.ModePerm)
	if err != nil {
		return nil, r.pathError(op, name, err)
	}
	return &rootFile{f: f, name: name}, nil
}

// Mkdir creates the named directory. Only the permission bits of perm are
// used. It fails with an error wrapping [fs.ErrExist] if name exists.
func (r *RootFs) Mkdir(name string, perm os.FileMode) error {
	const op = "mkdir"
	rel, err := hostName(op, name)
	if err != nil {
		return err
	}
	return r.pathError(op, name, r.root.Mkdir(rel, perm&fs.ModePerm))
}

// MkdirAll creates the named directory and any missing parents. Only the
// permission bits of perm are used.
func (r *RootFs) MkdirAll(name string, perm os.FileMode) error {
	const op = "mkdir"
	rel, err := hostName(op, name)
	if err != nil {
		return err
	}
	return r.pathError(op, name, r.root.MkdirAll(rel, perm&fs.ModePerm))
}

// Remove removes the named file or empty directory.
func (r *RootFs) Remove(name string) error {
	const op = "remove"
	rel, err := hostName(op, name)
	if err != nil {
		return err
	}
	return r.pathError(op, name, r.root.Remove(rel))
}

// RemoveAll removes name and everything below it. It returns nil if name
// does not exist. Removing "/" itself fails.
func (r *RootFs) RemoveAll(name string) error {
	const op = "removeall"
	rel, err := hostName(op, name)
	if err != nil {
		return err
	}
	return r.pathError(op, name, r.root.RemoveAll(rel))
}

// Rename renames oldname to newname with POSIX semantics: an existing file
// at newname is replaced.
func (r *RootFs) Rename(oldname, newname string) error {
	const op = "rename"
	oldRel, err := hostName(op, oldname)
	if err != nil {
		return err
	}
	newRel, err := hostName(op, newname)
	if err != nil {
		return err
	}
	return r.linkError(op, oldname, newname, r.root.Rename(oldRel, newRel))
}

// Stat returns a FileInfo describing the named file, following symbolic
// links (inside the root only).
func (r *RootFs) Stat(name string) (os.FileInfo, error) {
	const op = "stat"
	rel, err := hostName(op, name)
	if err != nil {
		return nil, err
	}
	fi, err := r.root.Stat(rel)
	if err != nil {
		return nil, r.pathError(op, name, err)
	}
	return virtualInfo(name, fi), nil
}

// LstatIfPossible returns a FileInfo describing the named file without
// following a final symbolic link. The boolean is always true.
func (r *RootFs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	const op = "lstat"
	rel, err := hostName(op, name)
	if err != nil {
		return nil, true, err
	}
	fi, err := r.root.Lstat(rel)
	if err != nil {
		return nil, true, r.pathError(op, name, err)
	}
	return virtualInfo(name, fi), true, nil
}

// Chmod changes the permission bits of the named file. Bits outside
// [fs.ModePerm] (file type, setuid, setgid, sticky) are ignored.
func (r *RootFs) Chmod(name string, mode os.FileMode) error {
	const op = "chmod"
	rel, err := hostName(op, name)
	if err != nil {
		return err
	}
	return r.pathError(op, name, r.root.Chmod(rel, mode&fs.ModePerm))
}

// Chown changes the numeric uid and gid of the named file.
func (r *RootFs) Chown(name string, uid, gid int) error {
	const op = "chown"
	rel, err := hostName(op, name)
	if err != nil {
		return err
	}
	return r.pathError(op, name, r.root.Chown(rel, uid, gid))
}

// Chtimes changes the access and modification times of the named file.
func (r *RootFs) Chtimes(name string, atime, mtime time.Time) error {
	const op = "chtimes"
	rel, err := hostName(op, name)
	if err != nil {
		return err
	}
	return r.pathError(op, name, r.root.Chtimes(rel, atime, mtime))
}

// SymlinkIfPossible creates newname as a symbolic link to oldname.
//
// Without [AllowSymlinks] it fails with an error wrapping
// [ErrSymlinksDisabled]. Otherwise oldname is resolved lexically: relative
// to the directory of newname, or, if absolute, relative to the root. If the
// result leaves the root the call fails with an error wrapping
// [ErrEscapesRoot]. The link is stored as the clean relative path from
// newname's directory to the resolved target, so a link created here never
// holds an absolute host path.
func (r *RootFs) SymlinkIfPossible(oldname, newname string) error {
	const op = "symlink"
	newRel, err := hostName(op, newname)
	if err != nil {
		return err
	}
	if !r.symlinks {
		return &os.LinkError{Op: op, Old: oldname, New: newname, Err: ErrSymlinksDisabled}
	}
	if oldname == "" || strings.IndexByte(oldname, 0) >= 0 {
		return &os.LinkError{Op: op, Old: oldname, New: newname, Err: fs.ErrInvalid}
	}
	if newname == "/" {
		return &os.LinkError{Op: op, Old: oldname, New: newname, Err: fs.ErrExist}
	}
	dir := path.Dir(newname)
	target, ok := vpath.ResolveLink(dir, oldname)
	if !ok {
		return &os.LinkError{Op: op, Old: oldname, New: newname, Err: ErrEscapesRoot}
	}
	text := vpath.Rel(dir, target)
	return r.linkError(op, oldname, newname, r.root.Symlink(text, newRel))
}

// ReadlinkIfPossible returns the destination of the named symbolic link.
//
// Only relative destinations that stay inside the root after lexical
// resolution relative to the link's directory are returned. Any other link,
// which RootFs never creates but someone with host access may have planted,
// yields an error wrapping [ErrEscapesRoot], so host paths are not revealed.
func (r *RootFs) ReadlinkIfPossible(name string) (string, error) {
	const op = "readlink"
	rel, err := hostName(op, name)
	if err != nil {
		return "", err
	}
	text, err := r.root.Readlink(rel)
	if err != nil {
		return "", r.pathError(op, name, err)
	}
	if text == "" || path.IsAbs(text) {
		return "", &fs.PathError{Op: op, Path: name, Err: ErrEscapesRoot}
	}
	if _, ok := vpath.ResolveLink(path.Dir(name), text); !ok {
		return "", &fs.PathError{Op: op, Path: name, Err: ErrEscapesRoot}
	}
	return text, nil
}

// hostName converts a virtual name into the relative name os.Root expects:
// "/" becomes "." and "/a/b" becomes "a/b". Anything but a clean, absolute,
// NUL-free name is rejected with an error wrapping fs.ErrInvalid.
func hostName(op, name string) (string, error) {
	if !vpath.IsCanonical(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	if name == "/" {
		return ".", nil
	}
	return name[1:], nil
}

// cause strips every *fs.PathError and *os.LinkError from err, returning
// the underlying cause (an errno, an io/fs sentinel, ...), which carries no
// path.
func cause(err error) error {
	for {
		var pe *fs.PathError
		var le *os.LinkError
		switch {
		case errors.As(err, &pe):
			err = pe.Err
		case errors.As(err, &le):
			err = le.Err
		default:
			return err
		}
	}
}

// hide returns the path-free cause of err, replacing os.Root's escape error
// with ErrEscapesRoot.
func (r *RootFs) hide(err error) error {
	c := cause(err)
	if r.escape != nil && errors.Is(c, r.escape) {
		return ErrEscapesRoot
	}
	return c
}

// pathError rewrites err, if any, into an *fs.PathError naming only the
// virtual name.
func (r *RootFs) pathError(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: op, Path: name, Err: r.hide(err)}
}

// linkError rewrites err, if any, into an *os.LinkError naming only the
// virtual names.
func (r *RootFs) linkError(op, oldname, newname string, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: op, Old: oldname, New: newname, Err: r.hide(err)}
}

// virtualInfo makes the FileInfo of the root directory report "/" as its
// name instead of "." or the host directory's base name.
func virtualInfo(name string, fi fs.FileInfo) fs.FileInfo {
	if name != "/" || fi == nil {
		return fi
	}
	return rootInfo{fi}
}

type rootInfo struct{ fs.FileInfo }

func (rootInfo) Name() string { return "/" }

// Interface checks.
var (
	_ afero.Fs        = (*RootFs)(nil)
	_ afero.Lstater   = (*RootFs)(nil)
	_ afero.Symlinker = (*RootFs)(nil)
)
