package directory

import (
	"context"
	"time"

	"github.com/sftpkit/sftpkit/keys"
)

// keyAccess checks that actor may manage owner's keys (QKEY-06) and
// returns the owner.
func (d *Directory) keyAccess(ctx context.Context, actor, owner string) (User, error) {
	var o User
	err := d.store.View(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		if o, err = d.target(tx, t, owner); err != nil {
			return err
		}
		if o.IsContact() {
			return ErrNotFound
		}
		return keys.CanManageKeys(party(a), party(o))
	})
	return o, err
}

// party is what keys.CanManageKeys needs to know of a user.
func party(u User) keys.Party {
	return keys.Party{Name: u.ID, Tenant: u.Tenant, Admin: manager(u),
		Restricted: u.Class == ClassJailed || u.Class == ClassAssociate, SFTPEnabled: u.SFTP}
}

// AddKey adds an SSH key to a user (QKEY-01, QKEY-02): title, the public
// key text (an OpenSSH line or an RFC 4716 block) and an optional expiry
// (zero: none). The owner is notified with the key's metadata (QKEY-07).
func (d *Directory) AddKey(ctx context.Context, actor, owner, title, keyText string, expires time.Time) (keys.Key, error) {
	o, err := d.keyAccess(ctx, actor, owner)
	if err != nil {
		return keys.Key{}, err
	}
	k, err := keys.NewKey(title, keyText, expires)
	if err != nil {
		return keys.Key{}, err
	}
	k, err = d.keys.Add(ctx, o.ID, k)
	if err != nil {
		return keys.Key{}, err
	}
	d.keyNote(ctx, NotifyKeyAdded, o, k)
	return k, nil
}

// Keys lists a user's keys, whatever their state (QKEY-04).
func (d *Directory) Keys(ctx context.Context, actor, owner string) ([]keys.Key, error) {
	o, err := d.keyAccess(ctx, actor, owner)
	if err != nil {
		return nil, err
	}
	return d.keys.List(ctx, o.ID)
}

// UpdateKey changes a key's title, status or expiry (QKEY-03); the key
// material cannot change. A status change is notified.
func (d *Directory) UpdateKey(ctx context.Context, actor, owner, id string, u keys.Update) (keys.Key, error) {
	o, err := d.keyAccess(ctx, actor, owner)
	if err != nil {
		return keys.Key{}, err
	}
	before, err := d.keys.Get(ctx, o.ID, id)
	if err != nil {
		return keys.Key{}, err
	}
	k, err := d.keys.Update(ctx, o.ID, id, u)
	if err != nil {
		return keys.Key{}, err
	}
	if k.Status != before.Status {
		d.keyNote(ctx, NotifyKeyStatusChanged, o, k)
	}
	return k, nil
}

// DeleteKey deletes a key (QKEY-04); the owner is notified.
func (d *Directory) DeleteKey(ctx context.Context, actor, owner, id string) error {
	o, err := d.keyAccess(ctx, actor, owner)
	if err != nil {
		return err
	}
	k, err := d.keys.Get(ctx, o.ID, id)
	if err != nil {
		return err
	}
	if err := d.keys.Delete(ctx, o.ID, id); err != nil {
		return err
	}
	d.keyNote(ctx, NotifyKeyDeleted, o, k)
	return nil
}

func (d *Directory) keyNote(ctx context.Context, kind NotificationKind, o User, k keys.Key) {
	now := d.now()
	d.send(ctx, []Notification{{Kind: kind, Tenant: o.Tenant, User: o.ID, Email: o.Email, Name: o.Name, At: now,
		Key: &keys.Notification{Owner: o.ID, KeyID: k.ID, Title: k.Title, Fingerprint: k.Fingerprint,
			Algorithm: k.Algorithm, ExpiresAt: k.ExpiresAt, Status: k.Status, At: now}}})
}
