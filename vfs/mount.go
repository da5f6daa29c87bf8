// Virtual folders
//
// A [MountTable] presents one account's namespace: the home backend at "/"
// plus virtual folders ([Mount]) grafted at fixed virtual paths (SPEC §6).
// It is itself an afero.Fs working on canonical virtual paths. A path is
// served by the mount with the longest matching mount path (VF-03), with the
// mount path stripped, so every backend sees its own "/" at its mount point;
// everything else goes to the home. Proper prefixes of mount paths that are
// not mounts themselves are synthetic folders without storage (VF-05); they
// list only the next virtual components. This includes such prefixes inside
// another mount (with mounts /a and /a/b/c, /a/b is synthetic): VF-09 rules
// out a real entry there, and a virtual path wins over a real one (VF-10).
// The root, mount points and
// synthetic folders cannot be removed, renamed or have attributes changed
// (HOME-19, VF-05, VF-06), cannot be created over (VF-11), and hide any real
// entry of the same name in the listing of their parent (VF-04, VF-10).
// Renames never cross backends (VF-08). Errors name virtual paths only.

package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// ErrProtected is returned, wrapped in an *fs.PathError or *os.LinkError,
// when a client tries to remove, rename or change the attributes of the
// home root, a virtual folder's mount point or a synthetic folder, or to
// create something inside a synthetic folder (HOME-19, VF-05, VF-06). It
// wraps [fs.ErrPermission].
var ErrProtected = fmt.Errorf("vfs: protected virtual folder path: %w", fs.ErrPermission)

// ErrVirtualFolderConflict is the error [CollisionError] matches with
// errors.Is: a virtual folder, or one of its parent components, has the
// same name as a real entry (VF-09).
var ErrVirtualFolderConflict = errors.New("vfs: virtual folder conflicts with a real entry")

// CollisionError reports a virtual folder whose path, or one of whose
// parent components, exists as a real entry (VF-09). Both fields are
// virtual paths. It matches [ErrVirtualFolderConflict] with errors.Is.
type CollisionError struct {
	// Virtual is the mount path of the virtual folder.
	Virtual string
	// Existing is the virtual path of the colliding real entry: Virtual
	// itself or one of its parents.
	Existing string
}

// Error describes the collision with both virtual paths.
func (e *CollisionError) Error() string {
	return fmt.Sprintf("vfs: virtual folder %s conflicts with real entry %s", e.Virtual, e.Existing)
}

// Is reports whether target is [ErrVirtualFolderConflict].
func (e *CollisionError) Is(target error) bool { return target == ErrVirtualFolderConflict }

// Mount is one virtual folder: the canonical virtual mount path Path (never
// "/") is served by Fs, whose own root "/" is the mount point.
type Mount struct {
	// Path is the canonical virtual path of the mount point, such as
	// "/upload/team".
	Path string
	// Fs serves the folder; its "/" is Path. Use [RootFs] for a host
	// directory, or [Missing] for one that does not exist (VF-12).
	Fs afero.Fs
}

// MountOptions configures [NewMountTable].
type MountOptions struct {
	// CaseInsensitive makes the matching of virtual folder paths (mount
	// points and synthetic folders) case-insensitive, and lists their names
	// in lower case (VF-14). Names inside a backend keep the backend's own
	// case rules.
	CaseInsensitive bool
}

// processStart is the modification time of synthetic folders, so that it
// is stable for the life of the process.
var processStart = time.Now()

// MountTable is the afero.Fs of an account with virtual folders: a home
// backend plus [Mount]s, routed by longest mount path (SPEC §6). Names are
// canonical virtual paths; any other name fails with an error wrapping
// [fs.ErrInvalid].
//
// Proper prefixes of mount paths that are not mounts are synthetic folders:
// read-only directories without storage that list only the next virtual
// components. The root "/", mount points and synthetic folders cannot be
// removed, renamed or have attributes changed ([ErrProtected]) nor be
// created over ([fs.ErrExist]); directories holding virtual folders list
// them, hiding real entries of the same name. Renames between backends fail
// with [syscall.EXDEV]. These structural checks come before any backend is
// touched; the SFTP layer's permission checks come before them.
//
// MountTable also implements afero.Lstater, afero.Symlinker and
// afero.LinkReader, delegating to the backend that owns the path when that
// backend implements them (else the error wraps [errors.ErrUnsupported]),
// and io.Closer, which closes the backends.
//
// A MountTable is immutable and safe for concurrent use. Create it with
// [NewMountTable].
type MountTable struct {
	home      *backend
	mounts    []*backend // sorted by path
	root      *mountNode
	fold      bool
	closeOnce sync.Once
	closeErr  error
}

