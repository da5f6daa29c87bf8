package directory

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/keys"
)

// Options configures a Directory.
type Options struct {
	// Store keeps the directory and its keys; nil means a new
	// MemoryStore using Now.
	Store Store
	// Now is the clock (trials, key expiry, timestamps); nil means time.Now.
	Now func() time.Time
	// NewLoginID makes login ID candidates; nil means "q" followed by 7
	// random digits (QLOGIN-01). A candidate already used by anyone, live
	// or deleted, is discarded.
	NewLoginID func() string
	// NewID makes tenant, user and project IDs; nil means UUIDv4.
	NewID func() string
	// Notify receives notifications (QLIC-09, QKEY-07, QROLE-02); nil
	// drops them. It is called after the change is committed, in the
	// caller's goroutine.
	Notify func(ctx context.Context, n Notification)
	// Endpoints are the SFTP endpoints ("sftp.example.com:22") sent with
	// an SFTP-enabled notification, besides a tenant's dedicated one.
	Endpoints []string
	// PasswordPolicy is applied to every password set; the zero value
	// means auth.DefaultPasswordPolicy().
	PasswordPolicy *auth.PasswordPolicy
	// CustomLoginReplacesID makes a custom login the only login of its
	// user (QLOGIN-07): the generated ID is then refused at login.
	CustomLoginReplacesID bool
}

// Directory is the tenant, user, contact and project directory of a
// Quatrix-style service, with its administrative operations. Every
// operation but the bootstrap (CreateTenant, SetSFTPModule) names the
// acting user and is checked against the capability matrix of SPEC
// §22(c). Its methods are safe for concurrent use.
type Directory struct {
	store      Store
	keys       keys.Store
	now        func() time.Time
	newLoginID func() string
	newID      func() string
	notify     func(context.Context, Notification)
	endpoints  []string
	policy     auth.PasswordPolicy
	replaceID  bool
	dummyOnce  sync.Once
	dummy      string
	dummyErr   error
}

