package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepareHome(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o644)
	existing := filepath.Join(base, "existing")
	os.Mkdir(existing, 0o755)
	tests := []struct {
		name    string
		dir     string
		create  bool
		created bool
		err     error
	}{
		{"HOME-14 missing, no create", filepath.Join(base, "a"), false, false, ErrHomeMissing},
		{"HOME-15 missing, create with parents", filepath.Join(base, "b", "c", "d"), true, true, nil},
		{"existing", existing, false, false, nil},
		{"HOME-16 regular file", file, true, false, ErrHomeNotDir},
		{"HOME-08 relative", "rel/home", true, false, ErrHomeNotAbs},
	}
	for _, tt := range tests {
		created, err := PrepareHome(tt.dir, tt.create)
		if created != tt.created || !errors.Is(err, tt.err) {
			t.Errorf("%s: PrepareHome = %v, %v; want %v, %v", tt.name, created, err, tt.created, tt.err)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "a")); err == nil {
		t.Error("HOME-14: created although create was false")
	}
	if fi, err := os.Stat(filepath.Join(base, "b", "c", "d")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("HOME-15: %v, %v", fi, err)
	}
}

func TestCreateStructure(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		exist   []string
		missing []string
		errs    int
	}{
		{"HFS-01 parents first", []string{"/pull", "/pull/invoices"}, []string{"pull", "pull/invoices"}, nil, 0},
		{"HFS-02 no implicit parents", []string{"/pull/invoices"}, nil, []string{"pull", "pull/invoices"}, 1},
		{"HFS-03 order matters", []string{"/pull/invoices", "/pull"}, []string{"pull"}, []string{"pull/invoices"}, 1},
		{"HFS-04 slashes ignored", []string{"/outbox/", "inbox"}, []string{"outbox", "inbox"}, nil, 0},
		{"HFS-05 existing dir and file", []string{"/d", "/f", "/g"}, []string{"d", "g"}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			os.Mkdir(filepath.Join(home, "d"), 0o755)
			os.WriteFile(filepath.Join(home, "f"), nil, 0o644)
			fsys, err := NewRootFs(home)
			if err != nil {
				t.Fatal(err)
			}
			defer fsys.Close()
			errs := CreateStructure(fsys, tt.entries, 0o755)
			if len(errs) != tt.errs {
				t.Errorf("errors = %v, want %d", errs, tt.errs)
			}
			for _, e := range tt.exist {
				if fi, err := os.Stat(filepath.Join(home, e)); err != nil || !fi.IsDir() {
					t.Errorf("%s not created", e)
				}
			}
			for _, e := range tt.missing {
				if _, err := os.Stat(filepath.Join(home, e)); err == nil {
					t.Errorf("%s created", e)
				}
			}
			for _, err := range errs {
				if strings.Contains(err.Error(), home) {
					t.Errorf("error names the host path: %v", err)
				}
			}
		})
	}
}
