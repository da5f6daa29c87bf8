package directory

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/auth"
	"github.com/sftpkit/sftpkit/keys"
)

const pw = "correct horse battery"

// clock is an injectable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// seqIDs returns login IDs from a fixed list, then q9000000, q9000001, …
func seqIDs(fixed ...string) func() string {
	var mu sync.Mutex
	n := 0
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n <= len(fixed) {
			return fixed[n-1]
		}
		return fmt.Sprintf("q9%06d", n)
	}
}

type fixture struct {
	d      *Directory
	clk    *clock
	tenant Tenant
	owner  User
	notes  []Notification
	mu     sync.Mutex
}

func newFixture(t *testing.T, opt Options, nt NewTenant) *fixture {
	t.Helper()
	f := &fixture{clk: &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}}
	opt.Now = f.clk.Now
	if opt.NewLoginID == nil {
		opt.NewLoginID = seqIDs()
	}
	opt.Notify = func(_ context.Context, n Notification) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.notes = append(f.notes, n)
	}
	f.d = New(opt)
	if nt.Name == "" {
		nt.Name = "acme"
	}
	if nt.UserLicences == 0 {
		nt.UserLicences = 10
	}
	if nt.SFTPLicences == 0 {
		nt.SFTPLicences = 5
	}
	if !nt.Module.Enabled {
		nt.Module = SFTPModule{Enabled: true}
	}
	if nt.OwnerEmail == "" {
		nt.OwnerEmail, nt.OwnerName = "owner@acme.example", "Olive Owner"
	}
	var err error
	f.tenant, f.owner, err = f.d.CreateTenant(context.Background(), nt)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) user(t *testing.T, email string, nu NewUser) User {
	t.Helper()
	nu.Email = email // no password unless given: hashing is slow on purpose
	u, err := f.d.CreateUser(context.Background(), f.owner.ID, nu)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func (f *fixture) info(t *testing.T) TenantInfo {
	t.Helper()
	i, err := f.d.Tenant(context.Background(), f.owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func ptr[T any](v T) *T { return &v }

var ctx = context.Background()

func TestQLIC_01_ModuleDisabledRefusesLoginAndEnabling(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	if err := f.d.SetSFTPModule(ctx, f.tenant.ID, SFTPModule{Enabled: false}); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.d.Login(ctx, u.LoginID, nil)
	var le *LoginError
	if !errors.As(err, &le) || le.Reason != RefusedModule {
		t.Fatalf("Login = %v, want sftp-module-disabled", err)
	}
	v := f.user(t, "v@acme.example", NewUser{})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, v.ID, UserUpdate{SFTP: ptr(true)}); !errors.Is(err, ErrSFTPModuleDisabled) {
		t.Fatalf("enable SFTP = %v, want ErrSFTPModuleDisabled", err)
	}
}

func TestQLIC_02_TrialEndsExactly(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	trial := f.d.Trial()
	if got := trial.TrialEndsAt.Sub(f.clk.Now()); got != 14*24*time.Hour {
		t.Fatalf("trial length %v", got)
	}
	if err := f.d.SetSFTPModule(ctx, f.tenant.ID, trial); err != nil {
		t.Fatal(err)
	}
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	f.clk.Add(14*24*time.Hour - time.Nanosecond)
	if _, _, err := f.d.Login(ctx, u.LoginID, nil); err != nil {
		t.Fatalf("login just before the end: %v", err)
	}
	f.clk.Add(time.Nanosecond)
	if _, _, err := f.d.Login(ctx, u.LoginID, nil); !errors.Is(err, ErrLoginRefused) {
		t.Fatalf("login at the end: %v", err)
	}
}

func TestQLIC_03_NoLicenceNoChange(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{SFTPLicences: 1})
	f.user(t, "a@acme.example", NewUser{SFTP: true})
	b := f.user(t, "b@acme.example", NewUser{})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, b.ID, UserUpdate{SFTP: ptr(true), Name: ptr("B")}); !errors.Is(err, ErrNoSFTPLicence) {
		t.Fatalf("err = %v", err)
	}
	got, _ := f.d.User(ctx, f.owner.ID, b.ID)
	if got.SFTP || got.LoginID != "" || got.Name != b.Name {
		t.Fatalf("refused call changed the user: %+v", got)
	}
	if i := f.info(t); i.SFTP != (Licences{1, 1}) {
		t.Fatalf("SFTP licences %+v", i.SFTP)
	}
}