// backend is the home (mount == "") or one mount.
type backend struct {
	fs    afero.Fs
	mount string // virtual mount path as displayed; "" for the home
}

// mountNode is one component of a mount path or synthetic folder. The
// root node stands for "/".
type mountNode struct {
	name     string                // display name of the component; "/" for the root
	path     string                // display virtual path
	children map[string]*mountNode // by folded name
	names    []string              // folded names of children, sorted by display name
	mount    *backend              // non-nil for a mount point
}

// NewMountTable returns the namespace made of home at "/" and mounts.
// Mount paths must be canonical virtual paths (see internal/vpath) other
// than "/", and distinct (compared case-insensitively with
// [MountOptions.CaseInsensitive]); the caller de-duplicates configured
// folders beforehand (VF-13). Neither home nor any mount's Fs may be nil.
func NewMountTable(home afero.Fs, mounts []Mount, opt MountOptions) (*MountTable, error) {
	if home == nil {
		return nil, errors.New("vfs: mount table: nil home Fs")
	}
	t := &MountTable{
		home: &backend{fs: home},
		root: &mountNode{name: "/", path: "/"},
		fold: opt.CaseInsensitive,
	}
	for _, m := range mounts {
		if m.Fs == nil {
			return nil, fmt.Errorf("vfs: mount table: nil Fs for %q", m.Path)
		}
		if !vpath.IsCanonical(m.Path) {
			return nil, fmt.Errorf("vfs: mount table: mount path %q is not canonical", m.Path)
		}
		if m.Path == "/" {
			return nil, errors.New("vfs: mount table: mount path must not be /")
		}
		node := t.root
		for _, comp := range strings.Split(m.Path[1:], "/") {
			key := t.key(comp)
			child := node.children[key]
			if child == nil {
				display := comp
				if t.fold {
					display = key
				}
				child = &mountNode{name: display, path: path.Join(node.path, display)}
				if node.children == nil {
					node.children = make(map[string]*mountNode)
				}
				node.children[key] = child
				node.names = append(node.names, key)
			}
			node = child
		}
		if node.mount != nil {
			return nil, fmt.Errorf("vfs: mount table: duplicate mount path %q", m.Path)
		}
		node.mount = &backend{fs: m.Fs, mount: node.path}
		t.mounts = append(t.mounts, node.mount)
	}
	var sortNames func(n *mountNode)
	sortNames = func(n *mountNode) {
		slices.SortFunc(n.names, func(a, b string) int { return strings.Compare(n.children[a].name, n.children[b].name) })
		for _, c := range n.children {
			sortNames(c)
		}
	}
	sortNames(t.root)
	slices.SortFunc(t.mounts, func(a, b *backend) int { return strings.Compare(a.mount, b.mount) })
	return t, nil
}

// key returns the lookup key of one name component.
func (t *MountTable) key(name string) string {
	if t.fold {
		return strings.ToLower(name)
	}
	return name
}

// kind classifies a virtual path.
type kind int

const (
	kindDelegate       kind = iota // owned by a backend, below its root
	kindRoot                       // "/", the home root
	kindMount                      // a mount point
	kindSynthetic                  // a synthetic folder
	kindUnderSynthetic             // a non-virtual child of a synthetic folder: nothing there
)

// route says who serves a path. For kindRoot, kindMount and kindDelegate,
// be and rel give the backend and the name it knows the path by.
type route struct {
	kind kind
	node *mountNode // kindRoot, kindMount, kindSynthetic
	be   *backend
	rel  string
}

