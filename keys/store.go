package keys

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/ssh"
)

// MaxTitleLength is the longest key title, in characters (Unicode code
// points) after trimming surrounding white space (QKEY-01, Quatrix caption
// 1–255).
const MaxTitleLength = 255

// MaxKeyTextLength is the longest key text [ParseKeyText] reads, in bytes
// (the 16384-character maximum of the Quatrix API; its 256-character
// minimum is not adopted, QKEY-09).
const MaxKeyTextLength = 16384

// Status is the administrative state of a stored [Key].
type Status string

// Key statuses. Only StatusActive and StatusDisabled are stored;
// StatusExpired is computed by [Key.State].
const (
	StatusActive   Status = "active"   // Quatrix "A"
	StatusDisabled Status = "disabled" // Quatrix "D"
	StatusExpired  Status = "expired"  // computed: active but past ExpiresAt
)

// Key is an SSH public key managed through a [Store] (SPEC §20, Quatrix
// SSH keys). The key material (PublicKey, and with it Fingerprint and
// Algorithm) never changes after Add; Title, Status and ExpiresAt are
// edited with [Update]; LastUsed with Store.Touch.
type Key struct {
	// ID is assigned by the store (a UUIDv4 by default).
	ID string
	// Title is the owner's label for the key, 1–MaxTitleLength characters.
	Title string
	// Fingerprint is the SHA256 fingerprint ("SHA256:…"), set by the store.
	Fingerprint string
	// Algorithm is the key type (for example "ssh-ed25519"), set by the
	// store.
	Algorithm string
	// PublicKey is the key material. Each Key a store returns holds its own
	// copy.
	PublicKey ssh.PublicKey
	// Created and Modified are set by the store; Modified moves on every
	// Update.
	Created, Modified time.Time
	// ExpiresAt is the instant from which the key is refused; the zero
	// time means never.
	ExpiresAt time.Time
	// Status is StatusActive or StatusDisabled; Add reads the zero value as
	// StatusActive.
	Status Status
	// LastUsed is the time of the last successful login with the key, or
	// zero.
	LastUsed time.Time
	// SourceCIDRs, when not empty, limits the addresses the key may log in
	// from. Add stores the prefixes masked; it cannot be changed later.
	SourceCIDRs []netip.Prefix
}

// State returns the state of k at now: StatusDisabled, StatusExpired
// (active but now is at or after ExpiresAt) or StatusActive (QKEY-04).
func (k Key) State(now time.Time) Status {
	switch {
	case k.Status != StatusActive && k.Status != "":
		return StatusDisabled
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return StatusExpired
	}
	return StatusActive
}