func TestQLIC_04_EnableConsumesDisableReleases(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{})
	for range 2 { // twice: idempotent
		if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{SFTP: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if used := f.info(t).SFTP.Used; used != 1 {
			t.Fatalf("used = %d after enabling", used)
		}
	}
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{SFTP: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if used := f.info(t).SFTP.Used; used != 0 {
		t.Fatalf("used = %d after disabling", used)
	}
	v := f.user(t, "v@acme.example", NewUser{SFTP: true})
	if err := f.d.DeleteUser(ctx, f.owner.ID, v.ID); err != nil {
		t.Fatal(err)
	}
	if i := f.info(t); i.SFTP.Used != 0 || i.Users.Used != 2 {
		t.Fatalf("after delete: %+v %+v", i.Users, i.SFTP)
	}
}

func TestQLIC_05_InactiveKeepsLicenceCannotLogIn(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{Status: ptr(StatusInactive)}); err != nil {
		t.Fatal(err)
	}
	if used := f.info(t).SFTP.Used; used != 1 {
		t.Fatalf("used = %d", used)
	}
	_, _, err := f.d.Login(ctx, u.LoginID, nil)
	var le *LoginError
	if !errors.As(err, &le) || le.Reason != RefusedInactive {
		t.Fatalf("Login = %v", err)
	}
}

