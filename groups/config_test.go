package groups

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// CFG-01: no DEFAULT_GROUP → ErrMissingDefaultGroup, one error naming the
// file and line 1.
func TestCFG01_MissingDefaultGroup(t *testing.T) {
	wantOneErr(t, `[groups/g1]
name = partners
home_folder_path = /srv/p
`, 1, "groups/DEFAULT_GROUP", "", ErrMissingDefaultGroup, "DEFAULT_GROUP")

	errs := parseErrs(t, "")
	if len(errs) != 1 || !errors.Is(errs[0], ErrMissingDefaultGroup) {
		t.Errorf("empty file: %v", errs)
	}
}

// CFG-02: DEFAULT_GROUP cannot be renamed; its name defaults to
// DEFAULT_GROUP; no other group may take that name.
func TestCFG02_DefaultGroupRenamed(t *testing.T) {
	wantOneErr(t, `[groups/DEFAULT_GROUP]
name = Default
`, 2, "groups/DEFAULT_GROUP", "name", ErrDefaultGroupRenamed, `"Default"`)

	c := mustParse(t, "[groups/DEFAULT_GROUP]\nenabled = Yes\n")
	if got := c.Group(DefaultGroup).Name; got != DefaultGroup {
		t.Errorf("unnamed DEFAULT_GROUP has name %q", got)
	}

	wantOneErr(t, defaultGroup+`[groups/g1]
name = DEFAULT_GROUP
`, 5, "groups/g1", "name", ErrInvalidValue, "reserved")

	if ErrDefaultGroupUndeletable == nil || !strings.Contains(ErrDefaultGroupUndeletable.Error(), DefaultGroup) {
		t.Errorf("ErrDefaultGroupUndeletable = %v", ErrDefaultGroupUndeletable)
	}
}

// CFG-03: an account without a group gets [DEFAULT_GROUP]; an explicit
// list does not additionally get it.
func TestCFG03_DefaultGroupAttached(t *testing.T) {
	c := mustParse(t, defaultGroup+`
[groups/g1]
name = partners
home_folder_path = /srv/p

[accounts/a1]
name = absent

[accounts/a2]
name = empty
group =

[accounts/a3]
name = explicit
group = g1
`)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"absent", []string{DefaultGroup}},
		{"empty", []string{DefaultGroup}},
		{"explicit", []string{"g1"}},
	} {
		e := mustResolve(t, c, tc.name, "192.0.2.1")
		if got := groupUUIDs(e.ConfiguredGroups()); !equalStrings(got, tc.want) {
			t.Errorf("%s: configured groups %v, want %v", tc.name, got, tc.want)
		}
		if got := groupUUIDs(e.AssociatedGroups()); !equalStrings(got, tc.want) {
			t.Errorf("%s: associated groups %v, want %v", tc.name, got, tc.want)
		}
		if e.Primary().UUID != tc.want[0] {
			t.Errorf("%s: primary %v", tc.name, e.Primary())
		}
	}
	if got := c.Account("absent").ConfiguredGroups(); !equalStrings(got, []string{DefaultGroup}) {
		t.Errorf("Account.ConfiguredGroups = %v", got)
	}
}

// CFG-04: "A, B, C" → [A B C], primary A; whitespace trimmed; duplicates
// collapsed keeping the first position (with a warning).
func TestCFG04_GroupList(t *testing.T) {
	c := mustParse(t, defaultGroup+`
[groups/A]
name = a
home_folder_path = /srv/a
[groups/B]
name = b
[groups/C]
name = c

[accounts/x]
name = x
group =   A ,B,C, A,   B
`)
	if got := c.Account("x").Groups; !equalStrings(got, []string{"A", "B", "C"}) {
		t.Errorf("groups = %v", got)
	}
	e := mustResolve(t, c, "x", "192.0.2.1")
	if e.Primary().UUID != "A" {
		t.Errorf("primary = %v", e.Primary())
	}
	if len(c.Warnings) != 2 || c.Warnings[0].Line != 15 || !strings.Contains(c.Warnings[0].String(), "listed twice") {
		t.Errorf("warnings = %v", c.Warnings)
	}

	wantOneErr(t, defaultGroup+"[accounts/x]\nname = x\ngroup = DEFAULT_GROUP,,\n",
		6, "accounts/x", "group", ErrInvalidValue, "empty group reference")
}

// CFG-05: an undefined group is a validation error at the line of the
// reference; if it slips through (a hand-built Config), the login fails
// with config-invalid.
func TestCFG05_UnknownGroup(t *testing.T) {
	wantOneErr(t, defaultGroup+`
[accounts/a1]
name = alice
group = DEFAULT_GROUP, g-missing
`, 7, "accounts/a1", "group", ErrUnknownGroup, `"g-missing"`)

	// Multi-line group value: the error names the line of the reference.
	wantOneErr(t, defaultGroup+`
[accounts/a1]
name = alice
group =
    DEFAULT_GROUP
    g-missing
`, 9, "accounts/a1", "group", ErrUnknownGroup)

	c := mustParse(t, defaultGroup+"[accounts/a1]\nname = alice\n")
	c.Account("alice").Groups = []string{"g-gone"} // a dynamic store that changed under us
	_, err := resolve(t, c, "alice", "192.0.2.1")
	r := wantRejection(t, err, ReasonConfigInvalid)
	if r.Group != "g-gone" || !errors.Is(err, ErrUnknownGroup) {
		t.Errorf("rejection = %+v", r)
	}
}

