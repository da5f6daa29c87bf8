package groups

import (
	"errors"
	"math"
	"strconv"
	"testing"
)

// The sftpkit extensions atomic_uploads, quota_max_bytes and
// quota_max_files parse in group and account sections; quota_max_bytes
// takes the binary suffixes K, M, G and T.
func TestParse_ExtensionValues(t *testing.T) {
	cases := []struct {
		option, value string
		want          any
	}{
		{"atomic_uploads", "Yes", true},
		{"atomic_uploads", "no", false},
		{"atomic_uploads", "TRUE", true},
		{"atomic_uploads", "0", false},
		{"quota_max_bytes", "0", int64(0)},
		{"quota_max_bytes", "1000", int64(1000)},
		{"quota_max_bytes", "007", int64(7)},
		{"quota_max_bytes", "1K", int64(1024)},
		{"quota_max_bytes", "512k", int64(512 << 10)},
		{"quota_max_bytes", "10M", int64(10 << 20)},
		{"quota_max_bytes", "10 M", int64(10 << 20)},
		{"quota_max_bytes", "2G", int64(2 << 30)},
		{"quota_max_bytes", "3t", int64(3 << 40)},
		{"quota_max_bytes", "0T", int64(0)},
		{"quota_max_bytes", "8388607T", int64(8388607) << 40},
		{"quota_max_bytes", "9223372036854775807", int64(math.MaxInt64)},
		{"quota_max_files", "0", int64(0)},
		{"quota_max_files", "250000", int64(250000)},
		{"quota_max_files", "9223372036854775807", int64(math.MaxInt64)},
	}
	get := func(o *Options, option string) (any, bool) {
		switch option {
		case "atomic_uploads":
			v, ok := o.AtomicUploads.Get()
			return v, ok
		case "quota_max_bytes":
			v, ok := o.QuotaMaxBytes.Get()
			return v, ok
		default:
			v, ok := o.QuotaMaxFiles.Get()
			return v, ok
		}
	}
	for _, tc := range cases {
		t.Run(tc.option+"="+tc.value, func(t *testing.T) {
			line := tc.option + " = " + tc.value + "\n"
			c := mustParse(t, defaultGroup+"[groups/g]\nname = g\n"+line+"[accounts/a]\nname = alice\ngroup = g\n"+line)
			if got, ok := get(&c.Group("g").Options, tc.option); !ok || got != tc.want {
				t.Errorf("group: %v (set %v), want %v", got, ok, tc.want)
			}
			if got, ok := get(&c.Account("alice").Options, tc.option); !ok || got != tc.want {
				t.Errorf("account: %v (set %v), want %v", got, ok, tc.want)
			}
			if len(c.Warnings) != 0 {
				t.Errorf("warnings: %v", c.Warnings)
			}
		})
	}

	// On an account, Inherit (any spelling) and a blank value leave the
	// option unset; on a group, a blank value leaves it unset too.
	for _, option := range []string{"atomic_uploads", "quota_max_bytes", "quota_max_files"} {
		for _, v := range []string{"Inherit", "inherit", "INHERITED", ""} {
			c := mustParse(t, defaultGroup+"[groups/g]\nname = g\n"+option+" =\n[accounts/a]\nname = alice\n"+option+" = "+v+"\n")
			if _, ok := get(&c.Account("alice").Options, option); ok {
				t.Errorf("account %s = %q is set", option, v)
			}
			if _, ok := get(&c.Group("g").Options, option); ok {
				t.Errorf("group %s blank is set", option)
			}
		}
	}
}

