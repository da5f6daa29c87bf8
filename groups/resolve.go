package groups

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sftpkit/sftpkit/internal/vpath"
	"github.com/sftpkit/sftpkit/perms"
)

// Default values of the options, used when neither the account nor its
// primary group sets them (CFG-07).
const (
	DefaultOSUser  = "${DEFAULT_OS_USER}"
	DefaultOSGroup = "${DEFAULT_OS_GROUP}"
)

// IgnoredSourceIP is the reason recorded for a configured group that is not
// associated because of its source_ip_filter (SPEC IP-05, EVT-02).
const IgnoredSourceIP = "source-ip"

// ResolveOptions tune [Config.Resolve].
type ResolveOptions struct {
	// Now returns the current time, for expire_datetime (EN-05). Nil:
	// time.Now.
	Now func() time.Time
	// OSHome resolves ${OS_HOME} (HOME-10). Nil: a path that uses it
	// makes the login fail with reason config-invalid.
	OSHome OSHomeFunc
}

// GroupRef identifies a group in an [Effective] snapshot.
type GroupRef struct {
	UUID string
	Name string
}

// IgnoredGroup is a configured group that is not associated with the
// session, and why (IgnoredSourceIP).
type IgnoredGroup struct {
	GroupRef
	Reason string
}

// Notice is something the resolution noticed that the server should report
// as an event but that does not refuse the login.
type Notice struct {
	// Event is the SPEC EVT-07 event type, such as "vf.duplicate".
	Event string
	// Detail describes it.
	Detail string
	// Source is the account or group whose value was dropped.
	Source Source
}

// Effective is what one login of one account from one source address gets:
// every setting resolved from the account and its groups (SPEC 2(c)), each
// with its provenance. It is an immutable snapshot (CFG-12) — its accessors
// return copies — and safe for concurrent use.
type Effective struct {
	uuid, name string
	source     netip.Addr
	configured []GroupRef
	associated []GroupRef
	ignored    []IgnoredGroup

	home                  Valued[string]
	lockInHome            Valued[bool]
	createHome            Valued[bool]
	createHomeOwner       Valued[string]
	createHomeGroup       Valued[string]
	requiredCredentials   Valued[Credentials]
	authorizedKeysPath    Valued[string]
	authorizedKeysContent string
	password              string
	allowCertificate      Valued[bool]
	as2RequireHTTPAuth    Valued[bool]
	allowOwnPasswordChg   Valued[bool]
	passwordLifetime      Valued[int]
	disableOnInactivity   Valued[int]
	amendWriteName        Valued[AmendWriteName]
	sshDeleteDelay        Valued[time.Duration]
	atomicUploads         Valued[bool]
	quotaMaxBytes         Valued[int64]
	quotaMaxFiles         Valued[int64]
	permissionGlobal      Valued[perms.Set]
	permissionRules       []perms.SourcedRule
	virtualFolders        []Valued[VirtualFolder]
	homeFolderStructure   []Valued[string]
	expire                time.Time
	lastPasswordUpdate    time.Time
	created               time.Time
	notices               []Notice

	policyOnce sync.Once
	policy     *perms.Policy
	policyErr  error
}

// AccountUUID returns the account's UUID.
func (e *Effective) AccountUUID() string { return e.uuid }

// Name returns the account's login name.
func (e *Effective) Name() string { return e.name }

// SourceAddr returns the source address the snapshot was resolved for, as
// matched (IPv4-mapped addresses unmapped, IP-03).
func (e *Effective) SourceAddr() netip.Addr { return e.source }

// ConfiguredGroups returns the configured groups; the first is the primary
// group.
func (e *Effective) ConfiguredGroups() []GroupRef { return slices.Clone(e.configured) }

// Primary returns the configured primary group, which supplies the
// inherited scalar options whether or not it is associated (SPEC 1(d)).
func (e *Effective) Primary() GroupRef { return e.configured[0] }

// AssociatedGroups returns the groups associated for this source address,
// in configured order (SPEC §12).
func (e *Effective) AssociatedGroups() []GroupRef { return slices.Clone(e.associated) }

// IgnoredGroups returns the configured groups that are not associated.
func (e *Effective) IgnoredGroups() []IgnoredGroup { return slices.Clone(e.ignored) }

// Home returns the real path of the home folder (SPEC §4).
func (e *Effective) Home() Valued[string] { return e.home }

// LockInHomeFolder returns the configured lock_in_home_folder value. It is
// informative only: see Locked.
func (e *Effective) LockInHomeFolder() Valued[bool] { return e.lockInHome }

