package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/sftpkit/sftpkit/groups"
)

// day is the unit of password_lifetime and disable_on_inactivity: exactly
// 24 hours, whatever the calendar (SPEC PWD-09, INACT-02).
const day = 24 * time.Hour

// Defaults of the account lifecycle (SPEC §15, §16).
const (
	// DefaultInactivityGrace is how long an administrator's change to an
	// account protects it from being disabled for inactivity again
	// (account_auto_disable_grace_interval, INACT-07).
	DefaultInactivityGrace = 7 * day
	// DefaultPasswordWarningDays: a password.expiring event is emitted
	// when fewer than this many days remain (PWD-13).
	DefaultPasswordWarningDays = 14
	// DefaultSweepInterval is how often a Sweeper runs (INACT-09).
	DefaultSweepInterval = 60 * time.Second
)

// DisableReason says why the lifecycle disables an account (SPEC EVT-08).
type DisableReason string

// The reasons an account is disabled automatically.
const (
	DisablePasswordExpired DisableReason = "password-expired" // PWD-09
	DisableInactivity      DisableReason = "inactivity"       // INACT-02
)

// AuthReason returns the [Reason] for the auth.rejected event of a login
// refused for r (SPEC EVT-02: "password-expired", "inactive").
func (r DisableReason) AuthReason() Reason {
	if r == DisableInactivity {
		return "inactive"
	}
	return Reason(r)
}

// addDays returns t + days×24h, or ok=false when that is beyond what
// time.Duration holds (about 292 years: never, in practice).
func addDays(t time.Time, days int) (time.Time, bool) {
	if int64(days) > math.MaxInt64/int64(day) {
		return time.Time{}, false
	}
	return t.Add(time.Duration(days) * day), true
}

// PasswordExpiry returns the instant a password set at lastChange expires
// with a lifetime of lifetimeDays, and false when it never does
// (lifetimeDays ≤ 0, PWD-10) or lastChange is unknown (zero, PWD-12: the
// caller treats it as now and persists that).
func PasswordExpiry(lastChange time.Time, lifetimeDays int) (time.Time, bool) {
	if lifetimeDays <= 0 || lastChange.IsZero() {
		return time.Time{}, false
	}
	return addDays(lastChange, lifetimeDays)
}

// PasswordExpired reports whether a password set at lastChange has expired
// at now with a lifetime of lifetimeDays: it is valid while
// now < lastChange + lifetimeDays×24h and expired from that instant on
// (PWD-09). A lifetime of 0 never expires (PWD-10); an unknown (zero)
// lastChange is not expired (PWD-12).
func PasswordExpired(lastChange time.Time, lifetimeDays int, now time.Time) bool {
	exp, ok := PasswordExpiry(lastChange, lifetimeDays)
	return ok && !now.Before(exp)
}

// Activity is what the inactivity rule knows of an account (SPEC §16).
type Activity struct {
	// LastLogin is the last successful authentication; failed attempts
	// never update it (INACT-04). Zero: never logged in.
	LastLogin time.Time
	// Created is when the account was created; zero: unknown.
	Created time.Time
	// LastAdminChange is when an administrator last changed the account
	// (re-enabled it, set a password, …); zero: never. It protects the
	// account for the grace interval only (INACT-07).
	LastAdminChange time.Time
}

// LastActivity returns max(LastLogin, Created): the start of the
// inactivity period, zero when neither is known.
func (a Activity) LastActivity() time.Time {
	if a.LastLogin.After(a.Created) {
		return a.LastLogin
	}
	return a.Created
}

// Inactive reports whether an account with activity a is to be disabled at
// now under disable_on_inactivity = days (SPEC INACT-02, INACT-03,
// INACT-07): days > 0, now ≥ LastActivity + days×24h, and the grace
// interval after the last administrator change has passed
// (now ≥ LastAdminChange + grace). An account with neither a login nor a
// creation time is never inactive (INACT-05: the caller sets Created to now
// and reports it). grace is taken as given (0: none).
func Inactive(a Activity, days int, grace time.Duration, now time.Time) bool {
	if days <= 0 {
		return false
	}
	last := a.LastActivity()
	if last.IsZero() {
		return false
	}
	deadline, ok := addDays(last, days)
	if !ok || now.Before(deadline) {
		return false
	}
	if !a.LastAdminChange.IsZero() && grace > 0 && now.Before(a.LastAdminChange.Add(grace)) {
		return false
	}
	return true
}

