package keys

import (
	"context"
	"time"

	"golang.org/x/crypto/ssh"
)

// Party describes a user for [CanManageKeys]: the one acting, or the owner
// of the keys.
type Party struct {
	// Name is the account name; empty never matches.
	Name string
	// Tenant is the organisation the user belongs to.
	Tenant string
	// Admin is true for the tenant's owner and administrators.
	Admin bool
	// Restricted is true for jailed and associate users.
	Restricted bool
	// SFTPEnabled is true when the user may use SFTP.
	SFTPEnabled bool
}

// CanManageKeys reports whether actor may add, list, edit and delete the
// keys of owner (QKEY-06): nil, or an error wrapping [ErrForbidden]. Users
// of another tenant never may; an administrator of the tenant may manage
// anyone's keys in it; any other user only their own, and a jailed or
// associate user only while SFTP is enabled for them.
func CanManageKeys(actor, owner Party) error {
	switch {
	case actor.Name == "" || owner.Name == "" || actor.Tenant != owner.Tenant:
		return ErrForbidden
	case actor.Admin:
		return nil
	case actor.Name != owner.Name:
		return ErrForbidden
	case actor.Restricted && !actor.SFTPEnabled:
		return ErrForbidden
	}
	return nil
}

// AuthorizeFunc decides whether the caller identified by ctx may manage
// owner's keys; it returns nil or an error (usually wrapping
// [ErrForbidden]). A typical implementation reads the actor from ctx and
// calls [CanManageKeys].
type AuthorizeFunc func(ctx context.Context, owner string) error

// Guard returns a Store that calls authorize before every call of s and
// returns its error unchanged when it refuses. Use it for the key
// management API; the login path, which acts for the system, uses s
// directly.
func Guard(s Store, authorize AuthorizeFunc) Store {
	return guarded{s: s, authorize: authorize}
}

type guarded struct {
	s         Store
	authorize AuthorizeFunc
}

func (g guarded) Add(ctx context.Context, owner string, k Key) (Key, error) {
	if err := g.authorize(ctx, owner); err != nil {
		return Key{}, err
	}
	return g.s.Add(ctx, owner, k)
}

func (g guarded) Get(ctx context.Context, owner, id string) (Key, error) {
	if err := g.authorize(ctx, owner); err != nil {
		return Key{}, err
	}
	return g.s.Get(ctx, owner, id)
}

func (g guarded) List(ctx context.Context, owner string) ([]Key, error) {
	if err := g.authorize(ctx, owner); err != nil {
		return nil, err
	}
	return g.s.List(ctx, owner)
}

func (g guarded) Update(ctx context.Context, owner, id string, u Update) (Key, error) {
	if err := g.authorize(ctx, owner); err != nil {
		return Key{}, err
	}
	return g.s.Update(ctx, owner, id, u)
}

func (g guarded) Delete(ctx context.Context, owner, id string) error {
	if err := g.authorize(ctx, owner); err != nil {
		return err
	}
	return g.s.Delete(ctx, owner, id)
}

func (g guarded) Touch(ctx context.Context, owner, id string, at time.Time) error {
	if err := g.authorize(ctx, owner); err != nil {
		return err
	}
	return g.s.Touch(ctx, owner, id, at)
}

func (g guarded) Find(ctx context.Context, owner string, pub ssh.PublicKey) (Key, error) {
	if err := g.authorize(ctx, owner); err != nil {
		return Key{}, err
	}
	return g.s.Find(ctx, owner, pub)
}
