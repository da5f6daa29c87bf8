package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

type banLog struct {
	mu  sync.Mutex
	evs []BanEvent
}

func (b *banLog) add(e BanEvent) {
	b.mu.Lock()
	b.evs = append(b.evs, e)
	b.mu.Unlock()
}

func (b *banLog) take() []BanEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.evs
	b.evs = nil
	return out
}

func newTestLockout(t *testing.T, opt LockoutOptions) (*Lockout, *fakeClock, *banLog) {
	t.Helper()
	clk := newFakeClock()
	bans := &banLog{}
	opt.Now, opt.OnBan = clk.Now, bans.add
	l, err := NewLockout(opt)
	if err != nil {
		t.Fatal(err)
	}
	return l, clk, bans
}

var (
	ip1 = netip.MustParseAddr("192.0.2.1")
	ip2 = netip.MustParseAddr("192.0.2.2")
	bg  = context.Background()
)

func fail(t *testing.T, l *Lockout, n int, account string, src netip.Addr) {
	t.Helper()
	for range n {
		if err := l.Failure(bg, account, src); err != nil {
			t.Fatal(err)
		}
	}
}

func lockedScope(t *testing.T, err error) LockoutScope {
	t.Helper()
	if err == nil {
		return ""
	}
	var le *LockoutError
	if !errors.As(err, &le) || !errors.Is(err, ErrLockedOut) {
		t.Fatalf("err = %v, want a *LockoutError wrapping ErrLockedOut", err)
	}
	return le.Scope
}

// TestLockout_SourceBan: 5 failures within 15 minutes from one source ban
// it for 1 minute, whatever the account; the ban is reported once.
func TestLockout_SourceBan(t *testing.T) {
	l, clk, bans := newTestLockout(t, LockoutOptions{Account: LockoutPolicy{MaxFailures: -1}})
	for i := range 4 {
		if err := l.Failure(bg, fmt.Sprint("user", i), ip1); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Check(bg, "anyone", ip1); err != nil {
		t.Fatalf("banned after 4 failures: %v", err)
	}
	fail(t, l, 1, "user4", ip1)
	err := l.Check(bg, "anyone", ip1)
	if lockedScope(t, err) != ScopeSource {
		t.Fatalf("Check = %v, want a source ban", err)
	}
	var le *LockoutError
	errors.As(err, &le)
	if le.Key != "192.0.2.1/32" || !le.Until.Equal(clk.Now().Add(time.Minute)) {
		t.Errorf("LockoutError = %+v", le)
	}
	if err := l.Check(bg, "anyone", ip2); err != nil {
		t.Errorf("other source banned: %v", err)
	}
	evs := bans.take()
	if len(evs) != 1 || evs[0].Scope != ScopeSource || evs[0].Key != "192.0.2.1/32" || evs[0].Level != 1 ||
		evs[0].Duration != time.Minute || evs[0].Failures != 5 || evs[0].Account != "user4" || evs[0].Source != ip1 {
		t.Fatalf("ban events = %+v", evs)
	}
	clk.Advance(time.Minute - time.Second)
	if lockedScope(t, l.Check(bg, "anyone", ip1)) != ScopeSource {
		t.Error("ban ended early")
	}
	clk.Advance(time.Second)
	if err := l.Check(bg, "anyone", ip1); err != nil {
		t.Errorf("ban did not end: %v", err)
	}
}

// TestLockout_AccountBan: failures on one account from many sources ban
// the account, from every source.
func TestLockout_AccountBan(t *testing.T) {
	l, _, bans := newTestLockout(t, LockoutOptions{Source: LockoutPolicy{MaxFailures: -1}, Account: LockoutPolicy{MaxFailures: 3}})
	for i := range 3 {
		fail(t, l, 1, "alice", netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}))
	}
	if lockedScope(t, l.Check(bg, "alice", ip1)) != ScopeAccount {
		t.Fatal("account not banned")
	}
	if err := l.Check(bg, "bob", ip1); err != nil {
		t.Errorf("other account banned: %v", err)
	}
	if evs := bans.take(); len(evs) != 1 || evs[0].Scope != ScopeAccount || evs[0].Key != "alice" {
		t.Fatalf("ban events = %+v", evs)
	}
}