// New returns a Directory.
func New(opt Options) *Directory {
	d := &Directory{
		store: opt.Store, now: opt.Now, newLoginID: opt.NewLoginID, newID: opt.NewID,
		notify: opt.Notify, endpoints: opt.Endpoints, replaceID: opt.CustomLoginReplacesID,
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.store == nil {
		d.store = NewMemoryStore(d.now)
	}
	d.keys = d.store.Keys()
	if d.newLoginID == nil {
		d.newLoginID = randomLoginID
	}
	if d.newID == nil {
		d.newID = uuid.NewString
	}
	if opt.PasswordPolicy != nil {
		d.policy = *opt.PasswordPolicy
	} else {
		d.policy = auth.DefaultPasswordPolicy()
	}
	return d
}

// Store returns the directory's store.
func (d *Directory) Store() Store { return d.store }

// randomLoginID is the default login ID generator: "q" and 7 digits.
func randomLoginID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(10_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("q%07d", n.Int64())
}

// maxLoginIDTries bounds the search for a free login ID.
const maxLoginIDTries = 100

// NotificationKind names what a Notification is about.
type NotificationKind string

// Notification kinds.
const (
	NotifySFTPEnabled          NotificationKind = "sftp-enabled"
	NotifyKeyAdded             NotificationKind = "key-added"
	NotifyKeyDeleted           NotificationKind = "key-deleted"
	NotifyKeyStatusChanged     NotificationKind = "key-status-changed"
	NotifyOwnershipTransferred NotificationKind = "ownership-transferred"
)

// Notification is sent to a user (by mail, typically). It never carries a
// password or a key's text.
type Notification struct {
	Kind   NotificationKind
	Tenant string
	User   string // the user's ID
	Email  string // where to send it
	Name   string
	// LoginID and Endpoints, for NotifySFTPEnabled.
	LoginID   string
	Endpoints []string
	// Key, for the key notifications: title, fingerprint, expiry, status.
	Key *keys.Notification
	// PreviousEmail, for NotifyOwnershipTransferred.
	PreviousEmail string
	At            time.Time
}

func (d *Directory) send(ctx context.Context, ns []Notification) {
	if d.notify == nil {
		return
	}
	for _, n := range ns {
		d.notify(ctx, n)
	}
}

// NewTenant describes a tenant and its owner for CreateTenant.
type NewTenant struct {
	Name         string
	UserLicences int
	SFTPLicences int
	// Module is the SFTP module; use Trial for a trial from now.
	Module            SFTPModule
	DedicatedEndpoint string
	// OwnerEmail, OwnerName and OwnerPassword make the owner, a Pro user.
	OwnerEmail, OwnerName, OwnerPassword string
	// OwnerSFTP enables SFTP for the owner (needs the module and a licence).
	OwnerSFTP bool
}

// Trial returns an SFTP module on trial from now for DefaultTrial.
func (d *Directory) Trial() SFTPModule {
	return SFTPModule{Enabled: true, TrialEndsAt: d.now().Add(DefaultTrial)}
}

// CreateTenant creates a tenant and its owner. It is the bootstrap: no
// acting user is checked.
func (d *Directory) CreateTenant(ctx context.Context, nt NewTenant) (Tenant, User, error) {
	name := strings.TrimSpace(nt.Name)
	if name == "" || nt.UserLicences < 1 || nt.SFTPLicences < 0 {
		return Tenant{}, User{}, fmt.Errorf("%w: a tenant needs a name and at least one user licence", ErrInvalid)
	}
	if ep := nt.DedicatedEndpoint; ep != "" {
		if _, err := netip.ParseAddrPort(ep); err != nil {
			if _, err := netip.ParseAddr(ep); err != nil {
				return Tenant{}, User{}, fmt.Errorf("%w: dedicated endpoint %q is not an IP address or IP:port", ErrInvalid, ep)
			}
		}
	}
	now := d.now()
	t := Tenant{ID: d.newID(), Name: name, Module: nt.Module, UserLicences: nt.UserLicences, SFTPLicences: nt.SFTPLicences,
		DedicatedEndpoint: nt.DedicatedEndpoint, Created: now}
	var owner User
	var notes []Notification
	err := d.store.Update(ctx, func(tx Tx) error {
		if err := tx.PutTenant(t); err != nil {
			return err
		}
		var err error
		owner, notes, err = d.createUser(tx, t, User{}, NewUser{Email: nt.OwnerEmail, Name: nt.OwnerName, Class: ClassPro,
			Password: nt.OwnerPassword, SFTP: nt.OwnerSFTP}, true)
		return err
	})
	if err != nil {
		return Tenant{}, User{}, err
	}
	d.send(ctx, notes)
	return t, owner, nil
}

// SetSFTPModule switches a tenant's SFTP module (activation by customer
// care: no acting user is checked).
func (d *Directory) SetSFTPModule(ctx context.Context, tenant string, m SFTPModule) error {
	return d.store.Update(ctx, func(tx Tx) error {
		t, err := tx.Tenant(tenant)
		if err != nil {
			return err
		}
		t.Module = m
		return tx.PutTenant(t)
	})
}

// TenantInfo is what every user of a tenant may see of it.
type TenantInfo struct {
	Tenant
	Users Licences
	SFTP  Licences
}

// Tenant returns the acting user's tenant with its licence use.
func (d *Directory) Tenant(ctx context.Context, actor string) (TenantInfo, error) {
	var info TenantInfo
	err := d.store.View(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		_ = a
		users, sftp, err := tx.CountUsers(t.ID)
		if err != nil {
			return err
		}
		info = TenantInfo{Tenant: t, Users: Licences{t.UserLicences, users}, SFTP: Licences{t.SFTPLicences, sftp}}
		return nil
	})
	return info, err
}

// SetLicences sets the licence capacities of the acting owner's tenant
// (buying licences is the owner's alone); nil leaves one unchanged. A
// capacity below the licences in use is refused (QLIC-06).
func (d *Directory) SetLicences(ctx context.Context, actor string, users, sftp *int) (TenantInfo, error) {
	var info TenantInfo
	err := d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		if !a.Owner {
			return ErrForbidden
		}
		nu, ns, err := tx.CountUsers(t.ID)
		if err != nil {
			return err
		}
		if users != nil {
			if *users < nu {
				return ErrCapacityBelowUsage
			}
			t.UserLicences = *users
		}
		if sftp != nil {
			if *sftp < ns || *sftp < 0 {
				return ErrCapacityBelowUsage
			}
			t.SFTPLicences = *sftp
		}
		info = TenantInfo{Tenant: t, Users: Licences{t.UserLicences, nu}, SFTP: Licences{t.SFTPLicences, ns}}
		return tx.PutTenant(t)
	})
	return info, err
}

