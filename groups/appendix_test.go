package groups

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sftpkit/sftpkit/perms"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// dumpEffective renders a snapshot with the provenance of every value, for
// golden files.
func dumpEffective(t *testing.T, e *Effective) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	refs := func(rs []GroupRef) string {
		var out []string
		for _, r := range rs {
			out = append(out, r.UUID+" ("+r.Name+")")
		}
		return strings.Join(out, ", ")
	}
	p("account: %s (%s) from %s", e.Name(), e.AccountUUID(), e.SourceAddr())
	p("configured groups: %s", refs(e.ConfiguredGroups()))
	p("primary group: %s", refs([]GroupRef{e.Primary()}))
	p("associated groups: %s", refs(e.AssociatedGroups()))
	for _, ig := range e.IgnoredGroups() {
		p("ignored group: %s (%s): %s", ig.UUID, ig.Name, ig.Reason)
	}
	p("home: %q [%s]", e.Home().Value, e.Home().Source)
	p("locked: %v; lock_in_home_folder: %v [%s]", e.Locked(), e.LockInHomeFolder().Value, e.LockInHomeFolder().Source)
	p("create_home_folder: %v [%s]", e.CreateHomeFolder().Value, e.CreateHomeFolder().Source)
	p("create_home_folder_owner: %s [%s]", e.CreateHomeFolderOwner().Value, e.CreateHomeFolderOwner().Source)
	p("create_home_folder_group: %s [%s]", e.CreateHomeFolderGroup().Value, e.CreateHomeFolderGroup().Source)
	p("required_credentials: %s [%s]", e.RequiredCredentials().Value, e.RequiredCredentials().Source)
	p("ssh_authorized_keys_path: %q [%s]", e.AuthorizedKeysPath().Value, e.AuthorizedKeysPath().Source)
	p("ssh_authorized_keys_content: %d bytes", len(e.AuthorizedKeysContent()))
	p("password hash set: %v", e.Password() != "")
	p("allow_certificate_authentication: %v [%s]", e.AllowCertificateAuthentication().Value, e.AllowCertificateAuthentication().Source)
	p("as2_require_http_authentication: %v [%s]", e.AS2RequireHTTPAuthentication().Value, e.AS2RequireHTTPAuthentication().Source)
	p("allow_own_password_change: %v [%s]", e.AllowOwnPasswordChange().Value, e.AllowOwnPasswordChange().Source)
	p("password_lifetime: %d days [%s]", e.PasswordLifetime().Value, e.PasswordLifetime().Source)
	p("disable_on_inactivity: %d days [%s]", e.DisableOnInactivity().Value, e.DisableOnInactivity().Source)
	p("amend_write_name: %q [%s]", e.AmendWriteName().Value, e.AmendWriteName().Source)
	p("ssh_delete_delay: %v [%s]", e.SSHDeleteDelay().Value, e.SSHDeleteDelay().Source)
	p("atomic_uploads: %v [%s]", e.AtomicUploads().Value, e.AtomicUploads().Source)
	p("quota_max_bytes: %d [%s]", e.QuotaMaxBytes().Value, e.QuotaMaxBytes().Source)
	p("quota_max_files: %d [%s]", e.QuotaMaxFiles().Value, e.QuotaMaxFiles().Source)
	p("expire_datetime: %v", e.ExpireDateTime().IsZero())
	p("permissions global: %s [%s]", e.PermissionGlobal().Value, e.PermissionGlobal().Source)
	for _, r := range e.PermissionRules() {
		p("permissions rule: %s, %s [%s, line %d]", r.Expr, r.Set, r.Source, r.Line)
	}
	for _, v := range e.VirtualFolders() {
		p("virtual folder: %s → %s [%s]", v.Value.VirtualPath, v.Value.RealPath, v.Source)
	}
	for _, h := range e.HomeFolderStructure() {
		p("home folder structure: %s [%s]", h.Value, h.Source)
	}
	for _, n := range e.Notices() {
		p("notice: %s: %s [%s]", n.Event, n.Detail, n.Source)
	}
	pol, err := e.Policy()
	if err != nil {
		t.Fatalf("Policy: %v", err)
	}
	for _, path := range []string{"/", "/pull", "/pull/a.exe", "/push", "/push/a.exe", "/push/order.csv", "/team/x", "/queue/alice/x", "/support", "/support/x"} {
		p("decides %s: %s", path, pol.Explain(path, perms.Write))
	}
	return b.String()
}

