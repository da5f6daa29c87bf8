package directory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Refusal is why an SFTP login was refused, for events and logs only: the
// client always sees the same failure.
type Refusal string

// Refusals.
const (
	RefusedUnknownUser  Refusal = "unknown-user"         // no such login (an email, QLOGIN-02, or a custom login on the wrong endpoint, QLOGIN-06)
	RefusedModule       Refusal = "sftp-module-disabled" // QLIC-01
	RefusedSFTPDisabled Refusal = "sftp-disabled"        // SFTP not enabled for the user
	RefusedInactive     Refusal = "inactive"             // QLIC-05
	RefusedContact      Refusal = "contact"              // QROLE-06
)

// LoginError is returned by Login for a refused login.
type LoginError struct {
	Login  string
	Reason Refusal
}

func (e *LoginError) Error() string {
	return fmt.Sprintf("directory: login %q refused: %s", e.Login, e.Reason)
}

// ErrLoginRefused matches every *LoginError with errors.Is.
var ErrLoginRefused = errors.New("directory: login refused")

// Is makes errors.Is(err, ErrLoginRefused) true.
func (e *LoginError) Is(target error) bool { return target == ErrLoginRefused }

// Login resolves an SFTP login name arriving on the listener local and
// checks that the user may use SFTP now (SPEC §18–§19):
//   - a generated login ID is accepted on every endpoint (QLOGIN-06),
//     unless Options.CustomLoginReplacesID and the user has a custom login;
//   - a custom login only on its tenant's dedicated endpoint;
//   - an email never (QLOGIN-02);
//   - then the tenant's module must be on, SFTP enabled for the user and
//     the user active; contacts never log in.
//
// Credentials are not checked here.
func (d *Directory) Login(ctx context.Context, login string, local net.Addr) (User, Tenant, error) {
	var u User
	var t Tenant
	refuse := func(r Refusal) error { return &LoginError{Login: login, Reason: r} }
	err := d.store.View(ctx, func(tx Tx) error {
		if login == "" || strings.Contains(login, "@") {
			return refuse(RefusedUnknownUser)
		}
		var err error
		u, err = tx.UserByLoginID(login)
		if err == nil && d.replaceID && u.CustomLogin != "" {
			err = ErrNotFound
		}
		if errors.Is(err, ErrNotFound) {
			u, err = d.byCustomLogin(tx, login, local)
		}
		if errors.Is(err, ErrNotFound) {
			return refuse(RefusedUnknownUser)
		}
		if err != nil {
			return err
		}
		if t, err = tx.Tenant(u.Tenant); err != nil {
			return err
		}
		switch {
		case u.IsContact():
			return refuse(RefusedContact)
		case !t.Module.Active(d.now()):
			return refuse(RefusedModule)
		case !u.SFTP:
			return refuse(RefusedSFTPDisabled)
		case u.Status != StatusActive:
			return refuse(RefusedInactive)
		}
		return nil
	})
	if err != nil {
		return User{}, Tenant{}, err
	}
	return u, t, nil
}

// byCustomLogin finds the custom login of the tenant whose dedicated
// endpoint is local.
func (d *Directory) byCustomLogin(tx Tx, login string, local net.Addr) (User, error) {
	ts, err := tx.Tenants()
	if err != nil {
		return User{}, err
	}
	for _, t := range ts {
		if t.DedicatedEndpoint != "" && sameEndpoint(t.DedicatedEndpoint, local) {
			return tx.UserByCustomLogin(t.ID, login)
		}
	}
	return User{}, ErrNotFound
}

// sameEndpoint reports whether the listener address local is the endpoint
// ep: "ip:port" must match both, a bare "ip" matches any port.
func sameEndpoint(ep string, local net.Addr) bool {
	if local == nil {
		return false
	}
	la, err := netip.ParseAddrPort(local.String())
	if err != nil {
		return false
	}
	la = netip.AddrPortFrom(la.Addr().Unmap(), la.Port())
	if ap, err := netip.ParseAddrPort(ep); err == nil {
		return ap.Addr().Unmap() == la.Addr() && ap.Port() == la.Port()
	}
	if a, err := netip.ParseAddr(ep); err == nil {
		return a.Unmap() == la.Addr()
	}
	return false
}

// Knows reports whether login names one of the directory's users on the
// listener local — a generated login ID, or a custom login on its tenant's
// dedicated endpoint — whether or not that user may log in now. A server
// serving other accounts too routes a connection to the directory's
// Authenticator when it returns true (see auth.Route).
func (d *Directory) Knows(ctx context.Context, login string, local net.Addr) bool {
	_, _, err := d.Login(ctx, login, local)
	var le *LoginError
	return err == nil || (errors.As(err, &le) && le.Reason != RefusedUnknownUser)
}
