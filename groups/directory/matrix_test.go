package directory

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sftpkit/sftpkit/keys"
)

// roles are the columns of the capability matrix (SPEC §22(c)).
var roles = []string{"owner", "admin", "pro", "associate", "jailed", "contact"}

// matrixEnv holds one user per role plus targets the actions work on.
type matrixEnv struct {
	tt     *testing.T
	f      *fixture
	actors map[string]User
	pro    User // a target user
	admin2 User // a target administrator
	ct     User // a target contact
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	f := newFixture(t, Options{}, NewTenant{DedicatedEndpoint: "127.0.0.2:22", UserLicences: 20, SFTPLicences: 20, OwnerSFTP: true})
	e := &matrixEnv{tt: t, f: f, actors: map[string]User{"owner": f.owner}}
	e.actors["admin"] = f.user(t, "admin@acme.example", NewUser{Admin: true, SFTP: true})
	e.actors["pro"] = f.user(t, "pro@acme.example", NewUser{SFTP: true})
	e.actors["associate"] = f.user(t, "assoc@acme.example", NewUser{Class: ClassAssociate, SFTP: true})
	e.actors["jailed"] = f.user(t, "jailed@acme.example", NewUser{Class: ClassJailed, SFTP: true})
	c, err := f.d.CreateContact(ctx, f.owner.ID, NewContact{Email: "contact@x.example", Site: true})
	if err != nil {
		t.Fatal(err)
	}
	e.actors["contact"] = c
	e.pro = f.user(t, "target@acme.example", NewUser{})
	e.admin2 = f.user(t, "admin2@acme.example", NewUser{Admin: true})
	e.ct, _ = f.d.CreateContact(ctx, f.owner.ID, NewContact{Email: "target-contact@x.example", Site: true})
	return e
}

// TestCapabilityMatrix runs one case per cell of SPEC §22(c).
func TestCapabilityMatrix(t *testing.T) {
	type action func(e *matrixEnv, a User) error
	rows := []struct {
		name  string
		allow map[string]bool // by role; roles absent are "—" (not applicable)
		do    action
	}{
		{"log in", map[string]bool{"owner": true, "admin": true, "pro": true, "associate": true, "jailed": true, "contact": false},
			func(e *matrixEnv, a User) error {
				login := a.LoginID
				if login == "" {
					login = a.Email
				}
				_, _, err := e.f.d.Login(ctx, login, nil)
				return err
			}},
		{"enable SFTP, set custom login, lock SFTP home", allowManagers(),
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.UpdateUser(ctx, a.ID, e.pro.ID, UserUpdate{SFTP: ptr(true), CustomLogin: ptr("t1"), LockSFTPHome: ptr(true)})
				return err
			}},
		{"manage another user's keys", allowManagers(),
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.AddKey(ctx, a.ID, e.actors["pro"].ID, "k", edKey(e.t()), time.Time{})
				if a.ID == e.actors["pro"].ID {
					_, err = e.f.d.AddKey(ctx, a.ID, e.actors["associate"].ID, "k", edKey(e.t()), time.Time{})
				}
				return err
			}},
		{"manage own keys", map[string]bool{"owner": true, "admin": true, "pro": true, "associate": true, "jailed": true, "contact": false},
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.AddKey(ctx, a.ID, a.ID, "mine", edKey(e.t()), time.Time{})
				return err
			}},
		{"buy SFTP licences", allowOwner(),
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.SetLicences(ctx, a.ID, nil, ptr(30))
				return err
			}},
		{"transfer ownership", allowOwner(),
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.TransferOwnership(ctx, a.ID, "new-owner@acme.example", "New")
				return err
			}},
		{"promote a user to admin", allowManagers(),
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.UpdateUser(ctx, a.ID, e.pro.ID, UserUpdate{Admin: ptr(true)})
				return err
			}},
		{"demote an admin", allowManagers(),
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.UpdateUser(ctx, a.ID, e.admin2.ID, UserUpdate{Admin: ptr(false)})
				return err
			}},
		{"demote the owner", map[string]bool{"admin": false, "pro": false, "associate": false, "jailed": false, "contact": false},
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.UpdateUser(ctx, a.ID, e.f.owner.ID, UserUpdate{Admin: ptr(false)})
				return err
			}},
		{"convert a contact to a user", allowManagers(),
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.ConvertContact(ctx, a.ID, e.ct.ID, "")
				return err
			}},
		{"change own email", allowOwner(), // only as an ownership transfer
			func(e *matrixEnv, a User) error {
				_, err := e.f.d.TransferOwnership(ctx, a.ID, "renamed@acme.example", a.Name)
				return err
			}},
	}
	for _, row := range rows {
		for _, role := range roles {
			want, applies := row.allow[role]
			if !applies {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s", row.name, role), func(t *testing.T) {
				e := newMatrixEnv(t)
				err := row.do(e, e.actors[role])
				if want && err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !want && err == nil {
					t.Fatal("allowed")
				}
				if !want && !errors.Is(err, ErrForbidden) && !errors.Is(err, ErrOwnerImmutable) && !errors.Is(err, ErrLoginRefused) && !isKeysForbidden(err) {
					t.Fatalf("refused with %v, want a permission error", err)
				}
			})
		}
	}
}

// The billing column: the owner always; admin, Pro and Associate users
// only once the owner grants it; Jailed users and contacts never.
func TestCapabilityMatrix_Billing(t *testing.T) {
	for _, role := range roles {
		t.Run(role, func(t *testing.T) {
			e := newMatrixEnv(t)
			a := e.actors[role]
			if got, want := a.CanUseBilling(), role == "owner"; got != want {
				t.Fatalf("before any grant: %v, want %v", got, want)
			}
			if role == "owner" {
				return
			}
			u, err := e.f.d.UpdateUser(ctx, e.f.owner.ID, a.ID, UserUpdate{Billing: ptr(true)})
			switch role {
			case "admin", "pro", "associate":
				if err != nil || !u.CanUseBilling() {
					t.Fatalf("granted: %v, %v", u.CanUseBilling(), err)
				}
			case "jailed":
				if !errors.Is(err, ErrBillingNotAllowed) {
					t.Fatalf("grant: %v", err)
				}
			case "contact":
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("grant: %v", err)
				}
			}
		})
	}
}

func (e *matrixEnv) t() *testing.T { return e.tt }

func isKeysForbidden(err error) bool { return errors.Is(err, keys.ErrForbidden) }

func allowManagers() map[string]bool {
	return map[string]bool{"owner": true, "admin": true, "pro": false, "associate": false, "jailed": false, "contact": false}
}

func allowOwner() map[string]bool {
	return map[string]bool{"owner": true, "admin": false, "pro": false, "associate": false, "jailed": false, "contact": false}
}
