package groups

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func osHomes(homes map[string]string) OSHomeFunc {
	return func(_ context.Context, user string) (string, error) {
		if h, ok := homes[user]; ok {
			return h, nil
		}
		return "", fmt.Errorf("no such OS user %q", user)
	}
}

// HOME-01…HOME-04, HOME-06: group path templates.
func TestHOME_GroupTemplates(t *testing.T) {
	cases := []struct {
		id, value, user, want string
	}{
		{"HOME-01", "/srv/sftp", "alice", "/srv/sftp/alice"},
		{"HOME-01 trailing slash", "/srv/sftp/", "alice", "/srv/sftp/alice"},
		{"HOME-01 root", "/", "alice", "/alice"},
		{"HOME-01 windows", `c:\Users`, "alice", `c:\Users\alice`},
		{"HOME-01 windows root", `C:\`, "alice", `C:\alice`},
		{"HOME-02", "/home/${USER}/reports", "alice", "/home/alice/reports"},
		{"HOME-02 twice", "/home/${USER}/${USER}", "alice", "/home/alice/alice"},
		{"HOME-02 windows", `c:\Users\${USER}\reports`, "some_user", `c:\Users\some_user\reports`},
		{"HOME-03", "${SHARED}/srv/pub", "alice", "/srv/pub"},
		{"HOME-03 windows", `${SHARED}C:\FTP-Pub\Inbox`, "bob", `C:\FTP-Pub\Inbox`},
		{"HOME-03 with USER", "${SHARED}/x/${USER}", "alice", "/x/alice"},
		{"HOME-04", "/srv/${USER}", `a/b:c*d?e"f<g>h|i\j`, "/srv/a.b.c.d.e.f.g.h.i.j"},
		{"HOME-04 appended", "/srv", `a/b:c*d?e"f<g>h|i\j`, "/srv/a.b.c.d.e.f.g.h.i.j"},
		{"HOME-04 kept characters", "/srv", "Jöhn Doe@dom", "/srv/Jöhn Doe@dom"},
		{"HOME-06", "/srv/${user}", "alice", "/srv/${user}/alice"},
		{"HOME-06 unknown token", "/srv/${HOME}", "alice", "/srv/${HOME}/alice"},
		{"HOME-10", "${OS_HOME}", "alice", "/home/alice"},
		{"HOME-10 suffix", "${OS_HOME}/sftp", "alice", "/home/alice/sftp"},
		{"HOME-10 suffix root home", "${OS_HOME}/sftp", "root", "/sftp"},
	}
	homes := osHomes(map[string]string{"alice": "/home/alice", "root": "/"})
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			got, err := ExpandGroupPath(context.Background(), tc.value, tc.user, homes)
			if err != nil || got != tc.want {
				t.Errorf("ExpandGroupPath(%q, %q) = %q, %v; want %q", tc.value, tc.user, got, err, tc.want)
			}
		})
	}
}

// HOME-05: names that would climb or vanish are refused wherever ${USER}
// is substituted; a ${SHARED} path does not need the name.
func TestHOME05_ClimbingNames(t *testing.T) {
	for _, name := range []string{"..", ".", "", "/", `\\`, "a\x00b", "a\nb", "\x7f", "a\u0085b", "\xff"} {
		if _, err := EscapeUser(name); !errors.Is(err, ErrInvalidUserName) {
			t.Errorf("EscapeUser(%q) = %v", name, err)
		}
		for _, v := range []string{"/srv", "/srv/${USER}/x"} {
			if got, err := ExpandGroupPath(context.Background(), v, name, nil); !errors.Is(err, ErrInvalidUserName) {
				t.Errorf("ExpandGroupPath(%q, %q) = %q, %v", v, name, got, err)
			}
		}
		if got, err := ExpandAccountPath(context.Background(), "/data/${USER}", name, nil); !errors.Is(err, ErrInvalidUserName) {
			t.Errorf("ExpandAccountPath(%q) = %q, %v", name, got, err)
		}
	}
	for _, name := range []string{"...", "a..", "..a", ". .", "a.b"} {
		if _, err := EscapeUser(name); err != nil {
			t.Errorf("EscapeUser(%q) = %v", name, err)
		}
	}
	if got, err := ExpandGroupPath(context.Background(), "${SHARED}/srv/pub", "..", nil); err != nil || got != "/srv/pub" {
		t.Errorf("shared path = %q, %v", got, err)
	}
	// Through the resolver the configuration already refuses such names
	// (vpath.ValidName); a name that reaches Resolve anyway fails closed.
	c := mustParse(t, defaultGroup+"[accounts/a]\nname = ok\n")
	c.byName[".."] = &Account{UUID: "evil", Name: "..", Enabled: true}
	_, err := resolve(t, c, "..", "192.0.2.1")
	r := wantRejection(t, err, ReasonConfigInvalid)
	if r.Option != "home_folder_path" || !errors.Is(err, ErrInvalidUserName) {
		t.Errorf("rejection = %+v", r)
	}
}

