package directory

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/sftpkit/sftpkit/keys"
)

// Errors of the directory's operations (SPEC §18–§22). Every refused call
// returns one of these (possibly wrapped with detail) and changes nothing.
// Test with errors.Is.
var (
	// ErrForbidden: the acting user may not do this (§22(c)).
	ErrForbidden = fmt.Errorf("directory: forbidden (%w)", fs.ErrPermission)
	// ErrNotFound: no such tenant, user, contact, project or key.
	ErrNotFound = fmt.Errorf("directory: not found (%w)", fs.ErrNotExist)
	// ErrInvalid: a malformed argument (an empty name, a bad email, an
	// unknown class or preset, …).
	ErrInvalid = errors.New("directory: invalid argument")

	// ErrSFTPModuleDisabled: the tenant's SFTP module is off or its trial
	// is over (QLIC-01).
	ErrSFTPModuleDisabled = errors.New("directory: the SFTP module is not enabled for this tenant")
	// ErrNoSFTPLicence: every SFTP licence is in use (QLIC-03).
	ErrNoSFTPLicence = errors.New("directory: no SFTP licence available")
	// ErrNoUserLicence: every user licence is in use (QLIC-08, QROLE-05).
	ErrNoUserLicence = errors.New("directory: no user licence available")
	// ErrCapacityBelowUsage: a licence capacity lower than the licences
	// in use (QLIC-06).
	ErrCapacityBelowUsage = errors.New("directory: capacity below the licences in use")
	// ErrContactsCannotUseSFTP: contacts never have SFTP (QLIC-07, QROLE-06).
	ErrContactsCannotUseSFTP = errors.New("directory: contacts cannot use SFTP")

	// ErrLoginTaken: a custom login equal to another user's custom login
	// or to a generated login ID of the tenant (QLOGIN-05).
	ErrLoginTaken = errors.New("directory: login already taken")
	// ErrCustomLoginUnavailable: the tenant has no dedicated endpoint
	// (QLOGIN-04).
	ErrCustomLoginUnavailable = errors.New("directory: custom logins need a dedicated endpoint")
	// ErrInvalidLogin: a custom login that breaks QLOGIN-08.
	ErrInvalidLogin = errors.New("directory: invalid custom login")
	// ErrLoginIDsExhausted: the login ID generator keeps returning IDs in
	// use.
	ErrLoginIDsExhausted = errors.New("directory: no free login ID")

	// ErrEmailInUse: another user or contact of the tenant has this email
	// (QROLE-02).
	ErrEmailInUse = errors.New("directory: email already in use in this tenant")
	// ErrAdminRequiresPro: the admin flag on a user who is not Pro
	// (QROLE-03).
	ErrAdminRequiresPro = errors.New("directory: only Pro users can be administrators")
	// ErrBillingNotAllowed: billing for a Jailed user or a contact
	// (QROLE-04).
	ErrBillingNotAllowed = errors.New("directory: billing cannot be granted to this user")
	// ErrOwnerImmutable: demoting, deactivating, deleting or changing the
	// class of the owner (QROLE-01).
	ErrOwnerImmutable = errors.New("directory: the owner can only be changed by transferring ownership")
	// ErrProjectExists: a project of that name already exists in the tenant.
	ErrProjectExists = errors.New("directory: project already exists")
)

// The key errors of SPEC §20 are package keys' own; they are repeated
// here so that callers of the directory find every sentinel in one place.
var (
	ErrKeyImmutable      = keys.ErrKeyImmutable      // QKEY-03: key material never changes
	ErrKeyExists         = keys.ErrKeyExists         // QKEY-02
	ErrInvalidKey        = keys.ErrInvalidKey        // QKEY-01
	ErrKeyTypeNotAllowed = keys.ErrKeyTypeNotAllowed // QKEY-01
	ErrInvalidTitle      = keys.ErrInvalidTitle      // QKEY-01
	ErrExpiryInPast      = keys.ErrExpiryInPast      // QKEY-01
	ErrKeyNotFound       = keys.ErrKeyNotFound       // QKEY-04
)
