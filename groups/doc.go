// Package groups holds sftpkit's accounts and groups in the manner of
// SFTPPlus: DEFAULT_GROUP, Inherit resolution with provenance, source-IP
// association, path templates, and the text configuration that drives them
// (specification: SPEC §1–§4 and §12; IDs such as CFG-07 refer to it).
//
// # Model
//
// A [Group] supplies values to the accounts that list it; an [Account] is a
// login. The options both carry are in [Options]; each is an [Opt]: unset,
// or explicitly set with [Explicit]. On an account, unset means Inherit —
// leaving an option out and writing Inherit (or inherit, INHERIT,
// Inherited) are the same thing, for every inheritable option (SPEC 1(d),
// decision A9; SFTPPlus's own literal account defaults can be written
// explicitly). On a group, unset means the option's group-level default:
//
//	option                            default
//	enabled                           Yes (forced, see below)
//	home_folder_path                  none: an inheriting account cannot log in (CFG-09)
//	lock_in_home_folder               Yes (informative: accounts are always locked, HOME-12)
//	create_home_folder                No
//	create_home_folder_owner/_group   ${DEFAULT_OS_USER} / ${DEFAULT_OS_GROUP}
//	required_credentials              any
//	ssh_authorized_keys_path          empty: no file-based keys
//	allow_certificate_authentication  Yes
//	as2_require_http_authentication   Yes (parsed and exposed only)
//	allow_own_password_change         No (group only)
//	password_lifetime                 0 days: never
//	disable_on_inactivity             0 days: never
//	permissions                       allow-full-control (PERM-P06)
//	amend_write_name                  empty: names unchanged
//	ssh_delete_delay                  0 seconds (group only)
//	virtual_folders                   none
//	home_folder_structure             none (group only)
//	atomic_uploads                    No (sftpkit extension)
//	quota_max_bytes                   0: unlimited (sftpkit extension)
//	quota_max_files                   0: unlimited (sftpkit extension)
//
// Group-only options are rejected in account sections and account-only
// options (group, password, ssh_authorized_keys_content, expire_datetime,
// last_password_update, created) in group sections, each with a message
// saying so.
//
// # Resolution
//
// [Config.Resolve] turns an account, its configured groups and the source
// address of a connection into an immutable [Effective] snapshot. The
// configured groups are the account's group list, or [DEFAULT_GROUP] when
// it has none (CFG-03); the first is the primary group. The associated
// groups are the configured groups whose source_ip_filter lets the source
// in (IP-05), in order. With configured groups [P, S1, S2]:
//
//	option                               source when the account leaves it unset
//	enabled                              account AND every configured group (EN-01…03)
//	scalars (home_folder_path,           the configured primary group P, associated or
//	  create_home_folder(+owner/group),    not (SPEC 1(d)); P unset → the default above
//	  lock_in_home_folder, required_       (CFG-07)
//	  credentials, ssh_authorized_keys_
//	  path, allow_certificate_auth…,
//	  amend_write_name, password_lifetime,
//	  disable_on_inactivity, ssh_delete_
//	  delay, allow_own_password_change,
//	  atomic_uploads, quota_max_bytes,
//	  quota_max_files)
//	permissions — global line            P's if P is associated, else deny-full-control (GRP-08)
//	permissions — per-path rules         the rules of each associated group, concatenated in order
//	virtual_folders                      each associated group's, concatenated, de-duplicated by
//	                                     virtual path, the first winning (VF-13)
//	home_folder_structure                union over the associated groups, in order (HFS-07)
//	source_ip_filter                     the account's gates the login (IP-04); each group's
//	                                     gates that group's association (IP-05)
//
// An explicit account value always wins (CFG-08); for permissions and
// virtual_folders it replaces the values of all groups, global line
// included (GRP-03, GRP-04; an explicit empty virtual_folders means none).
//
// Every effective value is a [Valued] recording its [Source]: the account,
// the group it came from, a default, or fail-closed (GRP-08). Permission
// rules carry their source as a perms.Source ("group partners", "account
// alice"), so perms' explanations name the group that contributed the
// deciding rule; [Effective.Policy] compiles them for the account.
//
// A login that may not proceed gets a *[Rejection] whose Reason is an SPEC
// EVT-02 reason: unknown-user, account-disabled, group-disabled,
// account-expired, ip-denied-account, no-group-associated or
// config-invalid (an inherited home_folder_path the primary group does not
// define, CFG-09; ${OS_HOME} without a resolver, HOME-10; a user name that
// cannot be a path component, HOME-05). Rejections carry names, options and
// addresses, never a password, hash or key. Resolve does not verify
// credentials; the auth package does, after Resolve (AUTH-01: source
// checks before any hashing work).
//
// # sftpkit extensions
//
// Three options go beyond the SFTPPlus reference. They are accepted in
// group and account sections and resolve like the other scalars: an
// explicit account value wins, an unset (or Inherit) account value comes
// from the configured primary group — associated or not; a secondary
// group's value is never used — and an unset group value is the default.
//
//   - atomic_uploads (Yes/No, default No; [Effective.AtomicUploads]):
//     uploads are written under a hidden temporary name and published
//     under their own name only when the file is closed cleanly.
//   - quota_max_bytes (default 0: unlimited; [Effective.QuotaMaxBytes]):
//     the most bytes the account's files may hold in total. The value is a
//     non-negative whole number of bytes with an optional suffix K, M, G or
//     T (case-insensitive) for KiB, MiB, GiB or TiB: 512K, 10M, 2G, 1T. It
//     must fit in an int64.
//   - quota_max_files (default 0: unlimited; [Effective.QuotaMaxFiles]):
//     the most files (directory entries that are not directories) the
//     account may hold; a non-negative whole number, no suffix.
//
// An explicit account value of 0 lifts its primary group's limit. A
// negative value, a value that is not a number, an unknown suffix (such as
// KB or X) or a value too large for an int64 is an [ErrInvalidValue]
// error naming file, line and option. The server enforces the limits; this
// package only resolves them.
//
// # Path templates
//
// home_folder_path and ssh_authorized_keys_path (SPEC §4, KEY-02) accept
// three case-sensitive placeholders:
//
//   - ${USER}: the account name, with each of \ / : * ? " < > | replaced by
//     '.' ([EscapeUser], HOME-04). A name that is empty, ".", ".." or holds
//     a control character is refused (HOME-05). In a group value that has
//     no ${USER}, "/${USER}" is appended (HOME-01, HOME-02).
//   - ${SHARED}: only as a prefix; it is removed and stops the append, so
//     every account gets the same path (HOME-03). Anywhere else it is a
//     configuration error.
//   - ${OS_HOME}: only as a prefix; replaced by what the [OSHomeFunc] of
//     [ResolveOptions] returns. Without a resolver the login fails
//     (HOME-10). It also stops the append, since the OS home is already
//     per-user.
//
// Account values are used as written (HOME-07): nothing is appended, only
// the placeholders are substituted. Other ${…} tokens, such as ${user},
// are kept literally and reported as warnings (HOME-06). Paths must be
// absolute: Unix, Windows drive (C:\) or UNC (\\server\share) (HOME-08).
//
// # Source-IP rules
//
// A source_ip_filter value is one rule per line, "allow ADDRESS" or "deny
// ADDRESS", ADDRESS an IPv4 or IPv6 address or CIDR ([ParseIPRules],
// IP-01). The first rule containing the source decides; for an account, no
// match denies and an empty list allows; for a group, no match means "not
// associated". IPv4-mapped IPv6 sources (::ffff:10.0.0.1, from dual-stack
// listeners) are matched as IPv4 (IP-03); mapped prefixes in rules are
// stored as IPv4 too. A CIDR with host bits set is masked and reported as
// a warning (A35). Account filters do not accept Inherit (SFTPPlus 4.22).
//
// # Text configuration
//
// [Parse] and [LoadFile] read the SFTPPlus INI dialect (that of Python's
// configparser): [groups/UUID], [accounts/UUID] and [server] sections;
// "option = value"; indented lines continue a multi-line value; '#' and ';'
// start comment lines. Booleans are Yes/No/True/False (also On/Off/1/0),
// case-insensitive (CFG-10). For example:
//
//	[server]
//	listen = 0.0.0.0:2222, [::]:2222
//	host_key = /etc/sftpkit/host_ed25519
//
//	[groups/DEFAULT_GROUP]
//	name = DEFAULT_GROUP
//	home_folder_path = /srv/sftp
//
//	[groups/g-partners]
//	name = partners
//	home_folder_path = /srv/partners
//	permissions =
//	    allow-list, allow-read
//	    /push/*, allow-list, allow-write
//	virtual_folders =
//	    /team, /srv/shared/team
//
//	[accounts/a-alice]
//	name = alice
//	group = g-partners
//	password = $argon2id$…
//
// Validation reports every problem, not only the first, each as
// "file:line: [section] option: message" wrapping a sentinel: a missing
// DEFAULT_GROUP ([ErrMissingDefaultGroup], CFG-01, reported at line 1), a
// renamed one ([ErrDefaultGroupRenamed], CFG-02), an unknown group
// reference ([ErrUnknownGroup], CFG-05), a duplicate section
// ([ErrDuplicateUUID]) or account name ([ErrDuplicateName], CFG-06), an
// account name longer than 150 characters or not a valid path element
// (CFG-11), unknown sections and options, and invalid values: paths
// (HOME-03, HOME-08), home_folder_structure entries (HFS-06), IP rules
// (IP-01), permission tokens and expressions (perms.Parse, positioned at
// the file line of the offending value line), virtual folders (VF-01),
// expire_datetime (EN-05), inline keys (keys.ParseAuthorizedKeys), quota
// values (see sftpkit extensions).
// Warnings (host-bit CIDRs, ${user}-like tokens, lock_in_home_folder = No,
// a password that does not look like a hash) are collected in
// Config.Warnings.
//
// Decisions where the specification leaves a choice:
//
//   - A blank value is the same as leaving the option out, except for
//     virtual_folders, amend_write_name, ssh_authorized_keys_path and
//     required_credentials, whose empty value means something (no folders,
//     no renaming, no key file, any credential): on an account, writing
//     them empty sets that value instead of inheriting. A blank account
//     permissions value inherits.
//   - Account names must pass internal/vpath.ValidName (no '/', '\',
//     control characters, ".", ".."), so the nine-character escaping
//     matters for names given to [EscapeUser] and the Expand functions
//     directly.
//   - expire_datetime without a zone is read in the local time zone of
//     the process; a date alone means midnight.
//   - Virtual folders mapping one virtual path twice in one value are an
//     error (the same mapping twice is a warning); across groups the first
//     wins and [Effective.Notices] reports a vf.duplicate event.
//   - Day counts (password_lifetime, disable_on_inactivity) are limited to
//     36500 and ssh_delete_delay to 86400 seconds, so that conversions to
//     durations cannot overflow.
//   - ${OS_HOME} cannot be checked against a resolver when parsing (Parse
//     takes none): it is accepted with a warning, and Resolve without
//     ResolveOptions.OSHome refuses the login (config-invalid).
//   - [server] also accepts trusted_user_ca_keys (for certificate login,
//     SPEC §11) besides listen and host_key.
//
// A Config, the Groups and Accounts it hands out, and every Effective are
// immutable and safe for concurrent use; a new configuration is a new
// Config, and sessions keep the snapshot they logged in with (CFG-12).
package groups
