package directory

import (
	"context"
	"errors"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/keys"
)

// ErrBadCredentials: WebLogin's email and password do not match one
// active user.
var ErrBadCredentials = errors.New("directory: bad credentials")

// WebLogin checks the web login of the product modelled — a user's email
// and password (never the SFTP login ID) — and returns the user. The email
// is compared case-insensitively in every tenant; exactly one active user
// (not a contact) must have it with that password. Hashing work is spent
// whether or not the email exists.
func (d *Directory) WebLogin(ctx context.Context, email, password string) (User, error) {
	var candidates []User
	err := d.store.View(ctx, func(tx Tx) error {
		ts, err := tx.Tenants()
		if err != nil {
			return err
		}
		for _, t := range ts {
			u, err := tx.UserByEmail(t.ID, email)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if !u.IsContact() && u.Status == StatusActive && u.PasswordHash != "" {
				candidates = append(candidates, u)
			}
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	if len(candidates) == 0 {
		if h, err := d.dummyHash(); err == nil {
			auth.VerifyPassword(h, password)
		}
		return User{}, ErrBadCredentials
	}
	var match []User
	for _, u := range candidates {
		if ok, _ := auth.VerifyPassword(u.PasswordHash, password); ok {
			match = append(match, u)
		}
	}
	if len(match) != 1 {
		return User{}, ErrBadCredentials
	}
	return match[0], nil
}

// FindKey finds a key of the acting user's tenant by its ID, among the
// keys the actor may manage, and returns it with its owner's ID.
func (d *Directory) FindKey(ctx context.Context, actor, id string) (string, keys.Key, error) {
	users, err := d.Users(ctx, actor)
	if err != nil {
		return "", keys.Key{}, err
	}
	for _, u := range users {
		if u.IsContact() {
			continue
		}
		k, err := d.keys.Get(ctx, u.ID, id)
		if err == nil {
			if _, err := d.keyAccess(ctx, actor, u.ID); err != nil {
				return "", keys.Key{}, err
			}
			return u.ID, k, nil
		}
	}
	return "", keys.Key{}, keys.ErrKeyNotFound
}