// route resolves the canonical virtual path name (VF-03).
func (t *MountTable) route(name string) route {
	if name == "/" {
		return route{kind: kindRoot, node: t.root, be: t.home, rel: "/"}
	}
	node := t.root
	i := 1 // start of the current component
	for {
		end := len(name)
		if j := strings.IndexByte(name[i:], '/'); j >= 0 {
			end = i + j
		}
		child := node.children[t.key(name[i:end])]
		if child == nil {
			break
		}
		node = child
		if end == len(name) {
			if node.mount != nil {
				return route{kind: kindMount, node: node, be: node.mount, rel: "/"}
			}
			return route{kind: kindSynthetic, node: node}
		}
		i = end + 1
	}
	switch {
	case node == t.root:
		return route{kind: kindDelegate, be: t.home, rel: name}
	case node.mount != nil:
		return route{kind: kindDelegate, be: node.mount, rel: name[i-1:]}
	default:
		return route{kind: kindUnderSynthetic}
	}
}

// resolve validates name and routes it.
func (t *MountTable) resolve(op, name string) (route, error) {
	if !vpath.IsCanonical(name) {
		return route{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return t.route(name), nil
}

// stripPath returns the cause of err without any *fs.PathError or
// *os.LinkError layer, which may carry a backend's own names.
func stripPath(err error) error {
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

// pathErr rewrites a backend error so that it names only the virtual path.
// Errors from the home, whose names are the virtual paths, are returned
// unchanged.
func pathErr(be *backend, op, name string, err error) error {
	if err == nil || be.mount == "" {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		op = pe.Op
	}
	return &fs.PathError{Op: op, Path: name, Err: stripPath(err)}
}

// Name returns "MountTable".
func (t *MountTable) Name() string { return "MountTable" }

// Create creates or truncates the named file, like [os.Create].
func (t *MountTable) Create(name string) (afero.File, error) {
	return t.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Open opens the named file or directory for reading. Directories holding
// virtual folders list them as directories, hiding real entries of the
// same name (VF-04, VF-10).
func (t *MountTable) Open(name string) (afero.File, error) {
	return t.OpenFile(name, os.O_RDONLY, 0)
}

// OpenFile opens the named file with the given flags, like [os.OpenFile].
// O_CREATE on a mount point or synthetic folder fails with an error
// wrapping [fs.ErrExist] (VF-11); O_CREATE inside a synthetic folder fails
// with one wrapping [ErrProtected] (VF-05).
func (t *MountTable) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	const op = "open"
	r, err := t.resolve(op, name)
	if err != nil {
		return nil, err
	}
	create := flag&os.O_CREATE != 0
	write := flag&(os.O_WRONLY|os.O_RDWR|os.O_TRUNC|os.O_APPEND) != 0
	switch r.kind {
	case kindUnderSynthetic:
		if create {
			return nil, &fs.PathError{Op: op, Path: name, Err: ErrProtected}
		}
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	case kindSynthetic:
		if create {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrExist}
		}
		if write {
			return nil, &fs.PathError{Op: op, Path: name, Err: ErrProtected}
		}
		return &mountFile{t: t, name: name, node: r.node}, nil
	case kindMount:
		if create {
			return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrExist}
		}
	}
	f, err := r.be.fs.OpenFile(r.rel, flag, perm)
	if err != nil {
		return nil, pathErr(r.be, op, name, err)
	}
	if r.be.mount == "" && r.kind == kindDelegate {
		return f, nil // home names are the virtual names
	}
	mf := &mountFile{t: t, f: f, be: r.be, name: name}
	if r.kind == kindRoot || r.kind == kindMount {
		mf.node = r.node
	}
	return mf, nil
}

// Mkdir creates the named directory. A mount point, a synthetic folder or
// "/" already exists (VF-11); creating inside a synthetic folder fails with
// an error wrapping [ErrProtected] (VF-05).
func (t *MountTable) Mkdir(name string, perm os.FileMode) error {
	const op = "mkdir"
	r, err := t.resolve(op, name)
	if err != nil {
		return err
	}
	switch r.kind {
	case kindRoot, kindMount, kindSynthetic:
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrExist}
	case kindUnderSynthetic:
		return &fs.PathError{Op: op, Path: name, Err: ErrProtected}
	}
	return pathErr(r.be, op, name, r.be.fs.Mkdir(r.rel, perm))
}

