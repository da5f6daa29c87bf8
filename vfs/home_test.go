package vfs

import (
	"errors"
	"os"
	"path/filepath"
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