// CFG-06: UUIDs and account names are unique.
func TestCFG06_Duplicates(t *testing.T) {
	t.Run("account name", func(t *testing.T) {
		wantOneErr(t, defaultGroup+`
[accounts/a1]
name = alice

[accounts/a2]
name = alice
`, 9, "accounts/a2", "name", ErrDuplicateName, "[accounts/a1] at test.ini:6")
	})
	t.Run("group UUID", func(t *testing.T) {
		errs := parseErrs(t, defaultGroup+`
[groups/g1]
name = one

[groups/g1]
name = two
`)
		checkErr(t, errs[0], 8, "groups/g1", "", ErrDuplicateUUID)
	})
	t.Run("account UUID", func(t *testing.T) {
		errs := parseErrs(t, defaultGroup+`
[accounts/a1]
name = alice
[accounts/a1]
name = bob
`)
		checkErr(t, errs[0], 7, "accounts/a1", "", ErrDuplicateUUID)
	})
	t.Run("names differing in case are distinct", func(t *testing.T) {
		c := mustParse(t, defaultGroup+"[accounts/a1]\nname = alice\n[accounts/a2]\nname = Alice\n")
		if c.Account("alice").UUID != "a1" || c.Account("Alice").UUID != "a2" {
			t.Error("case-sensitive lookup failed")
		}
	})
}

// CFG-07: every inheritable scalar: account explicit → account; Inherit →
// primary group; primary unset → the default. A secondary group's value is
// never used.
func TestCFG07_ScalarResolution(t *testing.T) {
	type getter func(e *Effective) (any, Source)
	cases := []struct {
		option          string
		accountOnly     bool // no account-level option
		acctVal, grpVal string
		wantAcct        any
		wantGrp         any
		wantDefault     any
		get             getter
	}{
		{"lock_in_home_folder", false, "No", "Yes", false, true, true,
			func(e *Effective) (any, Source) { v := e.LockInHomeFolder(); return v.Value, v.Source }},
		{"create_home_folder", false, "No", "Yes", false, true, false,
			func(e *Effective) (any, Source) { v := e.CreateHomeFolder(); return v.Value, v.Source }},
		{"create_home_folder_owner", false, "bob", "sftp", "bob", "sftp", DefaultOSUser,
			func(e *Effective) (any, Source) { v := e.CreateHomeFolderOwner(); return v.Value, v.Source }},
		{"create_home_folder_group", false, "staff", "sftp", "staff", "sftp", DefaultOSGroup,
			func(e *Effective) (any, Source) { v := e.CreateHomeFolderGroup(); return v.Value, v.Source }},
		{"required_credentials", false, "password", "ssh-key", CredentialsPassword, CredentialsSSHKey, CredentialsAny,
			func(e *Effective) (any, Source) { v := e.RequiredCredentials(); return v.Value, v.Source }},
		{"ssh_authorized_keys_path", false, "/keys/alice.pub", "/keys", "/keys/alice.pub", "/keys/alice", "",
			func(e *Effective) (any, Source) { v := e.AuthorizedKeysPath(); return v.Value, v.Source }},
		{"allow_certificate_authentication", false, "No", "No", false, false, true,
			func(e *Effective) (any, Source) { v := e.AllowCertificateAuthentication(); return v.Value, v.Source }},
		{"password_lifetime", false, "10", "30", 10, 30, 0,
			func(e *Effective) (any, Source) { v := e.PasswordLifetime(); return v.Value, v.Source }},
		{"disable_on_inactivity", false, "5", "60", 5, 60, 0,
			func(e *Effective) (any, Source) { v := e.DisableOnInactivity(); return v.Value, v.Source }},
		{"amend_write_name", false, "", "uuid-prefix", AmendNone, AmendUUIDPrefix, AmendNone,
			func(e *Effective) (any, Source) { v := e.AmendWriteName(); return v.Value, v.Source }},
		{"atomic_uploads", false, "No", "Yes", false, true, false,
			func(e *Effective) (any, Source) { v := e.AtomicUploads(); return v.Value, v.Source }},
		{"quota_max_bytes", false, "0", "10M", int64(0), int64(10 << 20), int64(0),
			func(e *Effective) (any, Source) { v := e.QuotaMaxBytes(); return v.Value, v.Source }},
		{"quota_max_files", false, "5", "100", int64(5), int64(100), int64(0),
			func(e *Effective) (any, Source) { v := e.QuotaMaxFiles(); return v.Value, v.Source }},
		{"home_folder_path", false, "/data/custom", "/srv/p", "/data/custom", "/srv/p/alice", nil,
			func(e *Effective) (any, Source) { v := e.Home(); return v.Value, v.Source }},
		{"allow_own_password_change", true, "", "Yes", nil, true, false,
			func(e *Effective) (any, Source) { v := e.AllowOwnPasswordChange(); return v.Value, v.Source }},
		{"ssh_delete_delay", true, "", "30", nil, 30 * time.Second, time.Duration(0),
			func(e *Effective) (any, Source) { v := e.SSHDeleteDelay(); return v.Value, v.Source }},
		{"as2_require_http_authentication", true, "", "No", nil, false, true,
			func(e *Effective) (any, Source) { v := e.AS2RequireHTTPAuthentication(); return v.Value, v.Source }},
	}
	for _, tc := range cases {
		t.Run(tc.option, func(t *testing.T) {
			build := func(acct, prim, sec string) *Config {
				var b strings.Builder
				b.WriteString(defaultGroup)
				b.WriteString("[groups/P]\nname = primary\n")
				if tc.option != "home_folder_path" {
					b.WriteString("home_folder_path = /srv/p\n")
				}
				b.WriteString(prim)
				b.WriteString("[groups/S]\nname = secondary\n")
				if tc.option != "home_folder_path" {
					b.WriteString("home_folder_path = /srv/s\n")
				}
				b.WriteString(sec)
				b.WriteString("[accounts/a]\nname = alice\ngroup = P, S\n")
				b.WriteString(acct)
				return mustParse(t, b.String())
			}
			line := func(v string) string { return tc.option + " = " + v + "\n" }
			check := func(c *Config, want any, kind SourceKind, uuid string) {
				t.Helper()
				e := mustResolve(t, c, "alice", "192.0.2.1")
				got, src := tc.get(e)
				if got != want || src.Kind != kind || src.UUID != uuid {
					t.Errorf("got %v from %+v, want %v from %s %s", got, src, want, kind, uuid)
				}
			}
			// The secondary group always sets the option: it must never win.
			sec := line(tc.grpVal)
			if !tc.accountOnly {
				check(build(line(tc.acctVal), line(tc.grpVal), sec), tc.wantAcct, SourceAccount, "a")
				check(build("", line(tc.grpVal), sec), tc.wantGrp, SourceGroup, "P")
				check(build(line("Inherit"), line(tc.grpVal), sec), tc.wantGrp, SourceGroup, "P")
			} else {
				check(build("", line(tc.grpVal), sec), tc.wantGrp, SourceGroup, "P")
			}
			if tc.wantDefault != nil {
				check(build("", "", sec), tc.wantDefault, SourceDefault, "P")
			}
		})
	}
}