// MkdirAll creates the named directory and any missing parents in the
// backend that owns it. Virtual directories already exist.
func (t *MountTable) MkdirAll(name string, perm os.FileMode) error {
	const op = "mkdir"
	r, err := t.resolve(op, name)
	if err != nil {
		return err
	}
	switch r.kind {
	case kindRoot, kindMount, kindSynthetic:
		return nil
	case kindUnderSynthetic:
		return &fs.PathError{Op: op, Path: name, Err: ErrProtected}
	}
	return pathErr(r.be, op, name, r.be.fs.MkdirAll(r.rel, perm))
}

// protect applies the structural protections shared by the operations
// that modify an existing path: the root, mount points and synthetic
// folders fail with [ErrProtected]; nothing exists inside a synthetic
// folder.
func protect(op, name string, r route) error {
	switch r.kind {
	case kindRoot, kindMount, kindSynthetic:
		return &fs.PathError{Op: op, Path: name, Err: ErrProtected}
	case kindUnderSynthetic:
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return nil
}

// Remove removes the named file or empty directory. The root, mount points
// and synthetic folders are protected (HOME-19, VF-05, VF-06).
func (t *MountTable) Remove(name string) error {
	const op = "remove"
	r, err := t.resolve(op, name)
	if err != nil {
		return err
	}
	if err := protect(op, name, r); err != nil {
		return err
	}
	return pathErr(r.be, op, name, r.be.fs.Remove(r.rel))
}

// RemoveAll removes name and everything below it, like [os.RemoveAll].
// The root, mount points and synthetic folders are protected. A path that
// is not one of them never has a virtual folder below it.
func (t *MountTable) RemoveAll(name string) error {
	const op = "removeall"
	r, err := t.resolve(op, name)
	if err != nil {
		return err
	}
	if r.kind == kindUnderSynthetic {
		return nil // nothing there, as os.RemoveAll of a missing path
	}
	if err := protect(op, name, r); err != nil {
		return err
	}
	return pathErr(r.be, op, name, r.be.fs.RemoveAll(r.rel))
}

// Rename renames oldname to newname inside one backend. Neither may be the
// root, a mount point or a synthetic folder (ErrProtected); a rename
// between two backends fails with an error wrapping [syscall.EXDEV]
// without copying anything (VF-08).
func (t *MountTable) Rename(oldname, newname string) error {
	const op = "rename"
	linkErr := func(err error) error { return &os.LinkError{Op: op, Old: oldname, New: newname, Err: err} }
	if !vpath.IsCanonical(oldname) || !vpath.IsCanonical(newname) {
		return linkErr(fs.ErrInvalid)
	}
	from, to := t.route(oldname), t.route(newname)
	switch {
	case from.kind == kindRoot || from.kind == kindMount || from.kind == kindSynthetic,
		to.kind == kindRoot || to.kind == kindMount || to.kind == kindSynthetic:
		return linkErr(ErrProtected)
	case from.kind == kindUnderSynthetic:
		return linkErr(fs.ErrNotExist)
	case to.kind == kindUnderSynthetic:
		return linkErr(ErrProtected)
	case from.be != to.be:
		return linkErr(syscall.EXDEV)
	}
	err := from.be.fs.Rename(from.rel, to.rel)
	if err == nil || from.be.mount == "" {
		return err
	}
	return linkErr(stripPath(err))
}

// Stat returns a FileInfo describing the named file. A mount point reports
// its backend's root under the mount point's name, or a synthetic directory
// if that fails (VF-12); a synthetic folder reports a directory with mode
// 0555 (VF-05).
func (t *MountTable) Stat(name string) (os.FileInfo, error) {
	const op = "stat"
	r, err := t.resolve(op, name)
	if err != nil {
		return nil, err
	}
	return t.stat(op, name, r, func(fsys afero.Fs, name string) (os.FileInfo, error) { return fsys.Stat(name) })
}

// LstatIfPossible is [MountTable.Stat] without following a final symbolic
// link, when the owning backend implements afero.Lstater; the boolean
// reports whether it did.
func (t *MountTable) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	const op = "lstat"
	r, err := t.resolve(op, name)
	if err != nil {
		return nil, true, err
	}
	used := true
	fi, err := t.stat(op, name, r, func(fsys afero.Fs, name string) (os.FileInfo, error) {
		if l, ok := fsys.(afero.Lstater); ok {
			fi, ok, err := l.LstatIfPossible(name)
			used = ok
			return fi, err
		}
		used = false
		return fsys.Stat(name)
	})
	return fi, used, err
}

