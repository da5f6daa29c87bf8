package groups

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sftpkit/sftpkit/internal/ini"
	"github.com/sftpkit/sftpkit/internal/vpath"
	"github.com/sftpkit/sftpkit/keys"
	"github.com/sftpkit/sftpkit/perms"
)

// Limits on numeric options, so that day counts converted to durations
// cannot overflow.
const (
	maxDays         = 36500   // 100 years
	maxDeleteDelay  = 86400   // one day, in seconds
	maxUnixSeconds  = 1 << 36 // year 4147
	sectionGroups   = "groups/"
	sectionAccounts = "accounts/"
	sectionServer   = "server"
)

// LoadFile reads and parses the configuration file at path (see [Parse]).
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	return Parse(path, data)
}

// Parse parses and validates a configuration in the SFTPPlus text format
// (see the package documentation). name is used in error messages.
//
// Every problem is reported, not only the first: the error is an
// errors.Join of *[ConfigError] values (and of INI syntax errors, formatted
// "name:line: message"), in file order, each formatted
// "name:line: [section] option: message" and
// wrapping a sentinel such as [ErrMissingDefaultGroup], [ErrUnknownGroup],
// [ErrDuplicateName] or [ErrInvalidValue]. On error the Config is nil.
func Parse(name string, data []byte) (*Config, error) {
	f, err := ini.Parse(name, data)
	p := &parser{
		file: name,
		cfg: &Config{
			file:   name,
			groups: map[string]*Group{},
			byName: map[string]*Account{},
		},
		nameLine: map[string]nameUse{},
	}
	p.syntaxErrors(err)
	for _, sec := range f.Sections {
		switch {
		case sec.Name == sectionServer:
			p.server(sec)
		case strings.HasPrefix(sec.Name, sectionGroups):
			p.group(sec)
		case strings.HasPrefix(sec.Name, sectionAccounts):
			p.account(sec)
		default:
			p.fail(sec.Line, sec.Name, "", ErrUnknownSection,
				"unknown section (want [server], [groups/UUID] or [accounts/UUID])")
		}
	}
	p.crossCheck()
	if len(p.errs) > 0 {
		slices.SortStableFunc(p.errs, func(a, b error) int { return cmp.Compare(errLine(a), errLine(b)) })
		return nil, errors.Join(p.errs...)
	}
	slices.SortStableFunc(p.warns, func(a, b Warning) int { return cmp.Compare(a.Line, b.Line) })
	p.cfg.Warnings = p.warns
	return p.cfg, nil
}

type nameUse struct {
	line    int
	section string
}

type parser struct {
	file  string
	cfg   *Config
	errs  []error
	warns []Warning
	// nameLine records where each account name was defined (CFG-06).
	nameLine map[string]nameUse
	// groupRefs records the group references of accounts, checked once
	// every group is known (CFG-05).
	groupRefs []groupRef
}

type groupRef struct {
	uuid    string
	line    int
	section string
}

func errLine(err error) int {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return ce.Line
	}
	var ie *ini.Error
	if errors.As(err, &ie) {
		return ie.Line
	}
	return 0
}

func (p *parser) fail(line int, section, option string, sentinel error, format string, args ...any) {
	if line < 1 {
		line = 1
	}
	p.errs = append(p.errs, &ConfigError{
		File: p.file, Line: line, Section: section, Option: option,
		Msg: fmt.Sprintf(format, args...), Err: sentinel,
	})
}

func (p *parser) warn(line int, section, option, msg string) {
	if line < 1 {
		line = 1
	}
	p.warns = append(p.warns, Warning{File: p.file, Line: line, Section: section, Option: option, Msg: msg})
}

// flatten returns the leaves of a tree of joined errors.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// syntaxErrors keeps the reader's errors, turning a duplicate group or
// account section into an ErrDuplicateUUID ConfigError (CFG-06).
func (p *parser) syntaxErrors(err error) {
	for _, e := range flatten(err) {
		var ie *ini.Error
		if errors.As(e, &ie) {
			for _, prefix := range []string{sectionGroups, sectionAccounts} {
				if rest, ok := strings.CutPrefix(ie.Msg, "duplicate section ["+prefix); ok {
					sec := prefix + strings.TrimSuffix(rest, "]")
					p.fail(ie.Line, sec, "", ErrDuplicateUUID, "UUID already used by another section (%v)", ErrDuplicateUUID)
					e = nil
					break
				}
			}
		}
		if e != nil {
			p.errs = append(p.errs, e)
		}
	}
}