// SweepAccount is one account as the lifecycle sees it: the effective
// settings (account value, else primary group; secondary groups never
// count, INACT-01, INACT-08) and the timestamps the application keeps.
type SweepAccount struct {
	// Name is the account name.
	Name string
	// Enabled is the account's own enabled flag; a disabled account is
	// not processed again (INACT-06).
	Enabled bool
	// NoPassword marks an account whose password is not managed here (no
	// password, or an OS/external one): password_lifetime does not apply.
	NoPassword bool
	// LastPasswordUpdate is when the password was last set; zero: unknown
	// (PWD-12).
	LastPasswordUpdate time.Time
	// PasswordLifetimeDays is the effective password_lifetime; 0: never.
	PasswordLifetimeDays int
	// DisableOnInactivityDays is the effective disable_on_inactivity;
	// 0: never.
	DisableOnInactivityDays int
	// Activity holds the last login, creation and administrator change.
	Activity
}

// SweepAccountOf builds the SweepAccount of a resolved account: its name,
// the effective password_lifetime and disable_on_inactivity (from the
// account or its primary group) and the created / last_password_update
// times of the configuration. The resolved account is enabled (resolution
// refuses disabled ones). lastLogin and lastAdminChange come from wherever
// the application records them. An account without a password hash gets
// NoPassword.
func SweepAccountOf(eff *groups.Effective, lastLogin, lastAdminChange time.Time) SweepAccount {
	return SweepAccount{
		Name:                    eff.Name(),
		Enabled:                 true,
		NoPassword:              eff.Password() == "",
		LastPasswordUpdate:      eff.LastPasswordUpdate(),
		PasswordLifetimeDays:    eff.PasswordLifetime().Value,
		DisableOnInactivityDays: eff.DisableOnInactivity().Value,
		Activity:                Activity{LastLogin: lastLogin, Created: eff.Created(), LastAdminChange: lastAdminChange},
	}
}

// Lifecycle holds the settings of the password-lifetime and inactivity
// rules. The zero value uses the defaults.
type Lifecycle struct {
	// Grace is account_auto_disable_grace_interval: 0 means
	// DefaultInactivityGrace (7 days), a negative value none.
	Grace time.Duration
	// PasswordWarningDays is password_expiration_warning: 0 means
	// DefaultPasswordWarningDays (14), a negative value disables warnings.
	PasswordWarningDays int
}

func (l Lifecycle) grace() time.Duration {
	switch {
	case l.Grace == 0:
		return DefaultInactivityGrace
	case l.Grace < 0:
		return 0
	}
	return l.Grace
}

func (l Lifecycle) warningDays() int {
	switch {
	case l.PasswordWarningDays == 0:
		return DefaultPasswordWarningDays
	case l.PasswordWarningDays < 0:
		return 0
	}
	return l.PasswordWarningDays
}

// Verdict is what [Lifecycle.Check] decided for one account at one
// instant.
type Verdict struct {
	// Disable is why the account must be disabled now; "" keeps it.
	// A login must be refused when it is set (AUTH-01 step 3).
	Disable DisableReason
	// SetLastPasswordUpdate: the password's last update is unknown while
	// a lifetime applies; it was taken as now and the caller must persist
	// now (PWD-12) and report it.
	SetLastPasswordUpdate bool
	// SetCreated: the account has neither a login nor a creation time
	// while the inactivity rule applies; the caller must persist
	// Created = now and report auto-disable-check-failed (INACT-05).
	SetCreated bool
	// PasswordExpires is when the password expires; zero when it never
	// does.
	PasswordExpires time.Time
	// WarnDaysLeft is set (with Warn) when fewer than the warning days
	// remain before PasswordExpires: the number of whole days left.
	WarnDaysLeft int
	// Warn is set when a password.expiring warning is due (PWD-13).
	Warn bool
}

// Check evaluates the password-lifetime and inactivity rules for a at now,
// in the order of AUTH-01 (password lifetime, then inactivity). A disabled
// account gives the zero Verdict (INACT-06). Both the authenticator (so an
// expired or inactive account is refused before the sweep runs, INACT-09)
// and [Sweeper] call it.
func (l Lifecycle) Check(a SweepAccount, now time.Time) Verdict {
	var v Verdict
	if !a.Enabled {
		return v
	}
	if a.PasswordLifetimeDays > 0 && !a.NoPassword {
		last := a.LastPasswordUpdate
		if last.IsZero() {
			last, v.SetLastPasswordUpdate = now, true
		}
		if exp, ok := PasswordExpiry(last, a.PasswordLifetimeDays); ok {
			v.PasswordExpires = exp
			if !now.Before(exp) {
				v.Disable = DisablePasswordExpired
				return v
			}
			if w := l.warningDays(); w > 0 {
				if left := exp.Sub(now); left < time.Duration(w)*day {
					v.Warn, v.WarnDaysLeft = true, int(left/day)
				}
			}
		}
	}
	if a.DisableOnInactivityDays > 0 {
		if a.LastActivity().IsZero() {
			v.SetCreated = true
		} else if Inactive(a.Activity, a.DisableOnInactivityDays, l.grace(), now) {
			v.Disable = DisableInactivity
			v.Warn, v.WarnDaysLeft = false, 0
		}
	}
	return v
}

