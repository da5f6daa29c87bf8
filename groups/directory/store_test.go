package directory

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/keys"
)

// backends are the Store implementations the shared suite runs against.
var backends = []struct {
	name string
	open func(t *testing.T, now func() time.Time) Store
}{
	{"memory", func(t *testing.T, now func() time.Time) Store { return NewMemoryStore(now) }},
	{"sqlite", func(t *testing.T, now func() time.Time) Store {
		s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "directory.db"), now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

// TestStores runs the store suite against every backend.
func TestStores(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("rows", func(t *testing.T) { testStoreRows(t, b.open(t, nil)) })
			t.Run("rollback", func(t *testing.T) { testStoreRollback(t, b.open(t, nil)) })
			t.Run("keys", func(t *testing.T) { testStoreKeys(t, b.open(t, nil)) })
			t.Run("licence race", func(t *testing.T) {
				clk := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
				testLicenceRace(t, Options{Store: b.open(t, clk.Now), Now: clk.Now})
			})
			t.Run("directory", func(t *testing.T) {
				clk := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
				testDirectoryOnStore(t, Options{Store: b.open(t, clk.Now), Now: clk.Now})
			})
		})
	}
}

func mustUpdate(t *testing.T, s Store, fn func(Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func testStoreRows(t *testing.T, s Store) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	ten := Tenant{ID: "t1", Name: "acme", Module: SFTPModule{Enabled: true, TrialEndsAt: at}, UserLicences: 3, SFTPLicences: 2,
		DedicatedEndpoint: "192.0.2.1:22", Created: at}
	u := User{ID: "u1", Tenant: "t1", Kind: KindUser, Email: "Pat@Acme.example", Name: "Pat", Class: ClassPro, Admin: true,
		Status: StatusActive, SFTP: true, LoginID: "q1234567", CustomLogin: "pat", PasswordHash: "$argon2id$x", Created: at, Modified: at}
	c := User{ID: "c1", Tenant: "t1", Kind: KindSiteContact, Email: "c@x.example", Name: "C", Status: StatusActive,
		CreatedBy: "u1", Created: at.Add(time.Second), Modified: at}
	mustUpdate(t, s, func(tx Tx) error {
		for _, err := range []error{tx.PutTenant(ten), tx.PutUser(u), tx.PutUser(c),
			tx.PutProject(Project{ID: "p1", Tenant: "t1", Name: "Beta", Storage: "p1", Created: at}),
			tx.PutMember(Member{Project: "p1", User: "u1", Preset: PresetFull}),
			tx.PutTombstone(Tombstone{Tenant: "t1", Email: "Gone@acme.example", LoginID: "q7654321"})} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	err := s.View(context.Background(), func(tx Tx) error {
		got, err := tx.Tenant("t1")
		if err != nil || !got.Created.Equal(at) || !got.Module.TrialEndsAt.Equal(at) || got.Name != "acme" ||
			got.UserLicences != 3 || got.SFTPLicences != 2 || got.DedicatedEndpoint != ten.DedicatedEndpoint || !got.Module.Enabled {
			t.Errorf("Tenant = %+v, %v", got, err)
		}
		for name, find := range map[string]func() (User, error){
			"id":     func() (User, error) { return tx.User("u1") },
			"email":  func() (User, error) { return tx.UserByEmail("t1", "pat@ACME.example") },
			"login":  func() (User, error) { return tx.UserByLoginID("q1234567") },
			"custom": func() (User, error) { return tx.UserByCustomLogin("t1", "pat") },
		} {
			got, err := find()
			if err != nil || got.ID != "u1" || got.Email != u.Email || !got.Admin || !got.SFTP || got.LoginID != u.LoginID ||
				got.PasswordHash != u.PasswordHash || !got.Created.Equal(at) {
				t.Errorf("by %s: %+v, %v", name, got, err)
			}
		}
		for name, find := range map[string]func() (User, error){
			"id":             func() (User, error) { return tx.User("nope") },
			"custom, case":   func() (User, error) { return tx.UserByCustomLogin("t1", "PAT") },
			"custom, tenant": func() (User, error) { return tx.UserByCustomLogin("t2", "pat") },
			"empty login":    func() (User, error) { return tx.UserByLoginID("") },
		} {
			if _, err := find(); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if users, sftp, err := tx.CountUsers("t1"); users != 1 || sftp != 1 || err != nil {
			t.Errorf("CountUsers = %d %d %v", users, sftp, err)
		}
		us, _ := tx.Users("t1")
		if len(us) != 2 || us[0].ID != "u1" || us[1].ID != "c1" || us[1].CreatedBy != "u1" || us[1].Kind != KindSiteContact {
			t.Errorf("Users = %+v", us)
		}
		for id, want := range map[string]bool{"q1234567": true, "q7654321": true, "q0000000": false} {
			if used, err := tx.LoginIDUsed(id); used != want || err != nil {
				t.Errorf("LoginIDUsed(%s) = %v %v", id, used, err)
			}
		}
		if ts, err := tx.Tombstone("t1", "GONE@acme.example"); err != nil || ts.LoginID != "q7654321" {
			t.Errorf("Tombstone = %+v %v", ts, err)
		}
		if ms, _ := tx.Memberships("u1"); len(ms) != 1 || ms[0].Preset != PresetFull {
			t.Errorf("Memberships = %+v", ms)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Updates replace; PresetNone removes; deleting a user removes its
	// memberships.
	u.Name, u.SFTP, u.CustomLogin = "Patricia", false, ""
	mustUpdate(t, s, func(tx Tx) error {
		if err := tx.PutUser(u); err != nil {
			return err
		}
		ten.SFTPLicences = 5
		return tx.PutTenant(ten)
	})
	s.View(context.Background(), func(tx Tx) error {
		got, _ := tx.User("u1")
		if got.Name != "Patricia" || got.SFTP || got.CustomLogin != "" {
			t.Errorf("after update %+v", got)
		}
		if _, err := tx.UserByCustomLogin("t1", "pat"); !errors.Is(err, ErrNotFound) {
			t.Errorf("cleared custom login still found: %v", err)
		}
		if tt, _ := tx.Tenant("t1"); tt.SFTPLicences != 5 {
			t.Errorf("tenant not updated")
		}
		return nil
	})
	mustUpdate(t, s, func(tx Tx) error { return tx.DeleteUser("u1") })
	s.View(context.Background(), func(tx Tx) error {
		if ms, _ := tx.Members("p1"); len(ms) != 0 {
			t.Errorf("members after delete %+v", ms)
		}
		if used, _ := tx.LoginIDUsed("q1234567"); used {
			t.Errorf("a deleted user's ID without tombstone still counts")
		}
		return nil
	})
	if err := s.Update(context.Background(), func(tx Tx) error { return tx.DeleteUser("u1") }); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

func testStoreRollback(t *testing.T, s Store) {
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(tx Tx) error {
		tx.PutTenant(Tenant{ID: "t1", Name: "acme", UserLicences: 1})
		tx.PutUser(User{ID: "u1", Tenant: "t1", Kind: KindUser, Email: "a@acme.example", Status: StatusActive})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	s.View(context.Background(), func(tx Tx) error {
		if _, err := tx.Tenant("t1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("tenant survived the rollback: %v", err)
		}
		if _, err := tx.User("u1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("user survived the rollback: %v", err)
		}
		return nil
	})
}

func testStoreKeys(t *testing.T, s Store) {
	ctx := context.Background()
	ks := s.Keys()
	pub, _ := ssh.ParsePublicKey(mustPub(t))
	k, err := ks.Add(ctx, "u1", keys.Key{Title: " laptop ", PublicKey: pub, ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if k.ID == "" || k.Title != "laptop" || k.Status != keys.StatusActive || k.Fingerprint != ssh.FingerprintSHA256(pub) {
		t.Fatalf("Add = %+v", k)
	}
	if _, err := ks.Add(ctx, "u1", keys.Key{Title: "again", PublicKey: pub}); !errors.Is(err, keys.ErrKeyExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := ks.Add(ctx, "u2", keys.Key{Title: "same key, other user", PublicKey: pub}); err != nil {
		t.Fatalf("same key for another owner: %v", err)
	}
	if _, err := ks.Add(ctx, "u1", keys.Key{Title: "", PublicKey: pub}); !errors.Is(err, keys.ErrInvalidTitle) {
		t.Fatalf("empty title: %v", err)
	}
	got, err := ks.Find(ctx, "u1", pub)
	if err != nil || got.ID != k.ID || !got.ExpiresAt.Equal(k.ExpiresAt) {
		t.Fatalf("Find = %+v %v", got, err)
	}
	off := keys.StatusDisabled
	if u, err := ks.Update(ctx, "u1", k.ID, keys.Update{Status: &off}); err != nil || u.Status != off {
		t.Fatalf("Update = %+v %v", u, err)
	}
	if _, err := ks.Update(ctx, "u1", k.ID, keys.Update{PublicKey: pub}); !errors.Is(err, keys.ErrKeyImmutable) {
		t.Fatalf("key change: %v", err)
	}
	at := time.Now().Round(0)
	if err := ks.Touch(ctx, "u1", k.ID, at); err != nil {
		t.Fatal(err)
	}
	if g, _ := ks.Get(ctx, "u1", k.ID); !g.LastUsed.Equal(at) {
		t.Fatalf("LastUsed %v, want %v", g.LastUsed, at)
	}
	if l, _ := ks.List(ctx, "u1"); len(l) != 1 {
		t.Fatalf("List = %d keys", len(l))
	}
	// DeleteKeys joins the transaction: rolled back, the keys stay.
	s.Update(ctx, func(tx Tx) error {
		tx.DeleteKeys("u1")
		return errors.New("abort")
	})
	if l, _ := ks.List(ctx, "u1"); len(l) != 1 {
		t.Fatalf("keys deleted by a rolled-back transaction")
	}
	mustUpdate(t, s, func(tx Tx) error { return tx.DeleteKeys("u1") })
	if l, _ := ks.List(ctx, "u1"); len(l) != 0 {
		t.Fatalf("keys survived DeleteKeys")
	}
	if err := ks.Delete(ctx, "u2", "nope"); !errors.Is(err, keys.ErrKeyNotFound) {
		t.Fatalf("Delete unknown: %v", err)
	}
}

func mustPub(t *testing.T) []byte {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(edKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	return pub.Marshal()
}

// testLicenceRace: 16 goroutines enable SFTP for 16 different users when 3
// licences are left; exactly 3 succeed.
func testLicenceRace(t *testing.T, opt Options) {
	f := newFixture(t, opt, NewTenant{UserLicences: 20, SFTPLicences: 5, OwnerSFTP: true})
	f.user(t, "a@acme.example", NewUser{SFTP: true}) // owner + a: 3 of 5 left
	var ids []string
	for i := range 16 {
		ids = append(ids, f.user(t, fmt.Sprintf("u%d@acme.example", i), NewUser{}).ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for _, id := range ids {
		wg.Go(func() {
			_, err := f.d.UpdateUser(ctx, f.owner.ID, id, UserUpdate{SFTP: ptr(true)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrNoSFTPLicence):
				refused++
			default:
				t.Errorf("unexpected: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 3 || refused != 13 {
		t.Fatalf("%d enabled, %d refused; want 3 and 13", ok, refused)
	}
	if i := f.info(t); i.SFTP != (Licences{5, 5}) {
		t.Fatalf("licences %+v", i.SFTP)
	}
}

// testDirectoryOnStore runs a scenario through the Directory on a store:
// IDs, tombstones, custom logins, projects, keys and deletion.
func testDirectoryOnStore(t *testing.T, opt Options) {
	f := newFixture(t, opt, NewTenant{DedicatedEndpoint: "127.0.0.2:22"})
	u := f.user(t, "Pat@acme.example", NewUser{SFTP: true})
	if _, err := f.d.UpdateUser(ctx, f.owner.ID, u.ID, UserUpdate{CustomLogin: ptr("pat")}); err != nil {
		t.Fatal(err)
	}
	if got, _, err := f.d.Login(ctx, "pat", addr("127.0.0.2:22")); err != nil || got.ID != u.ID {
		t.Fatalf("custom login: %v", err)
	}
	p, err := f.d.CreateProject(ctx, f.owner.ID, "Beta")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.d.SetMember(ctx, f.owner.ID, p.ID, u.ID, PresetReadWrite); err != nil {
		t.Fatal(err)
	}
	if sh, _ := f.d.SharedWith(ctx, u.ID); len(sh) != 1 || sh[0].Preset != PresetReadWrite {
		t.Fatalf("shares %+v", sh)
	}
	if _, err := f.d.AddKey(ctx, u.ID, u.ID, "laptop", edKey(t), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := f.d.DeleteUser(ctx, f.owner.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if ks, _ := f.d.store.Keys().List(ctx, u.ID); len(ks) != 0 {
		t.Fatal("keys survived the user")
	}
	r := f.user(t, "pat@ACME.example", NewUser{SFTP: true})
	if r.LoginID != u.LoginID {
		t.Fatalf("restored ID %s, want %s", r.LoginID, u.LoginID)
	}
	if i := f.info(t); i.Users.Used != 2 || i.SFTP.Used != 1 {
		t.Fatalf("licences %+v %+v", i.Users, i.SFTP)
	}
}

// The SQLite store keeps everything across a restart.
func TestSQLStore_Persists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "directory.db")
	s, err := OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := New(Options{Store: s})
	_, owner, err := d.CreateTenant(ctx, NewTenant{Name: "acme", UserLicences: 2, SFTPLicences: 1, Module: SFTPModule{Enabled: true},
		OwnerEmail: "o@acme.example", OwnerSFTP: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddKey(ctx, owner.ID, owner.ID, "k", edKey(t), time.Time{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenSQLite(ctx, path, nil) // migrations already applied: a no-op
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d = New(Options{Store: s})
	got, _, err := d.Login(ctx, owner.LoginID, nil)
	if err != nil || got.ID != owner.ID {
		t.Fatalf("after reopening: %v", err)
	}
	if ks, err := d.Keys(ctx, owner.ID, owner.ID); err != nil || len(ks) != 1 {
		t.Fatalf("keys after reopening: %v %v", ks, err)
	}
	if i, _ := d.Tenant(ctx, owner.ID); i.SFTP != (Licences{1, 1}) {
		t.Fatalf("licences %+v", i.SFTP)
	}
}