// HOME-03 and HOME-08 validation, and the placeholder position rules.
func TestHOME_TemplateValidation(t *testing.T) {
	bad := []string{
		"srv/sftp",            // HOME-08 relative
		"${USER}/x",           // relative
		"./x",                 // relative
		"C:relative",          // drive-relative
		"/srv/${SHARED}",      // HOME-03 not a prefix
		"${SHARED}${SHARED}/", // twice
		"${SHARED}srv",        // relative after the prefix
		"/x/${OS_HOME}",       // not a prefix
		"${SHARED}${OS_HOME}", // contradictory
		"${OS_HOME}${OS_HOME}",
		"/srv/a\tb", // control character
	}
	for _, v := range bad {
		if _, err := ExpandGroupPath(context.Background(), v, "alice", osHomes(nil)); err == nil {
			t.Errorf("ExpandGroupPath(%q) accepted", v)
		}
		if _, err := ExpandAccountPath(context.Background(), v, "alice", osHomes(nil)); err == nil && !strings.HasPrefix(v, "${SHARED}/") {
			t.Errorf("ExpandAccountPath(%q) accepted", v)
		}
	}
	for _, v := range []string{"/srv", `\\server\share`, "c:/x", "${SHARED}/x", "${OS_HOME}"} {
		if _, _, err := parsePathTemplate(v, true); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
	// HOME-08 for account values, through the configuration.
	wantOneErr(t, defaultGroup+"[accounts/a]\nname = a\nhome_folder_path = data/a\n", 6, "accounts/a", "home_folder_path", ErrInvalidValue, "absolute")
}

// HOME-07: an account value is used as written even when the group has
// one; HOME-09: Inherit with an empty group value fails the login.
func TestHOME07_HOME09_AccountValues(t *testing.T) {
	c := mustParse(t, `[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP

[groups/g]
name = g
home_folder_path = /srv/g

[accounts/a]
name = alice
group = g
home_folder_path = /data/custom

[accounts/b]
name = bob
group = g
home_folder_path = /data/${USER}/in

[accounts/c]
name = carol
`)
	for _, tc := range []struct{ name, want string }{{"alice", "/data/custom"}, {"bob", "/data/bob/in"}} {
		if h := mustResolve(t, c, tc.name, "192.0.2.1").Home(); h.Value != tc.want || h.Source.Kind != SourceAccount {
			t.Errorf("HOME-07 %s: home = %+v, want %q", tc.name, h, tc.want)
		}
	}
	if got, err := ExpandAccountPath(context.Background(), "/data/custom", "alice", nil); err != nil || got != "/data/custom" {
		t.Errorf("ExpandAccountPath = %q, %v", got, err)
	}
	_, err := resolve(t, c, "carol", "192.0.2.1")
	r := wantRejection(t, err, ReasonConfigInvalid)
	if !errors.Is(err, ErrNotInheritable) || r.Option != "home_folder_path" || r.Group != DefaultGroup {
		t.Errorf("HOME-09: %+v", r)
	}
}

// HOME-10: ${OS_HOME} goes through the resolver; none, or a failing one,
// fails the login with config-invalid.
func TestHOME10_OSHome(t *testing.T) {
	c := mustParse(t, `[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = ${OS_HOME}
[accounts/a]
name = alice
[accounts/b]
name = bob
`)
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Msg, "resolver") {
		t.Errorf("warnings = %v", c.Warnings)
	}
	ctx := context.Background()
	src := netip.MustParseAddr("192.0.2.1")
	opt := ResolveOptions{OSHome: osHomes(map[string]string{"alice": "/home/alice", "bob": "relative"})}
	e, err := c.Resolve(ctx, "alice", src, opt)
	if err != nil || e.Home().Value != "/home/alice" {
		t.Fatalf("alice: %v, %v", e, err)
	}
	_, err = c.Resolve(ctx, "alice", src, ResolveOptions{})
	if r := wantRejection(t, err, ReasonConfigInvalid); !errors.Is(err, ErrNoOSHomeResolver) || r.Option != "home_folder_path" {
		t.Errorf("no resolver: %+v", r)
	}
	_, err = c.Resolve(ctx, "bob", src, opt) // the resolver returns a relative path
	wantRejection(t, err, ReasonConfigInvalid)
	_, err = c.Resolve(ctx, "bob", src, ResolveOptions{OSHome: osHomes(nil)}) // the lookup fails
	wantRejection(t, err, ReasonConfigInvalid)
}

