package auth

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sftpkit/sftpkit/groups"
)

// fakeClock is an injectable clock for the lifecycle and lockout tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeSource is an in-memory AccountSource and AccountRepairer.
type fakeSource struct {
	mu         sync.Mutex
	accts      map[string]*SweepAccount
	disabled   []string // name:reason, in order
	listErr    error
	disableErr error
}

func newFakeSource(accts ...SweepAccount) *fakeSource {
	s := &fakeSource{accts: map[string]*SweepAccount{}}
	for _, a := range accts {
		s.accts[a.Name] = &a
	}
	return s
}

func (s *fakeSource) Accounts(context.Context) ([]SweepAccount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listErr != nil {
		return nil, s.listErr
	}
	var out []SweepAccount
	for _, a := range s.accts {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b SweepAccount) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out, nil
}

func (s *fakeSource) Disable(_ context.Context, name, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disableErr != nil {
		return s.disableErr
	}
	s.accts[name].Enabled = false
	s.disabled = append(s.disabled, name+":"+reason)
	return nil
}

func (s *fakeSource) SetLastPasswordUpdate(_ context.Context, name string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accts[name].LastPasswordUpdate = t
	return nil
}

func (s *fakeSource) SetCreated(_ context.Context, name string, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accts[name].Created = t
	return nil
}

func (s *fakeSource) get(name string) SweepAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.accts[name]
}

func (s *fakeSource) update(name string, f func(*SweepAccount)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.accts[name])
}

func (s *fakeSource) disabledList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.disabled)
}

// noRepairSource hides the AccountRepairer methods.
type noRepairSource struct{ fs *fakeSource }

func (s noRepairSource) Accounts(ctx context.Context) ([]SweepAccount, error) {
	return s.fs.Accounts(ctx)
}

func (s noRepairSource) Disable(ctx context.Context, name, reason string) error {
	return s.fs.Disable(ctx, name, reason)
}

// eventLog collects lifecycle events.
type eventLog struct {
	mu  sync.Mutex
	evs []LifecycleEvent
	ch  chan LifecycleEvent
}

func (l *eventLog) add(e LifecycleEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
	if l.ch != nil {
		select {
		case l.ch <- e:
		default:
		}
	}
}

func (l *eventLog) take() []LifecycleEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.evs
	l.evs = nil
	return out
}

func types(evs []LifecycleEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type+":"+e.Account)
	}
	return out
}

func newTestSweeper(t *testing.T, src AccountSource, clk *fakeClock, lc Lifecycle) (*Sweeper, *eventLog) {
	t.Helper()
	log := &eventLog{}
	s, err := NewSweeper(src, SweeperOptions{Now: clk.Now, Lifecycle: lc, OnEvent: log.add})
	if err != nil {
		t.Fatal(err)
	}
	return s, log
}

// TestPasswordExpired_PWD09_PWD10 is the boundary table of the password
// lifetime rule.
func TestPasswordExpired_PWD09_PWD10(t *testing.T) {
	T := time.Date(2026, 1, 10, 8, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		last time.Time
		days int
		now  time.Time
		want bool
	}{
		{"PWD-09 just set", T, 30, T, false},
		{"PWD-09 one second before N days", T, 30, T.Add(30*day - time.Second), false},
		{"PWD-09 at exactly N days", T, 30, T.Add(30 * day), true},
		{"PWD-09 after N days", T, 30, T.Add(400 * day), true},
		{"PWD-09 N×24h, not calendar days (DST irrelevant)", T, 1, T.Add(24 * time.Hour), true},
		{"PWD-10 lifetime 0 never expires", T, 0, T.Add(10000 * day), false},
		{"PWD-10 negative lifetime never expires", T, -5, T.Add(10000 * day), false},
		{"PWD-12 unknown last update is not expired", time.Time{}, 30, T, false},
		{"huge lifetime does not overflow", T, 1 << 40, T.Add(10000 * day), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PasswordExpired(tt.last, tt.days, tt.now); got != tt.want {
				t.Errorf("PasswordExpired = %v, want %v", got, tt.want)
			}
		})
	}
	if exp, ok := PasswordExpiry(T, 30); !ok || !exp.Equal(T.Add(30*day)) {
		t.Errorf("PasswordExpiry = %v, %v", exp, ok)
	}
}

