package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/sftpkit/sftpkit/groups"
)

// Errors of own password changes and administrator resets.
var (
	// ErrPasswordChangeNotAllowed: allow_own_password_change is No for the
	// account's primary group, or the account has no password (PWD-06).
	ErrPasswordChangeNotAllowed = errors.New("auth: password change not allowed for this account")
	// ErrPasswordChangeUnsupported: the authenticator cannot keep a new
	// password (Configured without a StateStore).
	ErrPasswordChangeUnsupported = errors.New("auth: password changes are not supported by this server")
	// ErrPasswordIncorrect: the current password given for a change is
	// wrong (PWD-07).
	ErrPasswordIncorrect = errors.New("auth: current password incorrect")
	// ErrPasswordMismatch: the new password and its confirmation differ.
	ErrPasswordMismatch = errors.New("auth: the new passwords do not match")
	// ErrUnknownAccount: no account of that name in the configuration.
	ErrUnknownAccount = errors.New("auth: unknown account")
)

// PasswordChanger is implemented by an authenticator that lets a logged-in
// user change their own password (SPEC PWD-06…PWD-08). sftpserver accepts
// the exec request "passwd" only when its Authenticator implements it.
type PasswordChanger interface {
	// ChangePassword replaces the password of the account id logged in as,
	// after verifying current. The error is ErrPasswordChangeNotAllowed,
	// ErrPasswordChangeUnsupported, ErrPasswordIncorrect, a *PolicyError,
	// or another error (storage).
	ChangePassword(ctx context.Context, id *Identity, current, next string) error
}

var _ PasswordChanger = (*Configured)(nil)

// ChangePassword implements PasswordChanger for an account logged in
// through this Configured: the account's primary group must allow own
// password changes (PWD-06), current must verify against the account's
// password (PWD-07), and next must satisfy opt.Policy, history included
// (PWD-04, PWD-05), and differ from the current password. The new argon2id
// hash, last_password_update = now and the history are kept in opt.State
// (ErrPasswordChangeUnsupported without one).
func (a *Configured) ChangePassword(ctx context.Context, id *Identity, current, next string) error {
	if a.opt.State == nil {
		return ErrPasswordChangeUnsupported
	}
	if id == nil {
		return ErrPasswordChangeUnsupported
	}
	eff, ok := id.Value.(*groups.Effective)
	if !ok || eff.Name() != id.User {
		return ErrPasswordChangeUnsupported
	}
	if !eff.AllowOwnPasswordChange().Value || !eff.RequiredCredentials().Value.AllowsPassword() {
		return ErrPasswordChangeNotAllowed
	}
	s, err := a.opt.State.Get(ctx, id.User)
	if err != nil {
		return err
	}
	if s.Disabled {
		return ErrPasswordChangeNotAllowed
	}
	hash := effectiveHash(eff.Password(), s)
	if hash == "" {
		a.dummy.verify([]byte(current))
		return ErrPasswordChangeNotAllowed
	}
	ok, err = VerifyPassword(hash, current)
	if err != nil {
		return fmt.Errorf("auth: the account's stored password hash is unusable: %w", err)
	}
	if !ok {
		return ErrPasswordIncorrect
	}
	_, err = a.setPassword(ctx, id.User, eff.Password(), s, next, false)
	return err
}

// AdminResetPassword sets the password of the configured account name, as
// an administrator: next must satisfy opt.Policy (PWD-05);
// last_password_update becomes now and the change starts the inactivity
// grace (INACT-07). With enable, an account the lifecycle disabled is
// enabled again in the same operation (PWD-11). It needs opt.State.
func (a *Configured) AdminResetPassword(ctx context.Context, name, next string, enable bool) error {
	if a.opt.State == nil {
		return ErrPasswordChangeUnsupported
	}
	acct := a.cfg.Account(name)
	if acct == nil {
		return ErrUnknownAccount
	}
	s, err := a.opt.State.Get(ctx, name)
	if err != nil {
		return err
	}
	_, err = a.setPassword(ctx, name, acct.Password, s, next, true, func(s *AccountState) {
		if enable {
			s.Disabled, s.DisabledReason, s.DisabledAt = false, "", time.Time{}
		}
	})
	return err
}

