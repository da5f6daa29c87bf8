package directory

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sftpkit/sftpkit/keys"
)

// Store keeps a directory. Every change the directory makes runs in one
// Update transaction, so a refused call changes nothing and a call that
// touches several rows changes all of them or none. Implementations must
// make concurrent Update transactions behave as if run one after the
// other (serialisable): licence counting relies on it (QLIC-03).
type Store interface {
	// Update runs fn in a read-write transaction: committed if fn returns
	// nil, rolled back otherwise (fn's error is returned).
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Keys is the store of the users' SSH keys, by user ID. Its
	// notifications are not used: the directory sends its own.
	Keys() keys.Store
}

// Tx reads and writes a directory inside a transaction. Lookups that find
// nothing return an error wrapping ErrNotFound.
type Tx interface {
	Tenant(id string) (Tenant, error)
	Tenants() ([]Tenant, error)
	// PutTenant inserts or replaces t.
	PutTenant(t Tenant) error
	// CountUsers returns the users (not contacts) of a tenant and those of
	// them with SFTP enabled.
	CountUsers(tenant string) (users, sftp int, err error)

	User(id string) (User, error)
	// UserByEmail finds a user or contact of tenant by email, compared
	// case-insensitively.
	UserByEmail(tenant, email string) (User, error)
	// UserByLoginID finds the user whose generated login ID is id, in any
	// tenant.
	UserByLoginID(id string) (User, error)
	// UserByCustomLogin finds the user of tenant whose custom login is
	// login (compared case-sensitively).
	UserByCustomLogin(tenant, login string) (User, error)
	// Users lists a tenant's users and contacts, oldest first.
	Users(tenant string) ([]User, error)
	// PutUser inserts or replaces u.
	PutUser(u User) error
	// DeleteUser removes a user and its project memberships.
	DeleteUser(id string) error

	// LoginIDUsed reports whether a generated login ID belongs to a user
	// or a tombstone, in any tenant.
	LoginIDUsed(id string) (bool, error)
	// Tombstone finds the tombstone of tenant and normalised email.
	Tombstone(tenant, email string) (Tombstone, error)
	// PutTombstone inserts or replaces the tombstone of (t.Tenant, t.Email).
	PutTombstone(t Tombstone) error

	Project(id string) (Project, error)
	// Projects lists a tenant's projects, oldest first.
	Projects(tenant string) ([]Project, error)
	PutProject(p Project) error
	// Members lists a project's members.
	Members(project string) ([]Member, error)
	// Memberships lists the projects a user is a member of.
	Memberships(user string) ([]Member, error)
	// PutMember sets a membership; PresetNone removes it.
	PutMember(m Member) error
	// DeleteKeys removes every SSH key of a user, with the transaction.
	DeleteKeys(owner string) error
}

// normEmail is the form emails are compared in.
func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// MemoryStore is the in-memory Store, for tests and single-process use.
// Update transactions run one at a time on a copy of the state that
// replaces it on commit; keys live in a keys.MemoryStore, and the keys a
// transaction deletes go when it commits.
type MemoryStore struct {
	mu   sync.RWMutex
	st   *memState
	keys *keys.MemoryStore
}

type memState struct {
	tenants    map[string]Tenant
	users      map[string]User
	tombstones map[[2]string]Tombstone
	projects   map[string]Project
	members    map[[2]string]Member // project, user
}

// NewMemoryStore returns an empty MemoryStore whose key store reads the
// clock now (nil: time.Now).
func NewMemoryStore(now func() time.Time) *MemoryStore {
	return &MemoryStore{st: &memState{
		tenants: map[string]Tenant{}, users: map[string]User{}, tombstones: map[[2]string]Tombstone{},
		projects: map[string]Project{}, members: map[[2]string]Member{},
	}, keys: keys.NewMemoryStore(keys.MemoryStoreOptions{Now: now})}
}

// Keys implements Store.
func (s *MemoryStore) Keys() keys.Store { return s.keys }

var _ Store = (*MemoryStore)(nil)

// Update implements Store.
func (s *MemoryStore) Update(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := &memState{
		tenants: maps.Clone(s.st.tenants), users: maps.Clone(s.st.users), tombstones: maps.Clone(s.st.tombstones),
		projects: maps.Clone(s.st.projects), members: maps.Clone(s.st.members),
	}
	tx := memTx{st: next, purge: new([]string)}
	if err := fn(tx); err != nil {
		return err
	}
	s.st = next
	for _, owner := range *tx.purge {
		ks, _ := s.keys.List(ctx, owner)
		for _, k := range ks {
			s.keys.Delete(ctx, owner, k.ID)
		}
	}
	return nil
}