func TestQLIC_06_CapacityBelowUsage(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	f.user(t, "a@acme.example", NewUser{SFTP: true})
	f.user(t, "b@acme.example", NewUser{SFTP: true})
	if _, err := f.d.SetLicences(ctx, f.owner.ID, nil, ptr(1)); !errors.Is(err, ErrCapacityBelowUsage) {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.d.SetLicences(ctx, f.owner.ID, ptr(2), nil); !errors.Is(err, ErrCapacityBelowUsage) {
		t.Fatalf("users err = %v", err) // owner + 2 users
	}
	i, err := f.d.SetLicences(ctx, f.owner.ID, nil, ptr(2))
	if err != nil || i.SFTP != (Licences{2, 2}) {
		t.Fatalf("SetLicences = %+v, %v", i.SFTP, err)
	}
}

func TestQLIC_07_OnlyManagersEnableSFTPContactsNever(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	pro := f.user(t, "pro@acme.example", NewUser{})
	other := f.user(t, "o@acme.example", NewUser{})
	if _, err := f.d.UpdateUser(ctx, pro.ID, other.ID, UserUpdate{SFTP: ptr(true)}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("Pro enabling SFTP: %v", err)
	}
	if _, err := f.d.UpdateUser(ctx, pro.ID, pro.ID, UserUpdate{SFTP: ptr(true)}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("Pro enabling own SFTP: %v", err)
	}
	c, err := f.d.CreateContact(ctx, f.owner.ID, NewContact{Email: "c@partner.example", Site: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, c.ID, UserUpdate{SFTP: ptr(true)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SFTP on a contact: %v", err)
	}
	if _, err := f.d.ConvertContact(ctx, pro.ID, c.ID, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("Pro converting: %v", err)
	}
	u, err := f.d.ConvertContact(ctx, f.owner.ID, c.ID, "")
	if err != nil || u.Class != ClassPro || u.IsContact() {
		t.Fatalf("ConvertContact = %+v, %v", u, err)
	}
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{SFTP: ptr(true)}); err != nil {
		t.Fatal(err)
	}
}

func TestQLIC_08_ImportAllOrNothing(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{UserLicences: 3})
	batch := []NewUser{{Email: "a@acme.example"}, {Email: "b@acme.example"}, {Email: "c@acme.example"}}
	if _, err := f.d.ImportUsers(ctx, f.owner.ID, batch); !errors.Is(err, ErrNoUserLicence) {
		t.Fatalf("err = %v", err)
	}
	if i := f.info(t); i.Users.Used != 1 {
		t.Fatalf("users used = %d: import was partial", i.Users.Used)
	}
	us, err := f.d.ImportUsers(ctx, f.owner.ID, batch[:2])
	if err != nil || len(us) != 2 {
		t.Fatalf("ImportUsers = %v, %v", us, err)
	}
	// An invalid entry rejects the whole batch too.
	f2 := newFixture(t, Options{}, NewTenant{})
	if _, err := f2.d.ImportUsers(ctx, f2.owner.ID, []NewUser{{Email: "ok@acme.example"}, {Email: "not an email"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	if n := f2.info(t).Users.Used; n != 1 {
		t.Fatalf("users used = %d", n)
	}
}

func TestQLIC_09_NotificationHasLoginIDAndEndpointsNoPassword(t *testing.T) {
	f := newFixture(t, Options{Endpoints: []string{"sftp.example.com:22", "sftp.example.com:43"}}, NewTenant{DedicatedEndpoint: "192.0.2.7:22"})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true, Password: pw})
	var got *Notification
	for i := range f.notes {
		if f.notes[i].Kind == NotifySFTPEnabled && f.notes[i].User == u.ID {
			got = &f.notes[i]
		}
	}
	if got == nil {
		t.Fatal("no sftp-enabled notification")
	}
	if got.LoginID != u.LoginID || got.Email != u.Email || len(got.Endpoints) != 3 || got.Endpoints[2] != "192.0.2.7:22" {
		t.Fatalf("notification %+v", got)
	}
	if s := fmt.Sprintf("%+v", *got); strings.Contains(s, pw) || strings.Contains(s, u.PasswordHash) {
		t.Fatal("notification carries the password")
	}
}

func TestQLIC_10_PasswordIsTheAccountPassword(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true, Password: pw})
	got, _, err := f.d.Login(ctx, u.LoginID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := auth.VerifyPassword(got.PasswordHash, pw); !ok {
		t.Fatal("the account password does not verify for SFTP")
	}
	if _, err := f.d.UpdateUser(ctx, u.ID, u.ID, UserUpdate{Password: ptr("a brand new passphrase")}); err != nil {
		t.Fatal(err)
	}
	got, _, _ = f.d.Login(ctx, u.LoginID, nil)
	if ok, _ := auth.VerifyPassword(got.PasswordHash, pw); ok {
		t.Fatal("the old password still verifies")
	}
	if ok, _ := auth.VerifyPassword(got.PasswordHash, "a brand new passphrase"); !ok {
		t.Fatal("the new password does not verify")
	}
}

func TestQLOGIN_01_GeneratedIDsUniqueNeverReassigned(t *testing.T) {
	// The generator repeats itself and returns a deleted user's ID: both
	// candidates are discarded.
	f := newFixture(t, Options{NewLoginID: seqIDs("q1234567", "q1234567", "q7654321", "q1234567", "q7654321", "q0000001")}, NewTenant{})
	a := f.user(t, "a@acme.example", NewUser{SFTP: true})
	b := f.user(t, "b@acme.example", NewUser{SFTP: true})
	if a.LoginID != "q1234567" || b.LoginID != "q7654321" {
		t.Fatalf("IDs %s %s", a.LoginID, b.LoginID)
	}
	if err := f.d.DeleteUser(ctx, f.owner.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	c := f.user(t, "c@acme.example", NewUser{SFTP: true})
	if c.LoginID != "q0000001" {
		t.Fatalf("c got %s: a deleted or live ID was reassigned", c.LoginID)
	}
	// The default generator: q + 7 digits.
	for range 50 {
		id := randomLoginID()
		if len(id) != 8 || id[0] != 'q' || strings.Trim(id[1:], "0123456789") != "" {
			t.Fatalf("generated %q", id)
		}
	}
	// Across tenants too.
	t2, o2, err := f.d.CreateTenant(ctx, NewTenant{Name: "other", UserLicences: 2, SFTPLicences: 2, Module: SFTPModule{Enabled: true},
		OwnerEmail: "o@other.example", OwnerPassword: pw, OwnerSFTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if o2.LoginID == a.LoginID || o2.LoginID == b.LoginID || o2.LoginID == c.LoginID || o2.Tenant != t2.ID {
		t.Fatalf("second tenant's owner got %s", o2.LoginID)
	}
}

func TestQLOGIN_02_EmailIsNotALogin(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	for _, login := range []string{u.Email, "U@ACME.EXAMPLE"} {
		_, _, err := f.d.Login(ctx, login, nil)
		var le *LoginError
		if !errors.As(err, &le) || le.Reason != RefusedUnknownUser {
			t.Fatalf("Login(%s) = %v", login, err)
		}
	}
}

func TestQLOGIN_03_SameIDAfterReenableAndRestore(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "Pat@acme.example", NewUser{SFTP: true})
	id := u.LoginID
	f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{SFTP: ptr(false)})
	u, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{SFTP: ptr(true)})
	if err != nil || u.LoginID != id {
		t.Fatalf("re-enabled: %s, %v; want %s", u.LoginID, err, id)
	}
	if err := f.d.DeleteUser(ctx, f.owner.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	r := f.user(t, "pat@ACME.example", NewUser{SFTP: true})
	if r.LoginID != id {
		t.Fatalf("restored user got %s, want %s", r.LoginID, id)
	}
}

func TestQLOGIN_04_CustomLoginNeedsDedicatedEndpoint(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{CustomLogin: ptr("pat")}); !errors.Is(err, ErrCustomLoginUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

func dedicated(t *testing.T) *fixture {
	return newFixture(t, Options{}, NewTenant{DedicatedEndpoint: "127.0.0.2:2222"})
}

func TestQLOGIN_05_CustomLoginUniqueInTenant(t *testing.T) {
	f := dedicated(t)
	a := f.user(t, "a@acme.example", NewUser{SFTP: true})
	b := f.user(t, "b@acme.example", NewUser{SFTP: true})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, a.ID, UserUpdate{CustomLogin: ptr("pat")}); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"pat", a.LoginID} {
		if _, err := f.d.UpdateUser(ctx, f.owner.ID, b.ID, UserUpdate{CustomLogin: ptr(login)}); !errors.Is(err, ErrLoginTaken) {
			t.Fatalf("%s: err = %v", login, err)
		}
	}
	// A tombstoned ID is taken as well.
	c := f.user(t, "c@acme.example", NewUser{SFTP: true})
	f.d.DeleteUser(ctx, f.owner.ID, c.ID)
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, b.ID, UserUpdate{CustomLogin: ptr(c.LoginID)}); !errors.Is(err, ErrLoginTaken) {
		t.Fatalf("tombstoned ID: err = %v", err)
	}
	// Case-sensitive: "Pat" is another login.
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, b.ID, UserUpdate{CustomLogin: ptr("Pat")}); err != nil {
		t.Fatalf("Pat: %v", err)
	}
}