// CFG-08: an explicit account value is never replaced by the group's.
func TestCFG08_ExplicitWins(t *testing.T) {
	c := mustParse(t, defaultGroup+`
[groups/g]
name = g
home_folder_path = /srv/g
required_credentials = ssh-key

[accounts/a]
name = alice
group = g
required_credentials = password
`)
	if v := mustResolve(t, c, "alice", "192.0.2.1").RequiredCredentials(); v.Value != CredentialsPassword || v.Source.Kind != SourceAccount {
		t.Errorf("required_credentials = %+v", v)
	}
}

// CFG-09: Inherit of a value the primary group does not provide and that
// has no default → config-invalid naming the option and the group.
func TestCFG09_NotInheritable(t *testing.T) {
	c := mustParse(t, `[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP

[groups/g]
name = g
home_folder_path = /srv/g

[accounts/a]
name = alice
home_folder_path = Inherit

[accounts/b]
name = bob
group = DEFAULT_GROUP, g
`)
	for _, name := range []string{"alice", "bob"} {
		_, err := resolve(t, c, name, "192.0.2.1")
		r := wantRejection(t, err, ReasonConfigInvalid)
		if r.Option != "home_folder_path" || r.Group != DefaultGroup || !errors.Is(err, ErrNotInheritable) {
			t.Errorf("%s: rejection %+v", name, r)
		}
	}
}

// CFG-10: option names, Inherit and booleans are case-insensitive.
func TestCFG10_CaseInsensitive(t *testing.T) {
	for _, inherit := range []string{"Inherit", "inherit", "INHERIT", "Inherited", "inherited"} {
		c := mustParse(t, defaultGroup+`
[groups/g]
name = g
home_folder_path = /srv/g
required_credentials = ssh-key

[accounts/a]
NAME = alice
Group = g
Required_Credentials = `+inherit+`
PERMISSIONS = `+inherit+`
virtual_folders = `+inherit+`
home_folder_path = `+inherit+`
`)
		e := mustResolve(t, c, "alice", "192.0.2.1")
		if v := e.RequiredCredentials(); v.Value != CredentialsSSHKey || v.Source.UUID != "g" {
			t.Errorf("%s: required_credentials = %+v", inherit, v)
		}
	}
	for _, tc := range []struct {
		v    string
		want bool
	}{{"Yes", true}, {"yes", true}, {"YES", true}, {"True", true}, {"true", true}, {"No", false}, {"no", false}, {"FALSE", false}, {"False", false}} {
		c := mustParse(t, "[groups/DEFAULT_GROUP]\nhome_folder_path = /h\ncreate_home_folder = "+tc.v+"\n")
		if got, _ := c.Group(DefaultGroup).CreateHomeFolder.Get(); got != tc.want {
			t.Errorf("%q → %v", tc.v, got)
		}
	}
	wantOneErr(t, "[groups/DEFAULT_GROUP]\ncreate_home_folder = maybe\n", 2, "groups/DEFAULT_GROUP", "create_home_folder", ErrInvalidValue, "maybe")
	wantOneErr(t, "[groups/DEFAULT_GROUP]\ncreate_home_folder = inherit\n", 2, "groups/DEFAULT_GROUP", "create_home_folder", ErrInvalidValue, "account sections")
}