// TestInactive_INACT02_03_07 is the table of the inactivity rule.
func TestInactive_INACT02_03_07(t *testing.T) {
	T := time.Date(2026, 1, 10, 8, 30, 0, 0, time.UTC)
	grace := 7 * day
	tests := []struct {
		name string
		a    Activity
		days int
		now  time.Time
		want bool
	}{
		{"INACT-03 T+30d-1s still enabled", Activity{LastLogin: T}, 30, T.Add(30*day - time.Second), false},
		{"INACT-03 T+30d disabled", Activity{LastLogin: T}, 30, T.Add(30 * day), true},
		{"INACT-01 N=0 never", Activity{LastLogin: T}, 0, T.Add(1000 * day), false},
		{"INACT-02 created counts when never logged in", Activity{Created: T}, 30, T.Add(29 * day), false},
		{"INACT-02 created, never logged in, old", Activity{Created: T}, 30, T.Add(30 * day), true},
		{"INACT-02 max(login, created): recent login wins", Activity{Created: T, LastLogin: T.Add(20 * day)}, 30, T.Add(40 * day), false},
		{"INACT-02 max(login, created): recent creation wins", Activity{Created: T.Add(20 * day), LastLogin: T}, 30, T.Add(40 * day), false},
		{"INACT-05 no login, no created: never", Activity{}, 30, T.Add(1000 * day), false},
		{"INACT-07 re-enabled at R: protected before R+grace", Activity{LastLogin: T, LastAdminChange: T.Add(100 * day)}, 30, T.Add(107*day - time.Second), false},
		{"INACT-07 re-enabled at R: disabled at R+grace", Activity{LastLogin: T, LastAdminChange: T.Add(100 * day)}, 30, T.Add(107 * day), true},
		{"INACT-07 old admin change gives no protection", Activity{LastLogin: T, LastAdminChange: T.Add(time.Hour)}, 30, T.Add(30 * day), true},
		{"INACT-07 login after re-enabling counts fully", Activity{LastLogin: T.Add(101 * day), LastAdminChange: T.Add(100 * day)}, 30, T.Add(130 * day), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Inactive(tt.a, tt.days, grace, tt.now); got != tt.want {
				t.Errorf("Inactive = %v, want %v", got, tt.want)
			}
		})
	}
	// Grace 0: an admin change gives no protection.
	if !Inactive(Activity{LastLogin: T, LastAdminChange: T.Add(100 * day)}, 30, 0, T.Add(100*day)) {
		t.Error("grace 0 still protects")
	}
}

// TestSweep_PWD09 disables an account whose password expired, with the
// event, and refuses it at login through CheckAccount.
func TestSweep_PWD09(t *testing.T) {
	clk := newFakeClock()
	T := clk.Now()
	src := newFakeSource(
		SweepAccount{Name: "alice", Enabled: true, LastPasswordUpdate: T, PasswordLifetimeDays: 30},
		SweepAccount{Name: "keyonly", Enabled: true, NoPassword: true, LastPasswordUpdate: T.Add(-1000 * day), PasswordLifetimeDays: 30},
	)
	s, log := newTestSweeper(t, src, clk, Lifecycle{PasswordWarningDays: -1})
	clk.Set(T.Add(30*day - time.Second))
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := src.disabledList(); len(d) != 0 {
		t.Fatalf("disabled early: %v", d)
	}
	clk.Set(T.Add(30 * day))
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := src.disabledList(); !slices.Equal(d, []string{"alice:password-expired"}) {
		t.Fatalf("disabled = %v", d)
	}
	evs := log.take()
	if len(evs) != 1 || evs[0].Type != EventAccountAutoDisabled || evs[0].Reason != DisablePasswordExpired ||
		evs[0].Days != 30 || !evs[0].Expires.Equal(T.Add(30*day)) || !evs[0].Time.Equal(clk.Now()) {
		t.Fatalf("events = %+v", evs)
	}
	// The login-time check refuses an expired account the sweep has not
	// seen yet (INACT-09 for passwords).
	a := SweepAccount{Name: "bob", Enabled: true, LastPasswordUpdate: T, PasswordLifetimeDays: 30}
	src.accts["bob"] = &a
	reason, err := s.CheckAccount(context.Background(), a)
	if err != nil || reason != DisablePasswordExpired || reason.AuthReason() != "password-expired" {
		t.Fatalf("CheckAccount = %q, %v", reason, err)
	}
}