func (t *MountTable) stat(op, name string, r route, statFn func(afero.Fs, string) (os.FileInfo, error)) (os.FileInfo, error) {
	switch r.kind {
	case kindSynthetic:
		return syntheticInfo{name: r.node.name}, nil
	case kindUnderSynthetic:
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	case kindMount:
		return t.mountInfo(r.node, statFn), nil
	}
	fi, err := statFn(r.be.fs, r.rel)
	if err != nil {
		return nil, pathErr(r.be, op, name, err)
	}
	return fi, nil
}

// mountInfo describes the mount point node: the root of its backend under
// the node's name, or a synthetic directory if that is not available.
func (t *MountTable) mountInfo(node *mountNode, statFn func(afero.Fs, string) (os.FileInfo, error)) os.FileInfo {
	if statFn == nil {
		statFn = func(fsys afero.Fs, name string) (os.FileInfo, error) { return fsys.Stat(name) }
	}
	fi, err := statFn(node.mount.fs, "/")
	if err != nil || fi == nil || !fi.IsDir() {
		return syntheticInfo{name: node.name}
	}
	return namedInfo{FileInfo: fi, name: node.name}
}

// childInfo describes a virtual child listed in a directory.
func (t *MountTable) childInfo(node *mountNode) os.FileInfo {
	if node.mount != nil {
		return t.mountInfo(node, nil)
	}
	return syntheticInfo{name: node.name}
}

// setattr is shared by Chmod, Chown and Chtimes.
func (t *MountTable) setattr(op, name string, fn func(fsys afero.Fs, rel string) error) error {
	r, err := t.resolve(op, name)
	if err != nil {
		return err
	}
	if err := protect(op, name, r); err != nil {
		return err
	}
	return pathErr(r.be, op, name, fn(r.be.fs, r.rel))
}

// Chmod changes the mode of the named file. The root, mount points and
// synthetic folders are protected.
func (t *MountTable) Chmod(name string, mode os.FileMode) error {
	return t.setattr("chmod", name, func(fsys afero.Fs, rel string) error { return fsys.Chmod(rel, mode) })
}

// Chown changes the numeric uid and gid of the named file. The root, mount
// points and synthetic folders are protected.
func (t *MountTable) Chown(name string, uid, gid int) error {
	return t.setattr("chown", name, func(fsys afero.Fs, rel string) error { return fsys.Chown(rel, uid, gid) })
}

// Chtimes changes the access and modification times of the named file.
// The root, mount points and synthetic folders are protected.
func (t *MountTable) Chtimes(name string, atime, mtime time.Time) error {
	return t.setattr("chtimes", name, func(fsys afero.Fs, rel string) error { return fsys.Chtimes(rel, atime, mtime) })
}

// SymlinkIfPossible creates newname as a symbolic link to oldname in the
// backend that owns newname, if it implements afero.Symlinker.
//
// oldname is resolved lexically in the virtual namespace (relative to
// newname's directory, or from "/" if absolute). The target must be served
// by the same backend as the link, or the call fails with an error wrapping
// [ErrEscapesRoot]: a link can only be stored relative to its own backend.
// The backend receives the target relative to the link's directory.
// newname may not be the root, a mount point or a synthetic folder
// ([fs.ErrExist]) nor lie inside a synthetic folder ([ErrProtected]).
func (t *MountTable) SymlinkIfPossible(oldname, newname string) error {
	const op = "symlink"
	linkErr := func(err error) error { return &os.LinkError{Op: op, Old: oldname, New: newname, Err: err} }
	if !vpath.IsCanonical(newname) {
		return linkErr(fs.ErrInvalid)
	}
	r := t.route(newname)
	switch r.kind {
	case kindRoot, kindMount, kindSynthetic:
		return linkErr(fs.ErrExist)
	case kindUnderSynthetic:
		return linkErr(ErrProtected)
	}
	sl, ok := r.be.fs.(afero.Symlinker)
	if !ok {
		return linkErr(fmt.Errorf("vfs: backend cannot create symbolic links: %w", errors.ErrUnsupported))
	}
	dir := path.Dir(newname)
	target, ok := vpath.ResolveLink(dir, oldname)
	if !ok {
		return linkErr(ErrEscapesRoot)
	}
	tr := t.route(target)
	if (tr.kind != kindDelegate && tr.kind != kindRoot && tr.kind != kindMount) || tr.be != r.be {
		return linkErr(ErrEscapesRoot)
	}
	err := sl.SymlinkIfPossible(vpath.Rel(path.Dir(r.rel), tr.rel), r.rel)
	if err == nil || r.be.mount == "" {
		return err
	}
	return linkErr(stripPath(err))
}