// TestLockout_Window: failures spread over more than the window do not
// add up.
func TestLockout_Window(t *testing.T) {
	l, clk, _ := newTestLockout(t, LockoutOptions{})
	fail(t, l, 4, "alice", ip1)
	clk.Advance(15 * time.Minute)
	fail(t, l, 4, "alice", ip1)
	if err := l.Check(bg, "alice", ip1); err != nil {
		t.Fatalf("banned across windows: %v", err)
	}
	fail(t, l, 1, "alice", ip1)
	if err := l.Check(bg, "alice", ip1); err == nil {
		t.Fatal("5 failures within the window not banned")
	}
}

// TestLockout_Escalation: each new ban doubles up to MaxBan; after Forget
// without failures the escalation starts over.
func TestLockout_Escalation(t *testing.T) {
	l, clk, bans := newTestLockout(t, LockoutOptions{
		Source:  LockoutPolicy{MaxFailures: 2, Ban: time.Minute, MaxBan: 5 * time.Minute, Forget: time.Hour},
		Account: LockoutPolicy{MaxFailures: -1},
	})
	var got []time.Duration
	for range 5 {
		fail(t, l, 2, "x", ip1)
		evs := bans.take()
		if len(evs) != 1 {
			t.Fatalf("ban events = %+v", evs)
		}
		got = append(got, evs[0].Duration)
		// Failures while banned are not counted and do not extend it.
		fail(t, l, 3, "x", ip1)
		if evs := bans.take(); len(evs) != 0 {
			t.Fatalf("failures while banned produced bans: %+v", evs)
		}
		clk.Advance(evs[0].Duration)
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ban lengths %v, want %v", got, want)
	}
	clk.Advance(time.Hour)
	fail(t, l, 2, "x", ip1)
	if evs := bans.take(); len(evs) != 1 || evs[0].Duration != time.Minute || evs[0].Level != 1 {
		t.Fatalf("after Forget: %+v", evs)
	}
}

func TestLockoutPolicy_BanLength(t *testing.T) {
	p := LockoutPolicy{Ban: time.Minute, MaxBan: 1000 * time.Hour}.withDefaults()
	if d := p.banLength(1 << 30); d != 1000*time.Hour {
		t.Errorf("banLength(huge) = %v", d)
	}
	p = LockoutPolicy{Ban: time.Hour, MaxBan: time.Minute}.withDefaults()
	if d := p.banLength(3); d != time.Hour {
		t.Errorf("MaxBan below Ban: %v", d)
	}
}

// TestLockout_Exempt: exempt sources are never refused nor counted, even
// for a banned account.
func TestLockout_Exempt(t *testing.T) {
	l, _, bans := newTestLockout(t, LockoutOptions{
		Exempt:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::ffff:172.16.0.0/108"), netip.MustParsePrefix("2001:db8:1::/48")},
		Account: LockoutPolicy{MaxFailures: 2},
	})
	inside := netip.MustParseAddr("10.1.2.3")
	fail(t, l, 10, "alice", inside)
	if err := l.Check(bg, "alice", inside); err != nil {
		t.Fatalf("exempt source refused: %v", err)
	}
	if evs := bans.take(); len(evs) != 0 {
		t.Fatalf("exempt failures counted: %+v", evs)
	}
	fail(t, l, 2, "alice", ip1)
	if lockedScope(t, l.Check(bg, "alice", ip1)) == "" {
		t.Fatal("account not banned")
	}
	for _, a := range []string{"10.1.2.3", "::ffff:10.1.2.3", "172.16.5.5", "2001:db8:1:2::5"} {
		if !l.Exempt(netip.MustParseAddr(a)) {
			t.Errorf("%s not exempt", a)
		}
		if err := l.Check(bg, "alice", netip.MustParseAddr(a)); err != nil {
			t.Errorf("exempt %s refused for a banned account: %v", a, err)
		}
	}
	if l.Exempt(netip.MustParseAddr("172.32.0.1")) || l.Exempt(netip.Addr{}) {
		t.Error("exempt too wide")
	}
	if _, err := NewLockout(LockoutOptions{Exempt: []netip.Prefix{{}}}); err == nil {
		t.Error("invalid exempt prefix accepted")
	}
}

