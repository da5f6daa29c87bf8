package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/afero"

	"github.com/sftpkit/sftpkit/internal/vpath"
)

// Errors of PrepareHome. They say what is wrong without the path, which
// the caller knows.
var (
	// ErrHomeMissing: the home does not exist and may not be created (HOME-14).
	ErrHomeMissing = errors.New("vfs: home folder does not exist")
	// ErrHomeNotDir: the home exists but is not a directory (HOME-16).
	ErrHomeNotDir = errors.New("vfs: home folder is not a directory")
	// ErrHomeNotAbs: the home path is not absolute (HOME-08).
	ErrHomeNotAbs = errors.New("vfs: home folder path is not absolute")
)

// PrepareHome makes sure the account home dir exists before a session is
// served from it. When it is missing and create is true it is created with
// its missing parents, mode 0700 (SPEC 4(d)); created reports whether that
// happened. Call it only after the credentials were verified (HOME-15): a
// failed login must never create anything.
func PrepareHome(dir string, create bool) (created bool, err error) {
	if !filepath.IsAbs(dir) {
		return false, ErrHomeNotAbs
	}
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		return false, nil
	case err == nil:
		return false, ErrHomeNotDir
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("vfs: home folder: %w", err)
	case !create:
		return false, ErrHomeMissing
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("vfs: creating home folder: %w", err)
	}
	return true, nil
}

// CreateStructure creates the directories of a home_folder_structure in
// fsys (the session's filesystem, so "/" is the home), in order (SPEC §5):
// each entry is a path relative to the home (a leading or trailing '/' is
// ignored), and its parent must already exist — parents are never created
// implicitly (HFS-02/03). An existing directory is fine; anything else that
// fails is reported, one error per entry, and the remaining entries are
// still tried (HFS-05). mode is the new directories' mode.
func CreateStructure(fsys afero.Fs, entries []string, mode fs.FileMode) []error {
	var errs []error
	for _, e := range entries {
		name, err := vpath.Canonical(e)
		if err != nil || name == "/" {
			errs = append(errs, fmt.Errorf("vfs: home folder structure entry %q: invalid path", e))
			continue
		}
		err = fsys.Mkdir(name, mode.Perm())
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := fsys.Stat(name); serr == nil && fi.IsDir() {
				continue
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("vfs: home folder structure entry %q: %w", e, cause(err)))
		}
	}
	return errs
}