// CFG-11: account names longer than 150 characters are refused by the
// configuration and by the lookup, which does no work for them.
func TestCFG11_NameLength(t *testing.T) {
	ok := strings.Repeat("é", 100) + strings.Repeat("a", MaxNameLen-100) // 150 characters, 250 bytes
	long := strings.Repeat("a", MaxNameLen+1)
	c := mustParse(t, defaultGroup+"[accounts/a]\nname = "+ok+"\n")
	if c.Account(ok) == nil {
		t.Errorf("150-character name not found")
	}
	wantOneErr(t, defaultGroup+"[accounts/a]\nname = "+long+"\n", 5, "accounts/a", "name", ErrInvalidValue, "150")
	if c.Account(long) != nil || c.Account(strings.Repeat("x", 1<<20)) != nil {
		t.Errorf("long names must not be found")
	}
	_, err := resolve(t, c, long, "192.0.2.1")
	wantRejection(t, err, ReasonUnknownUser)
}

// CFG-12: an Effective is a snapshot: later configurations do not change
// it, and callers cannot change it through the slices it returns.
func TestCFG12_Snapshot(t *testing.T) {
	text := func(perm string) string {
		return defaultGroup + `
[groups/g]
name = g
home_folder_path = /srv/g
permissions =
    ` + perm + `
    /in/*, allow-write
virtual_folders = /v, /srv/v
home_folder_structure = /in

[accounts/a]
name = alice
group = g
`
	}
	c1 := mustParse(t, text("allow-read"))
	e1 := mustResolve(t, c1, "alice", "192.0.2.1")
	c2 := mustParse(t, text("allow-list"))
	e2 := mustResolve(t, c2, "alice", "192.0.2.1")
	if e1.PermissionGlobal().Value != mustSet(t, "allow-read") || e2.PermissionGlobal().Value != mustSet(t, "allow-list") {
		t.Errorf("globals: %v, %v", e1.PermissionGlobal(), e2.PermissionGlobal())
	}
	rules := e1.PermissionRules()
	rules[0].Expr = "/*"
	vfs := e1.VirtualFolders()
	vfs[0].Value.RealPath = "/etc"
	hfs := e1.HomeFolderStructure()
	hfs[0].Value = "/x"
	groups := e1.AssociatedGroups()
	groups[0].UUID = "x"
	if e1.PermissionRules()[0].Expr != "/in/*" || e1.VirtualFolders()[0].Value.RealPath != "/srv/v" ||
		e1.HomeFolderStructure()[0].Value != "/in" || e1.AssociatedGroups()[0].UUID != "g" {
		t.Error("the snapshot changed through a returned slice")
	}
	p1, err := e1.Policy()
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := e1.Policy(); p1 != p2 {
		t.Error("Policy is compiled more than once")
	}
}

