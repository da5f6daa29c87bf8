package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestStateStores_UpdateAndGet(t *testing.T) {
	fs, err := NewFileStateStore(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]StateStore{"memory": NewMemoryStateStore(), "file": fs} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if got, err := s.Get(ctx, "nobody"); err != nil || got.Disabled || got.History != nil {
				t.Fatalf("unknown account: %+v, %v", got, err)
			}
			var wg sync.WaitGroup
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.Update(ctx, "a", func(st *AccountState) error {
						st.History = append(st.History, "h")
						return nil
					})
				}()
			}
			wg.Wait()
			got, _ := s.Get(ctx, "a")
			if len(got.History) != 20 {
				t.Fatalf("concurrent updates lost: %d", len(got.History))
			}
			got.History[0] = "changed" // Get returns a copy
			boom := errors.New("boom")
			if err := s.Update(ctx, "a", func(st *AccountState) error { st.Disabled = true; return boom }); !errors.Is(err, boom) {
				t.Fatalf("Update error = %v", err)
			}
			got, _ = s.Get(ctx, "a")
			if got.Disabled || got.History[0] != "h" {
				t.Fatalf("state changed by a failed update or a copy: %+v", got)
			}
		})
	}
}

func TestFileStateStore_PersistenceAndAtomicity(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	ctx := context.Background()
	s, err := NewFileStateStore(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	want := AccountState{PasswordHash: "$argon2id$x", ConfigPasswordHash: "$6$y", LastPasswordUpdate: at, LastLogin: at,
		Created: at, LastAdminChange: at, Disabled: true, DisabledReason: "inactivity", DisabledAt: at, History: []string{"a", "b"}}
	if err := s.Update(ctx, "alice", func(st *AccountState) error { *st = want; return nil }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	s2, err := NewFileStateStore(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s2.Get(ctx, "alice")
	if got.PasswordHash != want.PasswordHash || !got.LastLogin.Equal(at) || !got.Disabled || got.DisabledReason != "inactivity" ||
		len(got.History) != 2 || !got.LastAdminChange.Equal(at) || got.ConfigPasswordHash != want.ConfigPasswordHash {
		t.Fatalf("reloaded %+v, want %+v", got, want)
	}
	// A write that cannot happen changes nothing, in memory or on disk.
	before, _ := os.ReadFile(path)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if os.Geteuid() != 0 {
		if err := s2.Update(ctx, "alice", func(st *AccountState) error { st.Disabled = false; return nil }); err == nil {
			t.Fatal("update succeeded in a read-only directory")
		}
		if got, _ := s2.Get(ctx, "alice"); !got.Disabled {
			t.Fatal("failed write changed the in-memory state")
		}
	}
	os.Chmod(dir, 0o700)
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("file changed by a failed update")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	// A corrupt file is an error, not an empty store.
	os.WriteFile(path, []byte("{not json"), 0o600)
	if _, err := NewFileStateStore(path); err == nil {
		t.Fatal("corrupt state file accepted")
	}
}