// ReadlinkIfPossible returns the destination of the named symbolic link,
// read by the owning backend if it implements afero.LinkReader. An absolute
// destination from a mount's backend, which means relative to the mount's
// root, is returned as a virtual path below the mount point.
func (t *MountTable) ReadlinkIfPossible(name string) (string, error) {
	const op = "readlink"
	r, err := t.resolve(op, name)
	if err != nil {
		return "", err
	}
	switch r.kind {
	case kindSynthetic:
		return "", &fs.PathError{Op: op, Path: name, Err: syscall.EINVAL}
	case kindUnderSynthetic:
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	lr, ok := r.be.fs.(afero.LinkReader)
	if !ok {
		return "", &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("vfs: backend cannot read symbolic links: %w", errors.ErrUnsupported)}
	}
	text, err := lr.ReadlinkIfPossible(r.rel)
	if err != nil {
		return "", pathErr(r.be, op, name, err)
	}
	if r.be.mount != "" && path.IsAbs(text) {
		text = path.Join(r.be.mount, text)
	}
	return text, nil
}

// Close closes the home and every mount backend that implements io.Closer,
// each at most once, and returns their errors joined. Later calls return
// the same result.
func (t *MountTable) Close() error {
	t.closeOnce.Do(func() {
		var errs []error
		seen := make(map[any]bool)
		for _, be := range append([]*backend{t.home}, t.mounts...) {
			c, ok := be.fs.(io.Closer)
			if !ok {
				continue
			}
			if reflect.TypeOf(c).Comparable() {
				if seen[c] {
					continue
				}
				seen[c] = true
			}
			if err := c.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		t.closeErr = errors.Join(errs...)
	})
	return t.closeErr
}

// CheckCollisions implements the login-time check of VF-09 against the
// real entries: for every mount path V and every proper prefix A of V
// (including "/") that is a real directory (the home root or another
// mount's root, for nested mounts per SPEC 6(d)), the next component of V
// must not exist as a real entry under A. A symbolic link counts, even a
// dangling one. With [MountOptions.CaseInsensitive] names are compared
// case-insensitively.
//
// It returns nil, a *[CollisionError] for the first collision in mount path
// order, or another error if a backend could not be inspected (the caller
// should then refuse the login too). A missing backend ([Missing]) has no
// entries.
func (t *MountTable) CheckCollisions() error {
	for _, m := range t.mounts {
		comps := strings.Split(m.mount[1:], "/")
		node := t.root
		for _, comp := range comps {
			var be *backend
			switch {
			case node == t.root:
				be = t.home
			case node.mount != nil:
				be = node.mount
			}
			if be != nil {
				found, err := t.exists(be, comp)
				if err != nil {
					return fmt.Errorf("vfs: checking virtual folder %s against real entries in %s: %w", m.mount, node.path, stripPath(err))
				}
				if found {
					return &CollisionError{Virtual: m.mount, Existing: path.Join(node.path, comp)}
				}
			}
			node = node.children[t.key(comp)]
		}
	}
	return nil
}

// exists reports whether name exists as a real entry in the root of be.
func (t *MountTable) exists(be *backend, name string) (bool, error) {
	if t.fold {
		f, err := be.fs.Open("/")
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return false, nil
			}
			return false, err
		}
		defer f.Close()
		names, err := f.Readdirnames(-1)
		if err != nil {
			return false, err
		}
		key := t.key(name)
		return slices.ContainsFunc(names, func(n string) bool { return t.key(n) == key }), nil
	}
	var err error
	if l, ok := be.fs.(afero.Lstater); ok {
		_, _, err = l.LstatIfPossible("/" + name)
	} else {
		_, err = be.fs.Stat("/" + name)
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// syntheticInfo describes a synthetic folder, or a mount point whose
// backend cannot be reached.
type syntheticInfo struct{ name string }

func (i syntheticInfo) Name() string       { return i.name }
func (i syntheticInfo) Size() int64        { return 0 }
func (i syntheticInfo) Mode() fs.FileMode  { return fs.ModeDir | 0o555 }
func (i syntheticInfo) ModTime() time.Time { return processStart }
func (i syntheticInfo) IsDir() bool        { return true }
func (i syntheticInfo) Sys() any           { return nil }

// namedInfo renames a FileInfo (the root of a mount's backend becomes the
// mount point's name).
type namedInfo struct {
	fs.FileInfo
	name string
}

func (i namedInfo) Name() string { return i.name }

// Missing returns the afero.Fs of a virtual folder whose real path does not
// exist (VF-12, SPEC 6(d)): every operation fails with an error wrapping
// [fs.ErrNotExist]. Mounted in a [MountTable], the mount point is still
// listed as a directory and still protected.
func Missing() afero.Fs { return missingFs{} }

type missingFs struct{}

func missing(op, name string) error { return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist} }