// Invalid values are errors naming file:line, the section and the option.
func TestParse_ExtensionErrors(t *testing.T) {
	max := strconv.FormatInt(math.MaxInt64, 10)
	cases := []struct {
		option, value string
		contains      []string
	}{
		{"atomic_uploads", "maybe", []string{`"maybe"`, "boolean"}},
		{"atomic_uploads", "Inherit", []string{"account sections"}},
		{"quota_max_bytes", "-1", []string{`"-1"`, "negative"}},
		{"quota_max_bytes", "-5M", []string{`"-5M"`, "negative"}},
		{"quota_max_bytes", "10X", []string{`"10X"`, `unknown suffix "X"`}},
		{"quota_max_bytes", "10KB", []string{`unknown suffix "KB"`}},
		{"quota_max_bytes", "1MiB", []string{`unknown suffix "MiB"`}},
		{"quota_max_bytes", "lots", []string{`"lots"`, "not a whole number of bytes"}},
		{"quota_max_bytes", "K", []string{`"K"`, "not a whole number of bytes"}},
		{"quota_max_bytes", "1.5G", []string{`"1.5G"`, "not a whole number"}},
		{"quota_max_bytes", "+10", []string{`"+10"`, "not a whole number"}},
		{"quota_max_bytes", "0x10", []string{`"0x10"`, "not a whole number"}},
		{"quota_max_bytes", "1_000", []string{"not a whole number"}},
		{"quota_max_bytes", "10M5", []string{"not a whole number"}},
		{"quota_max_bytes", "8388608T", []string{"too large", max}},
		{"quota_max_bytes", "9223372036854775808", []string{"too large"}},
		{"quota_max_bytes", "Inherit", []string{"account sections"}},
		{"quota_max_files", "-3", []string{`"-3"`, "negative"}},
		{"quota_max_files", "10K", []string{`"10K"`, "no suffix"}},
		{"quota_max_files", "many", []string{`"many"`, "not a whole number of files"}},
		{"quota_max_files", "1e6", []string{"not a whole number of files"}},
		{"quota_max_files", "99999999999999999999", []string{"too large"}},
	}
	for _, tc := range cases {
		t.Run(tc.option+"="+tc.value, func(t *testing.T) {
			// In a group section: line 6.
			wantOneErr(t, defaultGroup+"[groups/g]\nname = g\n"+tc.option+" = "+tc.value+"\n",
				6, "groups/g", tc.option, ErrInvalidValue, tc.contains...)
			if tc.value == "Inherit" {
				return // accepted in account sections
			}
			// In an account section, after other options: line 8.
			wantOneErr(t, defaultGroup+"[accounts/a]\nname = alice\ngroup = DEFAULT_GROUP\ndescription = x\n"+tc.option+" = "+tc.value+"\n",
				8, "accounts/a", tc.option, ErrInvalidValue, tc.contains...)
		})
	}

	// A multi-line value is not a number; its error is at the option's line.
	wantOneErr(t, defaultGroup+"[groups/g]\nname = g\nquota_max_files =\n    10\n    20\n",
		6, "groups/g", "quota_max_files", ErrInvalidValue, "not a whole number")

	// Every bad value is reported, each at its own line.
	errs := parseErrs(t, defaultGroup+`[groups/g]
name = g
quota_max_bytes = 5Q
atomic_uploads = sometimes
quota_max_files = -1

[accounts/a]
name = alice
group = g
quota_max_bytes = -2G
quota_max_files = ten
`)
	want := []struct {
		line    int
		section string
		option  string
	}{
		{6, "groups/g", "quota_max_bytes"},
		{7, "groups/g", "atomic_uploads"},
		{8, "groups/g", "quota_max_files"},
		{13, "accounts/a", "quota_max_bytes"},
		{14, "accounts/a", "quota_max_files"},
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(want), errors.Join(errs...))
	}
	for i, w := range want {
		checkErr(t, errs[i], w.line, w.section, w.option, ErrInvalidValue)
	}
}

