package directory

import (
	"time"
)

// Tenant is an organisation ("account" in Quatrix) with its users, contacts
// and project folders (SPEC §18).
type Tenant struct {
	ID   string
	Name string
	// Module is the SFTP module (QLIC-01, QLIC-02).
	Module SFTPModule
	// UserLicences and SFTPLicences are the capacities bought; the
	// counts in use are kept by the store (Licences).
	UserLicences int
	SFTPLicences int
	// DedicatedEndpoint, when not empty, is the listener address
	// ("192.0.2.10:22") reserved for this tenant: the only one on which
	// its users' custom logins are accepted (QLOGIN-04, QLOGIN-06).
	DedicatedEndpoint string
	Created           time.Time
}

// SFTPModule is a tenant's SFTP module: on when Enabled and, for a trial,
// before TrialEndsAt.
type SFTPModule struct {
	Enabled bool
	// TrialEndsAt is the end of the trial; zero for a bought module. At
	// that instant exactly the module is off (QLIC-02).
	TrialEndsAt time.Time
}

// Active reports whether the module is on at now.
func (m SFTPModule) Active(now time.Time) bool {
	return m.Enabled && (m.TrialEndsAt.IsZero() || now.Before(m.TrialEndsAt))
}

// DefaultTrial is the length of an SFTP module trial (QLIC-02).
const DefaultTrial = 14 * 24 * time.Hour

// Licences is the use of one kind of licence.
type Licences struct {
	Capacity int
	Used     int
}

// Class is a user's group (SPEC §22): one of the predefined classes or the
// name of a custom group.
type Class string

// The predefined classes.
const (
	ClassPro       Class = "pro"
	ClassAssociate Class = "associate"
	ClassJailed    Class = "jailed"
)

// Kind tells users (who log in and hold a licence) from contacts (who
// never log in).
type Kind string

// Kinds.
const (
	KindUser            Kind = "user"
	KindPersonalContact Kind = "personal-contact" // visible to its creator
	KindSiteContact     Kind = "site-contact"     // created by owner/admin
)

// Status is a user's account status; inactive users cannot log in.
type Status string

// Statuses.
const (
	StatusActive   Status = "active"
	StatusInactive Status = "inactive"
)

// User is a user or a contact of a tenant.
type User struct {
	ID     string
	Tenant string
	Kind   Kind
	// Email identifies the person in the tenant (compared
	// case-insensitively); it is the web login, never the SFTP one
	// (QLOGIN-02).
	Email string
	Name  string
	Class Class
	// Owner marks the one owner of the tenant (QROLE-01); Admin the
	// administrators; Billing the billing right.
	Owner, Admin, Billing bool
	Status                Status
	// SFTP is set when SFTP is enabled for the user; it holds an SFTP
	// licence (QLIC-04, QLIC-05).
	SFTP bool
	// LockSFTPHome confines SFTP sessions to "Projects Shared With Me"
	// (QLOCK-01); so does ClassJailed.
	LockSFTPHome bool
	// LoginID is the generated SFTP login ("q" + 7 digits), assigned when
	// SFTP is first enabled and kept for the person for ever (QLOGIN-01,
	// QLOGIN-03); empty before.
	LoginID string
	// CustomLogin is the optional tenant-local login (QLOGIN-04…09).
	CustomLogin string
	// PasswordHash is the account password's hash, in a format of package
	// auth; it never leaves the directory through its API.
	PasswordHash string
	// CreatedBy is the user who created a personal contact.
	CreatedBy string
	Created   time.Time
	Modified  time.Time
}

// IsContact reports whether u is a contact.
func (u User) IsContact() bool { return u.Kind != KindUser }

// SharedProjectsRoot reports whether u's SFTP root is the "Projects Shared
// With Me" view (SPEC 21(d): LockSFTPHome || class Jailed).
func (u User) SharedProjectsRoot() bool { return u.LockSFTPHome || u.Class == ClassJailed }

// CanUseBilling reports whether u may use the billing interface: the
// owner, and users the owner granted billing to, except Jailed users and
// contacts (§22(c)).
func (u User) CanUseBilling() bool {
	return u.Kind == KindUser && u.Class != ClassJailed && (u.Owner || u.Billing)
}

// Tombstone remembers the login ID of a deleted user, by tenant and
// normalised email, so that the same person gets the same ID back
// (QLOGIN-03) and no one else ever gets it (QLOGIN-01).
type Tombstone struct {
	Tenant  string
	Email   string // normalised (lower case)
	LoginID string
}

// Preset is the access a project member has (Appendix A).
type Preset string

// Presets.
const (
	PresetNone      Preset = "none"
	PresetList      Preset = "list"
	PresetListRead  Preset = "list_read"
	PresetReadWrite Preset = "read_write"
	PresetFull      Preset = "full"
)

// Valid reports whether p is one of the presets.
func (p Preset) Valid() bool {
	switch p {
	case PresetNone, PresetList, PresetListRead, PresetReadWrite, PresetFull:
		return true
	}
	return false
}

// Project is a project folder of a tenant.
type Project struct {
	ID     string
	Tenant string
	Name   string
	// Storage names where the project's files live, for the
	// FileSystem that serves it (a directory name under a data root by
	// default); set by the directory at creation.
	Storage string
	Created time.Time
}

// Member is a user's access to a project.
type Member struct {
	Project string
	User    string
	Preset  Preset
}