// Usable reports whether k may authenticate at now from source (QKEY-05):
// it returns nil, or an error wrapping [ErrKeyDisabled], [ErrKeyExpired]
// (from the instant ExpiresAt on) or [ErrSourceNotAllowed] (SourceCIDRs is
// set and holds no prefix containing source; an invalid source never
// matches). An IPv4-mapped IPv6 source is compared as IPv4.
func (k Key) Usable(now time.Time, source netip.Addr) error {
	switch k.State(now) {
	case StatusDisabled:
		return ErrKeyDisabled
	case StatusExpired:
		return fmt.Errorf("%w (at %s)", ErrKeyExpired, k.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if len(k.SourceCIDRs) > 0 {
		src := source.WithZone("").Unmap()
		if !src.IsValid() || !slices.ContainsFunc(k.SourceCIDRs, func(p netip.Prefix) bool { return p.Contains(src) }) {
			return ErrSourceNotAllowed
		}
	}
	return nil
}

// Update lists the editable fields of a stored key; nil fields are left
// unchanged (QKEY-03).
type Update struct {
	// Title, when set, replaces the title (validated as for Add).
	Title *string
	// Status, when set, must be StatusActive or StatusDisabled.
	Status *Status
	// ExpiresAt, when set, replaces the expiry: the zero time removes it,
	// any other time must be in the future.
	ExpiresAt *time.Time
	// PublicKey exists so that an API whose update request carries a key
	// can pass it on and get the right error: any non-nil value is
	// refused with ErrKeyImmutable. Replacing a key is delete + add.
	PublicKey ssh.PublicKey
}

// Store keeps the SSH keys of many owners (account names). Every method
// works within one owner: a key of another owner is reported as
// [ErrKeyNotFound]. Implementations must be safe for concurrent use, must
// never change key material after Add, and return errors that wrap the
// sentinels of this package. Who may call which method for which owner is
// decided before the store (see [CanManageKeys] and [Guard]).
type Store interface {
	// Add validates k (see MemoryStore.Add for the rules) and stores it
	// for owner. It fills ID, Fingerprint, Algorithm, Created and
	// Modified, and returns the stored key.
	Add(ctx context.Context, owner string, k Key) (Key, error)
	// Get returns the key id of owner.
	Get(ctx context.Context, owner, id string) (Key, error)
	// List returns all keys of owner, whatever their state, oldest first.
	List(ctx context.Context, owner string) ([]Key, error)
	// Update changes the fields set in u and returns the updated key.
	Update(ctx context.Context, owner, id string, u Update) (Key, error)
	// Delete removes the key id of owner.
	Delete(ctx context.Context, owner, id string) error
	// Touch records a successful login with the key at the time at.
	Touch(ctx context.Context, owner, id string, at time.Time) error
	// Find returns owner's key with the material pub, whatever its state;
	// check it with Key.Usable.
	Find(ctx context.Context, owner string, pub ssh.PublicKey) (Key, error)
}

// Event names what happened to a key in a [Notification].
type Event string

// Notification events (QKEY-07).
const (
	EventKeyAdded         Event = "key-added"
	EventKeyDeleted       Event = "key-deleted"
	EventKeyStatusChanged Event = "key-status-changed"
)

// Notification tells the key owner (by mail, an event, …) that a key was
// added, deleted or changed status (QKEY-07). It carries the key's
// metadata, never the key text.
type Notification struct {
	Event       Event     // what happened
	Owner       string    // the key's owner, to be notified
	KeyID       string    // the key's id
	Title       string    // the key's title
	Fingerprint string    // the key's SHA256 fingerprint
	Algorithm   string    // the key type
	ExpiresAt   time.Time // zero: no expiry
	Status      Status    // the status after the event
	At          time.Time // when it happened, by the store's clock
}

// MemoryStoreOptions configures [NewMemoryStore]. The zero value is
// usable.
type MemoryStoreOptions struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewID makes key ids; nil means random UUIDv4 strings. An id already
	// in use makes Add fail.
	NewID func() string
	// Notify, when set, is called after each add, delete and status
	// change, synchronously, outside the store's lock (it may call the
	// store), in the caller's goroutine and with its context. The
	// notifications of concurrent calls may arrive in any order.
	Notify func(ctx context.Context, n Notification)
}

// MemoryStore is the in-memory [Store]. Its methods are safe for concurrent
// use. Create it with [NewMemoryStore].
type MemoryStore struct {
	opt MemoryStoreOptions

	mu     sync.RWMutex
	owners map[string]*ownerKeys
	ids    map[string]bool // every id in use, across owners
}

type ownerKeys struct {
	byID   map[string]*storedKey
	byWire map[string]string // key wire form → id
}

// storedKey is a Key whose material is kept in wire form only, so that no
// caller ever holds a reference into the store.
type storedKey struct {
	k    Key // PublicKey is nil
	wire []byte
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opt MemoryStoreOptions) *MemoryStore {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.NewID == nil {
		opt.NewID = uuid.NewString
	}
	return &MemoryStore{opt: opt, owners: make(map[string]*ownerKeys), ids: make(map[string]bool)}
}

func (s *MemoryStore) now() time.Time { return s.opt.Now().Round(0) }

func (s *MemoryStore) notify(ctx context.Context, ev Event, owner string, k Key, at time.Time) {
	if s.opt.Notify == nil {
		return
	}
	s.opt.Notify(ctx, Notification{Event: ev, Owner: owner, KeyID: k.ID, Title: k.Title,
		Fingerprint: k.Fingerprint, Algorithm: k.Algorithm, ExpiresAt: k.ExpiresAt, Status: k.Status, At: at})
}

// out returns a copy of e safe to hand to a caller.
func (e *storedKey) out() Key {
	k := e.k
	k.SourceCIDRs = slices.Clone(e.k.SourceCIDRs)
	// ParsePublicKey may keep references into its input (it does for
	// Ed25519): parse a copy.
	pub, err := ssh.ParsePublicKey(bytes.Clone(e.wire))
	if err != nil {
		panic("keys: stored key does not parse: " + err.Error()) // parsed on Add
	}
	k.PublicKey = pub
	return k
}

// Add stores k for owner (QKEY-01, QKEY-02). It refuses, before storing
// anything:
//   - an empty owner ([ErrInvalidOwner]);
//   - a nil PublicKey ([ErrInvalidKey]);
//   - a certificate, a DSA key, an RSA key shorter than MinRSABits or a
//     type outside those of KEY-09 ([ErrKeyTypeNotAllowed]);
//   - a title that is empty after trimming, longer than MaxTitleLength
//     characters, not UTF-8, or holds control or bidirectional-override
//     characters ([ErrInvalidTitle]); the title is stored trimmed;
//   - a status other than "", StatusActive and StatusDisabled
//     ([ErrInvalidStatus]);
//   - an ExpiresAt that is set and not after now ([ErrExpiryInPast]);
//   - an invalid SourceCIDRs prefix ([ErrInvalidSourceCIDR]);
//   - a key owner already has, by material ([ErrKeyExists]); the same key
//     may belong to several owners.
//
// The ID, Fingerprint, Algorithm, Created, Modified and LastUsed fields
// of k are ignored and set by the store. A [EventKeyAdded] notification
// follows.
func (s *MemoryStore) Add(ctx context.Context, owner string, k Key) (Key, error) {
	if err := ctx.Err(); err != nil {
		return Key{}, err
	}
	if owner == "" {
		return Key{}, ErrInvalidOwner
	}
	now := s.now()
	k, err := k.Validated(now)
	if err != nil {
		return Key{}, err
	}
	wire := k.PublicKey.Marshal()
	k.PublicKey = nil
	k.Created, k.Modified = now, now
	e := &storedKey{wire: wire, k: k}

	s.mu.Lock()
	ok := s.owners[owner]
	if ok != nil && ok.byWire[string(wire)] != "" {
		s.mu.Unlock()
		return Key{}, ErrKeyExists
	}
	id := s.opt.NewID()
	if id == "" || s.ids[id] {
		s.mu.Unlock()
		return Key{}, errors.New("keys: NewID returned an empty or used id")
	}
	if ok == nil {
		ok = &ownerKeys{byID: make(map[string]*storedKey), byWire: make(map[string]string)}
		s.owners[owner] = ok
	}
	e.k.ID = id
	s.ids[id] = true
	ok.byID[id] = e
	ok.byWire[string(wire)] = id
	res := e.out()
	s.mu.Unlock()

	s.notify(ctx, EventKeyAdded, owner, res, now)
	return res, nil
}

// Validated checks k as a Store's Add must (see [MemoryStore.Add] for the
// rules, all but the owner and duplicate checks, which need the store) and
// returns the key to store: title trimmed, status defaulted to
// StatusActive, source prefixes masked, Fingerprint and Algorithm set,
// ExpiresAt without monotonic reading, PublicKey a private copy. ID,
// Created, Modified and LastUsed are cleared for the store to set. Stores
// other than MemoryStore use it so that every store accepts the same keys.
func (k Key) Validated(now time.Time) (Key, error) {
	if k.PublicKey == nil {
		return Key{}, fmt.Errorf("%w (no key)", ErrInvalidKey)
	}
	if reason := refused(k.PublicKey); reason != "" {
		return Key{}, fmt.Errorf("%w: %s", ErrKeyTypeNotAllowed, reason)
	}
	title, err := checkTitle(k.Title)
	if err != nil {
		return Key{}, err
	}
	switch k.Status {
	case "":
		k.Status = StatusActive
	case StatusActive, StatusDisabled:
	default:
		return Key{}, ErrInvalidStatus
	}
	if !k.ExpiresAt.IsZero() && !k.ExpiresAt.After(now) {
		return Key{}, ErrExpiryInPast
	}
	var cidrs []netip.Prefix
	for _, p := range k.SourceCIDRs {
		if !p.IsValid() {
			return Key{}, ErrInvalidSourceCIDR
		}
		cidrs = append(cidrs, p.Masked())
	}
	// Re-parse the wire form: the stored key never shares memory with k.
	pub, err := ssh.ParsePublicKey(bytes.Clone(k.PublicKey.Marshal()))
	if err != nil {
		return Key{}, fmt.Errorf("%w (does not parse)", ErrInvalidKey)
	}
	return Key{
		Title:       title,
		Fingerprint: ssh.FingerprintSHA256(pub),
		Algorithm:   pub.Type(),
		PublicKey:   pub,
		ExpiresAt:   k.ExpiresAt.Round(0),
		Status:      k.Status,
		SourceCIDRs: cidrs,
	}, nil
}

// Apply checks u as a Store's Update must (see [MemoryStore.Update]) and
// returns k with u applied at now (Modified moved when any field is set)
// and whether the status changed.
func (u Update) Apply(k Key, now time.Time) (Key, bool, error) {
	if u.PublicKey != nil {
		return Key{}, false, ErrKeyImmutable
	}
	if u.Title != nil {
		t, err := checkTitle(*u.Title)
		if err != nil {
			return Key{}, false, err
		}
		k.Title = t
	}
	if u.Status != nil && *u.Status != StatusActive && *u.Status != StatusDisabled {
		return Key{}, false, ErrInvalidStatus
	}
	if u.ExpiresAt != nil && !u.ExpiresAt.IsZero() && !u.ExpiresAt.After(now) {
		return Key{}, false, ErrExpiryInPast
	}
	changed := u.Status != nil && *u.Status != k.Status
	if u.Status != nil {
		k.Status = *u.Status
	}
	if u.ExpiresAt != nil {
		k.ExpiresAt = u.ExpiresAt.Round(0)
	}
	if u.Title != nil || u.Status != nil || u.ExpiresAt != nil {
		k.Modified = now
	}
	return k, changed, nil
}

// checkTitle trims and validates a title.
func checkTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	n := utf8.RuneCountInString(t)
	if n == 0 || n > MaxTitleLength || !utf8.ValidString(t) {
		return "", ErrInvalidTitle
	}
	for _, r := range t {
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return "", ErrInvalidTitle
		}
	}
	return t, nil
}