// View implements Store.
func (s *MemoryStore) View(ctx context.Context, fn func(Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(memTx{st: s.st, purge: new([]string)})
}

// memTx is a transaction on a memState. Values are copied in and out, so
// callers never share memory with the store.
type memTx struct {
	st    *memState
	purge *[]string // owners whose keys go on commit
}

func (t memTx) DeleteKeys(owner string) error {
	*t.purge = append(*t.purge, owner)
	return nil
}

func (t memTx) Tenant(id string) (Tenant, error) {
	v, ok := t.st.tenants[id]
	if !ok {
		return Tenant{}, ErrNotFound
	}
	return v, nil
}

func (t memTx) Tenants() ([]Tenant, error) {
	return selectSorted(t.st.tenants, func(Tenant) bool { return true },
		func(a, b Tenant) int { return byCreated(a.Created, b.Created, a.ID, b.ID) }), nil
}

// selectSorted returns the values of m that keep accepts, ordered by cmp.
func selectSorted[K comparable, V any](m map[K]V, keep func(V) bool, cmp func(a, b V) int) []V {
	var out []V
	for _, v := range m {
		if keep(v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, cmp)
	return out
}

// byCreated orders oldest first, then by ID (the SQL store's ORDER BY
// created, id).
func byCreated(a, b time.Time, idA, idB string) int {
	if c := a.Compare(b); c != 0 {
		return c
	}
	return strings.Compare(idA, idB)
}

func (t memTx) PutTenant(v Tenant) error { t.st.tenants[v.ID] = v; return nil }

func (t memTx) CountUsers(tenant string) (users, sftp int, err error) {
	for _, u := range t.st.users {
		if u.Tenant == tenant && u.Kind == KindUser {
			users++
			if u.SFTP {
				sftp++
			}
		}
	}
	return users, sftp, nil
}

func (t memTx) User(id string) (User, error) {
	v, ok := t.st.users[id]
	if !ok {
		return User{}, ErrNotFound
	}
	return v, nil
}

func (t memTx) find(match func(User) bool) (User, error) {
	for _, u := range t.st.users {
		if match(u) {
			return u, nil
		}
	}
	return User{}, ErrNotFound
}

func (t memTx) UserByEmail(tenant, email string) (User, error) {
	e := normEmail(email)
	return t.find(func(u User) bool { return u.Tenant == tenant && normEmail(u.Email) == e })
}

func (t memTx) UserByLoginID(id string) (User, error) {
	if id == "" {
		return User{}, ErrNotFound
	}
	return t.find(func(u User) bool { return u.LoginID == id })
}

func (t memTx) UserByCustomLogin(tenant, login string) (User, error) {
	if login == "" {
		return User{}, ErrNotFound
	}
	return t.find(func(u User) bool { return u.Tenant == tenant && u.CustomLogin == login })
}

func (t memTx) Users(tenant string) ([]User, error) {
	return selectSorted(t.st.users, func(u User) bool { return u.Tenant == tenant },
		func(a, b User) int { return byCreated(a.Created, b.Created, a.ID, b.ID) }), nil
}

func (t memTx) PutUser(u User) error { t.st.users[u.ID] = u; return nil }

func (t memTx) DeleteUser(id string) error {
	if _, ok := t.st.users[id]; !ok {
		return ErrNotFound
	}
	delete(t.st.users, id)
	for k := range t.st.members {
		if k[1] == id {
			delete(t.st.members, k)
		}
	}
	return nil
}

func (t memTx) LoginIDUsed(id string) (bool, error) {
	if _, err := t.UserByLoginID(id); err == nil {
		return true, nil
	}
	for _, ts := range t.st.tombstones {
		if ts.LoginID == id {
			return true, nil
		}
	}
	return false, nil
}

func (t memTx) Tombstone(tenant, email string) (Tombstone, error) {
	v, ok := t.st.tombstones[[2]string{tenant, normEmail(email)}]
	if !ok {
		return Tombstone{}, ErrNotFound
	}
	return v, nil
}

func (t memTx) PutTombstone(v Tombstone) error {
	v.Email = normEmail(v.Email)
	t.st.tombstones[[2]string{v.Tenant, v.Email}] = v
	return nil
}

func (t memTx) Project(id string) (Project, error) {
	v, ok := t.st.projects[id]
	if !ok {
		return Project{}, ErrNotFound
	}
	return v, nil
}

func (t memTx) Projects(tenant string) ([]Project, error) {
	return selectSorted(t.st.projects, func(p Project) bool { return p.Tenant == tenant },
		func(a, b Project) int { return byCreated(a.Created, b.Created, a.ID, b.ID) }), nil
}

func (t memTx) PutProject(p Project) error { t.st.projects[p.ID] = p; return nil }

func (t memTx) Members(project string) ([]Member, error) {
	return selectSorted(t.st.members, func(m Member) bool { return m.Project == project },
		func(a, b Member) int { return strings.Compare(a.User, b.User) }), nil
}

func (t memTx) Memberships(user string) ([]Member, error) {
	return selectSorted(t.st.members, func(m Member) bool { return m.User == user },
		func(a, b Member) int { return strings.Compare(a.Project, b.Project) }), nil
}

func (t memTx) PutMember(m Member) error {
	k := [2]string{m.Project, m.User}
	if m.Preset == PresetNone {
		delete(t.st.members, k)
		return nil
	}
	t.st.members[k] = m
	return nil
}
