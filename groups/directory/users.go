package directory

import (
	"context"
	"errors"
	"strings"
)

// UserUpdate lists the fields UpdateUser changes; nil leaves a field as it is.
type UserUpdate struct {
	Name         *string
	Class        *Class
	Admin        *bool
	Billing      *bool
	SFTP         *bool
	LockSFTPHome *bool
	// CustomLogin sets the custom login; "" clears it.
	CustomLogin *string
	Password    *string
	Status      *Status
}

// UpdateUser changes a user. The acting user may change their own name and
// password; everything else, and other users, need the owner or an
// administrator (§22(c)). The owner's class, admin flag and status cannot be
// changed (QROLE-01); billing is granted by the owner only (QROLE-04).
func (d *Directory) UpdateUser(ctx context.Context, actor, id string, up UserUpdate) (User, error) {
	var out User
	var notes []Notification
	err := d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		u, err := d.target(tx, t, id)
		if err != nil {
			return err
		}
		if u.IsContact() {
			return ErrNotFound // contacts are managed with the contact calls
		}
		self := a.ID == u.ID
		adminFields := up.Class != nil || up.Admin != nil || up.Billing != nil || up.SFTP != nil ||
			up.LockSFTPHome != nil || up.CustomLogin != nil || up.Status != nil
		if (adminFields || !self) && !manager(a) {
			return ErrForbidden
		}
		if up.Name != nil {
			n := strings.TrimSpace(*up.Name)
			if n == "" {
				return ErrInvalid
			}
			u.Name = n
		}
		if up.Class != nil && *up.Class != u.Class {
			if u.Owner {
				return ErrOwnerImmutable
			}
			if err := checkClass(*up.Class); err != nil {
				return err
			}
			u.Class = *up.Class
		}
		if up.Admin != nil && *up.Admin != u.Admin {
			if u.Owner {
				return ErrOwnerImmutable // QROLE-01: the owner cannot be demoted
			}
			u.Admin = *up.Admin
		}
		if u.Admin && u.Class != ClassPro {
			return ErrAdminRequiresPro // QROLE-03, also when the class changes
		}
		if up.Billing != nil && *up.Billing != u.Billing {
			if !a.Owner || u.Owner {
				return ErrForbidden
			}
			u.Billing = *up.Billing
		}
		if u.Billing && u.Class == ClassJailed {
			return ErrBillingNotAllowed
		}
		if up.Status != nil && *up.Status != u.Status {
			switch {
			case *up.Status != StatusActive && *up.Status != StatusInactive:
				return ErrInvalid
			case u.Owner:
				return ErrOwnerImmutable
			}
			u.Status = *up.Status // the SFTP licence stays held (QLIC-05)
		}
		if up.LockSFTPHome != nil {
			u.LockSFTPHome = *up.LockSFTPHome
		}
		if up.CustomLogin != nil && *up.CustomLogin != u.CustomLogin {
			if err := d.setCustomLogin(tx, t, &u, *up.CustomLogin); err != nil {
				return err
			}
		}
		if up.SFTP != nil {
			if *up.SFTP {
				if notes, err = d.enableSFTP(tx, t, &u); err != nil {
					return err
				}
			} else {
				u.SFTP = false // the licence is released; the login ID stays (QLOGIN-03)
			}
		}
		if up.Password != nil {
			history := []string(nil)
			if u.PasswordHash != "" {
				history = []string{u.PasswordHash}
			}
			if u.PasswordHash, err = d.hash(*up.Password, history); err != nil {
				return err
			}
		}
		u.Modified = d.now()
		out = u
		return tx.PutUser(u)
	})
	if err != nil {
		return User{}, err
	}
	d.send(ctx, notes)
	return out, nil
}

// setCustomLogin applies QLOGIN-04, QLOGIN-05 and QLOGIN-08 to u.
func (d *Directory) setCustomLogin(tx Tx, t Tenant, u *User, login string) error {
	if login == "" {
		u.CustomLogin = ""
		return nil
	}
	if t.DedicatedEndpoint == "" {
		return ErrCustomLoginUnavailable
	}
	if err := checkLogin(login); err != nil {
		return err
	}
	if o, err := tx.UserByCustomLogin(t.ID, login); err == nil && o.ID != u.ID {
		return ErrLoginTaken
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	// No generated ID of the tenant, live or deleted, whoever owns it
	// (QLOGIN-05), nor any other tenant's live ID: a login resolves to
	// one user only.
	if o, err := tx.UserByLoginID(login); err == nil && o.ID != u.ID {
		return ErrLoginTaken
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if used, err := tx.LoginIDUsed(login); err != nil {
		return err
	} else if used && login != u.LoginID {
		return ErrLoginTaken
	}
	u.CustomLogin = login
	return nil
}

// target loads a user or contact of tenant t.
func (d *Directory) target(tx Tx, t Tenant, id string) (User, error) {
	u, err := tx.User(id)
	if err != nil {
		return User{}, err
	}
	if u.Tenant != t.ID {
		return User{}, ErrNotFound // other tenants do not exist for the actor
	}
	return u, nil
}

// DeleteUser deletes a user or contact. Its licences are released, its
// keys deleted, and its login ID kept in a tombstone for the same person
// (QLOGIN-03). The owner cannot be deleted; owner or administrator only.
func (d *Directory) DeleteUser(ctx context.Context, actor, id string) error {
	return d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		u, err := d.target(tx, t, id)
		if err != nil {
			return err
		}
		switch {
		case u.Kind == KindPersonalContact && u.CreatedBy == a.ID:
		case !manager(a):
			return ErrForbidden
		case u.Owner:
			return ErrOwnerImmutable
		}
		if u.LoginID != "" {
			if err := tx.PutTombstone(Tombstone{Tenant: t.ID, Email: u.Email, LoginID: u.LoginID}); err != nil {
				return err
			}
		}
		if err := tx.DeleteKeys(u.ID); err != nil {
			return err
		}
		return tx.DeleteUser(u.ID)
	})
}

