package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/groups"
)

var stateT0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// stateFixture is a Configured over a configuration with a memory state
// store and a fake clock.
type stateFixture struct {
	a     *Configured
	store *MemoryStateStore
	clock *fakeClock
	host  ssh.Signer
	key   ssh.Signer
}

const pw = "correct horse"

// newStateFixture builds the configuration: {BASE} is a temporary
// directory, {HASH} the hash of pw, {KEY} an authorized key line.
func newStateFixture(t *testing.T, text string, policy PasswordPolicy) *stateFixture {
	t.Helper()
	hash, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, _ := ssh.NewSignerFromKey(priv)
	_, hpriv, _ := ed25519.GenerateKey(rand.Reader)
	host, _ := ssh.NewSignerFromKey(hpriv)
	text = strings.NewReplacer("{BASE}", t.TempDir(), "{HASH}", hash,
		"{KEY}", strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key.PublicKey())))).Replace(text)
	cfg, err := groups.Parse("test.ini", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	f := &stateFixture{store: NewMemoryStateStore(), clock: &fakeClock{t: stateT0}, host: host, key: key}
	f.a, err = NewConfigured(cfg, ConfiguredOptions{Now: f.clock.Now, State: f.store, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// login runs one handshake as user with methods and returns the
// Identity, or the server's last failure reason.
func (f *stateFixture) login(t *testing.T, user string, methods ...ssh.AuthMethod) (*Identity, Reason) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	sn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	var reason Reason
	type result struct {
		id  *Identity
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer sn.Close()
		sc := &ssh.ServerConfig{}
		sc.AddHostKey(f.host)
		if err := f.a.Setup(context.Background(), ConnInfo{RemoteAddr: sn.RemoteAddr(), LocalAddr: sn.LocalAddr()}, sc); err != nil {
			done <- result{err: err}
			return
		}
		LockUsername(sc)
		sc.AuthLogCallback = func(_ ssh.ConnMetadata, method string, err error) {
			var pse *ssh.PartialSuccessError
			if err != nil && !errors.As(err, &pse) && method != "none" {
				reason = ReasonOf(err)
			}
		}
		conn, _, _, err := ssh.NewServerConn(sn, sc)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer conn.Close()
		id, err := FromPermissions(conn.Permissions)
		done <- result{id: id, err: err}
	}()
	cc, _, _, cerr := ssh.NewClientConn(cn, "pipe", &ssh.ClientConfig{User: user, Auth: methods, HostKeyCallback: ssh.FixedHostKey(f.host.PublicKey())})
	if cerr == nil {
		cc.Close()
	} else {
		cn.Close()
	}
	r := <-done
	if r.err != nil {
		if reason == "" {
			reason = "handshake: " + Reason(r.err.Error())
		}
		return nil, reason
	}
	return r.id, ""
}

func (f *stateFixture) state(t *testing.T, name string) AccountState {
	t.Helper()
	s, err := f.store.Get(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// kbd answers keyboard-interactive prompts: the password prompt with
// current, the new-password prompts with next (or retype when set).
func kbd(current, next, retype string) ssh.AuthMethod {
	if retype == "" {
		retype = next
	}
	return ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
		var out []string
		for _, q := range qs {
			switch q {
			case passwordPrompt:
				out = append(out, current)
			case newPasswordPrompt:
				out = append(out, next)
			case retypePrompt:
				out = append(out, retype)
			default:
				out = append(out, "")
			}
		}
		return out, nil
	})
}

const lifecycleConfig = `
[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = {BASE}
create_home_folder = Yes

[groups/fixed]
name = fixed
home_folder_path = {BASE}
create_home_folder = Yes
password_lifetime = 30
disable_on_inactivity = 60

[groups/self]
name = self
home_folder_path = {BASE}
create_home_folder = Yes
allow_own_password_change = Yes
password_lifetime = 30

[accounts/fresh]
name = fresh
group = fixed
password = {HASH}

[accounts/old]
name = old
group = fixed
password = {HASH}
last_password_update = 1717243200
created = 1717243200

[accounts/selfold]
name = selfold
group = self
password = {HASH}
last_password_update = 1717243200
ssh_authorized_keys_content = {KEY}

[accounts/selfnew]
name = selfnew
group = self
password = {HASH}
created = 1748779200

[accounts/locked]
name = locked
password = {HASH}
`

// 1717243200 = 2024-06-01T12:00Z (a year before stateT0); 1748779200 = stateT0.

func TestLogin_PWD12_MissingLastPasswordUpdatePersisted(t *testing.T) {
	f := newStateFixture(t, lifecycleConfig, PasswordPolicy{})
	id, reason := f.login(t, "fresh", ssh.Password(pw))
	if id == nil {
		t.Fatalf("login refused: %s", reason)
	}
	s := f.state(t, "fresh")
	if !s.LastPasswordUpdate.Equal(stateT0) {
		t.Errorf("LastPasswordUpdate = %v, want %v (PWD-12)", s.LastPasswordUpdate, stateT0)
	}
	if !s.Created.Equal(stateT0) {
		t.Errorf("Created = %v, want %v (INACT-05)", s.Created, stateT0)
	}
	var saw bool
	for _, n := range id.Notices {
		saw = saw || n.Type == NoticeAutoDisableCheckFailed
	}
	if !saw {
		t.Errorf("no %s notice in %v", NoticeAutoDisableCheckFailed, id.Notices)
	}
	// 30 days later the persisted time makes it expire (PWD-09 boundary).
	f.clock.Advance(30*day - time.Second)
	if id, reason := f.login(t, "fresh", ssh.Password(pw)); id == nil {
		t.Fatalf("refused 1 s before expiry: %s", reason)
	}
	f.clock.Advance(time.Second)
	if _, reason := f.login(t, "fresh", ssh.Password(pw)); reason != ReasonPasswordExpired {
		t.Fatalf("at expiry: reason %q, want password-expired", reason)
	}
}

func TestLogin_PWD09_ExpiredDisablesAccount(t *testing.T) {
	f := newStateFixture(t, lifecycleConfig, PasswordPolicy{})
	if _, reason := f.login(t, "old", ssh.Password(pw)); reason != ReasonPasswordExpired {
		t.Fatalf("reason %q, want password-expired", reason)
	}
	s := f.state(t, "old")
	if !s.Disabled || s.DisabledReason != string(DisablePasswordExpired) || !s.DisabledAt.Equal(stateT0) {
		t.Fatalf("state %+v: want disabled for password-expired at stateT0", s)
	}
	if _, reason := f.login(t, "old", ssh.Password(pw)); reason != ReasonAccountDisabled {
		t.Fatalf("second attempt: reason %q, want account-disabled", reason)
	}
	// A state LastPasswordUpdate later than the configured one applies.
	f.store.Update(context.Background(), "old", func(s *AccountState) error {
		*s = AccountState{LastPasswordUpdate: stateT0.Add(-day), LastLogin: stateT0.Add(-day)}
		return nil
	})
	if id, reason := f.login(t, "old", ssh.Password(pw)); id == nil {
		t.Fatalf("refused with a recent state last_password_update: %s", reason)
	}
}

func TestLogin_PWD11_AdminResetPasswordReenables(t *testing.T) {
	f := newStateFixture(t, lifecycleConfig, PasswordPolicy{MinLength: 8})
	ctx := context.Background()
	f.login(t, "old", ssh.Password(pw)) // disables it
	if err := f.a.AdminEnable(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	// Re-enabled without a new password: still expired, disabled again.
	if _, reason := f.login(t, "old", ssh.Password(pw)); reason != ReasonPasswordExpired {
		t.Fatalf("re-enabled only: reason %q, want password-expired", reason)
	}
	if err := f.a.AdminResetPassword(ctx, "old", "short", true); !errors.Is(err, ErrPasswordTooShort) {
		t.Fatalf("policy not applied to admin reset (PWD-05): %v", err)
	}
	if err := f.a.AdminResetPassword(ctx, "nobody", "long enough", true); !errors.Is(err, ErrUnknownAccount) {
		t.Fatalf("unknown account: %v", err)
	}
	if err := f.a.AdminResetPassword(ctx, "old", "admin set password", true); err != nil {
		t.Fatal(err)
	}
	s := f.state(t, "old")
	if s.Disabled || !s.LastPasswordUpdate.Equal(stateT0) || !s.LastAdminChange.Equal(stateT0) {
		t.Fatalf("after reset: %+v", s)
	}
	if id, reason := f.login(t, "old", ssh.Password("admin set password")); id == nil {
		t.Fatalf("new password refused: %s", reason)
	}
	if _, reason := f.login(t, "old", ssh.Password(pw)); reason != ReasonBadCredentials {
		t.Fatalf("old password: reason %q, want bad-credentials", reason)
	}
}

func TestLogin_INACT04_OnlySuccessRecordsLastLogin(t *testing.T) {
	f := newStateFixture(t, lifecycleConfig, PasswordPolicy{})
	f.login(t, "locked", ssh.Password("wrong"))
	if s := f.state(t, "locked"); !s.LastLogin.IsZero() {
		t.Fatalf("failed login recorded LastLogin %v", s.LastLogin)
	}
	f.clock.Advance(time.Hour)
	if id, reason := f.login(t, "locked", ssh.Password(pw)); id == nil {
		t.Fatal(reason)
	}
	if s := f.state(t, "locked"); !s.LastLogin.Equal(stateT0.Add(time.Hour)) {
		t.Fatalf("LastLogin = %v", s.LastLogin)
	}
}

func TestLogin_INACT05_INACT09_InactivityAtLogin(t *testing.T) {
	f := newStateFixture(t, lifecycleConfig, PasswordPolicy{})
	ctx := context.Background()
	// fresh: no created, no login: not disabled, created set (INACT-05).
	f.store.Update(ctx, "fresh", func(s *AccountState) error { s.LastPasswordUpdate = stateT0; return nil })
	if id, reason := f.login(t, "fresh", ssh.Password(pw)); id == nil {
		t.Fatal(reason)
	}
	if s := f.state(t, "fresh"); !s.Created.Equal(stateT0) || !s.LastLogin.Equal(stateT0) {
		t.Fatalf("state %+v", s)
	}
	// 60 days without a login: refused and disabled at login (INACT-09),
	// even though the password was renewed meanwhile.
	f.clock.Advance(60 * day)
	f.store.Update(ctx, "fresh", func(s *AccountState) error { s.LastPasswordUpdate = f.clock.Now(); return nil })
	if _, reason := f.login(t, "fresh", ssh.Password(pw)); reason != ReasonInactive {
		t.Fatalf("reason %q, want inactive", reason)
	}
	if s := f.state(t, "fresh"); !s.Disabled || s.DisabledReason != string(DisableInactivity) {
		t.Fatalf("state %+v", s)
	}
	// Re-enabled by an administrator: the grace interval lets it in.
	if err := f.a.AdminEnable(ctx, "fresh"); err != nil {
		t.Fatal(err)
	}
	if id, reason := f.login(t, "fresh", ssh.Password(pw)); id == nil {
		t.Fatalf("refused within the grace interval: %s", reason)
	}
}

func TestChangePassword_PWD06_PWD07(t *testing.T) {
	f := newStateFixture(t, lifecycleConfig, PasswordPolicy{MinLength: 8, History: 3})
	ctx := context.Background()
	idFixed, reason := f.login(t, "locked", ssh.Password(pw))
	if idFixed == nil {
		t.Fatal(reason)
	}
	if err := f.a.ChangePassword(ctx, idFixed, pw, "another password"); !errors.Is(err, ErrPasswordChangeNotAllowed) {
		t.Fatalf("PWD-06: %v, want ErrPasswordChangeNotAllowed", err)
	}
	id, reason := f.login(t, "selfnew", ssh.Password(pw))
	if id == nil {
		t.Fatal(reason)
	}
	f.clock.Advance(day)
	cases := []struct {
		name, current, next string
		want                error
	}{
		{"PWD-07 wrong current", "wrong", "another password", ErrPasswordIncorrect},
		{"PWD-02 too short", pw, "short", ErrPasswordTooShort},
		{"PWD-04 current reused", pw, pw, ErrPasswordReused},
		{"PWD-07 success", pw, "second password", nil},
		{"PWD-04 previous reused", "second password", pw, ErrPasswordReused},
		{"PWD-07 old current now wrong", pw, "third password", ErrPasswordIncorrect},
		{"PWD-07 second change", "second password", "third password", nil},
	}
	for _, tc := range cases {
		err := f.a.ChangePassword(ctx, id, tc.current, tc.next)
		if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	s := f.state(t, "selfnew")
	if !s.LastPasswordUpdate.Equal(stateT0.Add(day)) || len(s.History) != 3 {
		t.Errorf("state after changes: last update %v, %d history entries", s.LastPasswordUpdate, len(s.History))
	}
	if id, reason := f.login(t, "selfnew", ssh.Password("third password")); id == nil {
		t.Fatalf("new password refused: %s", reason)
	}
	// Without a state store, changes are unsupported.
	noState, _ := NewConfigured(f.a.cfg, ConfiguredOptions{Now: f.clock.Now})
	if err := noState.ChangePassword(ctx, id, "third password", "fourth password"); !errors.Is(err, ErrPasswordChangeUnsupported) {
		t.Errorf("without State: %v", err)
	}
}

func TestLogin_InBandExpiredPasswordChange(t *testing.T) {
	f := newStateFixture(t, lifecycleConfig, PasswordPolicy{MinLength: 8})
	// The password method and a key are refused; the account stays enabled.
	if _, reason := f.login(t, "selfold", ssh.Password(pw)); reason != ReasonPasswordExpired {
		t.Fatalf("password method: reason %q, want password-expired", reason)
	}
	if _, reason := f.login(t, "selfold", ssh.PublicKeys(f.key)); reason != ReasonPasswordExpired {
		t.Fatalf("key: reason %q, want password-expired", reason)
	}
	if s := f.state(t, "selfold"); s.Disabled {
		t.Fatalf("disabled although the in-band change applies: %+v", s)
	}
	// Wrong current password: no change round.
	if _, reason := f.login(t, "selfold", kbd("wrong", "brand new password", "")); reason != ReasonBadCredentials {
		t.Fatalf("wrong current: %q", reason)
	}
	// Mismatch, then too short, three times: the change fails.
	if _, reason := f.login(t, "selfold", kbd(pw, "brand new password", "other")); reason != ReasonPasswordChangeFailed {
		t.Fatalf("mismatch: %q", reason)
	}
	if _, reason := f.login(t, "selfold", kbd(pw, "short", "")); reason != ReasonPasswordChangeFailed {
		t.Fatalf("policy: %q", reason)
	}
	id, reason := f.login(t, "selfold", kbd(pw, "brand new password", ""))
	if id == nil {
		t.Fatalf("in-band change: %s", reason)
	}
	var changed bool
	for _, n := range id.Notices {
		changed = changed || n.Type == NoticePasswordChanged
	}
	if !changed || len(id.Methods) != 1 || id.Methods[0] != MethodKeyboardInteractive {
		t.Errorf("identity %+v", id)
	}
	if s := f.state(t, "selfold"); !s.LastPasswordUpdate.Equal(stateT0) || s.PasswordHash == "" {
		t.Fatalf("state %+v", s)
	}
	if id, reason := f.login(t, "selfold", ssh.Password("brand new password")); id == nil {
		t.Fatalf("new password: %s", reason)
	}
	if id, reason := f.login(t, "selfold", ssh.PublicKeys(f.key)); id == nil {
		t.Fatalf("key after the change: %s", reason)
	}
}

func TestSweepSource_INACT09_PWD09(t *testing.T) {
	f := newStateFixture(t, lifecycleConfig, PasswordPolicy{})
	ctx := context.Background()
	src, err := f.a.SweepSource()
	if err != nil {
		t.Fatal(err)
	}
	var events []LifecycleEvent
	sw, err := NewSweeper(src, SweeperOptions{Now: f.clock.Now, OnEvent: func(e LifecycleEvent) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"old": "password-expired", "selfold": "", "selfnew": "", "fresh": "", "locked": ""}
	for name, reason := range want {
		s := f.state(t, name)
		if got := map[bool]string{true: s.DisabledReason}[s.Disabled]; got != reason {
			t.Errorf("%s: disabled %q, want %q", name, got, reason)
		}
	}
	if s := f.state(t, "fresh"); !s.LastPasswordUpdate.Equal(stateT0) || !s.Created.Equal(stateT0) {
		t.Errorf("fresh: missing times not repaired: %+v", s)
	}
	f.clock.Advance(60 * day)
	if err := sw.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if s := f.state(t, "fresh"); !s.Disabled {
		t.Errorf("fresh not disabled after 60 days: %+v", s)
	}
	var inactive bool
	for _, e := range events {
		inactive = inactive || (e.Type == EventAccountAutoDisabled && e.Account == "fresh")
	}
	if !inactive {
		t.Errorf("no auto-disabled event for fresh: %+v", events)
	}
	if _, err := (&Configured{}).SweepSource(); err == nil {
		t.Error("SweepSource without State succeeded")
	}
}