func addr(s string) net.Addr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		panic(err)
	}
	return a
}

func TestQLOGIN_06_CustomLoginOnlyOnDedicatedEndpoint(t *testing.T) {
	f := dedicated(t)
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{CustomLogin: ptr("pat")}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := f.d.Login(ctx, "pat", addr("127.0.0.2:2222")); err != nil || got.ID != u.ID {
		t.Fatalf("on the dedicated endpoint: %v", err)
	}
	for _, a := range []net.Addr{addr("127.0.0.1:2222"), addr("127.0.0.2:22"), nil} {
		if _, _, err := f.d.Login(ctx, "pat", a); !errors.Is(err, ErrLoginRefused) {
			t.Fatalf("on %v: %v", a, err)
		}
	}
	for _, a := range []net.Addr{addr("127.0.0.1:2022"), addr("127.0.0.2:2222")} {
		if got, _, err := f.d.Login(ctx, u.LoginID, a); err != nil || got.ID != u.ID {
			t.Fatalf("generated ID on %v: %v", a, err)
		}
	}
}

func TestQLOGIN_07_GeneratedIDStillWorksUnlessReplaced(t *testing.T) {
	for _, replace := range []bool{false, true} {
		f := newFixture(t, Options{CustomLoginReplacesID: replace}, NewTenant{DedicatedEndpoint: "127.0.0.2"})
		u := f.user(t, "u@acme.example", NewUser{SFTP: true})
		f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{CustomLogin: ptr("pat")})
		_, _, err := f.d.Login(ctx, u.LoginID, addr("127.0.0.2:22"))
		if replace != (err != nil) {
			t.Fatalf("replace=%v: Login by ID = %v", replace, err)
		}
		if _, _, err := f.d.Login(ctx, "pat", addr("127.0.0.2:22")); err != nil {
			t.Fatalf("replace=%v: custom login on a bare-IP endpoint: %v", replace, err)
		}
	}
}

