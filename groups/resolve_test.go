package groups

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sftpkit/sftpkit/perms"
)

// twoGroups is the configuration of the GRP tests: account alice in
// [P, S]; P is associated from 10.1.0.0/16, S from 10.2.0.0/16, both from
// 10.0.0.0/8 addresses outside those (via the "all" rule order).
func twoGroups(pExtra, sExtra, account string) string {
	return defaultGroup + `
[groups/P]
name = primary
home_folder_path = /srv/p
source_ip_filter =
    deny 10.2.0.0/16
    allow 10.0.0.0/8
` + pExtra + `
[groups/S]
name = secondary
home_folder_path = /srv/s
source_ip_filter =
    deny 10.1.0.0/16
    allow 10.0.0.0/8
` + sExtra + `
[accounts/a]
name = alice
group = P, S
` + account
}

const (
	bothIP = "10.3.0.1" // P and S associated
	pOnly  = "10.1.0.1"
	sOnly  = "10.2.0.1"
)

func policy(t *testing.T, e *Effective) *perms.Policy {
	t.Helper()
	p, err := e.Policy()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// GRP-01: rules of both groups, global line of P only.
func TestGRP01_PermissionsCombined(t *testing.T) {
	c := mustParse(t, twoGroups(`permissions =
    allow-read
    /a/*, allow-write
`, `permissions =
    allow-full-control
    /b/*, allow-delete-file
`, ""))
	e := mustResolve(t, c, "alice", bothIP)
	if g := e.PermissionGlobal(); g.Value != mustSet(t, "allow-read") || g.Source.Kind != SourceGroup || g.Source.UUID != "P" {
		t.Errorf("global = %+v", g)
	}
	want := []string{"/a/* → allow-write [group primary]", "/b/* → allow-delete-file [group secondary]"}
	if got := ruleExprs(e.PermissionRules()); !equalStrings(got, want) {
		t.Errorf("rules = %v, want %v", got, want)
	}
	p := policy(t, e)
	if got := p.Effective("/c/x"); got != mustSet(t, "allow-read") {
		t.Errorf("/c/x gets %v", got)
	}
	if p.Check("/b/x", perms.DeleteFile) != nil || p.Check("/c/x", perms.Write) == nil {
		t.Error("policy checks")
	}
}

// GRP-02: a path matching rules of both groups uses P's rule.
func TestGRP02_RuleOrderAcrossGroups(t *testing.T) {
	c := mustParse(t, twoGroups("permissions =\n    allow-list\n    /x/*, allow-read\n",
		"permissions =\n    allow-list\n    /x/*, allow-full-control\n", ""))
	ex := policy(t, mustResolve(t, c, "alice", bothIP)).Explain("/x/f", perms.Write)
	if ex.Allowed || ex.Source != "group primary" || ex.RuleIndex != 0 {
		t.Errorf("explain = %v", ex)
	}
}

// GRP-03: explicit account permissions replace every group's, global line
// included.
func TestGRP03_AccountPermissionsReplace(t *testing.T) {
	c := mustParse(t, twoGroups("permissions =\n    allow-full-control\n    /a/*, allow-read\n",
		"permissions =\n    allow-list\n    /b/*, allow-read\n",
		"permissions =\n    allow-list\n    /mine/*, allow-write\n"))
	for _, ip := range []string{bothIP, pOnly, sOnly} {
		e := mustResolve(t, c, "alice", ip)
		if g := e.PermissionGlobal(); g.Value != mustSet(t, "allow-list") || g.Source.Kind != SourceAccount {
			t.Errorf("%s: global = %+v", ip, g)
		}
		if got := ruleExprs(e.PermissionRules()); !equalStrings(got, []string{"/mine/* → allow-write [account alice]"}) {
			t.Errorf("%s: rules = %v", ip, got)
		}
	}
}

// GRP-04: virtual folders of both groups; an explicit account list
// replaces them; an explicit empty list means none.
func TestGRP04_VirtualFolders(t *testing.T) {
	p := "virtual_folders =\n    /p, /srv/p-share\n    /same, /srv/p-same\n"
	s := "virtual_folders =\n    /s, /srv/s-share\n    /same, /srv/s-same\n    /p, /srv/p-share\n"
	vfs := func(e *Effective) []string {
		var out []string
		for _, v := range e.VirtualFolders() {
			out = append(out, v.Value.VirtualPath+"="+v.Value.RealPath+"@"+v.Source.String())
		}
		return out
	}
	c := mustParse(t, twoGroups(p, s, ""))
	e := mustResolve(t, c, "alice", bothIP)
	want := []string{"/p=/srv/p-share@group primary", "/same=/srv/p-same@group primary", "/s=/srv/s-share@group secondary"}
	if got := vfs(e); !equalStrings(got, want) {
		t.Errorf("inherited: %v, want %v", got, want)
	}
	// VF-13: the conflicting /same of S is dropped with a notice; the
	// identical /p pair is de-duplicated silently.
	if n := e.Notices(); len(n) != 1 || n[0].Event != "vf.duplicate" || n[0].Source.UUID != "S" || !strings.Contains(n[0].Detail, "/srv/s-same") {
		t.Errorf("notices = %+v", n)
	}

	c = mustParse(t, twoGroups(p, s, "virtual_folders = /mine/${USER}, /srv/mine/${USER}\n"))
	if got := vfs(mustResolve(t, c, "alice", bothIP)); !equalStrings(got, []string{"/mine/alice=/srv/mine/alice@account alice"}) {
		t.Errorf("explicit: %v", got)
	}
	c = mustParse(t, twoGroups(p, s, "virtual_folders =\n"))
	if got := vfs(mustResolve(t, c, "alice", bothIP)); len(got) != 0 {
		t.Errorf("explicit empty: %v", got)
	}
}

// GRP-05: ssh_delete_delay set on S only → no delay.
func TestGRP05_DeleteDelayFromPrimaryOnly(t *testing.T) {
	c := mustParse(t, twoGroups("ssh_delete_delay = 0\n", "ssh_delete_delay = 60\n", ""))
	if d := mustResolve(t, c, "alice", bothIP).SSHDeleteDelay(); d.Value != 0 || d.Source.UUID != "P" {
		t.Errorf("delay = %+v", d)
	}
	c = mustParse(t, twoGroups("", "ssh_delete_delay = 60\n", ""))
	if d := mustResolve(t, c, "alice", bothIP).SSHDeleteDelay(); d.Value != 0 || d.Source.Kind != SourceDefault {
		t.Errorf("delay = %+v", d)
	}
}

// GRP-06: disable_on_inactivity set on S only → never disabled by it.
func TestGRP06_InactivityFromPrimaryOnly(t *testing.T) {
	c := mustParse(t, twoGroups("", "disable_on_inactivity = 30\n", ""))
	if d := mustResolve(t, c, "alice", bothIP).DisableOnInactivity(); d.Value != 0 || d.Source.Kind != SourceDefault {
		t.Errorf("inactivity = %+v", d)
	}
}

// GRP-07: create_home_folder = Yes on S only, primary No → not created.
func TestGRP07_CreateHomeFromPrimaryOnly(t *testing.T) {
	c := mustParse(t, twoGroups("create_home_folder = No\n", "create_home_folder = Yes\n", ""))
	if v := mustResolve(t, c, "alice", bothIP).CreateHomeFolder(); v.Value || v.Source.UUID != "P" {
		t.Errorf("create_home_folder = %+v", v)
	}
}

// GRP-08: only S associated: P's rules and folders are dropped, the
// global line is deny-full-control, P is listed as ignored; scalars still
// come from P.
func TestGRP08_PrimaryNotAssociated(t *testing.T) {
	c := mustParse(t, twoGroups(`permissions =
    allow-full-control
    /p/*, allow-read
virtual_folders = /pv, /srv/pv
home_folder_structure = /p-in
`, `permissions =
    allow-full-control
    /s/*, allow-read
virtual_folders = /sv, /srv/sv
home_folder_structure = /s-in
`, ""))
	e := mustResolve(t, c, "alice", sOnly)
	g := e.PermissionGlobal()
	if g.Value != perms.DenyFullControl() || g.Source.Kind != SourceFailClosed || g.Source.UUID != "P" {
		t.Errorf("global = %+v", g)
	}
	if got := ruleExprs(e.PermissionRules()); !equalStrings(got, []string{"/s/* → allow-read [group secondary]"}) {
		t.Errorf("rules = %v", got)
	}
	if v := e.VirtualFolders(); len(v) != 1 || v[0].Value.VirtualPath != "/sv" {
		t.Errorf("virtual folders = %v", v)
	}
	if h := e.HomeFolderStructure(); len(h) != 1 || h[0].Value != "/s-in" {
		t.Errorf("structure = %v", h)
	}
	if ig := e.IgnoredGroups(); len(ig) != 1 || ig[0].UUID != "P" || ig[0].Reason != IgnoredSourceIP {
		t.Errorf("ignored = %v", ig)
	}
	if h := e.Home(); h.Value != "/srv/p/alice" || h.Source.UUID != "P" {
		t.Errorf("home = %+v", h)
	}
	p := policy(t, e)
	if p.Check("/x", perms.List) == nil || p.Check("/s/f", perms.Read) != nil {
		t.Error("policy")
	}
	if _, src := p.Global(); !strings.Contains(string(src), "fail-closed") {
		t.Errorf("policy global source %q", src)
	}
}

// GRP-09: no group associated → refused.
func TestGRP09_NoGroup(t *testing.T) {
	c := mustParse(t, twoGroups("", "", ""))
	_, err := resolve(t, c, "alice", "192.0.2.1")
	wantRejection(t, err, ReasonNoGroupAssociated)
}

// HFS-07: the structure is the union over the associated groups, primary
// first, duplicates once.
func TestHFS07_StructureUnion(t *testing.T) {
	c := mustParse(t, twoGroups("home_folder_structure =\n    /inbox\n    /inbox/invoices\n    /shared\n",
		"home_folder_structure =\n    /outbox\n    /shared\n    /outbox/reports\n", ""))
	var got []string
	for _, v := range mustResolve(t, c, "alice", bothIP).HomeFolderStructure() {
		got = append(got, v.Value+"@"+v.Source.UUID)
	}
	want := []string{"/inbox@P", "/inbox/invoices@P", "/shared@P", "/outbox@S", "/outbox/reports@S"}
	if !equalStrings(got, want) {
		t.Errorf("structure = %v, want %v", got, want)
	}
}

// PERM-P06 / PERM-E09: no permissions anywhere → allow-full-control from
// the default.
func TestDefaultPermissions(t *testing.T) {
	c := mustParse(t, defaultGroup+"[groups/g]\nname = g\nhome_folder_path = /srv\npermissions =\n[accounts/a]\nname = alice\ngroup = g\npermissions =\n")
	e := mustResolve(t, c, "alice", "192.0.2.1")
	if g := e.PermissionGlobal(); g.Value != perms.FullControl() || g.Source.Kind != SourceDefault || g.Source.UUID != "g" {
		t.Errorf("global = %+v", g)
	}
	if err := policy(t, e).Check("/any/thing", perms.DeleteFolder); err != nil {
		t.Error(err)
	}
}

// EN-01…EN-03: the account and every configured group must be enabled.
func TestEN01_EN03_Enabled(t *testing.T) {
	cases := []struct {
		id, pEnabled, sEnabled, aEnabled string
		reason, group                    string
	}{
		{"EN-01 primary disabled", "No", "Yes", "Yes", ReasonGroupDisabled, "P"},
		{"EN-02 account disabled", "Yes", "Yes", "No", ReasonAccountDisabled, ""},
		{"EN-03 secondary disabled", "Yes", "No", "Yes", ReasonGroupDisabled, "S"},
		{"EN-03 secondary disabled, not even associated", "Yes", "No", "Yes", ReasonGroupDisabled, "S"},
		{"all enabled", "Yes", "Yes", "Yes", "", ""},
	}
	for i, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			c := mustParse(t, twoGroups("enabled = "+tc.pEnabled+"\n", "enabled = "+tc.sEnabled+"\n", "enabled = "+tc.aEnabled+"\n"))
			ip := bothIP
			if i == 3 {
				ip = pOnly // EN-03 is evaluated on configured groups, before IP filtering
			}
			_, err := resolve(t, c, "alice", ip)
			if tc.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if r := wantRejection(t, err, tc.reason); r.Group != tc.group {
				t.Errorf("group = %q, want %q", r.Group, tc.group)
			}
		})
	}
	// A disabled DEFAULT_GROUP blocks the accounts that use it implicitly.
	c := mustParse(t, "[groups/DEFAULT_GROUP]\nenabled = no\nhome_folder_path = /srv\n[accounts/a]\nname = alice\n")
	_, err := resolve(t, c, "alice", bothIP)
	wantRejection(t, err, ReasonGroupDisabled)
}