// AdminEnable enables again an account the lifecycle disabled, as an
// administrator; the change starts the inactivity grace (INACT-07). An
// account disabled for password expiry stays expired and is disabled again
// at its next check unless its password is reset (PWD-11).
func (a *Configured) AdminEnable(ctx context.Context, name string) error {
	if a.opt.State == nil {
		return ErrPasswordChangeUnsupported
	}
	if a.cfg.Account(name) == nil {
		return ErrUnknownAccount
	}
	now := a.now()
	return a.opt.State.Update(ctx, name, func(s *AccountState) error {
		s.Disabled, s.DisabledReason, s.DisabledAt = false, "", time.Time{}
		s.LastAdminChange = now
		return nil
	})
}

// errConcurrentChange: the password changed between the check and the
// update.
var errConcurrentChange = errors.New("auth: the password was changed concurrently; try again")

// setPassword checks next against the policy and the history of s (the
// state read before) and stores its hash as the account's password.
// configured is the configured hash the override replaces. admin marks an
// administrator's change (LastAdminChange = now); more edits the state in
// the same update.
func (a *Configured) setPassword(ctx context.Context, name, configured string, s AccountState, next string, admin bool, more ...func(*AccountState)) (string, error) {
	cur := effectiveHash(configured, s)
	hist := s.History
	if cur != "" && (len(hist) == 0 || hist[0] != cur) {
		hist = append([]string{cur}, hist...)
	}
	if err := a.opt.Policy.CheckWithInputs(next, hist, []string{name}); err != nil {
		return "", err
	}
	if a.opt.Policy.History <= 0 && cur != "" {
		if same, _ := VerifyPassword(cur, next); same {
			return "", &PolicyError{Violations: []*PolicyViolation{{Rule: ErrPasswordReused, Detail: "must differ from the current password"}}}
		}
	}
	hash, err := HashPassword(next)
	if err != nil {
		return "", err
	}
	now := a.now()
	err = a.opt.State.Update(ctx, name, func(st *AccountState) error {
		if st.PasswordHash != s.PasswordHash {
			return errConcurrentChange
		}
		st.PasswordHash, st.ConfigPasswordHash = hash, configured
		st.LastPasswordUpdate = now
		st.History = a.opt.Policy.UpdateHistory(hist, hash)
		if admin {
			st.LastAdminChange = now
		}
		for _, f := range more {
			f(st)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	a.log.Info("auth: password changed", "user", name, "admin", admin)
	return hash, nil
}

// Prompts of the in-band change of an expired password.
const (
	expiredInstruction = "Your password has expired and must be changed."
	newPasswordPrompt  = "New password: "
	retypePrompt       = "Retype new password: "
	maxInBandTries     = 3
)

// changeExpired changes the expired password of user, verified as current,
// through further keyboard-interactive rounds: the new password and its
// confirmation, at most maxInBandTries times. On success the login goes
// on with the new password.
func (st *configuredConn) changeExpired(eff *groups.Effective, user, current string, challenge ssh.KeyboardInteractiveChallenge) error {
	a := st.a
	instruction := expiredInstruction
	for range maxInBandTries {
		answers, err := challenge("", instruction, []string{newPasswordPrompt, retypePrompt}, []bool{false, false})
		if err != nil {
			return err
		}
		if len(answers) != 2 {
			return &Failure{Reason: ReasonPasswordChangeFailed, User: user}
		}
		if answers[0] != answers[1] {
			instruction = "The passwords do not match; try again."
			continue
		}
		s, err := a.opt.State.Get(st.ctx, user)
		if err != nil {
			a.log.Error("auth: cannot read the account state", "user", user, "err", err)
			return &Failure{Reason: ReasonStateUnavailable, User: user}
		}
		hash, err := a.setPassword(st.ctx, user, eff.Password(), s, answers[0], false)
		var pe *PolicyError
		switch {
		case err == nil:
			st.mu.Lock()
			st.expired, st.hash = false, hash
			st.notices = append(st.notices, Notice{Type: NoticePasswordChanged, Detail: "expired password changed at login"})
			st.mu.Unlock()
			return nil
		case errors.As(err, &pe):
			a.log.Info("auth: new password refused by the policy", "user", user, "err", err)
			instruction = "Password refused (" + pe.Error() + "); try again."
		default:
			a.log.Error("auth: cannot store the new password", "user", user, "err", err)
			return &Failure{Reason: ReasonPasswordChangeFailed, User: user}
		}
	}
	return &Failure{Reason: ReasonPasswordChangeFailed, User: user}
}

// SweepSource returns the AccountSource of this authenticator's accounts
// for a Sweeper: every configured account with its effective
// password_lifetime and disable_on_inactivity (account value, else primary
// group, INACT-01, INACT-08) and the state's timestamps; Disable and the
// repairs of missing times (AccountRepairer) write to opt.State. An
// account whose primary group allows own password changes is not disabled
// for an expired password: its login stays refused until the password is
// changed in-band (keyboard-interactive) or reset. It needs opt.State.
func (a *Configured) SweepSource() (AccountSource, error) {
	if a.opt.State == nil {
		return nil, errors.New("auth: SweepSource needs ConfiguredOptions.State")
	}
	return configuredSource{a}, nil
}

type configuredSource struct{ a *Configured }

var _ AccountRepairer = configuredSource{}

func optOr[T any](acct, group groups.Opt[T], def T) T {
	if v, ok := acct.Get(); ok {
		return v
	}
	if v, ok := group.Get(); ok {
		return v
	}
	return def
}

func (src configuredSource) Accounts(ctx context.Context) ([]SweepAccount, error) {
	a := src.a
	now := a.now()
	var out []SweepAccount
	for _, acct := range a.cfg.Accounts() {
		s, err := a.opt.State.Get(ctx, acct.Name)
		if err != nil {
			return nil, err
		}
		enabled := acct.Enabled && !s.Disabled
		var prim *groups.Group
		for i, uuid := range acct.ConfiguredGroups() {
			g := a.cfg.Group(uuid)
			if g == nil {
				continue
			}
			if i == 0 {
				prim = g
			}
			if !g.Enabled {
				enabled = false
			}
		}
		var gopt groups.Options
		allowOwn := false
		if prim != nil {
			gopt = prim.Options
			allowOwn, _ = prim.AllowOwnPasswordChange.Get()
		}
		hash := effectiveHash(acct.Password, s)
		sa := SweepAccount{
			Name:                    acct.Name,
			Enabled:                 enabled,
			NoPassword:              hash == "",
			LastPasswordUpdate:      later(acct.LastPasswordUpdate, s.LastPasswordUpdate),
			PasswordLifetimeDays:    optOr(acct.PasswordLifetime, gopt.PasswordLifetime, 0),
			DisableOnInactivityDays: optOr(acct.DisableOnInactivity, gopt.DisableOnInactivity, 0),
			Activity:                Activity{LastLogin: s.LastLogin, Created: later(acct.Created, s.Created), LastAdminChange: s.LastAdminChange},
		}
		creds := optOr(acct.RequiredCredentials, gopt.RequiredCredentials, groups.CredentialsAny)
		if allowOwn && creds.AllowsPassword() && !sa.NoPassword &&
			PasswordExpired(sa.LastPasswordUpdate, sa.PasswordLifetimeDays, now) {
			sa.PasswordLifetimeDays = 0 // left to the in-band change at login
		}
		out = append(out, sa)
	}
	return out, nil
}

func (src configuredSource) Disable(ctx context.Context, name, reason string) error {
	now := src.a.now()
	return src.a.opt.State.Update(ctx, name, func(s *AccountState) error {
		if !s.Disabled {
			s.Disabled, s.DisabledReason, s.DisabledAt = true, reason, now
		}
		return nil
	})
}

func (src configuredSource) SetLastPasswordUpdate(ctx context.Context, name string, t time.Time) error {
	return src.a.opt.State.Update(ctx, name, func(s *AccountState) error {
		if s.LastPasswordUpdate.IsZero() {
			s.LastPasswordUpdate = t
		}
		return nil
	})
}

func (src configuredSource) SetCreated(ctx context.Context, name string, t time.Time) error {
	return src.a.opt.State.Update(ctx, name, func(s *AccountState) error {
		if s.Created.IsZero() {
			s.Created = t
		}
		return nil
	})
}