// Bad configurations each give one clear error naming file:line and the
// option.
func TestParse_BadConfigurations(t *testing.T) {
	cases := []struct {
		name     string
		text     string
		line     int
		section  string
		option   string
		sentinel error
		contains []string
	}{
		{"missing DEFAULT_GROUP", "[accounts/a]\nname = alice\n", 1, "groups/DEFAULT_GROUP", "", ErrMissingDefaultGroup, []string{"DEFAULT_GROUP"}},
		{"unknown group reference", defaultGroup + "[accounts/a]\nname = alice\ngroup = nope\n", 6, "accounts/a", "group", ErrUnknownGroup, []string{`"nope"`}},
		{"duplicate account name", defaultGroup + "[accounts/a]\nname = alice\n[accounts/b]\nname = alice\n", 7, "accounts/b", "name", ErrDuplicateName, []string{`"alice"`}},
		{"bad CIDR", defaultGroup + "[groups/g]\nname = g\nsource_ip_filter =\n    allow 10.0.0.0/8\n    allow 10.0.0.0/33\n", 8, "groups/g", "source_ip_filter", ErrInvalidValue, []string{"10.0.0.0/33"}},
		{"bad permission token", defaultGroup + "[groups/g]\nname = g\npermissions =\n    allow-read\n    /in/*, allow-wrte\n", 8, "groups/g", "permissions", ErrInvalidValue, []string{"allow-wrte"}},
		{"unknown option", defaultGroup + "[groups/g]\nname = g\nhome_folder = /x\n", 6, "groups/g", "home_folder", ErrUnknownOption, nil},
		{"unknown section", defaultGroup + "[users/x]\nname = x\n", 4, "users/x", "", ErrUnknownSection, nil},
		{"group option on an account", defaultGroup + "[accounts/a]\nname = a\nssh_delete_delay = 3\n", 6, "accounts/a", "ssh_delete_delay", ErrUnknownOption, []string{"group option"}},
		{"account option on a group", defaultGroup + "[groups/g]\nname = g\npassword = $6$x\n", 6, "groups/g", "password", ErrUnknownOption, []string{"account option"}},
		{"group without name", defaultGroup + "[groups/g]\nenabled = yes\n", 4, "groups/g", "name", ErrMissingOption, nil},
		{"account without name", defaultGroup + "[accounts/a]\nenabled = yes\n", 4, "accounts/a", "name", ErrMissingOption, nil},
		{"account name with slash", defaultGroup + "[accounts/a]\nname = a/b\n", 5, "accounts/a", "name", ErrInvalidValue, nil},
		{"account name ..", defaultGroup + "[accounts/a]\nname = ..\n", 5, "accounts/a", "name", ErrInvalidValue, nil},
		{"relative home", defaultGroup + "[groups/g]\nname = g\nhome_folder_path = srv/g\n", 6, "groups/g", "home_folder_path", ErrInvalidValue, []string{"absolute"}},
		{"SHARED not a prefix", defaultGroup + "[groups/g]\nname = g\nhome_folder_path = /srv/${SHARED}/g\n", 6, "groups/g", "home_folder_path", ErrInvalidValue, []string{"${SHARED}"}},
		{"bad required_credentials", defaultGroup + "[groups/g]\nname = g\nrequired_credentials = otp\n", 6, "groups/g", "required_credentials", ErrInvalidValue, []string{"otp"}},
		{"bad amend_write_name", defaultGroup + "[groups/g]\nname = g\namend_write_name = suffix\n", 6, "groups/g", "amend_write_name", ErrInvalidValue, nil},
		{"negative quota_max_bytes", defaultGroup + "[groups/g]\nname = g\nquota_max_bytes = -1\n", 6, "groups/g", "quota_max_bytes", ErrInvalidValue, []string{"negative"}},
		{"bad quota_max_bytes suffix", defaultGroup + "[accounts/a]\nname = a\nquota_max_bytes = 5P\n", 6, "accounts/a", "quota_max_bytes", ErrInvalidValue, []string{`unknown suffix "P"`}},
		{"bad quota_max_files", defaultGroup + "[accounts/a]\nname = a\nquota_max_files = ten\n", 6, "accounts/a", "quota_max_files", ErrInvalidValue, []string{`"ten"`}},
		{"bad atomic_uploads", defaultGroup + "[groups/g]\nname = g\natomic_uploads = perhaps\n", 6, "groups/g", "atomic_uploads", ErrInvalidValue, []string{`"perhaps"`}},
		{"negative lifetime", defaultGroup + "[groups/g]\nname = g\npassword_lifetime = -1\n", 6, "groups/g", "password_lifetime", ErrInvalidValue, nil},
		{"bad expire_datetime", defaultGroup + "[accounts/a]\nname = a\nexpire_datetime = 2025-03\n", 6, "accounts/a", "expire_datetime", ErrInvalidValue, nil},
		{"account source_ip_filter inherit", defaultGroup + "[accounts/a]\nname = a\nsource_ip_filter = inherit\n", 6, "accounts/a", "source_ip_filter", ErrInvalidValue, []string{"group filters always apply"}},
		{"bad UUID", defaultGroup + "[groups/a,b]\nname = x\n", 4, "groups/a,b", "", ErrInvalidValue, nil},
		{"empty UUID", defaultGroup + "[accounts/]\nname = x\n", 4, "accounts/", "", ErrInvalidValue, nil},
		{"bad listen", defaultGroup + "[server]\nlisten = 0.0.0.0\n", 5, "server", "listen", ErrInvalidValue, nil},
		{"bad virtual folder", defaultGroup + "[groups/g]\nname = g\nvirtual_folders = /x\n", 6, "groups/g", "virtual_folders", ErrInvalidValue, nil},
		{"bad structure", defaultGroup + "[groups/g]\nname = g\nhome_folder_structure =\n    /a\n    /a/../b\n", 8, "groups/g", "home_folder_structure", ErrInvalidValue, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantOneErr(t, tc.text, tc.line, tc.section, tc.option, tc.sentinel, tc.contains...)
		})
	}
}

// Every error is reported, in file order, not only the first.
func TestParse_AllErrorsReported(t *testing.T) {
	errs := parseErrs(t, `[groups/g]
name = g
home_folder_path = relative
create_home_folder = perhaps

[accounts/a]
name = alice
group = g, missing
source_ip_filter =
    allow host.example.com
    permit 10.0.0.1
`)
	want := []struct {
		line     int
		option   string
		sentinel error
	}{
		{1, "", ErrMissingDefaultGroup},
		{3, "home_folder_path", ErrInvalidValue},
		{4, "create_home_folder", ErrInvalidValue},
		{8, "group", ErrUnknownGroup},
		{10, "source_ip_filter", ErrInvalidValue},
		{11, "source_ip_filter", ErrInvalidValue},
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errors.Join(errs...))
	}
	for i, w := range want {
		var ce *ConfigError
		if !errors.As(errs[i], &ce) || ce.Line != w.line || ce.Option != w.option || !errors.Is(errs[i], w.sentinel) {
			t.Errorf("error %d = %v, want line %d option %q wrapping %v", i, errs[i], w.line, w.option, w.sentinel)
		}
	}
}

// A syntax error of the INI reader is reported with its line too.
func TestParse_SyntaxErrors(t *testing.T) {
	errs := parseErrs(t, defaultGroup+"this is not an option\n")
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), "test.ini:4: ") {
		t.Errorf("errors = %v", errs)
	}
}