// The SPEC Appendix C fixture: the resolved snapshot of alice from each
// documented address, with provenance, compared against a golden file
// (go test -run TestAppendixC -update rewrites it).
func TestAppendixC_Golden(t *testing.T) {
	c, err := LoadFile(filepath.Join("testdata", "appendix-c.ini"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, w := range c.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	for _, ip := range []string{"10.23.0.7", "::ffff:10.23.0.7", "10.2.2.5", "10.23.0.1", "8.8.8.8", "2001:db8::1"} {
		fmt.Fprintf(&b, "\n== alice from %s\n", ip)
		e, err := resolve(t, c, "alice", ip)
		if err != nil {
			var r *Rejection
			if !errors.As(err, &r) {
				t.Fatalf("%s: %v", ip, err)
			}
			fmt.Fprintf(&b, "rejected: %s (source %s)\n", r.Reason, r.Source)
			continue
		}
		b.WriteString(dumpEffective(t, e))
	}
	golden := filepath.Join("testdata", "appendix-c.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestAppendixC_Golden -update)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("snapshot differs from %s (rerun with -update after checking):\n%s", golden, diffLines(string(want), got))
	}
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// The "Expected facts" of SPEC Appendix C, asserted one by one.
func TestAppendixC_ExpectedFacts(t *testing.T) {
	c, err := LoadFile(filepath.Join("testdata", "appendix-c.ini"))
	if err != nil {
		t.Fatal(err)
	}

	// From 10.23.0.7 alice is associated with partners only; support is
	// listed as ignored.
	e := mustResolve(t, c, "alice", "10.23.0.7")
	if got := groupUUIDs(e.AssociatedGroups()); !equalStrings(got, []string{"g-partners"}) {
		t.Errorf("10.23.0.7: associated %v", got)
	}
	if ig := e.IgnoredGroups(); len(ig) != 1 || ig[0].UUID != "g-support" || ig[0].Name != "support" || ig[0].Reason != IgnoredSourceIP {
		t.Errorf("10.23.0.7: ignored %v", ig)
	}

	// From 10.2.2.5 with support only: the global line becomes
	// deny-full-control and only /support content is usable (GRP-08),
	// while the home is still real:/srv/partners/alice.
	e = mustResolve(t, c, "alice", "10.2.2.5")
	if got := groupUUIDs(e.AssociatedGroups()); !equalStrings(got, []string{"g-support"}) {
		t.Errorf("10.2.2.5: associated %v", got)
	}
	if g := e.PermissionGlobal(); g.Value != perms.DenyFullControl() || g.Source.Kind != SourceFailClosed {
		t.Errorf("10.2.2.5: global %+v", g)
	}
	if h := e.Home(); h.Value != "/srv/partners/alice" || h.Source != (Source{Kind: SourceGroup, UUID: "g-partners", Name: "partners"}) {
		t.Errorf("10.2.2.5: home %+v", h)
	}
	pol := policy(t, e)
	for path, allowed := range map[string]bool{
		"/support/x": true, "/support/a/b.txt": true,
		"/support": false, "/pull/x": false, "/push/x": false, "/team/x": false, "/x": false,
	} {
		if got := pol.Check(path, perms.Read) == nil; got != allowed {
			t.Errorf("10.2.2.5: read %s allowed = %v, want %v", path, got, allowed)
		}
	}
	if v := e.VirtualFolders(); len(v) != 1 || v[0].Value != (VirtualFolder{VirtualPath: "/support", RealPath: "/srv/support"}) {
		t.Errorf("10.2.2.5: virtual folders %v", v)
	}

	// From 10.23.0.1 or 8.8.8.8 login fails (IP-06).
	for _, ip := range []string{"10.23.0.1", "8.8.8.8"} {
		_, err := resolve(t, c, "alice", ip)
		wantRejection(t, err, ReasonNoGroupAssociated)
	}

	// Rule order (PERM-E05): /push/a.exe matches /push/* first and gets
	// list/write/rename; /pull/a.exe falls through to *.exe and is denied.
	pol = policy(t, mustResolve(t, c, "alice", "10.23.0.7"))
	if got := pol.Effective("/push/a.exe"); got != mustSet(t, "allow-list, allow-write, allow-rename") {
		t.Errorf("/push/a.exe gets %v", got)
	}
	ex := pol.Explain("/pull/a.exe", perms.Read)
	if ex.Allowed || !ex.DenyFired || ex.RuleExpr != "*.exe" || ex.Source != "group partners" {
		t.Errorf("/pull/a.exe: %v", ex)
	}

	// The rest of the snapshot the fixture implies: the home, the
	// structure, the ${USER} virtual folder, credentials from the default.
	e = mustResolve(t, c, "alice", "10.23.0.7")
	if h := e.Home(); h.Value != "/srv/partners/alice" {
		t.Errorf("home %v", h)
	}
	var hfs []string
	for _, h := range e.HomeFolderStructure() {
		hfs = append(hfs, h.Value)
	}
	if !equalStrings(hfs, []string{"/pull", "/pull/invoices", "/push"}) {
		t.Errorf("structure %v", hfs)
	}
	if v := e.VirtualFolders(); len(v) != 2 || v[1].Value != (VirtualFolder{VirtualPath: "/queue/alice", RealPath: "/srv/queues/alice", PerUser: true}) {
		t.Errorf("virtual folders %v", v)
	}
	if rc := e.RequiredCredentials(); rc.Value != CredentialsAny || rc.Source.Kind != SourceDefault {
		t.Errorf("required_credentials %+v", rc)
	}
	if v := e.CreateHomeFolder(); !v.Value || v.Source.UUID != "g-partners" {
		t.Errorf("create_home_folder %+v", v)
	}
}