func TestQLOGIN_08_CustomLoginValidation(t *testing.T) {
	f := dedicated(t)
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	for _, bad := range []string{"a b", "tab\there", "nul\x00", "pat@acme", strings.Repeat("x", 151), "\xff"} {
		if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{CustomLogin: ptr(bad)}); !errors.Is(err, ErrInvalidLogin) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	for _, good := range []string{"p", strings.Repeat("é", 150), "pat.smith-2"} {
		if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{CustomLogin: ptr(good)}); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

func TestQLOGIN_09_OnlyManagersSetCustomLogins(t *testing.T) {
	f := dedicated(t)
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	if _, err := f.d.UpdateUser(ctx, u.ID, u.ID, UserUpdate{CustomLogin: ptr("me")}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("own custom login: %v", err)
	}
	adm := f.user(t, "adm@acme.example", NewUser{Admin: true, SFTP: true})
	if _, err := f.d.UpdateUser(ctx, adm.ID, adm.ID, UserUpdate{CustomLogin: ptr("boss")}); err != nil {
		t.Fatalf("admin's own: %v", err)
	}
	if _, err := f.d.UpdateUser(ctx, adm.ID, u.ID, UserUpdate{CustomLogin: ptr("pat")}); err != nil {
		t.Fatalf("admin for a user: %v", err)
	}
}

func edKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(ssh.MarshalAuthorizedKey(sp))
}

func TestQKEY_06_WhoManagesWhoseKeys(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	pro := f.user(t, "pro@acme.example", NewUser{SFTP: true})
	other := f.user(t, "o@acme.example", NewUser{SFTP: true})
	jailedOff := f.user(t, "j@acme.example", NewUser{Class: ClassJailed})
	jailedOn := f.user(t, "j2@acme.example", NewUser{Class: ClassJailed, SFTP: true})
	cases := []struct {
		actor, owner User
		want         error
	}{
		{f.owner, pro, nil},
		{pro, pro, nil},
		{pro, other, ErrForbidden},
		{jailedOff, jailedOff, ErrForbidden},
		{jailedOn, jailedOn, nil},
	}
	for i, c := range cases {
		_, err := f.d.AddKey(ctx, c.actor.ID, c.owner.ID, "laptop", edKey(t), time.Time{})
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) && !errors.Is(err, keys.ErrForbidden) {
			t.Errorf("case %d: %v, want %v", i, err, c.want)
		}
	}
	// Another tenant's user does not exist for the actor.
	_, o2, err := f.d.CreateTenant(ctx, NewTenant{Name: "other", UserLicences: 1, OwnerEmail: "x@other.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.AddKey(ctx, o2.ID, pro.ID, "t", edKey(t), time.Time{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cross-tenant: %v", err)
	}
}