// TestSweep_PWD11: an administrator setting a new password (and
// re-enabling) makes the account valid again; re-enabling alone does not.
func TestSweep_PWD11(t *testing.T) {
	clk := newFakeClock()
	T := clk.Now()
	src := newFakeSource(SweepAccount{Name: "alice", Enabled: true, LastPasswordUpdate: T, PasswordLifetimeDays: 30})
	s, _ := newTestSweeper(t, src, clk, Lifecycle{})
	clk.Set(T.Add(31 * day))
	_ = s.Sweep(context.Background())
	if src.get("alice").Enabled {
		t.Fatal("not disabled")
	}
	// Re-enabled without a new password: disabled again at the next check.
	src.update("alice", func(a *SweepAccount) { a.Enabled = true; a.LastAdminChange = clk.Now() })
	_ = s.Sweep(context.Background())
	if src.get("alice").Enabled {
		t.Fatal("PWD-11 re-enabling without a new password must leave it expired")
	}
	// Reset with a new password: valid for another lifetime.
	src.update("alice", func(a *SweepAccount) { a.Enabled = true; a.LastPasswordUpdate = clk.Now() })
	clk.Advance(29 * day)
	_ = s.Sweep(context.Background())
	if !src.get("alice").Enabled {
		t.Fatal("PWD-11 disabled although the password was reset")
	}
}

// TestSweep_PWD12: a missing last_password_update is taken as now,
// persisted, and reported; the account is not disabled.
func TestSweep_PWD12(t *testing.T) {
	for _, repair := range []bool{true, false} {
		clk := newFakeClock()
		fs := newFakeSource(SweepAccount{Name: "alice", Enabled: true, PasswordLifetimeDays: 1})
		var src AccountSource = fs
		if !repair {
			src = noRepairSource{fs}
		}
		s, log := newTestSweeper(t, src, clk, Lifecycle{PasswordWarningDays: -1})
		_ = s.Sweep(context.Background())
		evs := log.take()
		if len(evs) != 1 || evs[0].Type != EventAutoDisableCheckFailed || evs[0].Reason != DisablePasswordExpired || evs[0].Code != 20196 {
			t.Fatalf("repair=%v events = %+v", repair, evs)
		}
		got := fs.get("alice")
		if !got.Enabled {
			t.Fatal("PWD-12 disabled")
		}
		if repair != got.LastPasswordUpdate.Equal(clk.Now()) {
			t.Fatalf("repair=%v: last_password_update = %v", repair, got.LastPasswordUpdate)
		}
		clk.Advance(day)
		_ = s.Sweep(context.Background())
		if repair && fs.get("alice").Enabled {
			t.Error("PWD-12 the persisted time did not start the lifetime")
		}
		if !repair && !fs.get("alice").Enabled {
			t.Error("without a repairer, the time is now at every check")
		}
	}
}