// key is an option being parsed, with its section for messages.
type key struct {
	p   *parser
	sec string
	*ini.Key
}

func (k key) fail(sentinel error, format string, args ...any) {
	k.p.fail(k.Line, k.sec, k.Name, sentinel, format, args...)
}

// failAt reports an error at line i (0-based) of the value.
func (k key) failAt(i int, sentinel error, format string, args ...any) {
	k.p.fail(k.LineOf(i), k.sec, k.Name, sentinel, format, args...)
}

func (k key) warn(msg string) { k.p.warn(k.Line, k.sec, k.Name, msg) }

func (k key) warnAt(i int, msg string) { k.p.warn(k.LineOf(i), k.sec, k.Name, msg) }

func isInherit(v string) bool {
	return strings.EqualFold(v, "inherit") || strings.EqualFold(v, "inherited")
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "yes", "true", "on", "1":
		return true, nil
	case "no", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want Yes, No, True or False)", clip(v))
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// boolOpt, intOpt, … parse one option value into an Opt. A blank value
// leaves the Opt unset.
func (k key) boolOpt(dst *Opt[bool]) {
	if k.Value == "" {
		return
	}
	b, err := parseBool(k.Value)
	if err != nil {
		k.fail(ErrInvalidValue, "%v", err)
		return
	}
	*dst = Explicit(b)
}

func (k key) intOpt(dst *Opt[int], max int, unit string) {
	if k.Value == "" {
		return
	}
	n, err := strconv.Atoi(k.Value)
	if err != nil || n < 0 || n > max {
		k.fail(ErrInvalidValue, "%q is not a number of %s from 0 to %d", clip(k.Value), unit, max)
		return
	}
	*dst = Explicit(n)
}

func (k key) textOpt(dst *Opt[string]) {
	if k.Value == "" {
		return
	}
	if hasControl(k.Value) {
		k.fail(ErrInvalidValue, "value contains a control character or several lines")
		return
	}
	*dst = Explicit(k.Value)
}

// common parses an option of [Options]. It reports whether name is one.
func (k key) common(o *Options, group bool) bool {
	switch k.Name {
	case "home_folder_path", "lock_in_home_folder", "create_home_folder",
		"create_home_folder_owner", "create_home_folder_group",
		"required_credentials", "ssh_authorized_keys_path",
		"allow_certificate_authentication", "password_lifetime",
		"disable_on_inactivity", "permissions", "amend_write_name",
		"virtual_folders", "atomic_uploads", "quota_max_bytes", "quota_max_files":
	default:
		return false
	}
	if isInherit(k.Value) {
		if group {
			k.fail(ErrInvalidValue, "Inherit is only accepted in account sections")
		}
		return true // account: Inherit ≡ unset
	}
	switch k.Name {
	case "home_folder_path":
		k.pathOpt(&o.HomeFolderPath, group)
	case "lock_in_home_folder":
		k.boolOpt(&o.LockInHomeFolder)
		if v, ok := o.LockInHomeFolder.Get(); ok && !v {
			k.warn("ignored: application accounts are always locked in their home folder (HOME-12)")
		}
	case "create_home_folder":
		k.boolOpt(&o.CreateHomeFolder)
	case "create_home_folder_owner":
		k.textOpt(&o.CreateHomeFolderOwner)
	case "create_home_folder_group":
		k.textOpt(&o.CreateHomeFolderGroup)
	case "required_credentials":
		c, err := ParseCredentials(k.Value)
		if err != nil {
			k.fail(ErrInvalidValue, "%v", err)
			return true
		}
		o.RequiredCredentials = Explicit(c)
	case "ssh_authorized_keys_path":
		if k.Value == "" || strings.EqualFold(k.Value, "disabled") {
			o.SSHAuthorizedKeysPath = Explicit("")
			return true
		}
		k.pathOpt(&o.SSHAuthorizedKeysPath, group)
	case "allow_certificate_authentication":
		k.boolOpt(&o.AllowCertificateAuthentication)
	case "password_lifetime":
		k.intOpt(&o.PasswordLifetime, maxDays, "days")
	case "disable_on_inactivity":
		k.intOpt(&o.DisableOnInactivity, maxDays, "days")
	case "permissions":
		k.permissions(&o.Permissions, group)
	case "amend_write_name":
		switch strings.ToLower(k.Value) {
		case "", "disabled":
			o.AmendWriteName = Explicit(AmendNone)
		case string(AmendUUIDPrefix):
			o.AmendWriteName = Explicit(AmendUUIDPrefix)
		default:
			k.fail(ErrInvalidValue, "%q is not uuid-prefix or empty", clip(k.Value))
		}
	case "virtual_folders":
		k.virtualFolders(&o.VirtualFolders)
	case "atomic_uploads":
		k.boolOpt(&o.AtomicUploads)
	case "quota_max_bytes":
		k.quotaOpt(&o.QuotaMaxBytes, true)
	case "quota_max_files":
		k.quotaOpt(&o.QuotaMaxFiles, false)
	}
	return true
}

