package auth

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// ErrLockedOut is wrapped by the error of [Lockout.Check] while the source
// address or the account is banned. The client must see the same generic
// failure as for an unknown user or a wrong password; the authenticator
// reports the precise reason only in its events (AUTH-02).
var ErrLockedOut = errors.New("auth: locked out after repeated failures")

// LockoutScope says what a ban applies to.
type LockoutScope string

// The scopes of a ban.
const (
	ScopeSource  LockoutScope = "source"  // a source address (an IPv6 /64 by default)
	ScopeAccount LockoutScope = "account" // an account name, from any source
)

// LockoutError is the error of [Lockout.Check] for a banned source or
// account; it wraps [ErrLockedOut].
type LockoutError struct {
	// Scope is what is banned: the source or the account.
	Scope LockoutScope
	// Key is the banned source prefix or account name.
	Key string
	// Until is when the ban ends.
	Until time.Time
}

// Error says what is banned and until when.
func (e *LockoutError) Error() string {
	return fmt.Sprintf("%v: %s %s banned until %s", ErrLockedOut, e.Scope, e.Key, e.Until.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrLockedOut.
func (e *LockoutError) Unwrap() error { return ErrLockedOut }

// Defaults of a LockoutPolicy.
const (
	DefaultLockoutMaxFailures = 5
	DefaultLockoutWindow      = 15 * time.Minute
	DefaultLockoutBan         = time.Minute
	DefaultLockoutMaxBan      = time.Hour
	DefaultLockoutForget      = 24 * time.Hour
	// DefaultLockoutMaxEntries bounds the in-memory store.
	DefaultLockoutMaxEntries = 100000
)

// LockoutPolicy is when failures of one scope (a source or an account) lead
// to a ban. The zero value uses the defaults: 5 failures within 15 minutes
// ban for 1 minute; each further ban doubles, up to 1 hour; after 24 hours
// without a failure the escalation starts over.
type LockoutPolicy struct {
	// MaxFailures within Window trigger a ban; 0 means 5, a negative
	// value disables bans of this scope.
	MaxFailures int
	// Window is the period failures are counted over, from the first
	// failure counted; 0 means 15 minutes.
	Window time.Duration
	// Ban is the length of the first ban; 0 means 1 minute.
	Ban time.Duration
	// MaxBan caps the doubling bans; 0 means 1 hour (and never less than
	// Ban).
	MaxBan time.Duration
	// Forget is how long after the last failure (or the end of the last
	// ban, if later) the record is forgotten and the escalation starts
	// over; 0 means 24 hours.
	Forget time.Duration
}

func (p LockoutPolicy) withDefaults() LockoutPolicy {
	if p.MaxFailures == 0 {
		p.MaxFailures = DefaultLockoutMaxFailures
	}
	if p.Window <= 0 {
		p.Window = DefaultLockoutWindow
	}
	if p.Ban <= 0 {
		p.Ban = DefaultLockoutBan
	}
	if p.MaxBan <= 0 {
		p.MaxBan = DefaultLockoutMaxBan
	}
	p.MaxBan = max(p.MaxBan, p.Ban)
	if p.Forget <= 0 {
		p.Forget = DefaultLockoutForget
	}
	return p
}

// banLength returns the length of the ban after bans earlier ones.
func (p LockoutPolicy) banLength(bans int) time.Duration {
	d := p.Ban
	for range bans {
		if d >= p.MaxBan/2 {
			return p.MaxBan
		}
		d *= 2
	}
	return min(d, p.MaxBan)
}

// LockoutRecord is what a [LockoutStore] keeps for one key.
type LockoutRecord struct {
	// Failures counted in the current window, which started at
	// WindowStart.
	Failures int
	// WindowStart is when the current counting window started.
	WindowStart time.Time
	// LastFailure is the time of the last failure counted.
	LastFailure time.Time
	// Bans is the escalation level: the bans since the record was last
	// forgotten.
	Bans int
	// BannedUntil is when the current (or last) ban ends.
	BannedUntil time.Time
	// Expires is when the record stops mattering; a store may drop it
	// from then on.
	Expires time.Time
}

// LockoutStore keeps the failure records of a [Lockout], by key
// ("source:<prefix>", "account:<name>"). Implementations must be safe for
// concurrent use and should bound their memory, dropping records whose
// Expires has passed first. A shared store (a database, Redis) lets
// several servers share bans.
type LockoutStore interface {
	// Get returns the record of key; ok is false when there is none.
	Get(ctx context.Context, key string) (rec LockoutRecord, ok bool, err error)
	// Update replaces the record of key with fn's result, atomically with
	// respect to other calls for the same key; fn receives the current
	// record (ok false: none) and returns the new one, or keep=false to
	// delete it. fn may be called more than once (optimistic stores) and
	// must not block.
	Update(ctx context.Context, key string, fn func(rec LockoutRecord, ok bool) (LockoutRecord, bool)) error
}

// BanEvent reports a new ban.
type BanEvent struct {
	// Scope is what is banned: the source or the account.
	Scope LockoutScope
	// Key is the banned source prefix (e.g. "192.0.2.7/32",
	// "2001:db8::/64") or account name.
	Key string
	// Account and Source are those of the failure that triggered the ban.
	Account  string
	Source   netip.Addr
	Failures int           // failures counted in the window
	Level    int           // 1 for the first ban, 2 for the second, …
	Duration time.Duration // the ban's length
	Until    time.Time     // when the ban ends
}

// LockoutOptions configure a [Lockout]. The zero value is usable.
type LockoutOptions struct {
	// Source is the policy for failures from one source address (one
	// IPv4 address, one IPv6 prefix of IPv6PrefixLen bits) whatever the
	// account.
	Source LockoutPolicy
	// Account is the policy for failures on one account name whatever
	// the source. An attacker can lock an account out this way; exempt
	// trusted networks, or disable it with MaxFailures < 0.
	Account LockoutPolicy
	// Exempt lists source prefixes that are never banned and whose
	// failures are not counted; Check accepts them even while the
	// account is banned.
	Exempt []netip.Prefix
	// IPv6PrefixLen is how many leading bits of an IPv6 source make one
	// source (a client usually controls a whole /64); 0 means 64.
	IPv6PrefixLen int
	// Store keeps the records; nil means an in-memory store of
	// DefaultLockoutMaxEntries entries.
	Store LockoutStore
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// OnBan is called for each new ban, synchronously, from Failure; it
	// must not block.
	OnBan func(BanEvent)
}

// Lockout counts failed authentication attempts per source address and per
// account, and bans either for a while once it has too many, with
// escalating bans (issue 5 item 7). It is safe for concurrent use.
//
// The authenticator calls Check first, before any credential work (AUTH-01),
// and refuses the attempt, with the same generic failure as any other, when
// it returns an error; then Failure or Success with the outcome of the
// credential check. Attempts refused by Check are not counted again.
type Lockout struct {
	src, acct LockoutPolicy
	exempt    []netip.Prefix
	v6bits    int
	store     LockoutStore
	now       func() time.Time
	onBan     func(BanEvent)
}

// NewLockout returns a Lockout configured by opt.
func NewLockout(opt LockoutOptions) (*Lockout, error) {
	if opt.IPv6PrefixLen < 0 || opt.IPv6PrefixLen > 128 {
		return nil, fmt.Errorf("auth: lockout: IPv6 prefix length %d outside 0..128", opt.IPv6PrefixLen)
	}
	l := &Lockout{src: opt.Source.withDefaults(), acct: opt.Account.withDefaults(),
		v6bits: opt.IPv6PrefixLen, store: opt.Store, now: opt.Now, onBan: opt.OnBan}
	if l.v6bits == 0 {
		l.v6bits = 64
	}
	for _, p := range opt.Exempt {
		if !p.IsValid() {
			return nil, errors.New("auth: lockout: invalid exempt prefix")
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		l.exempt = append(l.exempt, p.Masked())
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.store == nil {
		l.store = NewMemoryLockoutStore(DefaultLockoutMaxEntries, l.now)
	}
	return l, nil
}

// Exempt reports whether source is in one of the exempt prefixes.
func (l *Lockout) Exempt(source netip.Addr) bool {
	source = source.Unmap()
	for _, p := range l.exempt {
		if p.Contains(source) {
			return true
		}
	}
	return false
}

// sourceKey returns the store key of a source, "" when the address is
// invalid (such attempts are counted against the account only).
func (l *Lockout) sourceKey(source netip.Addr) (key, prefix string) {
	if !source.IsValid() {
		return "", ""
	}
	source = source.Unmap().WithZone("")
	bits := 32
	if source.Is6() {
		bits = l.v6bits
	}
	p, err := source.Prefix(bits)
	if err != nil {
		return "", ""
	}
	return "source:" + p.String(), p.String()
}

// maxAccountKey bounds the size of an account key: longer names (which
// no real account has) are keyed by their SHA-256, so that a client
// cannot fill the store with huge keys.
const maxAccountKey = 256

func accountKey(account string) string {
	if len(account) > maxAccountKey {
		sum := sha256.Sum256([]byte(account))
		return "account-sha256:" + hex.EncodeToString(sum[:])
	}
	return "account:" + account
}

type scoped struct {
	scope  LockoutScope
	key    string // store key
	name   string // what the ban names
	policy LockoutPolicy
}

func (l *Lockout) scopes(account string, source netip.Addr) []scoped {
	var out []scoped
	if k, p := l.sourceKey(source); k != "" && l.src.MaxFailures > 0 {
		out = append(out, scoped{ScopeSource, k, p, l.src})
	}
	if account != "" && l.acct.MaxFailures > 0 {
		out = append(out, scoped{ScopeAccount, accountKey(account), account, l.acct})
	}
	return out
}

// Check returns an error wrapping [ErrLockedOut] (a *[LockoutError]) when
// the source or the account is banned now, nil otherwise or when source is
// exempt. Call it before any credential work. Any other error comes from
// the store; refuse the attempt then too (fail closed).
func (l *Lockout) Check(ctx context.Context, account string, source netip.Addr) error {
	if l.Exempt(source) {
		return nil
	}
	now := l.now()
	for _, s := range l.scopes(account, source) {
		rec, ok, err := l.store.Get(ctx, s.key)
		if err != nil {
			return fmt.Errorf("auth: lockout store: %w", err)
		}
		if ok && now.Before(rec.BannedUntil) {
			return &LockoutError{Scope: s.scope, Key: s.name, Until: rec.BannedUntil}
		}
	}
	return nil
}

// Failure counts a failed attempt (wrong or missing credentials, unknown
// user) against the source and the account, and bans either when its
// policy's limit is reached; each new ban is reported to OnBan. Failures of
// an exempt source, and failures while already banned, are not counted.
func (l *Lockout) Failure(ctx context.Context, account string, source netip.Addr) error {
	if l.Exempt(source) {
		return nil
	}
	now := l.now()
	var errs []error
	for _, s := range l.scopes(account, source) {
		var ban *BanEvent
		err := l.store.Update(ctx, s.key, func(rec LockoutRecord, ok bool) (LockoutRecord, bool) {
			ban = nil
			if !ok || !now.Before(rec.Expires) {
				rec = LockoutRecord{}
			}
			if now.Before(rec.BannedUntil) {
				return rec, true // banned: the attempt should not have been made
			}
			if rec.Failures == 0 || !now.Before(rec.WindowStart.Add(s.policy.Window)) {
				rec.Failures, rec.WindowStart = 0, now
			}
			rec.Failures++
			rec.LastFailure = now
			if rec.Failures >= s.policy.MaxFailures {
				d := s.policy.banLength(rec.Bans)
				ban = &BanEvent{Scope: s.scope, Key: s.name, Account: account, Source: source,
					Failures: rec.Failures, Level: rec.Bans + 1, Duration: d, Until: now.Add(d)}
				rec.Bans++
				rec.BannedUntil = now.Add(d)
				rec.Failures, rec.WindowStart = 0, time.Time{}
			}
			rec.Expires = latest(rec.LastFailure.Add(s.policy.Forget), rec.BannedUntil.Add(s.policy.Forget),
				rec.WindowStart.Add(s.policy.Window))
			return rec, true
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("auth: lockout store: %w", err))
			continue
		}
		if ban != nil && l.onBan != nil {
			l.onBan(*ban)
		}
	}
	return errors.Join(errs...)
}

// Success records a successful authentication: the account's failures and
// escalation are forgotten (its owner proved the credential). The source's
// record is kept, so that an attacker holding one valid account cannot
// reset the count of its guesses at others by logging in between them.
func (l *Lockout) Success(ctx context.Context, account string, source netip.Addr) error {
	if account == "" || l.acct.MaxFailures <= 0 {
		return nil
	}
	now := l.now()
	err := l.store.Update(ctx, accountKey(account), func(rec LockoutRecord, ok bool) (LockoutRecord, bool) {
		if ok && now.Before(rec.BannedUntil) {
			return rec, true // a ban stands until it ends (Check refuses first)
		}
		return LockoutRecord{}, false
	})
	if err != nil {
		return fmt.Errorf("auth: lockout store: %w", err)
	}
	return nil
}

func latest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// MemoryLockoutStore is the in-memory [LockoutStore]: at most MaxEntries
// records; when full, expired records go first, then the least recently
// updated. It is safe for concurrent use.
type MemoryLockoutStore struct {
	max int
	now func() time.Time

	mu    sync.Mutex
	items map[string]*list.Element // of *memEntry
	lru   list.List                // front: least recently updated
}

type memEntry struct {
	key string
	rec LockoutRecord
}

// NewMemoryLockoutStore returns an empty store of at most maxEntries
// records (DefaultLockoutMaxEntries when maxEntries ≤ 0); now is its clock
// for expiry (nil: time.Now).
func NewMemoryLockoutStore(maxEntries int, now func() time.Time) *MemoryLockoutStore {
	if maxEntries <= 0 {
		maxEntries = DefaultLockoutMaxEntries
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryLockoutStore{max: maxEntries, now: now, items: make(map[string]*list.Element)}
}

// Len returns the number of records held.
func (m *MemoryLockoutStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// Get implements LockoutStore. An expired record is not returned.
func (m *MemoryLockoutStore) Get(_ context.Context, key string) (LockoutRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if !ok {
		return LockoutRecord{}, false, nil
	}
	e := el.Value.(*memEntry)
	if !m.now().Before(e.rec.Expires) {
		m.remove(el)
		return LockoutRecord{}, false, nil
	}
	return e.rec, true, nil
}

// Update implements LockoutStore.
func (m *MemoryLockoutStore) Update(_ context.Context, key string, fn func(LockoutRecord, bool) (LockoutRecord, bool)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	el, ok := m.items[key]
	var cur LockoutRecord
	if ok {
		cur = el.Value.(*memEntry).rec
		if !now.Before(cur.Expires) {
			m.remove(el)
			ok, cur = false, LockoutRecord{}
		}
	}
	rec, keep := fn(cur, ok)
	switch {
	case !keep && ok:
		m.remove(el)
	case keep && ok:
		el.Value.(*memEntry).rec = rec
		m.lru.MoveToBack(el)
	case keep:
		m.evict(now)
		m.items[key] = m.lru.PushBack(&memEntry{key: key, rec: rec})
	}
	m.pruneFront(now, 2)
	return nil
}

func (m *MemoryLockoutStore) remove(el *list.Element) {
	delete(m.items, el.Value.(*memEntry).key)
	m.lru.Remove(el)
}

// pruneFront drops up to n expired records from the least recently
// updated end, so that expired records do not linger.
func (m *MemoryLockoutStore) pruneFront(now time.Time, n int) {
	for range n {
		el := m.lru.Front()
		if el == nil || now.Before(el.Value.(*memEntry).rec.Expires) {
			return
		}
		m.remove(el)
	}
}

// evictScan bounds the search for expired records when the store is full.
const evictScan = 64

// evict makes room for one record: expired ones first (among the
// evictScan least recently updated), else the least recently updated one.
func (m *MemoryLockoutStore) evict(now time.Time) {
	if len(m.items) < m.max {
		return
	}
	el := m.lru.Front()
	for range evictScan {
		if el == nil {
			break
		}
		next := el.Next()
		if !now.Before(el.Value.(*memEntry).rec.Expires) {
			m.remove(el)
		}
		el = next
	}
	for len(m.items) >= m.max {
		m.remove(m.lru.Front())
	}
}