// Locked reports whether the session is confined to its home folder. It is
// always true: accounts of this package are application accounts, which
// are always locked whatever lock_in_home_folder says (HOME-12).
func (e *Effective) Locked() bool { return true }

// CreateHomeFolder reports whether a missing home folder is created after a
// successful authentication (HOME-14, HOME-15, GRP-07).
func (e *Effective) CreateHomeFolder() Valued[bool] { return e.createHome }

// CreateHomeFolderOwner returns the owner of a created home folder;
// DefaultOSUser means "do not change" (HOME-18).
func (e *Effective) CreateHomeFolderOwner() Valued[string] { return e.createHomeOwner }

// CreateHomeFolderGroup returns the OS group of a created home folder;
// DefaultOSGroup means "do not change" (HOME-18).
func (e *Effective) CreateHomeFolderGroup() Valued[string] { return e.createHomeGroup }

// RequiredCredentials returns the credentials the account must present.
func (e *Effective) RequiredCredentials() Valued[Credentials] { return e.requiredCredentials }

// AuthorizedKeysPath returns the real path of the authorized-keys file or
// folder, with placeholders substituted (KEY-02); an empty Value means no
// file-based keys.
func (e *Effective) AuthorizedKeysPath() Valued[string] { return e.authorizedKeysPath }

// AuthorizedKeysContent returns the account's inline authorized keys
// (ssh_authorized_keys_content), to be parsed with keys.ParseAuthorizedKeys.
func (e *Effective) AuthorizedKeysContent() string { return e.authorizedKeysContent }

// Password returns the account's password hash; empty: no password login.
func (e *Effective) Password() string { return e.password }

// AllowCertificateAuthentication reports whether certificate login is
// allowed (SPEC §11).
func (e *Effective) AllowCertificateAuthentication() Valued[bool] { return e.allowCertificate }

// AS2RequireHTTPAuthentication returns the primary group's
// as2_require_http_authentication (informative: no AS2 over SFTP).
func (e *Effective) AS2RequireHTTPAuthentication() Valued[bool] { return e.as2RequireHTTPAuth }

// AllowOwnPasswordChange returns the primary group's
// allow_own_password_change (SPEC 2(d)).
func (e *Effective) AllowOwnPasswordChange() Valued[bool] { return e.allowOwnPasswordChg }

// PasswordLifetime returns the password lifetime in days; 0: never expires.
func (e *Effective) PasswordLifetime() Valued[int] { return e.passwordLifetime }

// DisableOnInactivity returns the inactivity limit in days; 0: never
// (GRP-06, INACT-01).
func (e *Effective) DisableOnInactivity() Valued[int] { return e.disableOnInactivity }

// AmendWriteName returns how uploads are renamed (SPEC §13).
func (e *Effective) AmendWriteName() Valued[AmendWriteName] { return e.amendWriteName }

// SSHDeleteDelay returns the primary group's delete delay (GRP-05, DEL-01).
func (e *Effective) SSHDeleteDelay() Valued[time.Duration] { return e.sshDeleteDelay }

// AtomicUploads reports whether uploads are written under a hidden
// temporary name and published under their own name only on a clean close
// (atomic_uploads, an sftpkit extension; default No).
func (e *Effective) AtomicUploads() Valued[bool] { return e.atomicUploads }

// QuotaMaxBytes returns the limit on the total size of the account's
// files, in bytes; 0: unlimited (quota_max_bytes, an sftpkit extension).
func (e *Effective) QuotaMaxBytes() Valued[int64] { return e.quotaMaxBytes }

// QuotaMaxFiles returns the limit on the number of the account's files;
// 0: unlimited (quota_max_files, an sftpkit extension).
func (e *Effective) QuotaMaxFiles() Valued[int64] { return e.quotaMaxFiles }

// PermissionGlobal returns the global permission set: the account's, the
// primary group's when it is associated, or deny-full-control when it is
// not (GRP-08).
func (e *Effective) PermissionGlobal() Valued[perms.Set] { return e.permissionGlobal }

// PermissionRules returns the per-path permission rules in evaluation
// order, each with its source ("account alice", "group partners").
func (e *Effective) PermissionRules() []perms.SourcedRule { return slices.Clone(e.permissionRules) }

// VirtualFolders returns the virtual folders, ${USER} substituted on both
// sides, de-duplicated by virtual path (first wins, VF-13).
func (e *Effective) VirtualFolders() []Valued[VirtualFolder] { return slices.Clone(e.virtualFolders) }

// HomeFolderStructure returns the folders to create in the home, in
// canonical virtual form, in order, de-duplicated (SPEC §5, HFS-07).
func (e *Effective) HomeFolderStructure() []Valued[string] {
	return slices.Clone(e.homeFolderStructure)
}