// Multipliers of the quota_max_bytes suffixes.
var byteSuffixes = map[string]int64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

// quotaOpt parses quota_max_bytes (bytes: a non-negative decimal integer
// with an optional suffix K, M, G or T, case-insensitive and possibly
// after spaces, multiplying by 1024, 1024², 1024³, 1024⁴) or
// quota_max_files (files: a non-negative decimal integer, no suffix); 0
// means unlimited. A blank value leaves the Opt unset.
func (k key) quotaOpt(dst *Opt[int64], bytes bool) {
	if k.Value == "" {
		return
	}
	n, err := parseQuota(k.Value, bytes)
	if err != nil {
		k.fail(ErrInvalidValue, "%v", err)
		return
	}
	*dst = Explicit(n)
}

func parseQuota(v string, bytes bool) (int64, error) {
	unit, want := "files", "a whole number of files"
	if bytes {
		unit, want = "bytes", "a whole number of bytes with an optional suffix K, M, G or T"
	}
	i := 0
	for i < len(v) && isDigit(v[i]) {
		i++
	}
	digits, suffix := v[:i], strings.TrimLeft(v[i:], " \t")
	mult := int64(1)
	switch {
	case len(v) > 1 && v[0] == '-' && isDigit(v[1]):
		return 0, fmt.Errorf("%q is negative: want %s, 0 for unlimited", clip(v), want)
	case digits == "" || (suffix != "" && !allLetters(suffix)):
		return 0, fmt.Errorf("%q is not %s (0: unlimited)", clip(v), want)
	case suffix != "" && !bytes:
		return 0, fmt.Errorf("%q is not %s: no suffix is accepted", clip(v), want)
	case suffix != "":
		m, ok := byteSuffixes[strings.ToUpper(suffix)]
		if !ok {
			return 0, fmt.Errorf("%q: unknown suffix %q (want K, M, G or T)", clip(v), clip(suffix))
		}
		mult = m
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large (at most %d %s)", clip(v), int64(math.MaxInt64), unit)
	}
	return n * mult, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// allLetters reports whether s is a string of ASCII letters.
func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func (k key) pathOpt(dst *Opt[string], group bool) {
	if k.Value == "" {
		return
	}
	if strings.Contains(k.Value, "\n") {
		k.fail(ErrInvalidValue, "a path takes one line")
		return
	}
	_, warns, err := parsePathTemplate(k.Value, group)
	if err != nil {
		k.fail(ErrInvalidValue, "%v", err)
		return
	}
	for _, w := range warns {
		k.warn(w)
	}
	*dst = Explicit(k.Value)
}

func (k key) permissions(dst *Opt[*perms.Value], group bool) {
	if k.Value == "" {
		return // group: allow-full-control (PERM-P06); account: Inherit
	}
	v, err := perms.Parse(k.Value)
	if err != nil {
		for _, e := range flatten(err) {
			var pe *perms.ParseError
			if errors.As(e, &pe) {
				msg := pe.Msg
				if pe.Token != "" {
					msg += fmt.Sprintf(": %q", clip(pe.Token))
				}
				k.failAt(pe.Line-1, ErrInvalidValue, "%s", msg)
			} else {
				k.fail(ErrInvalidValue, "%v", e)
			}
		}
		return
	}
	for _, w := range perms.Lint(v, perms.LintOptions{AccountLevel: !group}) {
		k.warnAt(w.Line-1, w.Msg+" ["+w.Kind+"]")
	}
	*dst = Explicit(v)
}

// virtualFolders parses "virtual, real" lines (SPEC VF-01).
func (k key) virtualFolders(dst *Opt[[]VirtualFolder]) {
	list := []VirtualFolder{}
	seen := map[string]int{}
	ok := true
	for i, line := range strings.Split(k.Value, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		virt, real, found := strings.Cut(line, ",")
		virt, real = strings.TrimSpace(virt), strings.TrimSpace(real)
		vf, err := checkVirtualFolder(virt, real, found)
		if err != nil {
			k.failAt(i, ErrInvalidValue, "%v", err)
			ok = false
			continue
		}
		for _, w := range tokenWarnings(line) {
			k.warnAt(i, w)
		}
		if j, dup := seen[vf.VirtualPath]; dup {
			if list[j].RealPath != vf.RealPath {
				k.failAt(i, ErrInvalidValue, "virtual path %q is already mapped to %q", vf.VirtualPath, list[j].RealPath)
				ok = false
			} else {
				k.warnAt(i, fmt.Sprintf("virtual folder %q listed twice", vf.VirtualPath))
			}
			continue
		}
		seen[vf.VirtualPath] = len(list)
		list = append(list, vf)
	}
	if ok {
		*dst = Explicit(list)
	}
}

func checkVirtualFolder(virt, real string, comma bool) (VirtualFolder, error) {
	var vf VirtualFolder
	switch {
	case !comma || real == "":
		return vf, fmt.Errorf("%q: want \"virtual path, real path\"", clip(virt))
	case virt == "":
		return vf, errors.New("missing virtual path")
	case strings.Contains(virt, `\`):
		return vf, fmt.Errorf("virtual path %q: use / as separator", clip(virt))
	case hasControl(virt) || hasControl(real):
		return vf, errors.New("control character in a virtual folder")
	}
	for _, p := range []string{PlaceholderShared, PlaceholderOSHome} {
		if strings.Contains(virt, p) || strings.Contains(real, p) {
			return vf, fmt.Errorf("%s is not supported in virtual folders", p)
		}
	}
	for _, c := range strings.Split(virt, "/") {
		if c == ".." {
			return vf, fmt.Errorf("virtual path %q contains ..", clip(virt))
		}
	}
	cv, err := vpath.Canonical(virt)
	if err != nil {
		return vf, fmt.Errorf("virtual path %q: %v", clip(virt), err)
	}
	if cv == "/" {
		return vf, errors.New("virtual path / cannot be a virtual folder")
	}
	if !isAbsPath(real) {
		return vf, fmt.Errorf("real path %q is not absolute", clip(real))
	}
	return VirtualFolder{VirtualPath: cv, RealPath: real}, nil
}

// homeFolderStructure parses one folder per line (SPEC 5(a), HFS-04,
// HFS-06).
func (k key) homeFolderStructure(dst *[]string) {
	seen := map[string]bool{}
	for i, line := range strings.Split(k.Value, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		entry, err := checkStructureEntry(line)
		if err != nil {
			k.failAt(i, ErrInvalidValue, "%v", err)
			continue
		}
		if seen[entry] {
			k.warnAt(i, fmt.Sprintf("%q listed twice", entry))
			continue
		}
		seen[entry] = true
		*dst = append(*dst, entry)
	}
}

func checkStructureEntry(line string) (string, error) {
	switch {
	case strings.Contains(line, `\`):
		return "", fmt.Errorf("%q: use / as separator, not a backslash", clip(line))
	case len(line) >= 2 && line[1] == ':' && unicode.IsLetter(rune(line[0])):
		return "", fmt.Errorf("%q: no drive letter; folders are relative to the home folder", clip(line))
	case hasControl(line) || !utf8.ValidString(line):
		return "", fmt.Errorf("%q: invalid character", clip(line))
	}
	var parts []string
	for _, c := range strings.Split(line, "/") {
		switch c {
		case "":
			continue
		case ".", "..":
			return "", fmt.Errorf("%q: %q components are not allowed", clip(line), c)
		}
		parts = append(parts, c)
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("%q names no folder", clip(line))
	}
	return "/" + strings.Join(parts, "/"), nil
}

// ipRules parses a source_ip_filter value, positioning its errors and
// warnings at file lines.
func (k key) ipRules(dst *IPRules) {
	rules, warns, err := ParseIPRules(k.Value)
	for _, w := range warns {
		k.warnAt(w.Line-1, w.Msg)
	}
	for _, e := range flatten(err) {
		var re *IPRuleError
		if errors.As(e, &re) {
			k.failAt(re.Line-1, ErrInvalidValue, "%s", re.Msg)
		} else {
			k.fail(ErrInvalidValue, "%v", e)
		}
	}
	if err == nil {
		*dst = rules
	}
}

// checkUUID validates the UUID part of a section name.
func (p *parser) checkUUID(sec *ini.Section, uuid string) bool {
	switch {
	case uuid == "":
		p.fail(sec.Line, sec.Name, "", ErrInvalidValue, "missing UUID after %q", strings.TrimSuffix(sec.Name, "/")+"/")
	case strings.ContainsAny(uuid, ",") || hasControl(uuid) || strings.TrimSpace(uuid) != uuid:
		p.fail(sec.Line, sec.Name, "", ErrInvalidValue, "a UUID cannot contain commas, control characters or surrounding spaces")
	default:
		return true
	}
	return false
}

func (p *parser) group(sec *ini.Section) {
	uuid := strings.TrimPrefix(sec.Name, sectionGroups)
	if !p.checkUUID(sec, uuid) {
		return
	}
	g := &Group{UUID: uuid, Enabled: true}
	nameSeen := false
	for _, ik := range sec.Keys {
		k := key{p: p, sec: sec.Name, Key: ik}
		if k.common(&g.Options, true) {
			continue
		}
		if isInherit(k.Value) && k.Name != "name" && k.Name != "description" {
			if groupOption(k.Name) {
				k.fail(ErrInvalidValue, "Inherit is only accepted in account sections")
				continue
			}
		}
		switch k.Name {
		case "name":
			nameSeen = true
			if k.Value == "" || hasControl(k.Value) {
				k.fail(ErrInvalidValue, "a group name is one non-empty line")
				continue
			}
			g.Name = k.Value
			if uuid == DefaultGroup && g.Name != DefaultGroup {
				k.fail(ErrDefaultGroupRenamed, "%q: %v (its name must be DEFAULT_GROUP)", clip(g.Name), ErrDefaultGroupRenamed)
			} else if uuid != DefaultGroup && g.Name == DefaultGroup {
				k.fail(ErrInvalidValue, "the name DEFAULT_GROUP is reserved for [groups/DEFAULT_GROUP]")
			}
		case "description":
			g.Description = k.Value
		case "enabled":
			var o Opt[bool]
			k.boolOpt(&o)
			g.Enabled = o.Or(true)
		case "source_ip_filter":
			k.ipRules(&g.SourceIPFilter)
		case "allow_own_password_change":
			k.boolOpt(&g.AllowOwnPasswordChange)
		case "as2_require_http_authentication":
			k.boolOpt(&g.AS2RequireHTTPAuthentication)
		case "home_folder_structure":
			k.homeFolderStructure(&g.HomeFolderStructure)
		case "ssh_delete_delay":
			var o Opt[int]
			k.intOpt(&o, maxDeleteDelay, "seconds")
			if n, ok := o.Get(); ok {
				g.SSHDeleteDelay = Explicit(time.Duration(n) * time.Second)
			}
		default:
			if accountOption(k.Name) {
				k.fail(ErrUnknownOption, "%s is an account option, not a group option", k.Name)
			} else {
				k.fail(ErrUnknownOption, "unknown group option")
			}
		}
	}
	if !nameSeen {
		if uuid == DefaultGroup {
			g.Name = DefaultGroup
		} else {
			p.fail(sec.Line, sec.Name, "name", ErrMissingOption, "missing: every group needs a name")
		}
	}
	if g.Name == "" {
		g.Name = uuid
	}
	p.cfg.groups[uuid] = g
	p.cfg.groupOrder = append(p.cfg.groupOrder, g)
}

func groupOption(name string) bool {
	switch name {
	case "enabled", "source_ip_filter", "allow_own_password_change",
		"as2_require_http_authentication", "home_folder_structure", "ssh_delete_delay":
		return true
	}
	return false
}

func accountOption(name string) bool {
	switch name {
	case "group", "password", "ssh_authorized_keys_content", "expire_datetime",
		"last_password_update", "created":
		return true
	}
	return false
}

func (p *parser) account(sec *ini.Section) {
	uuid := strings.TrimPrefix(sec.Name, sectionAccounts)
	if !p.checkUUID(sec, uuid) {
		return
	}
	a := &Account{UUID: uuid, Enabled: true}
	nameOK := false
	nameSeen := false
	for _, ik := range sec.Keys {
		k := key{p: p, sec: sec.Name, Key: ik}
		if k.common(&a.Options, false) {
			continue
		}
		if isInherit(k.Value) && (accountOption(k.Name) || k.Name == "enabled" || k.Name == "source_ip_filter") {
			msg := "Inherit is not accepted for this option"
			if k.Name == "source_ip_filter" {
				msg = "Inherit is not accepted (group filters always apply, as group association); leave the account filter empty"
			}
			k.fail(ErrInvalidValue, "%s", msg)
			continue
		}
		switch k.Name {
		case "name":
			nameSeen = true
			nameOK = p.accountName(k, a)
		case "description":
			a.Description = k.Value
		case "enabled":
			var o Opt[bool]
			k.boolOpt(&o)
			a.Enabled = o.Or(true)
		case "group":
			a.Groups = k.groupList()
		case "password":
			if hasControl(k.Value) {
				k.fail(ErrInvalidValue, "the password hash contains a control character or several lines")
				continue
			}
			a.Password = k.Value
			if a.Password != "" && !strings.HasPrefix(a.Password, "$") {
				k.warn("does not look like a password hash (modular crypt format, $…$); plain-text passwords are never accepted")
			}
		case "ssh_authorized_keys_content":
			k.keysContent()
			a.SSHAuthorizedKeysContent = k.Value
		case "source_ip_filter":
			k.ipRules(&a.SourceIPFilter)
		case "expire_datetime":
			if k.Value == "" {
				continue
			}
			t, err := ParseExpireDateTime(k.Value, time.Local)
			if err != nil {
				k.fail(ErrInvalidValue, "%v", err)
				continue
			}
			a.ExpireDateTime = t
		case "last_password_update":
			a.LastPasswordUpdate = k.unixTime()
		case "created":
			a.Created = k.unixTime()
		default:
			if groupOption(k.Name) {
				k.fail(ErrUnknownOption, "%s is a group option, not an account option", k.Name)
			} else {
				k.fail(ErrUnknownOption, "unknown account option")
			}
		}
	}
	if !nameSeen {
		p.fail(sec.Line, sec.Name, "name", ErrMissingOption, "missing: every account needs a name (its login name)")
	}
	if !nameOK {
		return // not reachable by login; other errors already reported
	}
	p.cfg.accounts = append(p.cfg.accounts, a)
	if _, dup := p.cfg.byName[a.Name]; !dup {
		p.cfg.byName[a.Name] = a
	}
}

func (p *parser) accountName(k key, a *Account) bool {
	switch {
	case utf8.RuneCountInString(k.Value) > MaxNameLen:
		k.fail(ErrInvalidValue, "an account name is at most %d characters", MaxNameLen)
		return false
	case vpath.ValidName(k.Value) != nil:
		k.fail(ErrInvalidValue, "%q is not a valid account name (empty, \".\", \"..\", /, \\ or control characters)", clip(k.Value))
		return false
	}
	a.Name = k.Value
	if prev, dup := p.nameLine[a.Name]; dup {
		k.fail(ErrDuplicateName, "%q is already the name of [%s] at %s:%d (%v)", a.Name, prev.section, p.file, prev.line, ErrDuplicateName)
		return false
	}
	p.nameLine[a.Name] = nameUse{line: k.Line, section: k.sec}
	return true
}

// groupList parses the account's group option (CFG-04): UUIDs separated by
// commas or newlines, trimmed, duplicates collapsed keeping the first.
func (k key) groupList() []string {
	var out []string
	seen := map[string]bool{}
	for i, line := range strings.Split(k.Value, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		reported := false
		for _, u := range strings.Split(line, ",") {
			u = strings.TrimSpace(u)
			switch {
			case u == "":
				if !reported {
					k.failAt(i, ErrInvalidValue, "empty group reference in %q", clip(strings.TrimSpace(line)))
					reported = true
				}
				continue
			case seen[u]:
				k.warnAt(i, fmt.Sprintf("group %q listed twice; the first position is kept", clip(u)))
				continue
			}
			seen[u] = true
			out = append(out, u)
			k.p.groupRefs = append(k.p.groupRefs, groupRef{uuid: u, line: k.LineOf(i), section: k.sec})
		}
	}
	return out
}

func (k key) keysContent() {
	if k.Value == "" {
		return
	}
	_, warns, err := keys.ParseAuthorizedKeys([]byte(k.Value))
	for _, w := range warns {
		k.warnAt(w.Line-1, w.Detail)
	}
	if err != nil {
		var pe *keys.ParseError
		if errors.As(err, &pe) {
			k.failAt(pe.Line-1, ErrInvalidValue, "%v", pe.Err)
		} else {
			k.fail(ErrInvalidValue, "%v", err)
		}
	}
}

func (k key) unixTime() time.Time {
	if k.Value == "" {
		return time.Time{}
	}
	f, err := strconv.ParseFloat(k.Value, 64)
	if err != nil || f < 0 || f > maxUnixSeconds || math.IsNaN(f) {
		k.fail(ErrInvalidValue, "%q is not a Unix timestamp", clip(k.Value))
		return time.Time{}
	}
	if f == 0 {
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

// ParseExpireDateTime parses an expire_datetime value (SPEC EN-05): an ISO
// 8601 date (midnight), a date and time, or a date and time with a zone
// (Z or ±hh:mm). Values without a zone are taken in loc (time.Local when
// nil). A year and month alone, or any other form, is an error.
func ParseExpireDateTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	layouts := [...]string{
		"2006-01-02",
		"2006-01-02T15:04",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04",
		"2006-01-02 15:04:05",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02 15:04Z07:00",
		"2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05-0700",
		"2006-01-02 15:04:05-0700",
	}
	s = strings.TrimSpace(s)
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date (2006-01-02), date-time (2006-01-02T15:04:05) or date-time with zone", clip(s))
}

func (p *parser) server(sec *ini.Section) {
	s := &p.cfg.Server
	for _, ik := range sec.Keys {
		k := key{p: p, sec: sec.Name, Key: ik}
		switch k.Name {
		case "listen":
			for i, line := range strings.Split(k.Value, "\n") {
				for _, addr := range strings.Split(line, ",") {
					addr = strings.TrimSpace(addr)
					if addr == "" {
						if strings.TrimSpace(line) != "" {
							k.failAt(i, ErrInvalidValue, "empty address in %q", clip(line))
						}
						continue
					}
					if err := checkListen(addr); err != nil {
						k.failAt(i, ErrInvalidValue, "%v", err)
						continue
					}
					s.Listen = append(s.Listen, addr)
				}
			}
		case "host_key":
			s.HostKeys = k.paths()
		case "trusted_user_ca_keys":
			s.TrustedUserCAKeys = k.paths()
		default:
			k.fail(ErrUnknownOption, "unknown server option (want listen, host_key or trusted_user_ca_keys)")
		}
	}
}

func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", clip(addr))
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port == "" || (n == 0 && port != "0") {
		return fmt.Errorf("%q: port must be a number from 0 to 65535", clip(addr))
	}
	return nil
}

// paths parses one path per line.
func (k key) paths() []string {
	var out []string
	for i, line := range strings.Split(k.Value, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case hasControl(line):
			k.failAt(i, ErrInvalidValue, "path contains a control character")
		default:
			out = append(out, line)
		}
	}
	return out
}

// crossCheck runs the checks that need the whole file: DEFAULT_GROUP
// (CFG-01) and group references (CFG-05).
func (p *parser) crossCheck() {
	if _, ok := p.cfg.groups[DefaultGroup]; !ok {
		p.fail(1, sectionGroups+DefaultGroup, "", ErrMissingDefaultGroup, "missing section: %v", ErrMissingDefaultGroup)
	}
	for _, r := range p.groupRefs {
		if _, ok := p.cfg.groups[r.uuid]; !ok {
			p.fail(r.line, r.section, "group", ErrUnknownGroup, "%v %q: no [groups/%s] section", ErrUnknownGroup, clip(r.uuid), clip(r.uuid))
		}
	}
}
