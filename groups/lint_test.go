package groups

import (
	"strings"
	"testing"

	"github.com/sftpkit/sftpkit/perms"
)

// Every permissions option is linted at load time (perms.Lint); the
// warnings carry the file line of the offending rule, across blank and
// comment lines inside the value, and name the rule.
func TestParse_PermissionsLint(t *testing.T) {
	text := defaultGroup + // lines 1-3
		"[groups/p]\n" + // 4
		"name = partners\n" + // 5
		"permissions =\n" + // 6
		"    allow-read\n" + // 7
		"\n" + // 8
		"    ; the folder /inbox itself is forgotten\n" + // 9
		"    /inbox/*, allow-full-control\n" + // 10
		"    /push, allow-list\n" + // 11
		"    /push/*, allow-list, allow-write\n" + // 12: fine
		"[accounts/a]\n" + // 13
		"name = alice\n" + // 14
		"group = p\n" + // 15
		"permissions = allow-read\n" + // 16
		"    /home/${USER}/, allow-full-control\n" // 17
	c := mustParse(t, text)
	want := []struct {
		line             int
		section, kind, s string
	}{
		{10, "groups/p", perms.KindFolderItself, `rule 1 "/inbox/*"`},
		{17, "accounts/a", perms.KindAccountUser, `rule 1 "/home/${USER}/"`},
	}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings = %v", c.Warnings)
	}
	for i, w := range want {
		got := c.Warnings[i]
		if got.File != "test.ini" || got.Line != w.line || got.Section != w.section || got.Option != "permissions" ||
			!strings.Contains(got.Msg, w.s) || !strings.Contains(got.Msg, "["+w.kind+"]") {
			t.Errorf("warning %d = %+v, want line %d in [%s] naming %s, kind %s", i, got, w.line, w.section, w.s, w.kind)
		}
	}
	if s := c.Warnings[0].String(); !strings.HasPrefix(s, "test.ini:10: [groups/p] permissions: rule 1 \"/inbox/*\": does not match the folder \"/inbox\"") {
		t.Errorf("String() = %q", s)
	}
}