// ExpireDateTime returns when the account expires; zero: never.
func (e *Effective) ExpireDateTime() time.Time { return e.expire }

// LastPasswordUpdate returns when the password was last set; zero: unknown.
func (e *Effective) LastPasswordUpdate() time.Time { return e.lastPasswordUpdate }

// Created returns when the account was created; zero: unknown.
func (e *Effective) Created() time.Time { return e.created }

// Notices returns what the resolution dropped without refusing the login
// (duplicate virtual folders), for events.
func (e *Effective) Notices() []Notice { return slices.Clone(e.notices) }

// Policy compiles the effective permissions for the account name
// (substituting ${USER} in the rules). The policy is compiled once and
// shared by every call.
func (e *Effective) Policy() (*perms.Policy, error) {
	e.policyOnce.Do(func() {
		e.policy, e.policyErr = perms.Compile(e.name, e.permissionGlobal.Value,
			perms.Source(e.permissionGlobal.Source.String()), slices.Clone(e.permissionRules))
	})
	return e.policy, e.policyErr
}

// Resolve resolves what the account named accountName gets when it logs in
// from source, following SPEC 2(c):
//
//   - refusals, in this order: unknown account (including names longer than
//     MaxNameLen), account disabled, any configured group disabled
//     (EN-01…EN-03), account expired (EN-05), account source_ip_filter
//     (IP-04), no associated group (IP-05, IP-06), then values that cannot
//     be resolved (CFG-09, HOME-05, HOME-10) — each a *[Rejection];
//   - scalar options: the account's explicit value, else the configured
//     primary group's, else the option's default (CFG-07, CFG-08);
//   - permissions, virtual folders: the account's explicit value replaces
//     the groups' (GRP-03, GRP-04); otherwise the per-path rules and the
//     virtual folders of the associated groups are concatenated in order,
//     and the global permission line comes from the primary group when it
//     is associated, else is deny-full-control (GRP-01, GRP-08);
//   - home_folder_structure: the union over the associated groups.
//
// Credentials are not checked here. The returned snapshot does not change
// when the Config is replaced (CFG-12).
func (c *Config) Resolve(ctx context.Context, accountName string, source netip.Addr, opt ResolveOptions) (*Effective, error) {
	src := NormalizeSource(source)
	reject := func(reason string) *Rejection {
		r := &Rejection{Reason: reason, Account: accountName}
		if reason == ReasonIPDeniedAccount || reason == ReasonNoGroupAssociated {
			r.Source = src.String()
		}
		return r
	}
	a := c.Account(accountName)
	if a == nil {
		return nil, reject(ReasonUnknownUser)
	}
	uuids := a.ConfiguredGroups()
	groups := make([]*Group, len(uuids))
	for i, u := range uuids {
		if groups[i] = c.groups[u]; groups[i] == nil {
			r := reject(ReasonConfigInvalid)
			r.Option, r.Group, r.Err = "group", u, ErrUnknownGroup
			return nil, r
		}
	}
	if !a.Enabled {
		return nil, reject(ReasonAccountDisabled)
	}
	for _, g := range groups {
		if !g.Enabled {
			r := reject(ReasonGroupDisabled)
			r.Group = g.UUID
			return nil, r
		}
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	if !a.ExpireDateTime.IsZero() && !now().Before(a.ExpireDateTime) {
		return nil, reject(ReasonAccountExpired)
	}
	if !a.SourceIPFilter.AllowsAccount(src) {
		return nil, reject(ReasonIPDeniedAccount)
	}

	e := &Effective{
		uuid: a.UUID, name: a.Name, source: src,
		authorizedKeysContent: a.SSHAuthorizedKeysContent,
		password:              a.Password,
		expire:                a.ExpireDateTime,
		lastPasswordUpdate:    a.LastPasswordUpdate,
		created:               a.Created,
	}
	var assoc []*Group
	for _, g := range groups {
		ref := GroupRef{UUID: g.UUID, Name: g.Name}
		e.configured = append(e.configured, ref)
		if g.SourceIPFilter.Associates(src) {
			assoc = append(assoc, g)
			e.associated = append(e.associated, ref)
		} else {
			e.ignored = append(e.ignored, IgnoredGroup{GroupRef: ref, Reason: IgnoredSourceIP})
		}
	}
	if len(assoc) == 0 {
		return nil, reject(ReasonNoGroupAssociated)
	}

	p := groups[0]
	acct := Source{Kind: SourceAccount, UUID: a.UUID, Name: a.Name}
	prim := Source{Kind: SourceGroup, UUID: p.UUID, Name: p.Name}
	def := Source{Kind: SourceDefault, UUID: p.UUID, Name: p.Name}
	e.lockInHome = scalar(a.LockInHomeFolder, p.LockInHomeFolder, true, acct, prim, def)
	e.createHome = scalar(a.CreateHomeFolder, p.CreateHomeFolder, false, acct, prim, def)
	e.createHomeOwner = scalar(a.CreateHomeFolderOwner, p.CreateHomeFolderOwner, DefaultOSUser, acct, prim, def)
	e.createHomeGroup = scalar(a.CreateHomeFolderGroup, p.CreateHomeFolderGroup, DefaultOSGroup, acct, prim, def)
	e.requiredCredentials = scalar(a.RequiredCredentials, p.RequiredCredentials, CredentialsAny, acct, prim, def)
	e.allowCertificate = scalar(a.AllowCertificateAuthentication, p.AllowCertificateAuthentication, true, acct, prim, def)
	e.passwordLifetime = scalar(a.PasswordLifetime, p.PasswordLifetime, 0, acct, prim, def)
	e.disableOnInactivity = scalar(a.DisableOnInactivity, p.DisableOnInactivity, 0, acct, prim, def)
	e.amendWriteName = scalar(a.AmendWriteName, p.AmendWriteName, AmendNone, acct, prim, def)
	e.atomicUploads = scalar(a.AtomicUploads, p.AtomicUploads, false, acct, prim, def)
	e.quotaMaxBytes = scalar(a.QuotaMaxBytes, p.QuotaMaxBytes, 0, acct, prim, def)
	e.quotaMaxFiles = scalar(a.QuotaMaxFiles, p.QuotaMaxFiles, 0, acct, prim, def)
	e.as2RequireHTTPAuth = scalar(Opt[bool]{}, p.AS2RequireHTTPAuthentication, true, acct, prim, def)
	e.allowOwnPasswordChg = scalar(Opt[bool]{}, p.AllowOwnPasswordChange, false, acct, prim, def)
	e.sshDeleteDelay = scalar(Opt[time.Duration]{}, p.SSHDeleteDelay, 0, acct, prim, def)

	// Paths (SPEC §4, KEY-02).
	var err error
	if e.home, err = resolvePath(ctx, a, p, "home_folder_path", a.HomeFolderPath, p.HomeFolderPath, true, opt, acct, prim, def); err != nil {
		return nil, err
	}
	if e.authorizedKeysPath, err = resolvePath(ctx, a, p, "ssh_authorized_keys_path", a.SSHAuthorizedKeysPath, p.SSHAuthorizedKeysPath, false, opt, acct, prim, def); err != nil {
		return nil, err
	}

	e.resolvePermissions(a, p, assoc, acct)
	if err := e.resolveVirtualFolders(a, assoc, acct); err != nil {
		return nil, configInvalid(accountName, "virtual_folders", "", err)
	}
	seen := map[string]bool{}
	for _, g := range assoc {
		for _, d := range g.HomeFolderStructure {
			if !seen[d] {
				seen[d] = true
				e.homeFolderStructure = append(e.homeFolderStructure, Valued[string]{Value: d, Source: groupSource(g)})
			}
		}
	}
	return e, nil
}

func configInvalid(account, option, group string, err error) *Rejection {
	return &Rejection{Reason: ReasonConfigInvalid, Account: account, Option: option, Group: group, Err: err}
}

func groupSource(g *Group) Source { return Source{Kind: SourceGroup, UUID: g.UUID, Name: g.Name} }

// scalar resolves an inheritable scalar option (CFG-07).
func scalar[T any](acctVal, groupVal Opt[T], dflt T, acct, prim, def Source) Valued[T] {
	if v, ok := acctVal.Get(); ok {
		return Valued[T]{Value: v, Source: acct}
	}
	if v, ok := groupVal.Get(); ok {
		return Valued[T]{Value: v, Source: prim}
	}
	return Valued[T]{Value: dflt, Source: def}
}

// resolvePath resolves a path option (home_folder_path,
// ssh_authorized_keys_path). An unset value resolves to "" from the
// default, except when required: then the account cannot log in (CFG-09).
// The error is a *Rejection.
func resolvePath(ctx context.Context, a *Account, p *Group, option string, acctVal, groupVal Opt[string], required bool,
	opt ResolveOptions, acct, prim, def Source) (Valued[string], error) {
	v, ok := acctVal.Get()
	if ok && (v != "" || !required) {
		if v == "" {
			return Valued[string]{Source: acct}, nil
		}
		s, err := ExpandAccountPath(ctx, v, a.Name, opt.OSHome)
		if err != nil {
			return Valued[string]{}, configInvalid(a.Name, option, "", err)
		}
		return Valued[string]{Value: s, Source: acct}, nil
	}
	v, ok = groupVal.Get()
	if ok && (v != "" || !required) {
		if v == "" {
			return Valued[string]{Source: prim}, nil
		}
		s, err := ExpandGroupPath(ctx, v, a.Name, opt.OSHome)
		if err != nil {
			return Valued[string]{}, configInvalid(a.Name, option, p.UUID, err)
		}
		return Valued[string]{Value: s, Source: prim}, nil
	}
	if required {
		return Valued[string]{}, configInvalid(a.Name, option, p.UUID,
			fmt.Errorf("%s: primary group %q (%s) has no value: %w", option, p.Name, p.UUID, ErrNotInheritable))
	}
	return Valued[string]{Source: def}, nil
}

func (e *Effective) resolvePermissions(a *Account, p *Group, assoc []*Group, acct Source) {
	sourced := func(rules []perms.Rule, s Source) {
		for _, r := range rules {
			e.permissionRules = append(e.permissionRules, perms.SourcedRule{Rule: r, Source: perms.Source(s.String())})
		}
	}
	if v, ok := a.Permissions.Get(); ok {
		e.permissionGlobal = Valued[perms.Set]{Value: v.Global, Source: acct}
		sourced(v.Rules, acct)
		return
	}
	switch v, ok := p.Permissions.Get(); {
	case !slices.Contains(assoc, p):
		e.permissionGlobal = Valued[perms.Set]{Value: perms.DenyFullControl(),
			Source: Source{Kind: SourceFailClosed, UUID: p.UUID, Name: p.Name}}
	case ok:
		e.permissionGlobal = Valued[perms.Set]{Value: v.Global, Source: groupSource(p)}
	default:
		e.permissionGlobal = Valued[perms.Set]{Value: perms.FullControl(),
			Source: Source{Kind: SourceDefault, UUID: p.UUID, Name: p.Name}}
	}
	for _, g := range assoc {
		if v, ok := g.Permissions.Get(); ok {
			sourced(v.Rules, groupSource(g))
		}
	}
}

func (e *Effective) resolveVirtualFolders(a *Account, assoc []*Group, acct Source) error {
	type list struct {
		vfs []VirtualFolder
		src Source
	}
	var lists []list
	if v, ok := a.VirtualFolders.Get(); ok {
		lists = []list{{v, acct}}
	} else {
		for _, g := range assoc {
			if v, ok := g.VirtualFolders.Get(); ok {
				lists = append(lists, list{v, groupSource(g)})
			}
		}
	}
	index := map[string]int{}
	for _, l := range lists {
		for _, vf := range l.vfs {
			x, err := expandVirtualFolder(vf, a.Name)
			if err != nil {
				return err
			}
			if i, dup := index[x.VirtualPath]; dup {
				if first := e.virtualFolders[i]; first.Value.RealPath != x.RealPath {
					e.notices = append(e.notices, Notice{
						Event:  "vf.duplicate",
						Detail: fmt.Sprintf("virtual folder %s → %s ignored: %s already maps it to %s", x.VirtualPath, x.RealPath, first.Source, first.Value.RealPath),
						Source: l.src,
					})
				}
				continue
			}
			index[x.VirtualPath] = len(e.virtualFolders)
			e.virtualFolders = append(e.virtualFolders, Valued[VirtualFolder]{Value: x, Source: l.src})
		}
	}
	return nil
}

// expandVirtualFolder substitutes ${USER} in both sides (VF-02).
func expandVirtualFolder(vf VirtualFolder, user string) (VirtualFolder, error) {
	if !strings.Contains(vf.VirtualPath, PlaceholderUser) && !strings.Contains(vf.RealPath, PlaceholderUser) {
		return vf, nil
	}
	vu, err := virtualUser(user)
	if err != nil {
		return vf, err
	}
	ru, err := EscapeUser(user)
	if err != nil {
		return vf, err
	}
	v, err := vpath.Canonical(strings.ReplaceAll(vf.VirtualPath, PlaceholderUser, vu))
	if err != nil {
		return vf, fmt.Errorf("virtual path %q for %q: %w", vf.VirtualPath, user, err)
	}
	return VirtualFolder{VirtualPath: v, RealPath: strings.ReplaceAll(vf.RealPath, PlaceholderUser, ru),
		PerUser: strings.Contains(vf.RealPath, PlaceholderUser)}, nil
}