// TestSweep_PWD13: password.expiring once per day while fewer than W days
// remain; 0 means the default 14; negative disables.
func TestSweep_PWD13(t *testing.T) {
	clk := newFakeClock()
	T := clk.Now()
	src := newFakeSource(SweepAccount{Name: "alice", Enabled: true, LastPasswordUpdate: T, PasswordLifetimeDays: 20})
	s, log := newTestSweeper(t, src, clk, Lifecycle{})
	sweep := func() []LifecycleEvent { _ = s.Sweep(context.Background()); return log.take() }
	clk.Set(T.Add(6 * day)) // 14 days left: not fewer than 14
	if evs := sweep(); len(evs) != 0 {
		t.Fatalf("warned with 14 days left: %+v", evs)
	}
	clk.Set(T.Add(6*day + time.Minute)) // 13 days 23:59 left
	evs := sweep()
	if len(evs) != 1 || evs[0].Type != EventPasswordExpiring || evs[0].Days != 13 || evs[0].Code != 20129 {
		t.Fatalf("events = %+v", evs)
	}
	for range 10 { // the sweep runs every minute: one event per day
		clk.Advance(time.Minute)
		if evs := sweep(); len(evs) != 0 {
			t.Fatalf("warned twice the same day: %+v", evs)
		}
	}
	clk.Set(T.Add(7*day + time.Minute))
	if evs := sweep(); len(evs) != 1 || evs[0].Days != 12 {
		t.Fatalf("next day: %+v", evs)
	}
	clk.Set(T.Add(20 * day))
	if evs := sweep(); len(evs) != 1 || evs[0].Type != EventAccountAutoDisabled {
		t.Fatalf("at expiry: %+v", evs)
	}
	// Disabled warnings.
	lc := Lifecycle{PasswordWarningDays: -1}
	if v := lc.Check(SweepAccount{Enabled: true, LastPasswordUpdate: T, PasswordLifetimeDays: 20}, T.Add(19*day)); v.Warn {
		t.Error("negative PasswordWarningDays still warns")
	}
	lc = Lifecycle{PasswordWarningDays: 3}
	if v := lc.Check(SweepAccount{Enabled: true, LastPasswordUpdate: T, PasswordLifetimeDays: 20}, T.Add(17*day)); v.Warn {
		t.Error("warned with 3 days left and W=3")
	}
	if v := lc.Check(SweepAccount{Enabled: true, LastPasswordUpdate: T, PasswordLifetimeDays: 20}, T.Add(18*day)); !v.Warn || v.WarnDaysLeft != 2 {
		t.Errorf("W=3, 2 days left: %+v", v)
	}
}

// TestSweep_INACT03 runs the boundary through the sweep with an injected
// clock, and checks the disable event (INACT-06).
func TestSweep_INACT03_INACT06(t *testing.T) {
	clk := newFakeClock()
	T := clk.Now()
	src := newFakeSource(SweepAccount{Name: "alice", Enabled: true, DisableOnInactivityDays: 30, Activity: Activity{LastLogin: T, Created: T.Add(-100 * day)}})
	s, log := newTestSweeper(t, src, clk, Lifecycle{})
	clk.Set(T.Add(30*day - time.Second))
	_ = s.Sweep(context.Background())
	if !src.get("alice").Enabled {
		t.Fatal("INACT-03 disabled at T+30d-1s")
	}
	clk.Set(T.Add(30 * day))
	_ = s.Sweep(context.Background())
	if src.get("alice").Enabled {
		t.Fatal("INACT-03 enabled at T+30d")
	}
	evs := log.take()
	if len(evs) != 1 || evs[0].Type != EventAccountAutoDisabled || evs[0].Reason != DisableInactivity ||
		evs[0].Code != 20195 || evs[0].Days != 30 || !evs[0].LastLogin.Equal(T) {
		t.Fatalf("events = %+v", evs)
	}
	// INACT-06: an already-disabled account is not processed again.
	clk.Advance(day)
	_ = s.Sweep(context.Background())
	if evs := log.take(); len(evs) != 0 {
		t.Fatalf("disabled account processed again: %+v", evs)
	}
	if d := src.disabledList(); len(d) != 1 {
		t.Fatalf("Disable called %d times", len(d))
	}
}

// TestSweep_INACT05: neither a login nor a creation time: not disabled,
// created := now persisted, auto-disable-check-failed reported.
func TestSweep_INACT05(t *testing.T) {
	clk := newFakeClock()
	src := newFakeSource(SweepAccount{Name: "alice", Enabled: true, DisableOnInactivityDays: 1})
	s, log := newTestSweeper(t, src, clk, Lifecycle{})
	_ = s.Sweep(context.Background())
	evs := log.take()
	if len(evs) != 1 || evs[0].Type != EventAutoDisableCheckFailed || evs[0].Reason != DisableInactivity || evs[0].Code != 20196 {
		t.Fatalf("events = %+v", evs)
	}
	if a := src.get("alice"); !a.Enabled || !a.Created.Equal(clk.Now()) {
		t.Fatalf("account = %+v", a)
	}
	clk.Advance(day)
	_ = s.Sweep(context.Background())
	if src.get("alice").Enabled {
		t.Fatal("INACT-05 the persisted created time did not start the period")
	}
}