// AccountSource is where a [Sweeper] finds accounts and disables them.
// Its methods may be called from the sweeper's goroutine and from
// [Sweeper.CheckAccount] callers concurrently.
type AccountSource interface {
	// Accounts lists the accounts to check.
	Accounts(ctx context.Context) ([]SweepAccount, error)
	// Disable sets enabled = false on the account, for reason
	// (a DisableReason as a string).
	Disable(ctx context.Context, name, reason string) error
}

// AccountRepairer is optionally implemented by an [AccountSource] to
// persist the timestamps the lifecycle fills in when they are missing
// (PWD-12, INACT-05). Without it they are taken as now at every check and
// the event repeats.
type AccountRepairer interface {
	SetLastPasswordUpdate(ctx context.Context, name string, t time.Time) error
	SetCreated(ctx context.Context, name string, t time.Time) error
}

// Lifecycle event types (SPEC EVT-08), with the SFTPPlus code where one
// exists.
const (
	// EventAccountAutoDisabled: an account was disabled; Reason says why
	// (20195 for inactivity).
	EventAccountAutoDisabled = "account.auto-disabled"
	// EventAutoDisableCheckFailed: a timestamp the check needs was missing
	// and has been set to now (20196; Reason says which rule).
	EventAutoDisableCheckFailed = "account.auto-disable-check-failed"
	// EventPasswordExpiring: the password expires in Days days (20129).
	EventPasswordExpiring = "password.expiring"
	// EventSweepFailed: listing, disabling or repairing failed; Err says
	// why.
	EventSweepFailed = "account.sweep-failed"
)

// LifecycleEvent is what a [Sweeper] reports. It never carries a password
// or hash.
type LifecycleEvent struct {
	Type    string        // one of the Event* constants above
	Code    int           // SFTPPlus event ID, 0 when none
	Time    time.Time     // from the sweeper's clock
	Account string        // empty for a failed listing
	Reason  DisableReason // auto-disabled: why; check-failed: which rule
	// Days is the inactivity limit (inactivity), the password lifetime
	// (password-expired) or the whole days left (password.expiring).
	Days      int
	LastLogin time.Time // inactivity: the last activity considered
	Expires   time.Time // the password's expiry, when it has one
	Err       error     // EventSweepFailed: what failed
}

// SweeperOptions configure a [Sweeper]. The zero value is usable.
type SweeperOptions struct {
	// Interval between sweeps; 0 means DefaultSweepInterval.
	Interval time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Lifecycle holds the grace interval and warning days.
	Lifecycle Lifecycle
	// OnEvent receives the events, synchronously; it must not block for
	// long. nil discards them.
	OnEvent func(LifecycleEvent)
}

// Sweeper applies password_lifetime and disable_on_inactivity to every
// account of an [AccountSource], periodically (SPEC INACT-09), and to one
// account on demand ([Sweeper.CheckAccount], for the authenticator).
// It is safe for concurrent use.
type Sweeper struct {
	src      AccountSource
	opt      SweeperOptions
	interval time.Duration

	mu     sync.Mutex
	warned map[string]int // account → days left last warned about (PWD-13)

	runMu   sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
}