// Resolution of the extensions (SPEC 2(c), CFG-07, CFG-08): an explicit
// account value wins (even 0, which lifts the group's limit); an unset or
// Inherit account value comes from the configured primary group, associated
// or not; a secondary group's value is never used; an unset primary value
// is the default (No, 0, 0).
func TestResolve_Extensions(t *testing.T) {
	type want struct {
		atomic       bool
		bytes, files int64
		kind         SourceKind
		uuid         string
	}
	const all = "atomic_uploads = Yes\nquota_max_bytes = 1G\nquota_max_files = 1000\n"
	cases := []struct {
		name            string
		prim, sec, acct string
		ip              string
		want            want
	}{
		{"account explicit wins", all, all,
			"atomic_uploads = No\nquota_max_bytes = 512K\nquota_max_files = 7\n", bothIP,
			want{false, 512 << 10, 7, SourceAccount, "a"}},
		{"account explicit zero lifts the group limit", all, "",
			"atomic_uploads = 0\nquota_max_bytes = 0\nquota_max_files = 0\n", bothIP,
			want{false, 0, 0, SourceAccount, "a"}},
		{"account explicit, groups unset", "", "",
			"atomic_uploads = yes\nquota_max_bytes = 2T\nquota_max_files = 3\n", bothIP,
			want{true, 2 << 40, 3, SourceAccount, "a"}},
		{"unset account inherits from primary", all, "", "", bothIP,
			want{true, 1 << 30, 1000, SourceGroup, "P"}},
		{"Inherit inherits from primary", all, "",
			"atomic_uploads = Inherit\nquota_max_bytes = inherit\nquota_max_files = INHERITED\n", bothIP,
			want{true, 1 << 30, 1000, SourceGroup, "P"}},
		{"blank account value inherits", all, "",
			"atomic_uploads =\nquota_max_bytes =\nquota_max_files =\n", bothIP,
			want{true, 1 << 30, 1000, SourceGroup, "P"}},
		{"primary wins over secondary", all,
			"atomic_uploads = No\nquota_max_bytes = 5M\nquota_max_files = 5\n", "", bothIP,
			want{true, 1 << 30, 1000, SourceGroup, "P"}},
		{"primary not associated still supplies the value", all,
			"atomic_uploads = No\nquota_max_bytes = 5M\nquota_max_files = 5\n", "", sOnly,
			want{true, 1 << 30, 1000, SourceGroup, "P"}},
		{"secondary ignored when primary unset", "", all, "", bothIP,
			want{false, 0, 0, SourceDefault, "P"}},
		{"secondary ignored even when it alone is associated", "", all, "", sOnly,
			want{false, 0, 0, SourceDefault, "P"}},
		{"default", "", "", "", pOnly,
			want{false, 0, 0, SourceDefault, "P"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, twoGroups(tc.prim, tc.sec, tc.acct))
			e := mustResolve(t, c, "alice", tc.ip)
			check := func(option string, got, want any, src Source) {
				t.Helper()
				if got != want || src.Kind != tc.want.kind || src.UUID != tc.want.uuid {
					t.Errorf("%s = %v from %+v, want %v from %s %s", option, got, src, want, tc.want.kind, tc.want.uuid)
				}
			}
			check("atomic_uploads", e.AtomicUploads().Value, tc.want.atomic, e.AtomicUploads().Source)
			check("quota_max_bytes", e.QuotaMaxBytes().Value, tc.want.bytes, e.QuotaMaxBytes().Source)
			check("quota_max_files", e.QuotaMaxFiles().Value, tc.want.files, e.QuotaMaxFiles().Source)
		})
	}

	// Each option resolves on its own: the account may set one and inherit
	// the others, and the primary may set only some.
	c := mustParse(t, twoGroups("quota_max_files = 40\n", all, "quota_max_bytes = 1M\n"))
	e := mustResolve(t, c, "alice", bothIP)
	if v := e.QuotaMaxBytes(); v.Value != 1<<20 || v.Source.Kind != SourceAccount {
		t.Errorf("quota_max_bytes = %+v", v)
	}
	if v := e.QuotaMaxFiles(); v.Value != 40 || v.Source != (Source{Kind: SourceGroup, UUID: "P", Name: "primary"}) {
		t.Errorf("quota_max_files = %+v", v)
	}
	if v := e.AtomicUploads(); v.Value || v.Source != (Source{Kind: SourceDefault, UUID: "P", Name: "primary"}) || v.Source.String() != "default" {
		t.Errorf("atomic_uploads = %+v", v)
	}

	// Accounts without a group inherit from DEFAULT_GROUP.
	c = mustParse(t, defaultGroup+"atomic_uploads = Yes\nquota_max_bytes = 3K\n[accounts/a]\nname = alice\n")
	e = mustResolve(t, c, "alice", "192.0.2.1")
	if v := e.AtomicUploads(); !v.Value || v.Source.UUID != DefaultGroup || v.Source.Kind != SourceGroup {
		t.Errorf("atomic_uploads = %+v", v)
	}
	if v := e.QuotaMaxBytes(); v.Value != 3072 || v.Source.UUID != DefaultGroup {
		t.Errorf("quota_max_bytes = %+v", v)
	}
}
