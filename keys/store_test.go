package keys

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// notes records notifications.
type notes struct {
	mu   sync.Mutex
	list []Notification
}

func (n *notes) notify(_ context.Context, x Notification) {
	n.mu.Lock()
	n.list = append(n.list, x)
	n.mu.Unlock()
}

func (n *notes) take() []Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := n.list
	n.list = nil
	return l
}

func newStore(t *testing.T) (*MemoryStore, *fakeClock, *notes) {
	t.Helper()
	clock := &fakeClock{t: utc("2026-06-01T12:00:00")}
	n := &notes{}
	return NewMemoryStore(MemoryStoreOptions{Now: clock.Now, Notify: n.notify}), clock, n
}

func isErr(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestQKEY01_AddKey covers the add request: title rules, key text parsing,
// key types, expiry, and the returned object.
func TestQKEY01_AddKey(t *testing.T) {
	tk := newTestKeys(t)
	_, hostPEM, err := GenerateHostKey(Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := utc("2026-06-01T12:00:00")
	tests := []struct {
		name      string
		title     string
		text      string
		expires   time.Time
		want      error
		also      error // a second sentinel the error must wrap
		wantTitle string
	}{
		{name: "OpenSSH line", title: "laptop", text: line(tk.ed, "alice@laptop"), wantTitle: "laptop"},
		{name: "OpenSSH line with surrounding blank lines", title: "x", text: "\n" + line(tk.p256, "") + "\n\n", wantTitle: "x"},
		{name: "RFC 4716 block", title: "tectia", text: rfc4716(tk.rsa2048, `Comment: "converted"`), wantTitle: "tectia"},
		{name: "title trimmed", title: "  work key \t", text: line(tk.ed, ""), wantTitle: "work key"},
		{name: "title of 255 characters", title: strings.Repeat("é", 255), text: line(tk.ed, ""), wantTitle: strings.Repeat("é", 255)},
		{name: "title of 256 characters", title: strings.Repeat("é", 256), text: line(tk.ed, ""), want: ErrInvalidTitle},
		{name: "empty title", title: "", text: line(tk.ed, ""), want: ErrInvalidTitle},
		{name: "blank title", title: " \t\n", text: line(tk.ed, ""), want: ErrInvalidTitle},
		{name: "title with newline", title: "a\nb", text: line(tk.ed, ""), want: ErrInvalidTitle},
		{name: "title with NUL", title: "a\x00b", text: line(tk.ed, ""), want: ErrInvalidTitle},
		{name: "title with bidi override", title: "key\u202Eyek", text: line(tk.ed, ""), want: ErrInvalidTitle},
		{name: "title not UTF-8", title: "a\xffb", text: line(tk.ed, ""), want: ErrInvalidTitle},
		{name: "private key", title: "k", text: string(hostPEM), want: ErrInvalidKey, also: ErrPrivateKey},
		{name: "public line followed by private key", title: "k", text: line(tk.ed, "") + "\n" + string(hostPEM), want: ErrInvalidKey, also: ErrPrivateKey},
		{name: "garbage", title: "k", text: "hello world", want: ErrInvalidKey},
		{name: "empty text", title: "k", text: "", want: ErrInvalidKey},
		{name: "truncated key data", title: "k", text: "ssh-ed25519 " + b64(tk.ed)[:30], want: ErrInvalidKey},
		{name: "two keys", title: "k", text: line(tk.ed, "") + "\n" + line(tk.ed2, ""), want: ErrInvalidKey},
		{name: "options", title: "k", text: "restrict " + line(tk.ed, ""), want: ErrInvalidKey},
		{name: "text too long", title: "k", text: line(tk.ed, strings.Repeat("c", MaxKeyTextLength)), want: ErrInvalidKey},
		{name: "ssh-dss", title: "k", text: line(tk.dsa, ""), want: ErrKeyTypeNotAllowed},
		{name: "short RSA", title: "k", text: line(tk.rsa1024, ""), want: ErrKeyTypeNotAllowed},
		{name: "certificate", title: "k", text: line(tk.cert, ""), want: ErrKeyTypeNotAllowed},
		{name: "expiry in the future", title: "k", text: line(tk.ed, ""), expires: now.Add(time.Second), wantTitle: "k"},
		{name: "expiry now", title: "k", text: line(tk.ed, ""), expires: now, want: ErrExpiryInPast},
		{name: "expiry in the past", title: "k", text: line(tk.ed, ""), expires: now.Add(-time.Hour), want: ErrExpiryInPast},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, n := newStore(t)
			k, err := NewKey(tt.title, tt.text, tt.expires)
			if err == nil {
				k, err = s.Add(ctx, "alice", k)
			}
			if !isErr(err, tt.want) || tt.also != nil && !errors.Is(err, tt.also) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				if l, _ := s.List(ctx, "alice"); len(l) != 0 {
					t.Error("a refused key was stored")
				}
				if len(n.take()) != 0 {
					t.Error("notification for a refused key")
				}
				return
			}
			if !uuidV4.MatchString(k.ID) {
				t.Errorf("ID %q is not a UUIDv4", k.ID)
			}
			if k.Title != tt.wantTitle || k.Status != StatusActive || !k.ExpiresAt.Equal(tt.expires) {
				t.Errorf("got title %q status %s expires %v", k.Title, k.Status, k.ExpiresAt)
			}
			if k.Fingerprint != ssh.FingerprintSHA256(k.PublicKey) || !strings.HasPrefix(k.Fingerprint, "SHA256:") {
				t.Errorf("fingerprint %q", k.Fingerprint)
			}
			if k.Algorithm != k.PublicKey.Type() {
				t.Errorf("algorithm %q", k.Algorithm)
			}
			if !k.Created.Equal(now) || !k.Modified.Equal(now) || !k.LastUsed.IsZero() {
				t.Errorf("created %v modified %v last used %v", k.Created, k.Modified, k.LastUsed)
			}
			got, err := s.Get(ctx, "alice", k.ID)
			if err != nil || got.Fingerprint != k.Fingerprint || got.Title != k.Title {
				t.Errorf("Get = %+v, %v", got, err)
			}
		})
	}

	t.Run("Add validates keys given directly", func(t *testing.T) {
		s, _, _ := newStore(t)
		for _, c := range []struct {
			owner string
			k     Key
			want  error
		}{
			{"", Key{Title: "t", PublicKey: tk.ed}, ErrInvalidOwner},
			{"alice", Key{Title: "t"}, ErrInvalidKey},
			{"alice", Key{Title: "t", PublicKey: tk.cert}, ErrKeyTypeNotAllowed},
			{"alice", Key{Title: "t", PublicKey: tk.dsa}, ErrKeyTypeNotAllowed},
			{"alice", Key{Title: "t", PublicKey: tk.rsa1024}, ErrKeyTypeNotAllowed},
			{"alice", Key{Title: "t", PublicKey: tk.ed, Status: StatusExpired}, ErrInvalidStatus},
			{"alice", Key{Title: "t", PublicKey: tk.ed, Status: "A"}, ErrInvalidStatus},
			{"alice", Key{Title: "t", PublicKey: tk.ed, SourceCIDRs: []netip.Prefix{{}}}, ErrInvalidSourceCIDR},
		} {
			if _, err := s.Add(ctx, c.owner, c.k); !errors.Is(err, c.want) {
				t.Errorf("Add(%q, %+v) = %v, want %v", c.owner, c.k, err, c.want)
			}
		}
		k, err := s.Add(ctx, "alice", Key{ID: "mine", Title: "t", Fingerprint: "x", Algorithm: "y", PublicKey: tk.skEd,
			Status: StatusDisabled, LastUsed: time.Now(), SourceCIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.2.3/8")}})
		if err != nil {
			t.Fatal(err)
		}
		if k.ID == "mine" || k.Fingerprint != ssh.FingerprintSHA256(tk.skEd) || k.Algorithm != ssh.KeyAlgoSKED25519 ||
			!k.LastUsed.IsZero() || k.Status != StatusDisabled || k.SourceCIDRs[0] != netip.MustParsePrefix("10.0.0.0/8") {
			t.Errorf("store-set fields not set by the store: %+v", k)
		}
	})

	t.Run("custom NewID; a reused id is refused", func(t *testing.T) {
		s := NewMemoryStore(MemoryStoreOptions{NewID: func() string { return "same" }})
		if k, err := s.Add(ctx, "alice", Key{Title: "a", PublicKey: tk.ed}); err != nil || k.ID != "same" {
			t.Fatalf("Add = %+v, %v", k, err)
		}
		if _, err := s.Add(ctx, "bob", Key{Title: "b", PublicKey: tk.ed2}); err == nil {
			t.Fatal("reused id accepted")
		}
	})
}

// TestQKEY02_Duplicates: the same key twice for one owner is refused, for
// two owners allowed.
func TestQKEY02_Duplicates(t *testing.T) {
	tk := newTestKeys(t)
	ctx := context.Background()
	s, _, _ := newStore(t)
	first, err := s.Add(ctx, "alice", Key{Title: "one", PublicKey: tk.ed})
	if err != nil {
		t.Fatal(err)
	}
	// The same material in another form and with another title.
	again, err := NewKey("two", rfc4716(tk.ed), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "alice", again); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("duplicate for the same owner: err = %v, want ErrKeyExists", err)
	}
	bobs, err := s.Add(ctx, "bob", again)
	if err != nil {
		t.Fatalf("same key for another owner: %v", err)
	}
	if bobs.ID == first.ID {
		t.Error("two owners share an id")
	}
	if err := s.Delete(ctx, "alice", first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "alice", again); err != nil {
		t.Errorf("re-adding after delete: %v", err)
	}
}