// actor loads the acting user and its tenant: an active user (not a
// contact) of an existing tenant, or ErrForbidden.
func (d *Directory) actor(tx Tx, id string) (User, Tenant, error) {
	a, err := tx.User(id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return User{}, Tenant{}, ErrForbidden
		}
		return User{}, Tenant{}, err
	}
	if a.IsContact() || a.Status != StatusActive {
		return User{}, Tenant{}, ErrForbidden
	}
	t, err := tx.Tenant(a.Tenant)
	if err != nil {
		return User{}, Tenant{}, err
	}
	return a, t, nil
}

// manager reports whether u is the owner or an administrator.
func manager(u User) bool { return u.Owner || u.Admin }

// NewUser describes a user for CreateUser and ImportUsers.
type NewUser struct {
	Email, Name string
	// Class is the user's class; empty means ClassPro.
	Class        Class
	Admin        bool
	Billing      bool
	SFTP         bool
	LockSFTPHome bool
	// Password is the account password; empty leaves none set (the user
	// cannot log in with a password until one is).
	Password string
	// Inactive creates the user deactivated.
	Inactive bool
}

// CreateUser creates a user of the acting owner's or administrator's
// tenant. It consumes a user licence, and an SFTP licence when SFTP is on.
func (d *Directory) CreateUser(ctx context.Context, actor string, nu NewUser) (User, error) {
	us, err := d.ImportUsers(ctx, actor, []NewUser{nu})
	if err != nil {
		return User{}, err
	}
	return us[0], nil
}

