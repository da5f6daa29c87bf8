package keys

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// sourceAddressOption is the one critical option [CertPolicy.Check]
// understands.
const sourceAddressOption = "source-address"

// CertPolicy decides whether an OpenSSH user certificate may log in to an
// account (SPEC §11, CERT-03). It is a plain value, safe for concurrent use
// as long as CAs is not modified.
//
// Whether certificates are allowed at all for an account
// (allow_certificate_authentication, CERT-01/CERT-04) is the caller's
// decision; so is the SK "no-touch-required" extension, which CertPolicy
// ignores like every other extension: callers must not pass a
// certificate's Permissions to x/crypto unchanged.
type CertPolicy struct {
	// CAs are the trusted user CA public keys (see LoadCAKeys). With none,
	// every certificate is refused.
	CAs []ssh.PublicKey
	// Now is the clock for the validity window; nil means time.Now.
	Now func() time.Time
}

// Check reports whether cert may authenticate as user from source. It
// returns nil, or an error wrapping one of the ErrCert… sentinels,
// [ErrKeyTypeNotAllowed] or [ErrSourceNotAllowed]. In order:
//
//   - the certificate is a user certificate ([ErrCertType]);
//   - neither its key nor its CA key is DSA, RSA shorter than MinRSABits, a
//     certificate or an unknown type ([ErrKeyTypeNotAllowed]);
//   - the CA key is one of p.CAs, compared by wire form
//     ([ErrCertUnknownAuthority]);
//   - it lists principals ([ErrCertNoPrincipals]: x/crypto's CertChecker
//     would accept a certificate without principals for any user) and user
//     is one of them ([ErrCertPrincipal]);
//   - p.Now is within [ValidAfter, ValidBefore) ([ErrCertNotYetValid],
//     [ErrCertExpired]);
//   - its only critical option, if any, is source-address, a
//     comma-separated list of addresses and CIDR blocks, and source is in
//     it ([ErrCertCriticalOption], [ErrSourceNotAllowed]);
//   - the CA signature verifies and is not a SHA-1 ssh-rsa signature
//     ([ErrCertSignature]), checked with ssh.CertChecker.
//
// Extensions are ignored. The error messages are fixed words: they never
// quote principals, key ids or option names from the certificate.
func (p CertPolicy) Check(cert *ssh.Certificate, user string, source netip.Addr) error {
	if cert == nil || cert.Key == nil || cert.SignatureKey == nil || cert.Signature == nil {
		return fmt.Errorf("%w (incomplete certificate)", ErrCertType)
	}
	if cert.CertType != ssh.UserCert {
		return ErrCertType
	}
	if reason := refused(cert.Key); reason != "" {
		return fmt.Errorf("%w: certificate key: %s", ErrKeyTypeNotAllowed, reason)
	}
	if reason := refused(cert.SignatureKey); reason != "" {
		return fmt.Errorf("%w: CA key: %s", ErrKeyTypeNotAllowed, reason)
	}
	ca := string(cert.SignatureKey.Marshal())
	if !slices.ContainsFunc(p.CAs, func(k ssh.PublicKey) bool { return k != nil && string(k.Marshal()) == ca }) {
		return ErrCertUnknownAuthority
	}
	if len(cert.ValidPrincipals) == 0 {
		return ErrCertNoPrincipals
	}
	if user == "" || !slices.Contains(cert.ValidPrincipals, user) {
		return ErrCertPrincipal
	}
	clock := p.Now
	if clock == nil {
		clock = time.Now
	}
	now := clock()
	unixNow := now.Unix()
	// The same comparisons as ssh.CertChecker, so that it only ever
	// refuses for the signature below.
	if cert.ValidAfter > math.MaxInt64 || unixNow < int64(cert.ValidAfter) {
		return ErrCertNotYetValid
	}
	if cert.ValidBefore != ssh.CertTimeInfinity && (cert.ValidBefore > math.MaxInt64 || unixNow >= int64(cert.ValidBefore)) {
		return ErrCertExpired
	}
	for name, value := range cert.CriticalOptions {
		if name != sourceAddressOption {
			return fmt.Errorf("%w (unsupported critical option)", ErrCertCriticalOption)
		}
		ok, err := matchSourceAddress(value, source)
		if err != nil {
			return fmt.Errorf("%w (malformed source-address)", ErrCertCriticalOption)
		}
		if !ok {
			return fmt.Errorf("%w (certificate source-address)", ErrSourceNotAllowed)
		}
	}
	if f := cert.Signature.Format; f == ssh.KeyAlgoRSA || f == ssh.InsecureKeyAlgoDSA {
		return fmt.Errorf("%w (SHA-1 or DSA signature)", ErrCertSignature)
	}
	// CheckCert re-checks principal, window and options (all passed above)
	// and verifies the CA signature; the authority was matched above.
	checker := ssh.CertChecker{
		SupportedCriticalOptions: []string{sourceAddressOption},
		Clock:                    func() time.Time { return now },
	}
	if err := checker.CheckCert(user, cert); err != nil {
		return fmt.Errorf("%w (does not verify)", ErrCertSignature)
	}
	return nil
}

// matchSourceAddress matches source against a source-address value: a
// comma-separated list of addresses and CIDR blocks, without blanks, as
// OpenSSH's addr_match_cidr_list. A malformed list (an empty entry, a
// wildcard, a host name, a block with bits set beyond its mask) is an
// error; an invalid source never matches.
func matchSourceAddress(list string, source netip.Addr) (bool, error) {
	if list == "" {
		return false, errors.New("empty list")
	}
	source = source.WithZone("").Unmap()
	ok := false
	for _, entry := range strings.Split(list, ",") {
		pre, err := parsePrefix(entry)
		if err != nil {
			return false, err
		}
		if source.IsValid() && pre.Contains(source) {
			ok = true
		}
	}
	return ok, nil
}

// LoadCAKeys reads the trusted user CA keys at path, in the format of
// OpenSSH's TrustedUserCAKeys: one public key per line (or RFC 4716
// block), blank lines and '#' comments ignored, no options. Unlike
// authorized_keys files, which skip bad lines, a CA file is configuration:
// any line that is not an acceptable key (malformed, with options, DSA,
// RSA shorter than MinRSABits, a certificate), private-key material or a
// file larger than MaxFileSize is an error naming file:line, and so is a
// file without keys. Duplicates are returned once.
func LoadCAKeys(path string) ([]ssh.PublicKey, error) {
	data, w, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	if w != nil {
		return nil, &ParseError{File: path, Err: errors.New(w.Detail)}
	}
	list, warnings, err := ParseAuthorizedKeyLines(data)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.File = path
		}
		return nil, err
	}
	if len(warnings) > 0 {
		return nil, &ParseError{File: path, Line: warnings[0].Line, Err: errors.New(warnings[0].Detail)}
	}
	var (
		out  []ssh.PublicKey
		seen = make(map[string]bool)
	)
	for _, k := range list {
		if len(k.Options) > 0 || k.From != nil || !k.ExpiresAt.IsZero() {
			return nil, &ParseError{File: path, Line: k.Line, Err: errors.New("options are not allowed in a CA key file")}
		}
		if m := string(k.Key.Marshal()); !seen[m] {
			seen[m] = true
			out = append(out, k.Key)
		}
	}
	if len(out) == 0 {
		return nil, &ParseError{File: path, Err: errors.New("no CA key in file")}
	}
	return out, nil
}
