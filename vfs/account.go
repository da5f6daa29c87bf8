package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/groups"
)

// AccountOptions configure how PrepareAccount and OpenAccount serve an
// account resolved by package groups. The zero value is usable.
type AccountOptions struct {
	// RootOptions are passed to every NewRootFs (the home and each
	// virtual folder).
	RootOptions []RootOption
	// CaseInsensitive makes virtual folder matching case-insensitive (VF-14).
	CaseInsensitive bool
	// NewID generates amend_write_name prefixes; nil means random UUIDv4.
	NewID func() string
	// Atomic, when non-nil, turns atomic uploads on for every account, with
	// these options (such as a Validate hook run before publishing).
	// Otherwise they are on for accounts whose atomic_uploads says Yes.
	Atomic *AtomicOptions
	// Deletes schedules delayed deletes (ssh_delete_delay). Nil: the delay
	// is ignored and deletes are immediate.
	Deletes *DeleteScheduler
	// Quota returns an account's limits and its usage tracker, shared by
	// all its sessions. When nil, the limits are the account's
	// quota_max_bytes and quota_max_files, with usage kept in Usage.
	Quota func(eff *groups.Effective) (Quota, *QuotaUsage)
	// Usage keeps the usage of accounts with configured quotas; one
	// registry must serve all the sessions of a server. Nil: configured
	// quotas are not enforced.
	Usage *QuotaRegistry
	// Chown gives the folders PrepareAccount creates (the home, per-user
	// virtual folders) the owner and group of create_home_folder_owner and
	// _group (HOME-18). It is not called when both are the OS defaults
	// (${DEFAULT_OS_USER}, ${DEFAULT_OS_GROUP}); nil never changes owners.
	// An error refuses the login and leaves the created folder in place.
	Chown func(path, owner, group string) error
	// StructureCreateParents creates the missing parents of
	// home_folder_structure entries (SFTPPlus 5.x); off by default, as in
	// the reference (SPEC 5(d)).
	StructureCreateParents bool
}

// Prepared reports what PrepareAccount did.
type Prepared struct {
	HomeCreated bool
	// Created lists the real paths of virtual folders created (HOME-17).
	Created []string
	// StructureFailed holds the home_folder_structure entries not created
	// (HFS-02, HFS-05) or skipped inside a virtual folder (HFS-09).
	StructureFailed []error
	// MissingVirtualFolders lists the virtual paths whose real path does
	// not exist (VF-12).
	MissingVirtualFolders []string
	// Warnings holds all of the failures above, which do not refuse the
	// login.
	Warnings []error
}

// PrepareAccount readies the storage of an authenticated account, in the
// order SPEC §4–§6 give: the home (created when create_home_folder allows,
// HOME-14/15/16), the missing real paths of virtual folders written with
// ${USER} under the same condition (HOME-17), the collision check between
// virtual folders and real entries (VF-09, an error wrapping
// ErrVirtualFolderConflict), then home_folder_structure (HFS-08). Call it
// only after the credentials were verified: a failed login must create
// nothing.
func PrepareAccount(eff *groups.Effective, opt AccountOptions) (Prepared, error) {
	var p Prepared
	create := eff.CreateHomeFolder().Value
	created, err := PrepareHome(eff.Home().Value, create)
	if err != nil {
		return p, err
	}
	p.HomeCreated = created
	if created {
		if err := chown(eff, opt, eff.Home().Value); err != nil {
			return p, err
		}
	}
	if create {
		for _, vf := range eff.VirtualFolders() {
			if !vf.Value.PerUser {
				continue
			}
			if _, err := os.Stat(vf.Value.RealPath); errors.Is(err, fs.ErrNotExist) {
				if err := os.MkdirAll(vf.Value.RealPath, 0o700); err != nil {
					return p, fmt.Errorf("vfs: creating virtual folder %s: %w", vf.Value.VirtualPath, err)
				}
				p.Created = append(p.Created, vf.Value.RealPath)
				if err := chown(eff, opt, vf.Value.RealPath); err != nil {
					return p, err
				}
			}
		}
	}
	table, missing, err := openTable(eff, opt)
	if err != nil {
		return p, err
	}
	defer table.Close()
	p.MissingVirtualFolders = missing
	for _, m := range missing {
		p.Warnings = append(p.Warnings, fmt.Errorf("vfs: virtual folder %s: real path missing", m))
	}
	if err := table.CheckCollisions(); err != nil {
		return p, err
	}
	var entries []string
	for _, e := range eff.HomeFolderStructure() {
		if mp, inside := insideMount(e.Value, eff); inside {
			p.StructureFailed = append(p.StructureFailed, fmt.Errorf("vfs: home folder structure entry %q lies in virtual folder %s: skipped", e.Value, mp))
			continue
		}
		entries = append(entries, e.Value)
	}
	if opt.StructureCreateParents {
		entries = withParents(entries)
	}
	p.StructureFailed = append(p.StructureFailed, CreateStructure(table, entries, 0o755)...)
	p.Warnings = append(p.Warnings, p.StructureFailed...)
	return p, nil
}