// TestQKEY03_Update: only title, status and expiry change; Modified moves;
// the key material cannot change.
func TestQKEY03_Update(t *testing.T) {
	tk := newTestKeys(t)
	ctx := context.Background()
	title := func(s string) *string { return &s }
	status := func(s Status) *Status { return &s }
	when := func(t time.Time) *time.Time { return &t }
	now := utc("2026-06-01T12:00:00")
	later := now.Add(time.Minute)
	tests := []struct {
		name      string
		u         Update
		want      error
		wantTitle string
		wantStat  Status
		wantExp   time.Time
		bumped    bool
	}{
		{name: "title", u: Update{Title: title("  renamed ")}, wantTitle: "renamed", wantStat: StatusActive, wantExp: now.Add(time.Hour), bumped: true},
		{name: "status", u: Update{Status: status(StatusDisabled)}, wantTitle: "orig", wantStat: StatusDisabled, wantExp: now.Add(time.Hour), bumped: true},
		{name: "expiry moved", u: Update{ExpiresAt: when(now.Add(48 * time.Hour))}, wantTitle: "orig", wantStat: StatusActive, wantExp: now.Add(48 * time.Hour), bumped: true},
		{name: "expiry removed", u: Update{ExpiresAt: when(time.Time{})}, wantTitle: "orig", wantStat: StatusActive, bumped: true},
		{name: "all three", u: Update{Title: title("t"), Status: status(StatusDisabled), ExpiresAt: when(now.Add(2 * time.Hour))},
			wantTitle: "t", wantStat: StatusDisabled, wantExp: now.Add(2 * time.Hour), bumped: true},
		{name: "nothing", u: Update{}, wantTitle: "orig", wantStat: StatusActive, wantExp: now.Add(time.Hour)},
		{name: "key material", u: Update{PublicKey: tk.ed2}, want: ErrKeyImmutable},
		{name: "same key material", u: Update{PublicKey: tk.ed}, want: ErrKeyImmutable},
		{name: "key material with a title", u: Update{Title: title("x"), PublicKey: tk.ed2}, want: ErrKeyImmutable},
		{name: "bad title", u: Update{Title: title(""), Status: status(StatusDisabled)}, want: ErrInvalidTitle},
		{name: "bad status", u: Update{Status: status("D")}, want: ErrInvalidStatus},
		{name: "status expired is computed only", u: Update{Status: status(StatusExpired)}, want: ErrInvalidStatus},
		{name: "expiry in the past", u: Update{ExpiresAt: when(later.Add(-time.Second))}, want: ErrExpiryInPast},
		{name: "expiry exactly now", u: Update{ExpiresAt: when(later)}, want: ErrExpiryInPast},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, clock, _ := newStore(t)
			k, err := s.Add(ctx, "alice", Key{Title: "orig", PublicKey: tk.ed, ExpiresAt: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Add(ctx, "alice", Key{Title: "other", PublicKey: tk.p256}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
			got, err := s.Update(ctx, "alice", k.ID, tt.u)
			if !isErr(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			stored, _ := s.Get(ctx, "alice", k.ID)
			if err != nil {
				if stored.Title != k.Title || stored.Status != k.Status || !stored.ExpiresAt.Equal(k.ExpiresAt) || !stored.Modified.Equal(k.Modified) {
					t.Errorf("a refused update changed the key: %+v", stored)
				}
				return
			}
			if got.Title != tt.wantTitle || got.Status != tt.wantStat || !got.ExpiresAt.Equal(tt.wantExp) {
				t.Errorf("got %q %s %v, want %q %s %v", got.Title, got.Status, got.ExpiresAt, tt.wantTitle, tt.wantStat, tt.wantExp)
			}
			if got.ID != k.ID || got.Fingerprint != k.Fingerprint || string(got.PublicKey.Marshal()) != string(tk.ed.Marshal()) || !got.Created.Equal(k.Created) {
				t.Error("identity, material or creation time changed")
			}
			if wantMod := map[bool]time.Time{true: later, false: now}[tt.bumped]; !got.Modified.Equal(wantMod) {
				t.Errorf("Modified = %v, want %v", got.Modified, wantMod)
			}
			if stored.Title != got.Title || stored.Status != got.Status || !stored.Modified.Equal(got.Modified) {
				t.Error("Update's result differs from the stored key")
			}
			other, _ := s.Find(ctx, "alice", tk.p256)
			if other.Title != "other" || other.Status != StatusActive || !other.Modified.Equal(now) {
				t.Error("another key changed")
			}
		})
	}

	t.Run("returned keys do not alias the store", func(t *testing.T) {
		s, _, _ := newStore(t)
		k, err := s.Add(ctx, "alice", Key{Title: "t", PublicKey: tk.ed,
			SourceCIDRs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
		if err != nil {
			t.Fatal(err)
		}
		raw := k.PublicKey.(ssh.CryptoPublicKey).CryptoPublicKey().(ed25519.PublicKey)
		for i := range raw {
			raw[i] = 0
		}
		k.SourceCIDRs[0] = netip.MustParsePrefix("0.0.0.0/0")
		got, _ := s.Get(ctx, "alice", k.ID)
		if string(got.PublicKey.Marshal()) != string(tk.ed.Marshal()) || got.Fingerprint != ssh.FingerprintSHA256(tk.ed) {
			t.Error("changing a returned key changed the stored material")
		}
		if got.SourceCIDRs[0] != netip.MustParsePrefix("10.0.0.0/8") {
			t.Error("changing a returned key changed the stored source CIDRs")
		}
	})
	t.Run("unknown id", func(t *testing.T) {
		s, _, _ := newStore(t)
		if _, err := s.Update(ctx, "alice", "nope", Update{Title: title("x")}); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("err = %v", err)
		}
	})
}

// TestQKEY04_ListDelete: List returns every key with its computed state;
// Delete removes; unknown, deleted and other owners' ids are not found.
func TestQKEY04_ListDelete(t *testing.T) {
	tk := newTestKeys(t)
	ctx := context.Background()
	s, clock, _ := newStore(t)
	now := clock.Now()
	a, _ := s.Add(ctx, "alice", Key{Title: "active", PublicKey: tk.ed})
	clock.Advance(time.Second)
	d, _ := s.Add(ctx, "alice", Key{Title: "disabled", PublicKey: tk.ed2, Status: StatusDisabled})
	clock.Advance(time.Second)
	e, err := s.Add(ctx, "alice", Key{Title: "expiring", PublicKey: tk.p256, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Add(ctx, "bob", Key{Title: "bob's", PublicKey: tk.p384})
	clock.Advance(2 * time.Hour)

	list, err := s.List(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range list {
		got = append(got, k.Title+"="+string(k.State(clock.Now())))
	}
	if want := "active=active disabled=disabled expiring=expired"; strings.Join(got, " ") != want {
		t.Fatalf("List = %v, want %s", got, want)
	}
	if l, err := s.List(ctx, "nobody"); err != nil || len(l) != 0 {
		t.Errorf("List of an owner without keys = %v, %v", l, err)
	}

	tests := []struct {
		name, owner, id string
		want            error
	}{
		{"other owner's id", "alice", b.ID, ErrKeyNotFound},
		{"unknown id", "alice", "00000000-0000-4000-8000-000000000000", ErrKeyNotFound},
		{"empty id", "alice", "", ErrKeyNotFound},
		{"delete", "alice", d.ID, nil},
		{"deleted id", "alice", d.ID, ErrKeyNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Delete(ctx, tt.owner, tt.id)
			if !isErr(err, tt.want) {
				t.Fatalf("Delete = %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Error("ErrKeyNotFound does not wrap fs.ErrNotExist")
				}
				if _, err := s.Get(ctx, tt.owner, tt.id); !errors.Is(err, ErrKeyNotFound) {
					t.Errorf("Get = %v", err)
				}
			}
		})
	}
	if _, err := s.Get(ctx, "bob", b.ID); err != nil {
		t.Error("bob's key was touched by alice's calls")
	}
	list, _ = s.List(ctx, "alice")
	if len(list) != 2 || list[0].ID != a.ID || list[1].ID != e.ID {
		t.Errorf("after delete: %+v", list)
	}
	if _, err := s.Find(ctx, "alice", tk.ed2); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("Find of a deleted key = %v", err)
	}
}

// TestQKEY05_Usable: only active, unexpired keys authenticate; expiry is
// exact; source CIDRs restrict.
func TestQKEY05_Usable(t *testing.T) {
	exp := utc("2030-01-01T00:00:00")
	addr := netip.MustParseAddr
	cidrs := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	tests := []struct {
		name string
		k    Key
		now  time.Time
		src  netip.Addr
		want error
	}{
		{"active, no expiry", Key{Status: StatusActive}, exp, addr("192.0.2.1"), nil},
		{"active before expiry", Key{Status: StatusActive, ExpiresAt: exp}, exp.Add(-time.Nanosecond), addr("192.0.2.1"), nil},
		{"active exactly at expiry", Key{Status: StatusActive, ExpiresAt: exp}, exp, addr("192.0.2.1"), ErrKeyExpired},
		{"active after expiry", Key{Status: StatusActive, ExpiresAt: exp}, exp.Add(time.Hour), addr("192.0.2.1"), ErrKeyExpired},
		{"disabled", Key{Status: StatusDisabled}, exp, addr("192.0.2.1"), ErrKeyDisabled},
		{"disabled and expired", Key{Status: StatusDisabled, ExpiresAt: exp}, exp, addr("192.0.2.1"), ErrKeyDisabled},
		{"unknown status is disabled", Key{Status: "A"}, exp, addr("192.0.2.1"), ErrKeyDisabled},
		{"source in CIDR", Key{Status: StatusActive, SourceCIDRs: cidrs}, exp, addr("10.9.9.9"), nil},
		{"source in IPv6 CIDR", Key{Status: StatusActive, SourceCIDRs: cidrs}, exp, addr("2001:db8::5"), nil},
		{"IPv4-mapped source", Key{Status: StatusActive, SourceCIDRs: cidrs}, exp, addr("::ffff:10.9.9.9"), nil},
		{"source outside", Key{Status: StatusActive, SourceCIDRs: cidrs}, exp, addr("192.0.2.1"), ErrSourceNotAllowed},
		{"no source with CIDRs", Key{Status: StatusActive, SourceCIDRs: cidrs}, exp, netip.Addr{}, ErrSourceNotAllowed},
		{"no source without CIDRs", Key{Status: StatusActive}, exp, netip.Addr{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.k.Usable(tt.now, tt.src); !isErr(err, tt.want) {
				t.Fatalf("Usable = %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("login flow: Find, Usable, Touch", func(t *testing.T) {
		tk := newTestKeys(t)
		ctx := context.Background()
		s, clock, _ := newStore(t)
		k, err := s.Add(ctx, "alice", Key{Title: "t", PublicKey: tk.ed, ExpiresAt: clock.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		found, err := s.Find(ctx, "alice", tk.ed)
		if err != nil || found.Usable(clock.Now(), addr("192.0.2.1")) != nil {
			t.Fatalf("Find/Usable: %v", err)
		}
		if _, err := s.Find(ctx, "bob", tk.ed); !errors.Is(err, ErrKeyNotFound) {
			t.Error("key found for another owner")
		}
		if _, err := s.Find(ctx, "alice", tk.cert); !errors.Is(err, ErrKeyNotFound) {
			t.Error("a certificate of the key matched the stored key")
		}
		t1 := clock.Now().Add(time.Minute)
		if err := s.Touch(ctx, "alice", k.ID, t1); err != nil {
			t.Fatal(err)
		}
		if err := s.Touch(ctx, "alice", k.ID, t1.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, "alice", k.ID)
		if !got.LastUsed.Equal(t1) || !got.Modified.Equal(k.Modified) {
			t.Errorf("LastUsed %v (want %v), Modified %v (want unchanged)", got.LastUsed, t1, got.Modified)
		}
		if err := s.Touch(ctx, "alice", "nope", t1); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("Touch unknown = %v", err)
		}
		if err := s.Touch(ctx, "bob", k.ID, t1); !errors.Is(err, ErrKeyNotFound) {
			t.Errorf("Touch other owner = %v", err)
		}
		clock.Advance(time.Hour)
		found, _ = s.Find(ctx, "alice", tk.ed)
		if err := found.Usable(clock.Now(), addr("192.0.2.1")); !errors.Is(err, ErrKeyExpired) {
			t.Errorf("at expiry: %v", err)
		}
	})
}

// TestQKEY06_CanManageKeys is the authorization matrix of QKEY-06.
func TestQKEY06_CanManageKeys(t *testing.T) {
	alice := Party{Name: "alice", Tenant: "acme", SFTPEnabled: true}
	bob := Party{Name: "bob", Tenant: "acme", SFTPEnabled: true}
	admin := Party{Name: "root", Tenant: "acme", Admin: true}
	otherAdmin := Party{Name: "root", Tenant: "globex", Admin: true}
	jailed := Party{Name: "jay", Tenant: "acme", Restricted: true, SFTPEnabled: true}
	jailedOff := Party{Name: "jay", Tenant: "acme", Restricted: true}
	userOff := Party{Name: "alice", Tenant: "acme"}
	tests := []struct {
		name         string
		actor, owner Party
		want         error
	}{
		{"own keys", alice, alice, nil},
		{"own keys, SFTP off (regular user)", userOff, userOff, nil},
		{"another user's keys", alice, bob, ErrForbidden},
		{"admin manages anyone in the tenant", admin, bob, nil},
		{"admin manages a jailed user", admin, jailedOff, nil},
		{"admin of another tenant", otherAdmin, bob, ErrForbidden},
		{"same name, other tenant", Party{Name: "alice", Tenant: "globex"}, alice, ErrForbidden},
		{"jailed user, own keys, SFTP on", jailed, jailed, nil},
		{"jailed user, own keys, SFTP off", jailedOff, jailedOff, ErrForbidden},
		{"jailed user, other keys", jailed, bob, ErrForbidden},
		{"empty actor", Party{Tenant: "acme", Admin: true}, bob, ErrForbidden},
		{"empty owner", admin, Party{Tenant: "acme"}, ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CanManageKeys(tt.actor, tt.owner)
			if !isErr(err, tt.want) {
				t.Fatalf("CanManageKeys = %v, want %v", err, tt.want)
			}
			if err != nil && !errors.Is(err, fs.ErrPermission) {
				t.Error("ErrForbidden does not wrap fs.ErrPermission")
			}
		})
	}

	t.Run("Guard", func(t *testing.T) {
		tk := newTestKeys(t)
		type actorKey struct{}
		parties := map[string]Party{"alice": alice, "bob": bob, "root": admin}
		inner, _, _ := newStore(t)
		g := Guard(inner, func(ctx context.Context, owner string) error {
			actor, _ := ctx.Value(actorKey{}).(Party)
			return CanManageKeys(actor, parties[owner])
		})
		as := func(p Party) context.Context { return context.WithValue(context.Background(), actorKey{}, p) }
		bk, err := g.Add(as(admin), "bob", Key{Title: "by admin", PublicKey: tk.ed})
		if err != nil {
			t.Fatal(err)
		}
		ctx := as(alice)
		calls := []func() error{
			func() error { _, err := g.Add(ctx, "bob", Key{Title: "x", PublicKey: tk.ed2}); return err },
			func() error { _, err := g.Get(ctx, "bob", bk.ID); return err },
			func() error { _, err := g.List(ctx, "bob"); return err },
			func() error { _, err := g.Update(ctx, "bob", bk.ID, Update{}); return err },
			func() error { return g.Delete(ctx, "bob", bk.ID) },
			func() error { return g.Touch(ctx, "bob", bk.ID, time.Now()) },
			func() error { _, err := g.Find(ctx, "bob", tk.ed); return err },
		}
		for i, call := range calls {
			if err := call(); !errors.Is(err, ErrForbidden) {
				t.Errorf("call %d: err = %v, want ErrForbidden", i, err)
			}
		}
		if l, _ := inner.List(context.Background(), "bob"); len(l) != 1 || l[0].Title != "by admin" {
			t.Error("a refused call reached the store")
		}
		ctx = as(bob)
		for i, call := range calls {
			if err := call(); err != nil && !errors.Is(err, ErrKeyNotFound) {
				t.Errorf("call %d as the owner: %v", i, err)
			}
		}
	})
}

// TestQKEY07_Notifications: add, delete and status change notify the
// owner with metadata only, never the key text.
func TestQKEY07_Notifications(t *testing.T) {
	tk := newTestKeys(t)
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "request-1")
	var gotCtx []context.Context
	clock := &fakeClock{t: utc("2026-06-01T12:00:00")}
	n := &notes{}
	s := NewMemoryStore(MemoryStoreOptions{Now: clock.Now, Notify: func(c context.Context, x Notification) {
		gotCtx = append(gotCtx, c)
		n.notify(c, x)
	}})
	exp := clock.Now().Add(24 * time.Hour)
	k, err := s.Add(ctx, "alice", Key{Title: "laptop", PublicKey: tk.rsa2048, ExpiresAt: exp})
	if err != nil {
		t.Fatal(err)
	}
	disabled, active := StatusDisabled, StatusActive
	newTitle := "renamed"
	steps := []struct {
		name string
		do   func() error
		want *Notification
	}{
		{"title change: no notification", func() error {
			_, err := s.Update(ctx, "alice", k.ID, Update{Title: &newTitle})
			return err
		}, nil},
		{"disable", func() error {
			_, err := s.Update(ctx, "alice", k.ID, Update{Status: &disabled})
			return err
		}, &Notification{Event: EventKeyStatusChanged, Title: "renamed", Status: StatusDisabled}},
		{"disable again: no change, no notification", func() error {
			_, err := s.Update(ctx, "alice", k.ID, Update{Status: &disabled})
			return err
		}, nil},
		{"enable", func() error {
			_, err := s.Update(ctx, "alice", k.ID, Update{Status: &active})
			return err
		}, &Notification{Event: EventKeyStatusChanged, Title: "renamed", Status: StatusActive}},
		{"refused update: no notification", func() error {
			_, err := s.Update(ctx, "alice", k.ID, Update{Status: &disabled, PublicKey: tk.ed})
			if !errors.Is(err, ErrKeyImmutable) {
				return fmt.Errorf("err = %v", err)
			}
			return nil
		}, nil},
		{"touch: no notification", func() error { return s.Touch(ctx, "alice", k.ID, clock.Now()) }, nil},
		{"delete", func() error { return s.Delete(ctx, "alice", k.ID) },
			&Notification{Event: EventKeyDeleted, Title: "renamed", Status: StatusActive}},
		{"delete unknown: no notification", func() error {
			if err := s.Delete(ctx, "alice", k.ID); !errors.Is(err, ErrKeyNotFound) {
				return fmt.Errorf("err = %v", err)
			}
			return nil
		}, nil},
	}
	added := n.take()
	if len(added) != 1 {
		t.Fatalf("got %d notifications for add", len(added))
	}
	want := Notification{Event: EventKeyAdded, Owner: "alice", KeyID: k.ID, Title: "laptop", Fingerprint: k.Fingerprint,
		Algorithm: ssh.KeyAlgoRSA, ExpiresAt: exp, Status: StatusActive, At: clock.Now()}
	if added[0] != want {
		t.Errorf("add notification = %+v, want %+v", added[0], want)
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			clock.Advance(time.Minute)
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			got := n.take()
			if st.want == nil {
				if len(got) != 0 {
					t.Fatalf("unexpected notifications %+v", got)
				}
				return
			}
			w := *st.want
			w.Owner, w.KeyID, w.Fingerprint, w.Algorithm, w.ExpiresAt, w.At = "alice", k.ID, k.Fingerprint, ssh.KeyAlgoRSA, exp, clock.Now()
			if len(got) != 1 || got[0] != w {
				t.Fatalf("notifications = %+v, want %+v", got, w)
			}
			text := fmt.Sprintf("%+v %#v", got[0], got[0])
			if strings.Contains(text, b64(tk.rsa2048)[:40]) || strings.Contains(text, b64(tk.rsa2048)[100:140]) {
				t.Error("notification carries the key text")
			}
		})
	}
	for _, c := range gotCtx {
		if c.Value(ctxKey{}) != "request-1" {
			t.Error("Notify did not get the caller's context")
		}
	}
}

// TestQKEY08_KeysPreserved: the store never drops or changes keys on its
// own. Whether the owner's SFTP access is enabled is decided outside this
// package (the auth package refuses the login before any key is looked
// up); while it is off, management calls can be refused through Guard and
// the keys stay as they were, usable again once access is back.
func TestQKEY08_KeysPreserved(t *testing.T) {
	tk := newTestKeys(t)
	ctx := context.Background()
	inner, clock, _ := newStore(t)
	k, err := inner.Add(ctx, "jay", Key{Title: "t", PublicKey: tk.ed, ExpiresAt: clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	sftpEnabled := false
	g := Guard(inner, func(context.Context, string) error {
		return CanManageKeys(Party{Name: "jay", Tenant: "t", Restricted: true, SFTPEnabled: sftpEnabled},
			Party{Name: "jay", Tenant: "t", Restricted: true, SFTPEnabled: sftpEnabled})
	})
	if _, err := g.List(ctx, "jay"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("List with SFTP off = %v", err)
	}
	clock.Advance(time.Hour)
	sftpEnabled = true
	list, err := g.List(ctx, "jay")
	if err != nil || len(list) != 1 || list[0].ID != k.ID || list[0].Status != StatusActive || !list[0].Modified.Equal(k.Modified) {
		t.Fatalf("after re-enabling: %+v, %v", list, err)
	}
	if err := list[0].Usable(clock.Now(), netip.MustParseAddr("192.0.2.1")); err != nil {
		t.Errorf("key not usable after re-enabling: %v", err)
	}
}

// TestQKEY09_NoMinimumLength: validation is by parsing; short Ed25519 and
// ECDSA key texts are accepted.
func TestQKEY09_NoMinimumLength(t *testing.T) {
	tk := newTestKeys(t)
	for _, k := range []ssh.PublicKey{tk.ed, tk.p256, tk.skEd} {
		text := line(k, "")
		if len(text) >= 256 && k == tk.ed {
			t.Fatalf("fixture: Ed25519 line is %d characters", len(text))
		}
		if _, err := NewKey("short", text, time.Time{}); err != nil {
			t.Errorf("%s (%d characters): %v", k.Type(), len(text), err)
		}
	}
}

func TestMemoryStore_ContextCancelled(t *testing.T) {
	tk := newTestKeys(t)
	s, _, n := newStore(t)
	k, err := s.Add(context.Background(), "alice", Key{Title: "t", PublicKey: tk.ed})
	if err != nil {
		t.Fatal(err)
	}
	n.take()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := []func() error{
		func() error { _, err := s.Add(ctx, "alice", Key{Title: "x", PublicKey: tk.ed2}); return err },
		func() error { _, err := s.Get(ctx, "alice", k.ID); return err },
		func() error { _, err := s.List(ctx, "alice"); return err },
		func() error { _, err := s.Update(ctx, "alice", k.ID, Update{}); return err },
		func() error { return s.Delete(ctx, "alice", k.ID) },
		func() error { return s.Touch(ctx, "alice", k.ID, time.Now()) },
		func() error { _, err := s.Find(ctx, "alice", tk.ed); return err },
	}
	for i, c := range calls {
		if err := c(); !errors.Is(err, context.Canceled) {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if l, _ := s.List(context.Background(), "alice"); len(l) != 1 || len(n.take()) != 0 {
		t.Error("a cancelled call changed the store")
	}
}

// TestMemoryStore_Concurrent exercises every method from many goroutines;
// run with -race.
func TestMemoryStore_Concurrent(t *testing.T) {
	tk := newTestKeys(t)
	pubs := []ssh.PublicKey{tk.ed, tk.ed2, tk.p256, tk.p384, tk.p521, tk.rsa2048, tk.skEd}
	s, _, n := newStore(t)
	ctx := context.Background()
	owners := []string{"alice", "bob", "carol"}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				owner := owners[(w+i)%len(owners)]
				pub := pubs[(w*7+i)%len(pubs)]
				switch i % 7 {
				case 0, 1:
					if _, err := s.Add(ctx, owner, Key{Title: "k", PublicKey: pub}); err != nil && !errors.Is(err, ErrKeyExists) {
						t.Error(err)
					}
				case 2:
					if k, err := s.Find(ctx, owner, pub); err == nil {
						st := Status(map[bool]Status{true: StatusActive, false: StatusDisabled}[i%2 == 0])
						if _, err := s.Update(ctx, owner, k.ID, Update{Status: &st}); err != nil && !errors.Is(err, ErrKeyNotFound) {
							t.Error(err)
						}
					}
				case 3:
					if k, err := s.Find(ctx, owner, pub); err == nil {
						if err := s.Touch(ctx, owner, k.ID, time.Now()); err != nil && !errors.Is(err, ErrKeyNotFound) {
							t.Error(err)
						}
					}
				case 4:
					l, err := s.List(ctx, owner)
					if err != nil {
						t.Error(err)
					}
					seen := map[string]bool{}
					for _, k := range l {
						if seen[k.Fingerprint] {
							t.Error("duplicate key for one owner")
						}
						seen[k.Fingerprint] = true
					}
				case 5:
					if k, err := s.Find(ctx, owner, pub); err == nil {
						if err := s.Delete(ctx, owner, k.ID); err != nil && !errors.Is(err, ErrKeyNotFound) {
							t.Error(err)
						}
					}
				case 6:
					if k, err := s.Find(ctx, owner, pub); err == nil {
						if _, err := s.Get(ctx, owner, k.ID); err != nil && !errors.Is(err, ErrKeyNotFound) {
							t.Error(err)
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	// Every stored key was announced once and not deleted since.
	// Notifications of concurrent calls may arrive in any order, so count.
	count := map[string]int{}
	for _, x := range n.take() {
		switch x.Event {
		case EventKeyAdded:
			count[x.KeyID]++
		case EventKeyDeleted:
			count[x.KeyID]--
		}
	}
	live := 0
	for id, c := range count {
		if c != 0 && c != 1 {
			t.Errorf("key %s: %d more adds than deletes", id, c)
		}
		live += c
	}
	total := 0
	for _, o := range owners {
		l, _ := s.List(ctx, o)
		total += len(l)
		for _, k := range l {
			if count[k.ID] != 1 {
				t.Errorf("stored key %s has no add notification", k.ID)
			}
		}
	}
	if total != live {
		t.Errorf("%d keys stored, notifications say %d", total, live)
	}
}