func TestQKEY_07_KeyNotificationsWithoutKeyText(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	text := edKey(t)
	k, err := f.d.AddKey(ctx, f.owner.ID, u.ID, " laptop ", text, f.clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.UpdateKey(ctx, u.ID, u.ID, k.ID, keys.Update{Status: ptr(keys.StatusDisabled)}); err != nil {
		t.Fatal(err)
	}
	if err := f.d.DeleteKey(ctx, u.ID, u.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	var kinds []NotificationKind
	for _, n := range f.notes {
		if n.Key == nil {
			continue
		}
		kinds = append(kinds, n.Kind)
		if n.Email != u.Email || n.Key.Title != "laptop" || n.Key.Fingerprint != k.Fingerprint {
			t.Errorf("notification %+v", n)
		}
		if strings.Contains(fmt.Sprintf("%+v %+v", n, *n.Key), strings.Fields(text)[1]) {
			t.Error("notification carries the key text")
		}
	}
	if fmt.Sprint(kinds) != "[key-added key-status-changed key-deleted]" {
		t.Fatalf("notifications %v", kinds)
	}
}

func TestQROLE_01_OneOwnerImmutable(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	adm := f.user(t, "adm@acme.example", NewUser{Admin: true})
	for i, up := range []UserUpdate{{Admin: ptr(false)}, {Class: ptr(ClassAssociate)}, {Status: ptr(StatusInactive)}} {
		if _, err := f.d.UpdateUser(ctx, adm.ID, f.owner.ID, up); !errors.Is(err, ErrOwnerImmutable) {
			t.Errorf("update %d: %v", i, err)
		}
	}
	if err := f.d.DeleteUser(ctx, adm.ID, f.owner.ID); !errors.Is(err, ErrOwnerImmutable) {
		t.Fatalf("delete owner: %v", err)
	}
	us, _ := f.d.Users(ctx, f.owner.ID)
	owners := 0
	for _, u := range us {
		if u.Owner {
			owners++
		}
	}
	if owners != 1 {
		t.Fatalf("%d owners", owners)
	}
}

func TestQROLE_02_TransferOwnership(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{OwnerSFTP: true})
	adm := f.user(t, "adm@acme.example", NewUser{Admin: true})
	if _, err := f.d.TransferOwnership(ctx, adm.ID, "new@acme.example", "New"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("admin: %v", err)
	}
	if _, err := f.d.TransferOwnership(ctx, f.owner.ID, "ADM@acme.example", "X"); !errors.Is(err, ErrEmailInUse) {
		t.Fatalf("email in use: %v", err)
	}
	if _, err := f.d.AddKey(ctx, f.owner.ID, f.owner.ID, "k", edKey(t), time.Time{}); err != nil {
		t.Fatal(err)
	}
	o, err := f.d.TransferOwnership(ctx, f.owner.ID, "new@acme.example", "Nina New")
	if err != nil {
		t.Fatal(err)
	}
	if o.Email != "new@acme.example" || o.PasswordHash != "" || !o.Owner {
		t.Fatalf("after transfer %+v", o)
	}
	if ks, _ := f.d.Keys(ctx, o.ID, o.ID); len(ks) != 0 {
		t.Fatal("the previous owner's keys survived")
	}
	last := f.notes[len(f.notes)-1]
	if last.Kind != NotifyOwnershipTransferred || last.Email != "new@acme.example" || last.PreviousEmail != "owner@acme.example" {
		t.Fatalf("notification %+v", last)
	}
}

func TestQROLE_03_AdminOnlyForPro(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	if _, err := f.d.CreateUser(ctx, f.owner.ID, NewUser{Email: "a@acme.example", Class: ClassAssociate, Admin: true}); !errors.Is(err, ErrAdminRequiresPro) {
		t.Fatalf("create: %v", err)
	}
	adm := f.user(t, "adm@acme.example", NewUser{Admin: true})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, adm.ID, UserUpdate{Class: ptr(ClassJailed)}); !errors.Is(err, ErrAdminRequiresPro) {
		t.Fatalf("class change of an admin: %v", err)
	}
	adm2 := f.user(t, "adm2@acme.example", NewUser{Admin: true})
	if _, err := f.d.UpdateUser(ctx, adm.ID, adm2.ID, UserUpdate{Admin: ptr(false)}); err != nil {
		t.Fatalf("admin demoting an admin: %v", err)
	}
}