// TestLockout_SourceGrouping: IPv4-mapped addresses are the IPv4 source;
// an IPv6 /64 is one source; invalid sources count only against the
// account.
func TestLockout_SourceGrouping(t *testing.T) {
	l, _, _ := newTestLockout(t, LockoutOptions{Account: LockoutPolicy{MaxFailures: -1}})
	fail(t, l, 3, "a", ip1)
	fail(t, l, 2, "a", netip.MustParseAddr("::ffff:192.0.2.1"))
	if lockedScope(t, l.Check(bg, "a", ip1)) != ScopeSource {
		t.Error("mapped and plain IPv4 counted apart")
	}
	fail(t, l, 3, "a", netip.MustParseAddr("2001:db8::1"))
	fail(t, l, 2, "a", netip.MustParseAddr("2001:db8::ffff:2"))
	err := l.Check(bg, "a", netip.MustParseAddr("2001:db8::3"))
	var le *LockoutError
	if !errors.As(err, &le) || le.Key != "2001:db8::/64" {
		t.Errorf("IPv6 /64 not grouped: %v", err)
	}
	if err := l.Check(bg, "a", netip.MustParseAddr("2001:db8:0:1::1")); err != nil {
		t.Errorf("next /64 banned: %v", err)
	}
	fail(t, l, 10, "a", netip.Addr{})
	if err := l.Check(bg, "a", netip.Addr{}); err != nil {
		t.Errorf("invalid source banned: %v", err)
	}

	l2, _, _ := newTestLockout(t, LockoutOptions{IPv6PrefixLen: 128, Account: LockoutPolicy{MaxFailures: -1}})
	fail(t, l2, 3, "a", netip.MustParseAddr("2001:db8::1"))
	fail(t, l2, 2, "a", netip.MustParseAddr("2001:db8::2"))
	if err := l2.Check(bg, "a", netip.MustParseAddr("2001:db8::1")); err != nil {
		t.Errorf("IPv6PrefixLen 128 grouped: %v", err)
	}
	if _, err := NewLockout(LockoutOptions{IPv6PrefixLen: 129}); err == nil {
		t.Error("prefix length 129 accepted")
	}
}

// TestLockout_Success: success forgets the account's failures, not the
// source's.
func TestLockout_Success(t *testing.T) {
	l, _, _ := newTestLockout(t, LockoutOptions{})
	fail(t, l, 4, "alice", ip1)
	if err := l.Success(bg, "alice", ip1); err != nil {
		t.Fatal(err)
	}
	fail(t, l, 4, "alice", ip2)
	if err := l.Check(bg, "alice", ip2); err != nil {
		t.Fatalf("account failures survived a success: %v", err)
	}
	fail(t, l, 1, "bob", ip1) // ip1's fifth failure
	if lockedScope(t, l.Check(bg, "carol", ip1)) != ScopeSource {
		t.Fatal("a success reset the source's count")
	}
	// A ban stands through a success.
	fail(t, l, 1, "alice", ip2)
	_ = l.Success(bg, "alice", ip1)
	if lockedScope(t, l.Check(bg, "alice", netip.MustParseAddr("198.51.100.9"))) != ScopeAccount {
		t.Fatal("success lifted an account ban")
	}
}

// TestLockout_AUTH02_SameForUnknown: failures on unknown and known
// accounts count alike, and the lockout error is a typed error the
// authenticator maps to its one generic failure.
func TestLockout_AUTH02_SameForUnknown(t *testing.T) {
	l, _, _ := newTestLockout(t, LockoutOptions{Source: LockoutPolicy{MaxFailures: -1}, Account: LockoutPolicy{MaxFailures: 2}})
	fail(t, l, 2, "no-such-user", ip1)
	fail(t, l, 2, "alice", ip1)
	e1, e2 := l.Check(bg, "no-such-user", ip1), l.Check(bg, "alice", ip1)
	if lockedScope(t, e1) != ScopeAccount || lockedScope(t, e2) != ScopeAccount {
		t.Fatalf("unknown %v, known %v", e1, e2)
	}
	// Long names are keyed by hash, and still banned.
	long := strings.Repeat("x", 10000)
	fail(t, l, 2, long, ip1)
	if lockedScope(t, l.Check(bg, long, ip1)) != ScopeAccount {
		t.Fatal("long name not banned")
	}
	if k := accountKey(long); len(k) > 100 {
		t.Errorf("account key of %d bytes", len(k))
	}
}

type failingStore struct{ err error }

func (s failingStore) Get(context.Context, string) (LockoutRecord, bool, error) {
	return LockoutRecord{}, false, s.err
}

func (s failingStore) Update(context.Context, string, func(LockoutRecord, bool) (LockoutRecord, bool)) error {
	return s.err
}