// ImportUsers creates several users at once, all or none (QLIC-08): too
// few free user or SFTP licences, or any invalid entry, and nothing is
// created.
func (d *Directory) ImportUsers(ctx context.Context, actor string, nus []NewUser) ([]User, error) {
	var out []User
	var notes []Notification
	err := d.store.Update(ctx, func(tx Tx) error {
		a, t, err := d.actor(tx, actor)
		if err != nil {
			return err
		}
		if !manager(a) {
			return ErrForbidden
		}
		for i, nu := range nus {
			u, ns, err := d.createUser(tx, t, a, nu, false)
			if err != nil {
				if len(nus) > 1 {
					return fmt.Errorf("entry %d (%s): %w", i+1, nu.Email, err)
				}
				return err
			}
			out = append(out, u)
			notes = append(notes, ns...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.send(ctx, notes)
	return out, nil
}

// createUser validates nu and stores it as a new user of t, created by a
// (zero for the owner at bootstrap).
func (d *Directory) createUser(tx Tx, t Tenant, a User, nu NewUser, owner bool) (User, []Notification, error) {
	email, err := checkEmail(nu.Email)
	if err != nil {
		return User{}, nil, err
	}
	name := strings.TrimSpace(nu.Name)
	if name == "" {
		name = email
	}
	class := nu.Class
	if class == "" {
		class = ClassPro
	}
	if err := checkClass(class); err != nil {
		return User{}, nil, err
	}
	if _, err := tx.UserByEmail(t.ID, email); err == nil {
		return User{}, nil, ErrEmailInUse
	} else if !errors.Is(err, ErrNotFound) {
		return User{}, nil, err
	}
	if nu.Admin && class != ClassPro {
		return User{}, nil, ErrAdminRequiresPro
	}
	if nu.Billing {
		if class == ClassJailed {
			return User{}, nil, ErrBillingNotAllowed
		}
		if !owner && !a.Owner {
			return User{}, nil, ErrForbidden // QROLE-04: owner-only grant
		}
	}
	users, _, err := tx.CountUsers(t.ID)
	if err != nil {
		return User{}, nil, err
	}
	if users >= t.UserLicences {
		return User{}, nil, ErrNoUserLicence
	}
	now := d.now()
	u := User{ID: d.newID(), Tenant: t.ID, Kind: KindUser, Email: email, Name: name, Class: class,
		Owner: owner, Admin: nu.Admin || owner, Billing: nu.Billing || owner, Status: StatusActive,
		LockSFTPHome: nu.LockSFTPHome, Created: now, Modified: now}
	if nu.Inactive {
		if owner {
			return User{}, nil, ErrOwnerImmutable
		}
		u.Status = StatusInactive
	}
	if nu.Password != "" {
		if u.PasswordHash, err = d.hash(nu.Password, nil); err != nil {
			return User{}, nil, err
		}
	}
	// Someone deleted earlier gets their login ID back (QLOGIN-03).
	if ts, err := tx.Tombstone(t.ID, email); err == nil {
		u.LoginID = ts.LoginID
	} else if !errors.Is(err, ErrNotFound) {
		return User{}, nil, err
	}
	var notes []Notification
	if nu.SFTP {
		if notes, err = d.enableSFTP(tx, t, &u); err != nil {
			return User{}, nil, err
		}
	}
	if err := tx.PutUser(u); err != nil {
		return User{}, nil, err
	}
	return u, notes, nil
}

// enableSFTP turns SFTP on for u (not yet stored): module on, a free
// licence, a login ID (QLIC-01, QLIC-03, QLIC-04, QLOGIN-01).
func (d *Directory) enableSFTP(tx Tx, t Tenant, u *User) ([]Notification, error) {
	if u.IsContact() {
		return nil, ErrContactsCannotUseSFTP
	}
	if u.SFTP {
		return nil, nil // idempotent (QLIC-04)
	}
	if !t.Module.Active(d.now()) {
		return nil, ErrSFTPModuleDisabled
	}
	_, sftp, err := tx.CountUsers(t.ID)
	if err != nil {
		return nil, err
	}
	if sftp >= t.SFTPLicences {
		return nil, ErrNoSFTPLicence
	}
	if u.LoginID == "" {
		if u.LoginID, err = d.freeLoginID(tx); err != nil {
			return nil, err
		}
	}
	u.SFTP = true
	eps := append([]string(nil), d.endpoints...)
	if t.DedicatedEndpoint != "" {
		eps = append(eps, t.DedicatedEndpoint)
	}
	return []Notification{{Kind: NotifySFTPEnabled, Tenant: t.ID, User: u.ID, Email: u.Email, Name: u.Name,
		LoginID: u.LoginID, Endpoints: eps, At: d.now()}}, nil
}

// freeLoginID returns a generated login ID no one has ever had.
func (d *Directory) freeLoginID(tx Tx) (string, error) {
	for range maxLoginIDTries {
		id := d.newLoginID()
		if !validLoginID(id) {
			return "", fmt.Errorf("%w: the login ID generator returned %q", ErrInvalid, id)
		}
		used, err := tx.LoginIDUsed(id)
		if err != nil {
			return "", err
		}
		if !used {
			return id, nil
		}
	}
	return "", ErrLoginIDsExhausted
}

// validLoginID reports whether id can be a generated login ID: non-empty,
// printable, no white space and no "@" (it must never look like an email).
func validLoginID(id string) bool {
	return id != "" && checkLogin(id) == nil
}

func (d *Directory) hash(password string, history []string) (string, error) {
	if err := d.policy.Check(password, history); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return auth.HashPassword(password)
}

// checkEmail validates an email address and returns it trimmed.
func checkEmail(e string) (string, error) {
	e = strings.TrimSpace(e)
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", fmt.Errorf("%w: %q is not an email address", ErrInvalid, e)
	}
	return e, nil
}

// checkClass accepts the predefined classes and custom group names
// (1–64 letters, digits, '-' and '_').
func checkClass(c Class) error {
	s := string(c)
	if s == "" || len(s) > 64 {
		return fmt.Errorf("%w: class %q", ErrInvalid, s)
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return fmt.Errorf("%w: class %q", ErrInvalid, s)
		}
	}
	return nil
}

// checkLogin applies QLOGIN-08: 1–150 characters of valid UTF-8, no white
// space, no control characters, no "@".
func checkLogin(l string) error {
	if l == "" || !utf8.ValidString(l) || utf8.RuneCountInString(l) > 150 || strings.Contains(l, "@") {
		return ErrInvalidLogin
	}
	for _, r := range l {
		if unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) {
			return ErrInvalidLogin
		}
	}
	return nil
}