func (missingFs) Name() string                              { return "Missing" }
func (missingFs) Create(name string) (afero.File, error)    { return nil, missing("open", name) }
func (missingFs) Mkdir(name string, _ os.FileMode) error    { return missing("mkdir", name) }
func (missingFs) MkdirAll(name string, _ os.FileMode) error { return missing("mkdir", name) }
func (missingFs) Open(name string) (afero.File, error)      { return nil, missing("open", name) }
func (missingFs) Remove(name string) error                  { return missing("remove", name) }
func (missingFs) RemoveAll(name string) error               { return missing("removeall", name) }
func (missingFs) Stat(name string) (os.FileInfo, error)     { return nil, missing("stat", name) }
func (missingFs) Chmod(name string, _ os.FileMode) error    { return missing("chmod", name) }
func (missingFs) Chown(name string, _, _ int) error         { return missing("chown", name) }
func (missingFs) Chtimes(name string, _, _ time.Time) error { return missing("chtimes", name) }
func (missingFs) Rename(oldname, newname string) error {
	return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
}
func (missingFs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	return nil, true, missing("lstat", name)
}
func (missingFs) SymlinkIfPossible(oldname, newname string) error {
	return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: fs.ErrNotExist}
}
func (missingFs) ReadlinkIfPossible(name string) (string, error) {
	return "", missing("readlink", name)
}
func (missingFs) OpenFile(name string, _ int, _ os.FileMode) (afero.File, error) {
	return nil, missing("open", name)
}

// mountFile is a file served through a MountTable: a file of a mount's
// backend (named by its virtual path, errors rewritten), a directory with
// virtual children (the root or a mount point), or a synthetic folder
// (f == nil).
type mountFile struct {
	t    *MountTable
	f    afero.File // nil for a synthetic folder
	be   *backend   // owner of f
	name string     // virtual path
	node *mountNode // virtual children to list, if any

	mu   sync.Mutex // guards the listing state below
	vpos int        // virtual children already listed
	eof  bool       // f's listing is exhausted
}

// err rewrites a file error so that it names the virtual path. Errors
// without a path (io.EOF, ...) are returned unchanged.
func (f *mountFile) err(err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: f.name, Err: stripPath(err)}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return &fs.PathError{Op: le.Op, Path: f.name, Err: stripPath(err)}
	}
	return err
}

func (f *mountFile) isDirErr(op string) error {
	return &fs.PathError{Op: op, Path: f.name, Err: syscall.EISDIR}
}

// Name returns the virtual path the file was opened by.
func (f *mountFile) Name() string { return f.name }

// Close closes the underlying file.
func (f *mountFile) Close() error {
	if f.f == nil {
		return nil
	}
	return f.err(f.f.Close())
}

func (f *mountFile) Read(p []byte) (int, error) {
	if f.f == nil {
		return 0, f.isDirErr("read")
	}
	n, err := f.f.Read(p)
	return n, f.err(err)
}

func (f *mountFile) ReadAt(p []byte, off int64) (int, error) {
	if f.f == nil {
		return 0, f.isDirErr("read")
	}
	n, err := f.f.ReadAt(p, off)
	return n, f.err(err)
}