// TestLockout_StoreError: store errors are returned (the caller fails
// closed), never mistaken for "not banned".
func TestLockout_StoreError(t *testing.T) {
	boom := errors.New("store down")
	l, _, _ := newTestLockout(t, LockoutOptions{Store: failingStore{boom}})
	if err := l.Check(bg, "a", ip1); !errors.Is(err, boom) || errors.Is(err, ErrLockedOut) {
		t.Errorf("Check = %v", err)
	}
	if err := l.Failure(bg, "a", ip1); !errors.Is(err, boom) {
		t.Errorf("Failure = %v", err)
	}
	if err := l.Success(bg, "a", ip1); !errors.Is(err, boom) {
		t.Errorf("Success = %v", err)
	}
}

// TestMemoryLockoutStore_Bounded: the store never holds more than its
// maximum, dropping expired records first, then the least recently
// updated.
func TestMemoryLockoutStore_Bounded(t *testing.T) {
	clk := newFakeClock()
	m := NewMemoryLockoutStore(3, clk.Now)
	put := func(key string, ttl time.Duration) {
		t.Helper()
		err := m.Update(bg, key, func(LockoutRecord, bool) (LockoutRecord, bool) {
			return LockoutRecord{Failures: 1, Expires: clk.Now().Add(ttl)}, true
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	has := func(key string) bool {
		_, ok, _ := m.Get(bg, key)
		return ok
	}
	put("a", time.Hour)
	put("b", time.Minute)
	put("c", time.Hour)
	clk.Advance(2 * time.Minute) // b expired
	put("d", time.Hour)
	if m.Len() != 3 || has("b") || !has("a") || !has("c") || !has("d") {
		t.Fatalf("after expiry eviction: len %d a=%v b=%v c=%v d=%v", m.Len(), has("a"), has("b"), has("c"), has("d"))
	}
	put("a", time.Hour) // a becomes the most recent
	put("e", time.Hour) // evicts c, the least recently updated
	if m.Len() != 3 || has("c") || !has("a") || !has("d") || !has("e") {
		t.Fatalf("after LRU eviction: len %d", m.Len())
	}
	// Deleting.
	_ = m.Update(bg, "a", func(LockoutRecord, bool) (LockoutRecord, bool) { return LockoutRecord{}, false })
	if has("a") || m.Len() != 2 {
		t.Fatal("delete")
	}
	// Expired records are dropped by Get and are not passed to Update.
	clk.Advance(2 * time.Hour)
	_ = m.Update(bg, "d", func(_ LockoutRecord, ok bool) (LockoutRecord, bool) {
		if ok {
			t.Error("expired record passed to Update")
		}
		return LockoutRecord{}, false
	})
	if has("e") || m.Len() != 0 {
		t.Fatalf("expired records kept: %d", m.Len())
	}
	if NewMemoryLockoutStore(0, nil).max != DefaultLockoutMaxEntries {
		t.Error("default size")
	}
}

// TestLockout_MemoryBoundUnderSpray: a spray of sources and names never
// grows the default store beyond its bound.
func TestLockout_MemoryBoundUnderSpray(t *testing.T) {
	clk := newFakeClock()
	store := NewMemoryLockoutStore(100, clk.Now)
	l, err := NewLockout(LockoutOptions{Store: store, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		src := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
		fail(t, l, 1, fmt.Sprint("user", i), src)
		if store.Len() > 100 {
			t.Fatalf("store grew to %d", store.Len())
		}
	}
}

// TestLockout_Concurrent exercises Check/Failure/Success from many
// goroutines (run with -race): exactly one ban per scope is reported.
func TestLockout_Concurrent(t *testing.T) {
	l, _, bans := newTestLockout(t, LockoutOptions{
		Source:  LockoutPolicy{MaxFailures: 50},
		Account: LockoutPolicy{MaxFailures: 50},
	})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				_ = l.Check(bg, "alice", ip1)
				_ = l.Failure(bg, "alice", ip1)
				if i%10 == 0 {
					_ = l.Success(bg, fmt.Sprint("other", g), ip2)
				}
			}
		}()
	}
	wg.Wait()
	evs := bans.take()
	scopes := map[LockoutScope]int{}
	for _, e := range evs {
		scopes[e.Scope]++
	}
	if scopes[ScopeSource] != 1 || scopes[ScopeAccount] != 1 {
		t.Fatalf("bans = %+v", evs)
	}
}
