package auth

import (
	"fmt"
	"time"

	"github.com/sftpkit/sftpkit/groups"
)

// Notice types Configured reports with a login when it has a StateStore.
const (
	NoticePasswordChanged          = "password.changed"
	NoticePasswordExpiring         = "password.expiring"
	NoticeAutoDisableCheckFailed   = "account.auto-disable-check-failed"
	noticeDetailPasswordTimeMissed = "password_lifetime: last_password_update unknown, set to now"
	noticeDetailCreatedMissed      = "disable_on_inactivity: neither a login nor created known, created set to now"
)

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// effectiveHash is the password hash that applies to an account: the
// state's override while the configuration still holds the hash it
// replaced, else the configured one.
func effectiveHash(configured string, s AccountState) string {
	if s.PasswordHash != "" && s.ConfigPasswordHash == configured {
		return s.PasswordHash
	}
	return configured
}

// sweepAccount is the lifecycle's view of a resolved account with its state.
func sweepAccount(eff *groups.Effective, s AccountState) SweepAccount {
	a := SweepAccountOf(eff, s.LastLogin, s.LastAdminChange)
	a.Enabled = !s.Disabled
	a.NoPassword = effectiveHash(eff.Password(), s) == ""
	a.LastPasswordUpdate = later(eff.LastPasswordUpdate(), s.LastPasswordUpdate)
	a.Created = later(eff.Created(), s.Created)
	return a
}

// inBandChange reports whether an expired password of eff may be changed
// at login (through keyboard-interactive) instead of disabling the
// account: the primary group allows own password changes and there is a
// StateStore to keep the new one.
func (a *Configured) inBandChange(eff *groups.Effective, hash string) bool {
	return a.opt.State != nil && eff.AllowOwnPasswordChange().Value &&
		eff.RequiredCredentials().Value.AllowsPassword() && hash != ""
}

// disable marks the account disabled in the state store.
func (a *Configured) disable(st *configuredConn, user string, reason DisableReason, now time.Time) {
	err := a.opt.State.Update(st.ctx, user, func(s *AccountState) error {
		s.Disabled, s.DisabledReason, s.DisabledAt = true, string(reason), now
		return nil
	})
	if err != nil {
		a.log.Error("auth: cannot record the account as disabled", "user", user, "reason", string(reason), "err", err)
		return
	}
	a.log.Warn("auth: account disabled", "user", user, "reason", string(reason))
}

// applyState applies the StateStore at resolution (st.mu is held): a
// disabled account is refused, the override hash is taken, and the
// lifecycle rules are checked (PWD-09, PWD-12, INACT-05, INACT-09).
func (st *configuredConn) applyState(user string, eff *groups.Effective) error {
	a := st.a
	s, err := a.opt.State.Get(st.ctx, user)
	if err != nil {
		a.log.Error("auth: cannot read the account state; refusing the login", "user", user, "err", err)
		return &Failure{Reason: ReasonStateUnavailable, User: user}
	}
	if s.Disabled {
		a.log.Info("auth: account refused", "user", user, "reason", string(ReasonAccountDisabled), "disabled_reason", s.DisabledReason)
		return &Failure{Reason: ReasonAccountDisabled, User: user}
	}
	st.hash = effectiveHash(eff.Password(), s)
	now := a.now()
	acct := sweepAccount(eff, s)
	v := a.opt.Lifecycle.Check(acct, now)
	if v.SetLastPasswordUpdate || v.SetCreated {
		err := a.opt.State.Update(st.ctx, user, func(s *AccountState) error {
			if v.SetLastPasswordUpdate && s.LastPasswordUpdate.IsZero() {
				s.LastPasswordUpdate = now
			}
			if v.SetCreated && s.Created.IsZero() {
				s.Created = now
			}
			return nil
		})
		if err != nil {
			a.log.Error("auth: cannot record a missing lifecycle time", "user", user, "err", err)
		}
		if v.SetLastPasswordUpdate {
			a.log.Warn("auth: "+noticeDetailPasswordTimeMissed, "user", user)
			st.notices = append(st.notices, Notice{Type: NoticeAutoDisableCheckFailed, Detail: noticeDetailPasswordTimeMissed})
		}
		if v.SetCreated {
			a.log.Warn("auth: "+noticeDetailCreatedMissed, "user", user)
			st.notices = append(st.notices, Notice{Type: NoticeAutoDisableCheckFailed, Detail: noticeDetailCreatedMissed})
		}
	}
	switch v.Disable {
	case DisablePasswordExpired:
		if a.inBandChange(eff, st.hash) {
			// Decided after the password is verified: keyboard-interactive
			// may change it, anything else is refused (not disabled).
			st.expired = true
			return nil
		}
		a.disable(st, user, v.Disable, now)
		return &Failure{Reason: ReasonPasswordExpired, User: user}
	case DisableInactivity:
		a.disable(st, user, v.Disable, now)
		return &Failure{Reason: v.Disable.AuthReason(), User: user}
	}
	if v.Warn {
		st.notices = append(st.notices, Notice{Type: NoticePasswordExpiring, Detail: fmt.Sprintf("%d days left", v.WarnDaysLeft)})
	}
	return nil
}