func TestParse_AllOptions(t *testing.T) {
	c := mustParse(t, `[server]
listen = 127.0.0.1:2222, [::1]:2222
    :2223
host_key =
    /etc/sftpkit/host_ed25519
    /etc/sftpkit/host_rsa
trusted_user_ca_keys = /etc/sftpkit/user_ca.pub

[groups/DEFAULT_GROUP]
name = DEFAULT_GROUP
enabled = Yes
description = Default group for all accounts.
home_folder_path = /srv/${USER}/ftp
lock_in_home_folder = Yes
create_home_folder = Yes
create_home_folder_owner = ${DEFAULT_OS_USER}
create_home_folder_group = sftp
required_credentials = ssh-key, password
ssh_authorized_keys_path = ${SHARED}/srv/keys/team
source_ip_filter =
    allow 10.0.0.0/8
    deny ::/0
allow_certificate_authentication = No
as2_require_http_authentication = No
allow_own_password_change = Yes
password_lifetime = 90
disable_on_inactivity = 30
home_folder_structure =
    /pull
    pull/invoices/
permissions =
    allow-list, allow-read
    /pull/*, allow-read
amend_write_name = uuid-prefix
ssh_delete_delay = 15
virtual_folders =
    /team, /srv/team
    queue/${USER}, /srv/queue/${USER}
atomic_uploads = Yes
quota_max_bytes = 20G
quota_max_files = 10000

[accounts/a1]
name = alice
enabled = No
description = Alice
group = DEFAULT_GROUP
password = $argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA
home_folder_path = /data/alice
lock_in_home_folder = Inherit
create_home_folder = No
create_home_folder_owner = alice
create_home_folder_group = inherit
required_credentials = any
ssh_authorized_keys_path = disabled
source_ip_filter = allow 192.0.2.0/24
allow_certificate_authentication = Yes
password_lifetime = 0
disable_on_inactivity = Inherit
permissions = allow-full-control
amend_write_name =
virtual_folders =
atomic_uploads = No
quota_max_bytes = inherit
quota_max_files = 0
expire_datetime = 2030-01-02T03:04:05Z
last_password_update = 1700000000
created = 1600000000
`)
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
	s := c.Server
	if !equalStrings(s.Listen, []string{"127.0.0.1:2222", "[::1]:2222", ":2223"}) ||
		!equalStrings(s.HostKeys, []string{"/etc/sftpkit/host_ed25519", "/etc/sftpkit/host_rsa"}) ||
		!equalStrings(s.TrustedUserCAKeys, []string{"/etc/sftpkit/user_ca.pub"}) {
		t.Errorf("server = %+v", s)
	}
	g := c.Group(DefaultGroup)
	get := func(o Opt[string]) string { v, _ := o.Get(); return v }
	if !g.Enabled || g.Description != "Default group for all accounts." ||
		get(g.HomeFolderPath) != "/srv/${USER}/ftp" || !g.LockInHomeFolder.Or(false) || !g.CreateHomeFolder.Or(false) ||
		get(g.CreateHomeFolderOwner) != DefaultOSUser || get(g.CreateHomeFolderGroup) != "sftp" ||
		g.RequiredCredentials.Or(0) != CredentialsPasswordAndSSHKey ||
		get(g.SSHAuthorizedKeysPath) != "${SHARED}/srv/keys/team" ||
		g.SourceIPFilter.String() != "allow 10.0.0.0/8\ndeny ::/0" ||
		g.AllowCertificateAuthentication.Or(true) || g.AS2RequireHTTPAuthentication.Or(true) ||
		!g.AllowOwnPasswordChange.Or(false) || g.PasswordLifetime.Or(0) != 90 || g.DisableOnInactivity.Or(0) != 30 ||
		!equalStrings(g.HomeFolderStructure, []string{"/pull", "/pull/invoices"}) ||
		g.AmendWriteName.Or("") != AmendUUIDPrefix || g.SSHDeleteDelay.Or(0) != 15*time.Second ||
		!g.AtomicUploads.Or(false) || g.QuotaMaxBytes.Or(0) != 20<<30 || g.QuotaMaxFiles.Or(0) != 10000 {
		t.Errorf("group = %+v", g)
	}
	if p, ok := g.Permissions.Get(); !ok || p.Global != mustSet(t, "allow-list, allow-read") || len(p.Rules) != 1 || p.Rules[0].Expr != "/pull/*" {
		t.Errorf("group permissions = %+v", p)
	}
	if v, _ := g.VirtualFolders.Get(); len(v) != 2 || v[1] != (VirtualFolder{VirtualPath: "/queue/${USER}", RealPath: "/srv/queue/${USER}"}) {
		t.Errorf("group virtual folders = %v", v)
	}

	a := c.Account("alice")
	if a.UUID != "a1" || a.Enabled || a.Description != "Alice" || !equalStrings(a.Groups, []string{DefaultGroup}) ||
		!strings.HasPrefix(a.Password, "$argon2id$") || get(a.HomeFolderPath) != "/data/alice" ||
		a.LockInHomeFolder.IsSet() || a.CreateHomeFolder.Or(true) || get(a.CreateHomeFolderOwner) != "alice" ||
		a.CreateHomeFolderGroup.IsSet() || a.RequiredCredentials.Or(9) != CredentialsAny ||
		!a.SSHAuthorizedKeysPath.IsSet() || get(a.SSHAuthorizedKeysPath) != "" ||
		a.SourceIPFilter.String() != "allow 192.0.2.0/24" || !a.AllowCertificateAuthentication.Or(false) ||
		!a.PasswordLifetime.IsSet() || a.DisableOnInactivity.IsSet() ||
		!a.AmendWriteName.IsSet() || a.AmendWriteName.Or("x") != AmendNone ||
		a.AtomicUploads.Or(true) || a.QuotaMaxBytes.IsSet() || !a.QuotaMaxFiles.IsSet() || a.QuotaMaxFiles.Or(9) != 0 ||
		!a.ExpireDateTime.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) ||
		a.LastPasswordUpdate.Unix() != 1700000000 || a.Created.Unix() != 1600000000 {
		t.Errorf("account = %+v", a)
	}
	if v, ok := a.VirtualFolders.Get(); !ok || len(v) != 0 {
		t.Errorf("explicit empty virtual_folders = %v, %v", v, ok)
	}
	if p, ok := a.Permissions.Get(); !ok || p.Global != mustSet(t, "allow-full-control") {
		t.Errorf("account permissions = %+v", p)
	}
	if len(c.Groups()) != 1 || len(c.Accounts()) != 1 || c.File() != "test.ini" {
		t.Errorf("Groups/Accounts/File")
	}
}