// TestSweep_INACT07: re-enabled at R, not disabled before R+grace, then
// disabled again without a login.
func TestSweep_INACT07(t *testing.T) {
	clk := newFakeClock()
	T := clk.Now()
	src := newFakeSource(SweepAccount{Name: "alice", Enabled: true, DisableOnInactivityDays: 30, Activity: Activity{LastLogin: T}})
	s, _ := newTestSweeper(t, src, clk, Lifecycle{}) // default grace: 7 days
	clk.Set(T.Add(40 * day))
	_ = s.Sweep(context.Background())
	if src.get("alice").Enabled {
		t.Fatal("not disabled")
	}
	R := clk.Now().Add(time.Hour)
	clk.Set(R)
	src.update("alice", func(a *SweepAccount) { a.Enabled = true; a.LastAdminChange = R })
	for _, d := range []time.Duration{time.Minute, day, 7*day - time.Second} {
		clk.Set(R.Add(d))
		_ = s.Sweep(context.Background())
		if !src.get("alice").Enabled {
			t.Fatalf("INACT-07 disabled again %v after re-enabling", d)
		}
	}
	clk.Set(R.Add(7 * day))
	_ = s.Sweep(context.Background())
	if src.get("alice").Enabled {
		t.Fatal("INACT-07 still enabled after the grace period without a login")
	}
	// A custom grace.
	if (Lifecycle{Grace: time.Hour}).grace() != time.Hour || (Lifecycle{Grace: -1}).grace() != 0 {
		t.Error("grace settings")
	}
}

// TestSweepAccountOf_INACT01_INACT08: the effective values come from the
// account, else its primary group; a secondary group's
// disable_on_inactivity is ignored.
func TestSweepAccountOf_INACT01_INACT08(t *testing.T) {
	cfg, err := groups.Parse("test.ini", []byte(`
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = /srv/sftp

[groups/g-main]
name = main
home_folder_path = /srv/main
password_lifetime = 90
disable_on_inactivity = 30

[groups/g-second]
name = second
home_folder_path = /srv/second
password_lifetime = 5
disable_on_inactivity = 2

[accounts/a-alice]
name = alice
group = g-main, g-second
password = $argon2id$v=19$m=4096,t=4,p=4$c29tZXNhbHQ$FF25czqfTuQ+3zPFCb6WuTTVBaTvszxa
last_password_update = 1767225600
created = 1764547200

[accounts/a-bob]
name = bob
group = g-second, g-main
disable_on_inactivity = 0

[accounts/a-carol]
name = carol
group = g-main
disable_on_inactivity = 12
`))
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(name string) *groups.Effective {
		eff, err := cfg.Resolve(context.Background(), name, netip.MustParseAddr("192.0.2.1"), groups.ResolveOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return eff
	}
	login := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	admin := time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)
	a := SweepAccountOf(resolve("alice"), login, admin)
	want := SweepAccount{Name: "alice", Enabled: true, LastPasswordUpdate: time.Unix(1767225600, 0),
		PasswordLifetimeDays: 90, DisableOnInactivityDays: 30,
		Activity: Activity{LastLogin: login, Created: time.Unix(1764547200, 0), LastAdminChange: admin}}
	if !a.LastPasswordUpdate.Equal(want.LastPasswordUpdate) || !a.Created.Equal(want.Created) {
		t.Errorf("timestamps: %+v", a)
	}
	a.LastPasswordUpdate, a.Created = want.LastPasswordUpdate, want.Created
	if a != want {
		t.Errorf("INACT-08 alice:\n got %+v\nwant %+v", a, want)
	}
	b := SweepAccountOf(resolve("bob"), time.Time{}, time.Time{})
	if b.DisableOnInactivityDays != 0 || b.PasswordLifetimeDays != 5 || !b.NoPassword {
		t.Errorf("INACT-01 bob (explicit 0, primary second): %+v", b)
	}
	if c := SweepAccountOf(resolve("carol"), time.Time{}, time.Time{}); c.DisableOnInactivityDays != 12 {
		t.Errorf("INACT-01 carol (account value): %+v", c)
	}
}

