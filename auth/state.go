package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// AccountState is what the server remembers about an account on top of the
// administrator's text configuration, which it never writes: a password the
// user changed, the lifecycle timestamps and the automatic disabling
// (SPEC §15, §16). The zero value means "nothing recorded".
type AccountState struct {
	// PasswordHash is a hash set by a self-service change or by
	// [Configured.AdminResetPassword]; it overrides the configured password
	// while the configured one is still ConfigPasswordHash. Empty: the
	// configured password applies.
	PasswordHash string `json:"password_hash,omitempty"`
	// ConfigPasswordHash is the configured hash that PasswordHash replaced.
	// When the configuration's hash no longer equals it, an administrator
	// has set a new password in the configuration, and that one wins.
	ConfigPasswordHash string `json:"config_password_hash,omitempty"`
	// LastPasswordUpdate is when the password was last set (by a change,
	// or taken as "now" when unknown, PWD-12). The later of it and the
	// configured last_password_update applies.
	LastPasswordUpdate time.Time `json:"last_password_update,omitzero"`
	// LastLogin is the last successful authentication (INACT-04).
	LastLogin time.Time `json:"last_login,omitzero"`
	// Created is set to now when the account had neither a login nor a
	// creation time while the inactivity rule applied (INACT-05); the
	// later of it and the configured created applies.
	Created time.Time `json:"created,omitzero"`
	// LastAdminChange is when an administrator last re-enabled the account
	// or set its password; it starts the inactivity grace (INACT-07).
	LastAdminChange time.Time `json:"last_admin_change,omitzero"`
	// Disabled is set when the lifecycle disabled the account
	// (password-expired, inactivity); only an administrator clears it
	// ([Configured.AdminResetPassword], [Configured.AdminEnable], or by
	// editing the store).
	Disabled       bool      `json:"disabled,omitempty"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
	DisabledAt     time.Time `json:"disabled_at,omitzero"`
	// History holds the hashes of the current and previous passwords,
	// newest first, as kept by [PasswordPolicy.UpdateHistory] (PWD-04).
	History []string `json:"history,omitempty"`
}

func (s AccountState) clone() AccountState {
	s.History = slices.Clone(s.History)
	return s
}

// StateStore keeps the [AccountState] of every account, keyed by account
// name. Implementations must be safe for concurrent use; Update must apply
// f atomically with respect to other calls for the same account.
type StateStore interface {
	// Get returns the account's state; an account never recorded has the
	// zero AccountState and no error.
	Get(ctx context.Context, name string) (AccountState, error)
	// Update calls f with the account's current state (the zero value if
	// none) and stores what f leaves in it, unless f returns an error,
	// which Update returns.
	Update(ctx context.Context, name string, f func(*AccountState) error) error
}

// MemoryStateStore is a [StateStore] in memory: state is lost when the
// process ends. It is safe for concurrent use.
type MemoryStateStore struct {
	mu sync.Mutex
	m  map[string]AccountState
}

// NewMemoryStateStore returns an empty in-memory store.
func NewMemoryStateStore() *MemoryStateStore {
	return &MemoryStateStore{m: make(map[string]AccountState)}
}

// Get implements StateStore.
func (s *MemoryStateStore) Get(_ context.Context, name string) (AccountState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name].clone(), nil
}

// Update implements StateStore.
func (s *MemoryStateStore) Update(_ context.Context, name string, f func(*AccountState) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[name].clone()
	if err := f(&st); err != nil {
		return err
	}
	s.m[name] = st
	return nil
}

// FileStateStore is a [StateStore] kept in one JSON file (an object of
// account name → state). Every Update rewrites the whole file atomically:
// written to a temporary file in the same directory, synced, then renamed
// over the old one, so a crash leaves either the old or the new content.
// The file is read once, by NewFileStateStore; it must not be shared by
// two processes. It is safe for concurrent use. The file holds password
// hashes and is created with mode 0600.
type FileStateStore struct {
	path string
	mu   sync.Mutex
	m    map[string]AccountState
}

// NewFileStateStore opens the store at path, reading it if it exists; a
// missing file is an empty store (created at the first Update). The
// directory must exist.
func NewFileStateStore(path string) (*FileStateStore, error) {
	s := &FileStateStore{path: path, m: make(map[string]AccountState)}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("auth: state store: %w", err)
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &s.m); err != nil {
			return nil, fmt.Errorf("auth: state store %s: %w", path, err)
		}
		if s.m == nil {
			s.m = make(map[string]AccountState)
		}
	}
	return s, nil
}

// Get implements StateStore.
func (s *FileStateStore) Get(_ context.Context, name string) (AccountState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[name].clone(), nil
}

// Update implements StateStore. The change is visible to Get only once it
// is on disk; if writing fails, nothing changes.
func (s *FileStateStore) Update(_ context.Context, name string, f func(*AccountState) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.m[name].clone()
	if err := f(&st); err != nil {
		return err
	}
	next := maps.Clone(s.m)
	next[name] = st
	if err := s.write(next); err != nil {
		return err
	}
	s.m = next
	return nil
}

// Names returns the names of the accounts with a recorded state, sorted.
func (s *FileStateStore) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.m))
}

func (s *FileStateStore) write(m map[string]AccountState) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: state store: %w", err)
	}
	data = append(data, '\n')
	dir := filepath.Dir(s.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("auth: state store: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: state store: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: state store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: state store: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("auth: state store: %w", err)
	}
	if d, err := os.Open(dir); err == nil { // make the rename durable
		d.Sync()
		d.Close()
	}
	return nil
}