// Users lists the users and contacts the acting user may see (§22(a)):
// owner and administrators see everyone; Pro users see users and site
// contacts and their own personal contacts; Associate users see Pro
// users; Jailed users see only themselves.
func (d *Directory) Users(ctx context.Context, actor string) ([]User, error) {
	var out []User
	err := d.store.View(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		all, err := tx.Users(t.ID)
		if err != nil {
			return err
		}
		for _, u := range all {
			if visible(a, u) {
				out = append(out, u)
			}
		}
		return nil
	})
	return out, err
}

// User returns one user or contact the acting user may see.
func (d *Directory) User(ctx context.Context, actor, id string) (User, error) {
	var out User
	err := d.store.View(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		u, err := d.target(tx, t, id)
		if err != nil {
			return err
		}
		if !visible(a, u) {
			return ErrNotFound
		}
		out = u
		return nil
	})
	return out, err
}

func visible(a, u User) bool {
	switch {
	case a.ID == u.ID, manager(a):
		return true
	case a.Class == ClassPro:
		return u.Kind == KindUser || u.Kind == KindSiteContact || (u.Kind == KindPersonalContact && u.CreatedBy == a.ID)
	case a.Class == ClassAssociate:
		return u.Kind == KindUser && u.Class == ClassPro
	}
	return false
}

// NewContact describes a contact for CreateContact.
type NewContact struct {
	Email, Name string
	// Site makes a site contact (owner and administrators only); otherwise
	// a personal contact of the acting user (owner, administrators, Pro).
	Site bool
}

// CreateContact creates a contact. Contacts hold no licence and never log in.
func (d *Directory) CreateContact(ctx context.Context, actor string, nc NewContact) (User, error) {
	var out User
	err := d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		kind := KindPersonalContact
		if nc.Site {
			kind = KindSiteContact
			if !manager(a) {
				return ErrForbidden
			}
		} else if !manager(a) && a.Class != ClassPro {
			return ErrForbidden
		}
		email, err := checkEmail(nc.Email)
		if err != nil {
			return err
		}
		if _, err := tx.UserByEmail(t.ID, email); err == nil {
			return ErrEmailInUse
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		name := strings.TrimSpace(nc.Name)
		if name == "" {
			name = email
		}
		now := d.now()
		out = User{ID: d.newID(), Tenant: t.ID, Kind: kind, Email: email, Name: name, Status: StatusActive,
			CreatedBy: a.ID, Created: now, Modified: now}
		return tx.PutUser(out)
	})
	return out, err
}

// ConvertContact makes a contact a user of class (ClassPro when empty),
// consuming a user licence (QLIC-07, QROLE-05). Owner or administrator only.
func (d *Directory) ConvertContact(ctx context.Context, actor, id string, class Class) (User, error) {
	var out User
	err := d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		if !manager(a) {
			return ErrForbidden
		}
		u, err := d.target(tx, t, id)
		if err != nil {
			return err
		}
		if !u.IsContact() {
			return ErrInvalid
		}
		if class == "" {
			class = ClassPro
		}
		if err := checkClass(class); err != nil {
			return err
		}
		users, _, err := tx.CountUsers(t.ID)
		if err != nil {
			return err
		}
		if users >= t.UserLicences {
			return ErrNoUserLicence
		}
		u.Kind, u.Class, u.CreatedBy, u.Modified = KindUser, class, "", d.now()
		out = u
		return tx.PutUser(u)
	})
	return out, err
}

// TransferOwnership hands the tenant to a new person by rewriting the
// owner's identity (QROLE-02): email and name change, the password is
// cleared, SFTP credentials are reset (keys deleted, custom login
// cleared; the generated login ID stays with the account) and the new
// email is notified. The previous person can no longer log in. There is no
// undo. Only the owner may do it.
func (d *Directory) TransferOwnership(ctx context.Context, actor, newEmail, newName string) (User, error) {
	var out User
	var prev string
	err := d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		if !a.Owner {
			return ErrForbidden
		}
		email, err := checkEmail(newEmail)
		if err != nil {
			return err
		}
		if o, err := tx.UserByEmail(t.ID, email); err == nil && o.ID != a.ID {
			return ErrEmailInUse
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		name := strings.TrimSpace(newName)
		if name == "" {
			name = email
		}
		prev = a.Email
		a.Email, a.Name, a.PasswordHash, a.CustomLogin, a.Modified = email, name, "", "", d.now()
		out = a
		if err := tx.DeleteKeys(a.ID); err != nil {
			return err
		}
		return tx.PutUser(a)
	})
	if err != nil {
		return User{}, err
	}
	d.send(ctx, []Notification{{Kind: NotifyOwnershipTransferred, Tenant: out.Tenant, User: out.ID, Email: out.Email,
		Name: out.Name, PreviousEmail: prev, At: d.now()}})
	return out, nil
}