// TestSweep_INACT09: the sweep runs periodically until Stop, and the same
// check is available at authentication time.
func TestSweep_INACT09(t *testing.T) {
	clk := newFakeClock()
	T := clk.Now()
	src := newFakeSource(SweepAccount{Name: "alice", Enabled: true, DisableOnInactivityDays: 1, Activity: Activity{LastLogin: T}})
	log := &eventLog{ch: make(chan LifecycleEvent, 16)}
	s, err := NewSweeper(src, SweeperOptions{Interval: 2 * time.Millisecond, Now: clk.Now, OnEvent: log.add})
	if err != nil {
		t.Fatal(err)
	}
	// At authentication time, before any sweep.
	clk.Set(T.Add(day))
	if r, err := s.CheckAccount(context.Background(), src.get("alice")); r != DisableInactivity || err != nil || r.AuthReason() != "inactive" {
		t.Fatalf("CheckAccount = %q, %v", r, err)
	}
	<-log.ch
	src.update("alice", func(a *SweepAccount) { a.Enabled = true; a.LastLogin = clk.Now() })

	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil {
		t.Error("second Start accepted")
	}
	clk.Advance(day)
	select {
	case e := <-log.ch:
		if e.Type != EventAccountAutoDisabled || e.Account != "alice" {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the periodic sweep did not run")
	}
	s.Stop()
	s.Stop() // idempotent
	src.update("alice", func(a *SweepAccount) { a.Enabled = true })
	time.Sleep(20 * time.Millisecond)
	if !src.get("alice").Enabled {
		t.Fatal("sweep ran after Stop")
	}
	// Stop before Start is harmless.
	s2, _ := NewSweeper(src, SweeperOptions{})
	s2.Stop()
}

// TestSweep_StopOnContext: the periodic sweep ends with its context.
func TestSweep_StopOnContext(t *testing.T) {
	src := newFakeSource()
	s, err := NewSweeper(src, SweeperOptions{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatal("sweeper did not stop with its context")
	}
	s.Stop()
}

func TestSweep_Failures(t *testing.T) {
	clk := newFakeClock()
	T := clk.Now()
	src := newFakeSource(SweepAccount{Name: "alice", Enabled: true, DisableOnInactivityDays: 1, Activity: Activity{LastLogin: T}})
	s, log := newTestSweeper(t, src, clk, Lifecycle{})
	src.listErr = errors.New("db down")
	if err := s.Sweep(context.Background()); err == nil {
		t.Fatal("listing error not returned")
	}
	if evs := log.take(); len(evs) != 1 || evs[0].Type != EventSweepFailed {
		t.Fatalf("events = %+v", evs)
	}
	src.listErr, src.disableErr = nil, errors.New("read-only")
	clk.Advance(day)
	if err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if evs := log.take(); len(evs) != 1 || evs[0].Type != EventSweepFailed || evs[0].Account != "alice" {
		t.Fatalf("events = %+v", evs)
	}
	// The login is refused even though disabling failed.
	r, err := s.CheckAccount(context.Background(), src.get("alice"))
	if r != DisableInactivity || err == nil {
		t.Fatalf("CheckAccount = %q, %v", r, err)
	}
	if _, err := NewSweeper(nil, SweeperOptions{}); err == nil {
		t.Error("nil source accepted")
	}
	if _, err := NewSweeper(src, SweeperOptions{Interval: -1}); err == nil {
		t.Error("negative interval accepted")
	}
}

// TestLifecycleCheck_Order: an expired password is reported before
// inactivity (AUTH-01 step 3 order); a disabled account gives nothing.
func TestLifecycleCheck_Order(t *testing.T) {
	T := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := SweepAccount{Name: "a", Enabled: true, LastPasswordUpdate: T, PasswordLifetimeDays: 10,
		DisableOnInactivityDays: 10, Activity: Activity{LastLogin: T}}
	if v := (Lifecycle{}).Check(a, T.Add(20*day)); v.Disable != DisablePasswordExpired {
		t.Errorf("Disable = %q", v.Disable)
	}
	a.Enabled = false
	if v := (Lifecycle{}).Check(a, T.Add(20*day)); v != (Verdict{}) {
		t.Errorf("disabled account: %+v", v)
	}
}