// lookup returns the stored key; the caller holds s.mu.
func (s *MemoryStore) lookup(owner, id string) *storedKey {
	if ok := s.owners[owner]; ok != nil {
		return ok.byID[id]
	}
	return nil
}

// Get returns the key id of owner, or [ErrKeyNotFound].
func (s *MemoryStore) Get(ctx context.Context, owner, id string) (Key, error) {
	if err := ctx.Err(); err != nil {
		return Key{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	e := s.lookup(owner, id)
	if e == nil {
		return Key{}, ErrKeyNotFound
	}
	return e.out(), nil
}

// List returns every key of owner (active, disabled and expired alike;
// see [Key.State]), ordered by creation time then id. An owner without
// keys has an empty list, not an error.
func (s *MemoryStore) List(ctx context.Context, owner string) ([]Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	var out []Key
	if ok := s.owners[owner]; ok != nil {
		out = make([]Key, 0, len(ok.byID))
		for _, e := range ok.byID {
			out = append(out, e.out())
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b Key) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Update changes the fields set in u (QKEY-03), bumps Modified when any is
// set, and returns the key. Errors: [ErrKeyNotFound], [ErrKeyImmutable]
// (u.PublicKey set), [ErrInvalidTitle], [ErrInvalidStatus],
// [ErrExpiryInPast]; on error nothing changes. A real status change is
// followed by an [EventKeyStatusChanged] notification.
func (s *MemoryStore) Update(ctx context.Context, owner, id string, u Update) (Key, error) {
	if err := ctx.Err(); err != nil {
		return Key{}, err
	}
	now := s.now()
	s.mu.Lock()
	e := s.lookup(owner, id)
	if e == nil {
		s.mu.Unlock()
		if _, _, err := u.Apply(Key{}, now); err != nil {
			return Key{}, err // a malformed update is reported as such
		}
		return Key{}, ErrKeyNotFound
	}
	k, statusChanged, err := u.Apply(e.k, now)
	if err != nil {
		s.mu.Unlock()
		return Key{}, err
	}
	e.k = k
	res := e.out()
	s.mu.Unlock()

	if statusChanged {
		s.notify(ctx, EventKeyStatusChanged, owner, res, now)
	}
	return res, nil
}

// Delete removes the key id of owner, or returns [ErrKeyNotFound]
// (QKEY-04). An [EventKeyDeleted] notification follows.
func (s *MemoryStore) Delete(ctx context.Context, owner, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := s.now()
	s.mu.Lock()
	ok := s.owners[owner]
	e := s.lookup(owner, id)
	if e == nil {
		s.mu.Unlock()
		return ErrKeyNotFound
	}
	delete(ok.byID, id)
	delete(ok.byWire, string(e.wire))
	delete(s.ids, id)
	if len(ok.byID) == 0 {
		delete(s.owners, owner)
	}
	res := e.out()
	s.mu.Unlock()

	s.notify(ctx, EventKeyDeleted, owner, res, now)
	return nil
}

// Touch records a successful login at the time at; LastUsed only moves
// forward and Modified is unchanged. Call it after the signature has been
// verified, never for a key that was only offered.
func (s *MemoryStore) Touch(ctx context.Context, owner, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.lookup(owner, id)
	if e == nil {
		return ErrKeyNotFound
	}
	if at.After(e.k.LastUsed) {
		e.k.LastUsed = at.Round(0)
	}
	return nil
}

// Find returns owner's key whose material is pub, or [ErrKeyNotFound]. The
// key may be disabled or expired: check it with [Key.Usable].
func (s *MemoryStore) Find(ctx context.Context, owner string, pub ssh.PublicKey) (Key, error) {
	if err := ctx.Err(); err != nil {
		return Key{}, err
	}
	if pub == nil {
		return Key{}, ErrKeyNotFound
	}
	wire := pub.Marshal()
	s.mu.RLock()
	defer s.mu.RUnlock()
	ok := s.owners[owner]
	if ok == nil {
		return Key{}, ErrKeyNotFound
	}
	id := ok.byWire[string(wire)]
	if id == "" {
		return Key{}, ErrKeyNotFound
	}
	return ok.byID[id].out(), nil
}

// ParseKeyText reads the key text of an add request (QKEY-01): exactly one
// OpenSSH public-key line, without options, or one RFC 4716 block, at most
// MaxKeyTextLength bytes. It returns the key and the line's comment.
// Private-key material, garbage, several keys or options give an error
// wrapping [ErrInvalidKey] (and [ErrPrivateKey] for a private key); a
// refused key type gives [ErrKeyTypeNotAllowed]. Validation is by parsing
// only: there is no minimum length (QKEY-09).
func ParseKeyText(text string) (ssh.PublicKey, string, error) {
	if len(text) > MaxKeyTextLength {
		return nil, "", fmt.Errorf("%w (longer than %d bytes)", ErrInvalidKey, MaxKeyTextLength)
	}
	list, warnings, err := ParseAuthorizedKeyLines([]byte(text))
	if err != nil {
		if errors.Is(err, ErrPrivateKey) {
			return nil, "", fmt.Errorf("%w: %w", ErrInvalidKey, ErrPrivateKey)
		}
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	for _, w := range warnings {
		if w.Kind == WarnUnsupportedKey && len(warnings) == 1 && len(list) == 0 {
			return nil, "", fmt.Errorf("%w: %s", ErrKeyTypeNotAllowed, w.Detail)
		}
		return nil, "", fmt.Errorf("%w: %s", ErrInvalidKey, w.Detail)
	}
	switch {
	case len(list) == 0:
		return nil, "", fmt.Errorf("%w (no key)", ErrInvalidKey)
	case len(list) > 1:
		return nil, "", fmt.Errorf("%w (more than one key)", ErrInvalidKey)
	}
	k := list[0]
	if len(k.Options) > 0 || k.From != nil || !k.ExpiresAt.IsZero() {
		return nil, "", fmt.Errorf("%w (authorized_keys options are not accepted here)", ErrInvalidKey)
	}
	return k.Key, k.Comment, nil
}

// NewKey builds the Key of an add request from its title, key text (see
// [ParseKeyText]) and optional expiry (zero: none), ready for Store.Add,
// which validates the rest.
func NewKey(title, keyText string, expiresAt time.Time) (Key, error) {
	pub, _, err := ParseKeyText(keyText)
	if err != nil {
		return Key{}, err
	}
	return Key{Title: title, PublicKey: pub, ExpiresAt: expiresAt, Status: StatusActive}, nil
}