// NewSweeper returns a Sweeper over src; call Start to run it
// periodically, or Sweep for one pass.
func NewSweeper(src AccountSource, opt SweeperOptions) (*Sweeper, error) {
	if src == nil {
		return nil, errors.New("auth: NewSweeper: nil AccountSource")
	}
	if opt.Interval < 0 {
		return nil, fmt.Errorf("auth: NewSweeper: negative interval %v", opt.Interval)
	}
	iv := opt.Interval
	if iv == 0 {
		iv = DefaultSweepInterval
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Sweeper{src: src, opt: opt, interval: iv, warned: make(map[string]int)}, nil
}

func (s *Sweeper) emit(e LifecycleEvent) {
	if s.opt.OnEvent != nil {
		s.opt.OnEvent(e)
	}
}

// Sweep checks every account once, at the time of opt.Now. It returns the
// error of listing the accounts; per-account failures are reported as
// EventSweepFailed events and the sweep goes on.
func (s *Sweeper) Sweep(ctx context.Context) error {
	accts, err := s.src.Accounts(ctx)
	if err != nil {
		s.emit(LifecycleEvent{Type: EventSweepFailed, Time: s.opt.Now(), Err: err})
		return fmt.Errorf("auth: sweep: listing accounts: %w", err)
	}
	seen := make(map[string]bool, len(accts))
	for _, a := range accts {
		if err := ctx.Err(); err != nil {
			return err
		}
		seen[a.Name] = true
		_, _ = s.CheckAccount(ctx, a)
	}
	s.mu.Lock()
	for name := range s.warned {
		if !seen[name] {
			delete(s.warned, name)
		}
	}
	s.mu.Unlock()
	return nil
}

// CheckAccount applies the lifecycle rules to a at the time of opt.Now:
// it disables the account through the source when a rule says so (PWD-09,
// INACT-06), persists missing timestamps (PWD-12, INACT-05) and emits the
// events. It returns the reason the account was disabled ("" when it stays
// enabled), which an authenticator turns into a refused login
// (reason.AuthReason()) even if disabling it failed; the error is that of
// the source.
func (s *Sweeper) CheckAccount(ctx context.Context, a SweepAccount) (DisableReason, error) {
	now := s.opt.Now()
	v := s.opt.Lifecycle.Check(a, now)
	var errs []error
	fail := func(err error) {
		errs = append(errs, err)
		s.emit(LifecycleEvent{Type: EventSweepFailed, Time: now, Account: a.Name, Err: err})
	}
	rep, _ := s.src.(AccountRepairer)
	if v.SetLastPasswordUpdate {
		s.emit(LifecycleEvent{Type: EventAutoDisableCheckFailed, Code: 20196, Time: now, Account: a.Name,
			Reason: DisablePasswordExpired, Days: a.PasswordLifetimeDays, Expires: v.PasswordExpires})
		if rep != nil {
			if err := rep.SetLastPasswordUpdate(ctx, a.Name, now); err != nil {
				fail(fmt.Errorf("auth: setting last_password_update of %q: %w", a.Name, err))
			}
		}
	}
	if v.SetCreated {
		s.emit(LifecycleEvent{Type: EventAutoDisableCheckFailed, Code: 20196, Time: now, Account: a.Name,
			Reason: DisableInactivity, Days: a.DisableOnInactivityDays})
		if rep != nil {
			if err := rep.SetCreated(ctx, a.Name, now); err != nil {
				fail(fmt.Errorf("auth: setting created of %q: %w", a.Name, err))
			}
		}
	}
	switch {
	case v.Disable != "":
		if err := s.src.Disable(ctx, a.Name, string(v.Disable)); err != nil {
			fail(fmt.Errorf("auth: disabling %q (%s): %w", a.Name, v.Disable, err))
		} else {
			e := LifecycleEvent{Type: EventAccountAutoDisabled, Time: now, Account: a.Name, Reason: v.Disable, Expires: v.PasswordExpires}
			if v.Disable == DisableInactivity {
				e.Code, e.Days, e.LastLogin = 20195, a.DisableOnInactivityDays, a.LastActivity()
			} else {
				e.Days = a.PasswordLifetimeDays
			}
			s.emit(e)
		}
		s.forgetWarning(a.Name)
	case v.Warn:
		s.mu.Lock()
		last, ok := s.warned[a.Name]
		s.warned[a.Name] = v.WarnDaysLeft
		s.mu.Unlock()
		if !ok || last != v.WarnDaysLeft {
			s.emit(LifecycleEvent{Type: EventPasswordExpiring, Code: 20129, Time: now, Account: a.Name,
				Days: v.WarnDaysLeft, Expires: v.PasswordExpires})
		}
	default:
		s.forgetWarning(a.Name)
	}
	return v.Disable, errors.Join(errs...)
}

func (s *Sweeper) forgetWarning(name string) {
	s.mu.Lock()
	delete(s.warned, name)
	s.mu.Unlock()
}

// Start runs a sweep immediately and then every interval, on its own
// goroutine, until ctx is done or Stop is called. It returns an error if
// the sweeper was already started.
func (s *Sweeper) Start(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.started {
		return errors.New("auth: Sweeper already started")
	}
	s.started = true
	ctx, cancel := context.WithCancel(ctx)
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.interval)
		defer t.Stop()
		for {
			_ = s.Sweep(ctx) // failures are reported as events
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}

// Stop ends the periodic sweep and waits for a sweep in progress to
// finish. It is safe to call more than once, and before Start.
func (s *Sweeper) Stop() {
	s.runMu.Lock()
	cancel, done := s.cancel, s.done
	s.runMu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}
