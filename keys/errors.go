package keys

import (
	"errors"
	"fmt"
	"io/fs"
)

// Sentinel errors. Errors returned by this package wrap one of them (with
// more detail), so test them with errors.Is.
var (
	// ErrKeyNotFound: no key with that id (or that public key) for that
	// owner. It wraps fs.ErrNotExist. A key of another owner is reported
	// as not found, never as forbidden, so ids do not leak across owners.
	ErrKeyNotFound = fmt.Errorf("keys: key not found (%w)", fs.ErrNotExist)

	// ErrKeyExists: the owner already has a key with the same material
	// (QKEY-02).
	ErrKeyExists = errors.New("keys: the owner already has this key")

	// ErrKeyImmutable: an update tried to change the key material
	// (QKEY-03). Replacing a key is delete + add.
	ErrKeyImmutable = errors.New("keys: key material cannot be changed")

	// ErrKeyExpired: the key (store key or authorized_keys line with
	// expiry-time=) is past its expiry time. A key is expired from the
	// instant of its expiry on (QKEY-05).
	ErrKeyExpired = errors.New("keys: key expired")

	// ErrKeyDisabled: the store key has status disabled (QKEY-05).
	ErrKeyDisabled = errors.New("keys: key disabled")

	// ErrSourceNotAllowed: the client address is not allowed by the key's
	// from= option, its source CIDRs or a certificate's source-address
	// critical option.
	ErrSourceNotAllowed = errors.New("keys: source address not allowed for this key")

	// ErrInvalidKey: the key text is not exactly one public key, or holds
	// private-key material, or options (QKEY-01).
	ErrInvalidKey = errors.New("keys: invalid public key")

	// ErrKeyTypeNotAllowed: a well-formed key of a refused kind: DSA, RSA
	// shorter than MinRSABits, a certificate where a plain key is
	// expected, or an unknown type (QKEY-01, KEY-09, CERT-03).
	ErrKeyTypeNotAllowed = errors.New("keys: key type not allowed")

	// ErrInvalidTitle: the title is empty after trimming, longer than
	// MaxTitleLength characters, not UTF-8 or holds control characters
	// (QKEY-01).
	ErrInvalidTitle = errors.New("keys: invalid key title")

	// ErrExpiryInPast: a new expiry time is not in the future (QKEY-01).
	ErrExpiryInPast = errors.New("keys: expiry time is not in the future")

	// ErrInvalidStatus: a status other than StatusActive or
	// StatusDisabled was given to Add or Update.
	ErrInvalidStatus = errors.New("keys: invalid key status")

	// ErrInvalidOwner: the owner name is empty.
	ErrInvalidOwner = errors.New("keys: invalid key owner")

	// ErrInvalidSourceCIDR: a Key's SourceCIDRs holds an invalid prefix.
	ErrInvalidSourceCIDR = errors.New("keys: invalid source CIDR")

	// ErrForbidden: the acting user may not manage the owner's keys
	// (QKEY-06). It wraps fs.ErrPermission.
	ErrForbidden = fmt.Errorf("keys: not allowed to manage these keys (%w)", fs.ErrPermission)
)

// Certificate errors returned by [CertPolicy.Check] (CERT-03). Weak keys
// give [ErrKeyTypeNotAllowed] and a source-address mismatch gives
// [ErrSourceNotAllowed].
var (
	// ErrCertType: the certificate is not a user certificate.
	ErrCertType = errors.New("keys: not a user certificate")
	// ErrCertUnknownAuthority: the certificate is not signed by one of
	// the trusted CAs.
	ErrCertUnknownAuthority = errors.New("keys: certificate signed by an untrusted authority")
	// ErrCertSignature: the CA signature does not verify, or uses a
	// refused algorithm (SHA-1 ssh-rsa).
	ErrCertSignature = errors.New("keys: certificate signature refused")
	// ErrCertNoPrincipals: the certificate lists no principals. x/crypto's
	// CertChecker would accept it for every user; this package never does.
	ErrCertNoPrincipals = errors.New("keys: certificate has no principals")
	// ErrCertPrincipal: the account name is not among the principals.
	ErrCertPrincipal = errors.New("keys: account name not among the certificate principals")
	// ErrCertNotYetValid: the clock is before the certificate's ValidAfter.
	ErrCertNotYetValid = errors.New("keys: certificate not yet valid")
	// ErrCertExpired: the clock is at or after the certificate's
	// ValidBefore.
	ErrCertExpired = errors.New("keys: certificate expired")
	// ErrCertCriticalOption: the certificate carries a critical option
	// other than source-address, or a malformed source-address.
	ErrCertCriticalOption = errors.New("keys: certificate critical option refused")
)