// HOME-12: lock_in_home_folder = No is accepted with a warning and
// ignored: application accounts are always locked.
func TestHOME12_AlwaysLocked(t *testing.T) {
	c := mustParse(t, defaultGroup+"[accounts/a]\nname = alice\nlock_in_home_folder = No\n")
	if len(c.Warnings) != 1 || c.Warnings[0].Option != "lock_in_home_folder" || c.Warnings[0].Line != 6 {
		t.Errorf("warnings = %v", c.Warnings)
	}
	e := mustResolve(t, c, "alice", "192.0.2.1")
	if v := e.LockInHomeFolder(); v.Value || v.Source.Kind != SourceAccount || !e.Locked() {
		t.Errorf("lock = %+v, locked = %v", v, e.Locked())
	}
}

// KEY-02: ssh_authorized_keys_path follows the same template rules.
func TestAuthorizedKeysPathTemplates(t *testing.T) {
	c := mustParse(t, `[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
home_folder_path = /srv
ssh_authorized_keys_path = /srv/keys
[groups/u]
name = u
home_folder_path = /srv
ssh_authorized_keys_path = /srv/keys/${USER}_authorized_keys
[groups/s]
name = s
home_folder_path = /srv
ssh_authorized_keys_path = ${SHARED}/srv/keys/team
[groups/off]
name = off
home_folder_path = /srv
ssh_authorized_keys_path = Disabled
[accounts/a]
name = alice
[accounts/b]
name = bob
group = u
[accounts/c]
name = carol
group = s
[accounts/d]
name = dave
group = off
`)
	for name, want := range map[string]string{
		"alice": "/srv/keys/alice", "bob": "/srv/keys/bob_authorized_keys", "carol": "/srv/keys/team", "dave": "",
	} {
		if got := mustResolve(t, c, name, "192.0.2.1").AuthorizedKeysPath(); got.Value != want || got.Source.Kind != SourceGroup {
			t.Errorf("%s: %+v, want %q", name, got, want)
		}
	}
}

// VF-02: ${USER} in virtual folders is substituted on both sides.
func TestVirtualFolderUserSubstitution(t *testing.T) {
	vf, err := expandVirtualFolder(VirtualFolder{VirtualPath: "/queue/${USER}", RealPath: `/srv/q/${USER}`}, `a:b*c`)
	if err != nil || vf != (VirtualFolder{VirtualPath: "/queue/a:b*c", RealPath: "/srv/q/a.b.c", PerUser: true}) {
		t.Errorf("got %+v, %v", vf, err)
	}
	vf, err = expandVirtualFolder(VirtualFolder{VirtualPath: "/u/${USER}", RealPath: `/srv/${USER}`}, `a/b`)
	if err != nil || vf != (VirtualFolder{VirtualPath: "/u/a.b", RealPath: "/srv/a.b", PerUser: true}) {
		t.Errorf("got %+v, %v", vf, err)
	}
	if _, err := expandVirtualFolder(VirtualFolder{VirtualPath: "/u/${USER}", RealPath: "/srv"}, ".."); !errors.Is(err, ErrInvalidUserName) {
		t.Errorf("..: %v", err)
	}
}