// Seek moves the file offset. Seeking a directory to its start restarts
// its listing, virtual children included.
func (f *mountFile) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	if f.f != nil {
		var err error
		if n, err = f.f.Seek(offset, whence); err != nil {
			return n, f.err(err)
		}
	}
	if offset == 0 && whence == io.SeekStart {
		f.vpos, f.eof = 0, false
	}
	return n, nil
}

func (f *mountFile) Write(p []byte) (int, error) {
	if f.f == nil {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: ErrProtected}
	}
	n, err := f.f.Write(p)
	return n, f.err(err)
}

func (f *mountFile) WriteAt(p []byte, off int64) (int, error) {
	if f.f == nil {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: ErrProtected}
	}
	n, err := f.f.WriteAt(p, off)
	return n, f.err(err)
}

func (f *mountFile) WriteString(s string) (int, error) {
	if f.f == nil {
		return 0, &fs.PathError{Op: "write", Path: f.name, Err: ErrProtected}
	}
	n, err := f.f.WriteString(s)
	return n, f.err(err)
}

func (f *mountFile) Stat() (os.FileInfo, error) {
	if f.f == nil {
		return syntheticInfo{name: f.node.name}, nil
	}
	fi, err := f.f.Stat()
	if err != nil {
		return nil, f.err(err)
	}
	if f.node != nil && f.node.mount != nil {
		return namedInfo{FileInfo: fi, name: f.node.name}, nil
	}
	return fi, nil
}

func (f *mountFile) Sync() error {
	if f.f == nil {
		return nil
	}
	return f.err(f.f.Sync())
}

func (f *mountFile) Truncate(size int64) error {
	if f.f == nil {
		return &fs.PathError{Op: "truncate", Path: f.name, Err: ErrProtected}
	}
	return f.err(f.f.Truncate(size))
}

// Readdir lists the directory: its virtual children first (as
// directories), then the real entries whose names are not hidden by a
// virtual child (VF-04, VF-10). Pages work like [os.File.Readdir].
func (f *mountFile) Readdir(count int) ([]os.FileInfo, error) {
	if f.node == nil {
		fis, err := f.f.Readdir(count)
		return fis, f.err(err)
	}
	return readPage(f, count, f.t.childInfo, func(n int) ([]os.FileInfo, error) { return f.f.Readdir(n) },
		func(fi os.FileInfo) string { return fi.Name() })
}

// Readdirnames is [mountFile.Readdir] returning names only.
func (f *mountFile) Readdirnames(count int) ([]string, error) {
	if f.node == nil {
		names, err := f.f.Readdirnames(count)
		return names, f.err(err)
	}
	return readPage(f, count, func(n *mountNode) string { return n.name },
		func(n int) ([]string, error) { return f.f.Readdirnames(n) },
		func(s string) string { return s })
}

// readPage returns the next count entries (all remaining ones if count <=
// 0) of a directory with virtual children: virtual ones first, then those
// of real(), skipping names a virtual child hides.
func readPage[T any](f *mountFile, count int, virtual func(*mountNode) T, real func(int) ([]T, error), nameOf func(T) string) ([]T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	node := f.node
	var out []T
	for f.vpos < len(node.names) && (count <= 0 || len(out) < count) {
		out = append(out, virtual(node.children[node.names[f.vpos]]))
		f.vpos++
	}
	if f.f == nil {
		f.eof = true
	}
	for !f.eof && (count <= 0 || len(out) < count) {
		n := -1
		if count > 0 {
			n = count - len(out)
		}
		items, err := real(n)
		for _, it := range items {
			if _, hidden := node.children[f.t.key(nameOf(it))]; !hidden {
				out = append(out, it)
			}
		}
		if err == io.EOF || (err == nil && (n <= 0 || len(items) == 0)) {
			f.eof = true
			break
		}
		if err != nil {
			return out, f.err(err)
		}
	}
	if count > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// Interface checks.
var (
	_ afero.Fs         = (*MountTable)(nil)
	_ afero.Lstater    = (*MountTable)(nil)
	_ afero.Symlinker  = (*MountTable)(nil)
	_ afero.LinkReader = (*MountTable)(nil)
	_ io.Closer        = (*MountTable)(nil)
	_ afero.File       = (*mountFile)(nil)
	_ afero.Fs         = missingFs{}
	_ afero.Lstater    = missingFs{}
	_ afero.Symlinker  = missingFs{}
)