// EN-04: a disabled group does not change the account's own value;
// re-enabling the group restores access.
func TestEN04_GroupDisableKeepsAccountValue(t *testing.T) {
	off := mustParse(t, twoGroups("enabled = No\n", "", ""))
	if !off.Account("alice").Enabled {
		t.Error("account enabled flag changed")
	}
	on := mustParse(t, twoGroups("enabled = Yes\n", "", ""))
	mustResolve(t, on, "alice", bothIP)
}

// EN-05: expire_datetime without a zone is local; the instant itself is
// refused.
func TestEN05_Expiry(t *testing.T) {
	c := mustParse(t, defaultGroup+"[accounts/a]\nname = alice\nexpire_datetime = 2025-03-23\n[accounts/b]\nname = bob\n")
	ctx := context.Background()
	src := netip.MustParseAddr("192.0.2.1")
	at := func(tm time.Time) ResolveOptions { return ResolveOptions{Now: func() time.Time { return tm }} }
	if _, err := c.Resolve(ctx, "alice", src, at(time.Date(2025, 3, 22, 23, 59, 59, 0, time.Local))); err != nil {
		t.Errorf("before: %v", err)
	}
	_, err := c.Resolve(ctx, "alice", src, at(time.Date(2025, 3, 23, 0, 0, 0, 0, time.Local)))
	wantRejection(t, err, ReasonAccountExpired)
	if _, err := c.Resolve(ctx, "bob", src, at(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Errorf("unset expiry: %v", err)
	}
	e := mustResolve(t, c, "bob", "192.0.2.1")
	if !e.ExpireDateTime().IsZero() {
		t.Error("bob expires")
	}
}

// EN-06: enabled is checked per resolution; a snapshot already handed out
// stays valid (the server may keep the session).
func TestEN06_CheckedPerLogin(t *testing.T) {
	on := mustParse(t, twoGroups("", "", ""))
	e := mustResolve(t, on, "alice", bothIP)
	off := mustParse(t, twoGroups("", "", "enabled = No\n"))
	_, err := resolve(t, off, "alice", bothIP)
	wantRejection(t, err, ReasonAccountDisabled)
	if e.Home().Value != "/srv/p/alice" {
		t.Error("snapshot changed")
	}
}

// Unknown accounts and the Rejection text.
func TestResolve_UnknownUser(t *testing.T) {
	c := mustParse(t, defaultGroup)
	_, err := resolve(t, c, "nobody", "192.0.2.1")
	r := wantRejection(t, err, ReasonUnknownUser)
	if r.Account != "nobody" || !strings.Contains(err.Error(), "unknown-user") {
		t.Errorf("rejection = %+v %q", r, err)
	}
}

// The snapshot exposes account-only values; secrets never appear in a
// rejection.
func TestResolve_AccountValues(t *testing.T) {
	c := mustParse(t, defaultGroup+`[accounts/a]
name = alice
password = $6$salt$hash
ssh_authorized_keys_content = `+testKeyLine(t)+`
last_password_update = 1700000000
created = 1600000000
enabled = yes
source_ip_filter = allow 10.0.0.0/8
`)
	e := mustResolve(t, c, "alice", "10.0.0.1")
	if e.Password() != "$6$salt$hash" || !strings.HasPrefix(e.AuthorizedKeysContent(), "ssh-ed25519 ") ||
		e.LastPasswordUpdate().Unix() != 1700000000 || e.Created().Unix() != 1600000000 ||
		e.Name() != "alice" || e.AccountUUID() != "a" {
		t.Errorf("snapshot = %+v", e)
	}
	_, err := resolve(t, c, "alice", "192.0.2.1")
	if strings.Contains(err.Error(), "$6$") || strings.Contains(err.Error(), "ssh-ed25519") {
		t.Errorf("rejection leaks a secret: %v", err)
	}
}

// A Config and its snapshots are safe for concurrent use.
func TestResolve_Concurrent(t *testing.T) {
	c := mustParse(t, twoGroups("permissions =\n    allow-read\n    /a/*, allow-write\n", "", ""))
	e := mustResolve(t, c, "alice", bothIP)
	done := make(chan struct{})
	for i := 0; i < 8; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 50; j++ {
				if _, err := c.Resolve(context.Background(), "alice", netip.MustParseAddr(bothIP), ResolveOptions{}); err != nil {
					t.Error(err)
					return
				}
				if p, err := e.Policy(); err != nil || p.Check("/a/x", perms.Write) != nil {
					t.Error("policy", err)
					return
				}
			}
		}()
	}
	for i := 0; i < 8; i++ {
		<-done
	}
}