// withParents lists every missing parent before its entry, once.
func withParents(entries []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		parts := strings.Split(strings.Trim(e, "/"), "/")
		for i := range parts {
			p := "/" + strings.Join(parts[:i+1], "/")
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// chown applies create_home_folder_owner/_group to a created folder.
func chown(eff *groups.Effective, opt AccountOptions, path string) error {
	owner, group := eff.CreateHomeFolderOwner().Value, eff.CreateHomeFolderGroup().Value
	if opt.Chown == nil || (owner == groups.DefaultOSUser && group == groups.DefaultOSGroup) {
		return nil
	}
	if err := opt.Chown(path, owner, group); err != nil {
		return fmt.Errorf("vfs: setting the owner of a created folder: %w", err)
	}
	return nil
}

// insideMount reports whether a structure entry equals or lies under one of
// the account's virtual folders (HFS-09).
func insideMount(entry string, eff *groups.Effective) (string, bool) {
	e := "/" + strings.Trim(entry, "/")
	for _, vf := range eff.VirtualFolders() {
		m := vf.Value.VirtualPath
		if e == m || strings.HasPrefix(e, m+"/") {
			return m, true
		}
	}
	return "", false
}

// OpenAccount returns the filesystem of one session of the account: its
// home jailed with RootFs, its virtual folders mounted (each its own
// RootFs jail, or Missing when the real path does not exist), and the
// upload and delete behaviours the account resolved to —
// amend_write_name, atomic uploads, quotas, ssh_delete_delay. Close the
// returned Fs (it implements io.Closer) when the session ends.
func OpenAccount(eff *groups.Effective, opt AccountOptions) (afero.Fs, error) {
	table, _, err := openTable(eff, opt)
	if err != nil {
		return nil, err
	}
	// Stacking order (see Quotas): quotas innermost so temporary upload
	// files are counted, then atomic uploads, then the name amendment.
	var fsys afero.Fs = table
	q, u, err := quotaOf(eff, opt, table)
	if err != nil {
		table.Close()
		return nil, err
	}
	if u != nil && (q.MaxBytes > 0 || q.MaxFiles > 0) {
		fsys = Quotas(fsys, q, u)
	}
	if opt.Atomic != nil || eff.AtomicUploads().Value {
		var a AtomicOptions
		if opt.Atomic != nil {
			a = *opt.Atomic
		}
		fsys = AtomicUploads(fsys, a)
	}
	if eff.AmendWriteName().Value == groups.AmendUUIDPrefix {
		fsys = AmendWriteNames(fsys, opt.NewID)
	}
	if fsys != afero.Fs(table) {
		fsys = decorated{Fs: fsys, table: table}
	}
	if d := eff.SSHDeleteDelay().Value; d > 0 && opt.Deletes != nil {
		fsys = DelayedDelete(fsys, opt.Deletes, d, eff.Name())
	}
	return fsys, nil
}

// quotaOf returns the limits and usage tracker of eff's session.
func quotaOf(eff *groups.Effective, opt AccountOptions, table afero.Fs) (Quota, *QuotaUsage, error) {
	if opt.Quota != nil {
		q, u := opt.Quota(eff)
		return q, u, nil
	}
	q := Quota{MaxBytes: eff.QuotaMaxBytes().Value, MaxFiles: eff.QuotaMaxFiles().Value}
	if opt.Usage == nil || (q.MaxBytes <= 0 && q.MaxFiles <= 0) {
		return q, nil, nil
	}
	u, err := opt.Usage.Usage(eff.Name(), table)
	return q, u, err
}

// QuotaRegistry keeps one QuotaUsage per account, shared by all the
// account's sessions, counted from storage at the account's first session.
// It is safe for concurrent use.
type QuotaRegistry struct {
	mu sync.Mutex
	m  map[string]*QuotaUsage
}

// NewQuotaRegistry returns an empty registry.
func NewQuotaRegistry() *QuotaRegistry { return &QuotaRegistry{m: map[string]*QuotaUsage{}} }

// Usage returns account's tracker, scanning fsys (everything the account's
// sessions can write: home and virtual folders) the first time.
func (r *QuotaRegistry) Usage(account string, fsys afero.Fs) (*QuotaUsage, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u, ok := r.m[account]; ok {
		return u, nil
	}
	bytes, files, err := ScanUsage(fsys)
	if err != nil {
		return nil, fmt.Errorf("vfs: counting the usage of %q: %w", account, err)
	}
	u := NewQuotaUsage(bytes, files)
	r.m[account] = u
	return u, nil
}

// decorated is the decorated stack with the mount table's Close and its
// link operations, which the upload decorators neither change nor forward.
type decorated struct {
	afero.Fs
	table *MountTable
}

func (d decorated) Close() error { return d.table.Close() }

func (d decorated) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	return d.table.LstatIfPossible(name)
}

func (d decorated) SymlinkIfPossible(oldname, newname string) error {
	return d.table.SymlinkIfPossible(oldname, newname)
}

func (d decorated) ReadlinkIfPossible(name string) (string, error) {
	return d.table.ReadlinkIfPossible(name)
}

// openTable builds the mount table of eff: home and virtual folders. It
// also returns the virtual paths whose real path is missing.
func openTable(eff *groups.Effective, opt AccountOptions) (*MountTable, []string, error) {
	home, err := NewRootFs(eff.Home().Value, opt.RootOptions...)
	if err != nil {
		return nil, nil, err
	}
	var (
		mounts  []Mount
		missing []string
	)
	closeAll := func() {
		home.Close()
		for _, m := range mounts {
			if c, ok := m.Fs.(io.Closer); ok {
				c.Close()
			}
		}
	}
	for _, vf := range eff.VirtualFolders() {
		m := Mount{Path: vf.Value.VirtualPath}
		rfs, err := NewRootFs(vf.Value.RealPath, opt.RootOptions...)
		switch {
		case err == nil:
			m.Fs = rfs
		case errors.Is(err, fs.ErrNotExist):
			m.Fs = Missing()
			missing = append(missing, vf.Value.VirtualPath)
		default:
			closeAll()
			return nil, nil, fmt.Errorf("vfs: virtual folder %s: %w", vf.Value.VirtualPath, err)
		}
		mounts = append(mounts, m)
	}
	table, err := NewMountTable(home, mounts, MountOptions{CaseInsensitive: opt.CaseInsensitive})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return table, missing, nil
}