func TestParse_Warnings(t *testing.T) {
	c := mustParse(t, defaultGroup+`
[groups/g]
name = g
home_folder_path = /srv/${user}
lock_in_home_folder = No
source_ip_filter =
    allow 10.0.0.1/8
ssh_authorized_keys_path = ${OS_HOME}/.ssh/authorized_keys

[accounts/a]
name = alice
group = g
password = secret
`)
	want := []struct {
		line   int
		option string
		text   string
	}{
		{7, "home_folder_path", `"${user}" is not a placeholder`},
		{8, "lock_in_home_folder", "always locked"},
		{10, "source_ip_filter", "10.0.0.1/8 has host bits set; using 10.0.0.0/8"},
		{11, "ssh_authorized_keys_path", "resolver"},
		{16, "password", "does not look like a password hash"},
	}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings = %v", c.Warnings)
	}
	for i, w := range want {
		got := c.Warnings[i]
		if got.Line != w.line || got.Option != w.option || !strings.Contains(got.String(), w.text) ||
			!strings.HasPrefix(got.String(), "test.ini:"+strconv.Itoa(w.line)+": [") {
			t.Errorf("warning %d = %q, want line %d %s %q", i, got, w.line, w.option, w.text)
		}
	}
}

// Permission errors are positioned at the file line of the offending
// value line (perms.ParseError.Line mapped through the value's lines).
func TestParse_PermissionErrorLines(t *testing.T) {
	errs := parseErrs(t, defaultGroup+`[groups/g]
name = g
permissions = allow-list
    /a/*, allow-read

    # a comment inside the value
    /b/*, allow-raed
    m/(?<=x)/, allow-read
`)
	if len(errs) != 2 {
		t.Fatalf("errors: %v", errs)
	}
	checkErr(t, errs[0], 10, "groups/g", "permissions", ErrInvalidValue, "unknown permission", `"allow-raed"`)
	checkErr(t, errs[1], 11, "groups/g", "permissions", ErrInvalidValue)
}

// VF-01 parsing rules of virtual_folders values.
func TestParse_VirtualFolders(t *testing.T) {
	good := []struct {
		value string
		want  []VirtualFolder
	}{
		{"/team, /srv/team", []VirtualFolder{{VirtualPath: "/team", RealPath: "/srv/team"}}},
		{"  team/ ,   /srv/team  ", []VirtualFolder{{VirtualPath: "/team", RealPath: "/srv/team"}}},
		{"/a/b, D:\\storage\\x", []VirtualFolder{{VirtualPath: "/a/b", RealPath: `D:\storage\x`}}},
		{"/a, /srv/a, b", []VirtualFolder{{VirtualPath: "/a", RealPath: "/srv/a, b"}}},
		{"\n    /x, /srv/x\n    /y/${USER}, /srv/y/${USER}", []VirtualFolder{{VirtualPath: "/x", RealPath: "/srv/x"}, {VirtualPath: "/y/${USER}", RealPath: "/srv/y/${USER}"}}},
	}
	for _, tc := range good {
		c := mustParse(t, defaultGroup+"[groups/g]\nname = g\nvirtual_folders = "+tc.value+"\n")
		got, _ := c.Group("g").VirtualFolders.Get()
		if len(got) != len(tc.want) {
			t.Errorf("%q → %v", tc.value, got)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q → %v, want %v", tc.value, got, tc.want)
			}
		}
	}
	bad := []string{
		"/x",              // missing real path
		"/x,",             // empty real path
		", /srv/x",        // missing virtual path
		"/, /srv/x",       // root
		"/a/.., /srv/x",   // climbs
		"/a/../b, /srv/x", // climbs
		"/x, srv/x",       // relative real path
		`\x, /srv/x`,      // backslash
		"/x, ${SHARED}/srv",
	}
	for _, v := range bad {
		errs := parseErrs(t, defaultGroup+"[groups/g]\nname = g\nvirtual_folders = "+v+"\n")
		if len(errs) != 1 {
			t.Errorf("%q: %v", v, errs)
			continue
		}
		checkErr(t, errs[0], 6, "groups/g", "virtual_folders", ErrInvalidValue)
	}
	// The same virtual path twice in one value: an error when the real
	// paths differ, a warning when the mapping is repeated.
	wantOneErr(t, defaultGroup+"[groups/g]\nname = g\nvirtual_folders =\n    /x, /a\n    /x/, /b\n", 8, "groups/g", "virtual_folders", ErrInvalidValue, "already mapped")
	c := mustParse(t, defaultGroup+"[groups/g]\nname = g\nvirtual_folders =\n    /x, /a\n    /x, /a\n")
	if len(c.Warnings) != 1 || c.Warnings[0].Line != 8 {
		t.Errorf("warnings = %v", c.Warnings)
	}
}