func TestQROLE_04_Billing(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	adm := f.user(t, "adm@acme.example", NewUser{Admin: true})
	j := f.user(t, "j@acme.example", NewUser{Class: ClassJailed})
	a := f.user(t, "a@acme.example", NewUser{Class: ClassAssociate})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, j.ID, UserUpdate{Billing: ptr(true)}); !errors.Is(err, ErrBillingNotAllowed) {
		t.Fatalf("jailed: %v", err)
	}
	if _, err := f.d.UpdateUser(ctx, adm.ID, a.ID, UserUpdate{Billing: ptr(true)}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("admin granting: %v", err)
	}
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, a.ID, UserUpdate{Billing: ptr(true)}); err != nil {
		t.Fatalf("owner granting to an associate: %v", err)
	}
}

func TestQROLE_05_ConvertedContactIsProAndNeedsLicence(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{UserLicences: 2})
	c1, _ := f.d.CreateContact(ctx, f.owner.ID, NewContact{Email: "c1@x.example", Site: true})
	c2, _ := f.d.CreateContact(ctx, f.owner.ID, NewContact{Email: "c2@x.example", Site: true})
	u, err := f.d.ConvertContact(ctx, f.owner.ID, c1.ID, "")
	if err != nil || u.Class != ClassPro {
		t.Fatalf("%+v %v", u, err)
	}
	if _, err := f.d.ConvertContact(ctx, f.owner.ID, c2.ID, ClassAssociate); !errors.Is(err, ErrNoUserLicence) {
		t.Fatalf("no licence: %v", err)
	}
}

func TestQROLE_06_ContactsNeverLogIn(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	c, _ := f.d.CreateContact(ctx, f.owner.ID, NewContact{Email: "c@x.example", Site: true})
	if _, _, err := f.d.Login(ctx, c.Email, nil); !errors.Is(err, ErrLoginRefused) {
		t.Fatalf("contact login: %v", err)
	}
	if _, err := f.d.Users(ctx, c.ID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("contact acting: %v", err)
	}
}

func TestQROLE_07_JailedClassMeansSharedProjectsRoot(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	if u.SharedProjectsRoot() {
		t.Fatal("a Pro user starts locked")
	}
	u, _ = f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{Class: ptr(ClassJailed)})
	got, _, err := f.d.Login(ctx, u.LoginID, nil)
	if err != nil || !got.SharedProjectsRoot() {
		t.Fatalf("after the class change: %v %v", got.SharedProjectsRoot(), err)
	}
	v := f.user(t, "v@acme.example", NewUser{SFTP: true, LockSFTPHome: true})
	if !v.SharedProjectsRoot() {
		t.Fatal("LockSFTPHome does not lock")
	}
}

func TestQROLE_08_CustomClasses(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{Class: "auditors"})
	if u.Class != "auditors" {
		t.Fatalf("class %q", u.Class)
	}
	if _, err := f.d.CreateUser(ctx, f.owner.ID, NewUser{Email: "x@acme.example", Class: "bad class"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid class: %v", err)
	}
}

func TestQKEY_03_KeyImmutableThroughTheDirectory(t *testing.T) {
	f := newFixture(t, Options{}, NewTenant{})
	u := f.user(t, "u@acme.example", NewUser{SFTP: true})
	k, err := f.d.AddKey(ctx, u.ID, u.ID, "laptop", edKey(t), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.UpdateKey(ctx, u.ID, u.ID, k.ID, keys.Update{PublicKey: k.PublicKey}); !errors.Is(err, ErrKeyImmutable) {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.d.AddKey(ctx, u.ID, u.ID, "again", edKey(t), f.clk.Now().Add(-time.Second)); !errors.Is(err, ErrExpiryInPast) {
		t.Fatalf("past expiry: %v", err)
	}
}