// HFS-04 and HFS-06: home_folder_structure entries.
func TestHFS06_HomeFolderStructureValidation(t *testing.T) {
	c := mustParse(t, defaultGroup+`[groups/g]
name = g
home_folder_structure =
    /pull
    pull/invoices
    /outbox/
    outbox
    /a//b
`)
	if got := c.Group("g").HomeFolderStructure; !equalStrings(got, []string{"/pull", "/pull/invoices", "/outbox", "/a/b"}) {
		t.Errorf("structure = %v", got)
	}
	if len(c.Warnings) != 1 || c.Warnings[0].Line != 10 {
		t.Errorf("warnings = %v", c.Warnings)
	}
	for _, bad := range []string{"/a/../b", "..", "C:/x", "c:", `a\b`, "/", ".", "/./a", "//"} {
		wantOneErr(t, defaultGroup+"[groups/g]\nname = g\nhome_folder_structure = "+bad+"\n",
			6, "groups/g", "home_folder_structure", ErrInvalidValue)
	}
}

// EN-05 formats of expire_datetime.
func TestParse_ExpireDateTime(t *testing.T) {
	loc := time.FixedZone("test", 2*3600)
	good := map[string]time.Time{
		"2025-03-23":                time.Date(2025, 3, 23, 0, 0, 0, 0, loc),
		"2025-03-23T10:20":          time.Date(2025, 3, 23, 10, 20, 0, 0, loc),
		"2025-03-23 10:20:30":       time.Date(2025, 3, 23, 10, 20, 30, 0, loc),
		"2025-03-23T10:20:30.5":     time.Date(2025, 3, 23, 10, 20, 30, 5e8, loc),
		"2025-03-23T10:20:30Z":      time.Date(2025, 3, 23, 10, 20, 30, 0, time.UTC),
		"2025-03-23T10:20:30+05:00": time.Date(2025, 3, 23, 5, 20, 30, 0, time.UTC),
		"2025-03-23 10:20-01:00":    time.Date(2025, 3, 23, 11, 20, 0, 0, time.UTC),
	}
	for s, want := range good {
		got, err := ParseExpireDateTime(s, loc)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q → %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"2025-03", "2025", "23/03/2025", "2025-13-01", "tomorrow", "2025-03-23T25:00"} {
		if _, err := ParseExpireDateTime(s, loc); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	if got, err := ParseExpireDateTime("2025-03-23", nil); err != nil || got.Location() != time.Local {
		t.Errorf("nil location: %v %v", got, err)
	}
}

func TestParseCredentials(t *testing.T) {
	good := map[string]Credentials{
		"": CredentialsAny, "any": CredentialsAny, "ANY": CredentialsAny, "password": CredentialsPassword,
		"ssh-key": CredentialsSSHKey, "password, ssh-key": CredentialsPasswordAndSSHKey,
		"ssh-key,password": CredentialsPasswordAndSSHKey, " Password , SSH-Key ": CredentialsPasswordAndSSHKey,
	}
	for s, want := range good {
		if got, err := ParseCredentials(s); err != nil || got != want {
			t.Errorf("%q → %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"otp", "password,", "any, password", "password ssh-key"} {
		if _, err := ParseCredentials(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	for c, want := range map[Credentials][4]bool{
		CredentialsAny:               {false, false, true, true},
		CredentialsPassword:          {true, false, true, false},
		CredentialsSSHKey:            {false, true, false, true},
		CredentialsPasswordAndSSHKey: {true, true, true, true},
	} {
		if got := [4]bool{c.NeedsPassword(), c.NeedsSSHKey(), c.AllowsPassword(), c.AllowsSSHKey()}; got != want {
			t.Errorf("%v: %v", c, got)
		}
		if back, err := ParseCredentials(c.String()); err != nil || back != c {
			t.Errorf("%v does not round-trip", c)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sftpkit.ini")
	if err := os.WriteFile(path, []byte("[groups/DEFAULT_GROUP]\nhome_folder_path = /srv\n[accounts/a]\nname = alice\ngroup = x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":5: [accounts/a] group: ") || !errors.Is(err, ErrUnknownGroup) {
		t.Errorf("LoadFile error = %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.ini")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
