package keys

import (
	"bytes"
	"cmp"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"
)

// MaxFileSize is the largest authorized-keys file [LoadAuthorizedKeys]
// reads (100 KiB). A larger file is ignored with a [WarnFileTooLarge]
// warning (KEY-08).
const MaxFileSize = 100 << 10

// MinRSABits is the smallest RSA modulus accepted in an authorized key.
const MinRSABits = 2048

// ErrPrivateKey is wrapped by the error returned when private-key material
// is found in authorized-keys input (KEY-07). No key of that input is used.
var ErrPrivateKey = errors.New("private key material found; no key of this input is used")

// ParseError is the error [ParseAuthorizedKeys] and [LoadAuthorizedKeys]
// return when the input as a whole is refused. It names where the problem
// is, never the content of the line.
type ParseError struct {
	// File is the file that was read; empty for ParseAuthorizedKeys.
	File string
	// Line is the 1-based line number, or 0 when the problem is not tied to
	// one line.
	Line int
	// Err is the problem; it wraps ErrPrivateKey when private-key material
	// was found.
	Err error
}

// Error formats e as "keys: file:line: problem".
func (e *ParseError) Error() string {
	return "keys: " + location(e.File, e.Line) + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *ParseError) Unwrap() error { return e.Err }

// WarningKind classifies a [Warning].
type WarningKind string

// Kinds of warnings. Each names a line or file that was skipped while the
// rest of the input was still used, or a part of a line that has no effect.
const (
	// WarnInvalidLine: the line is not a public key (KEY-04).
	WarnInvalidLine WarningKind = "invalid-line"
	// WarnOptions: the line carries an authorized_keys option that would
	// change what the key may do (command=, permitopen=, cert-authority,
	// …), an unknown or malformed option, or an RFC 4716 block carries
	// headers that are not interpreted. The line is not used.
	WarnOptions WarningKind = "options"
	// WarnConditional: the line has from= or expiry-time= conditions,
	// which ParseAuthorizedKeys and LoadAuthorizedKeys cannot enforce, so
	// they leave it out. ParseAuthorizedKeyLines and LoadAuthorizedKeyLines
	// return such lines and never give this warning.
	WarnConditional WarningKind = "conditional"
	// WarnHostPattern: the line's from= option holds a host-name pattern,
	// which never matches (names are not resolved). The line is used; its
	// address patterns still apply.
	WarnHostPattern WarningKind = "host-pattern"
	// WarnUnsupportedKey: a well-formed key of a refused kind: DSA, a
	// certificate, RSA shorter than MinRSABits, or an unknown type (KEY-09).
	WarnUnsupportedKey WarningKind = "unsupported-key"
	// WarnFileTooLarge: the file is larger than MaxFileSize and was not
	// read (KEY-08).
	WarnFileTooLarge WarningKind = "file-too-large"
)

// Warning reports a line or file skipped while reading authorized keys. The
// caller turns it into an event (for example keys.invalid, SFTPPlus 20119).
type Warning struct {
	// File is the file that was read; empty for ParseAuthorizedKeys.
	File string
	// Line is the 1-based line number, or 0 for the whole file.
	Line int
	// Kind classifies the problem.
	Kind WarningKind
	// Detail describes the problem in fixed words; it never contains key
	// material or other text from the line.
	Detail string
}

// String formats w as "file:line: detail" (or "line N: detail").
func (w Warning) String() string {
	return location(w.File, w.Line) + ": " + w.Detail
}

func location(file string, line int) string {
	switch {
	case file != "" && line > 0:
		return file + ":" + strconv.Itoa(line)
	case file != "":
		return file
	case line > 0:
		return "line " + strconv.Itoa(line)
	default:
		return "input"
	}
}

// ParseAuthorizedKeyLines parses the content of an authorized_keys file
// (see the package documentation for the rules) and returns every usable
// line, in input order, with the conditions of its options, plus a warning
// for every skipped line. Lines are not merged: the same key may appear on
// several lines with different conditions, and a login is allowed when any
// of them allows it ([MatchAuthorizedKey]).
//
// A PEM X.509 "CERTIFICATE" block gives one entry holding the
// certificate's subject public key (KEY-12); the certificate's validity
// window is not enforced (see the package documentation).
//
// The error is non-nil only when the input as a whole is refused: it is
// then a *[ParseError], wrapping [ErrPrivateKey] when private-key material
// was found, and nothing else is returned.
func ParseAuthorizedKeyLines(data []byte) ([]AuthorizedKey, []Warning, error) {
	if err := findPrivateKey(data); err != nil {
		return nil, nil, err
	}
	var p parser
	p.parse(data)
	return p.keys, p.warnings, nil
}

// ParseAuthorizedKeys is [ParseAuthorizedKeyLines] for callers that only
// want keys: it returns the keys of the unconditional lines, without
// duplicates and in input order.
//
// It cannot enforce from= or expiry-time=, so it drops the lines that carry
// them (with a [WarnConditional] warning) rather than return their keys
// without the conditions: a key is never granted more than its line
// allows. Callers that authenticate should use ParseAuthorizedKeyLines and
// [AuthorizedKey.Allows], which honour those lines.
func ParseAuthorizedKeys(data []byte) ([]ssh.PublicKey, []Warning, error) {
	list, warnings, err := ParseAuthorizedKeyLines(data)
	if err != nil {
		return nil, nil, err
	}
	keys, warnings := unconditional(list, warnings, make(map[string]bool))
	return keys, warnings, nil
}

// unconditional returns the keys of the lines without conditions that are
// not yet in seen (and adds them to seen), and the warnings with one more
// for each line with conditions, in line order. list and warnings come from
// one input.
func unconditional(list []AuthorizedKey, warnings []Warning, seen map[string]bool) ([]ssh.PublicKey, []Warning) {
	var out []ssh.PublicKey
	all := warnings
	for _, k := range list {
		if !k.ExpiresAt.IsZero() || k.From != nil {
			all = append(all, Warning{File: k.File, Line: k.Line, Kind: WarnConditional,
				Detail: "line has from= or expiry-time= conditions, which this API cannot enforce; use ParseAuthorizedKeyLines"})
			continue
		}
		if m := string(k.Key.Marshal()); !seen[m] {
			seen[m] = true
			out = append(out, k.Key)
		}
	}
	if len(all) > len(warnings) {
		slices.SortStableFunc(all, func(a, b Warning) int { return cmp.Compare(a.Line, b.Line) })
	}
	return out, all
}

// LoadAuthorizedKeyLines reads the authorized keys at path with the rules
// of [ParseAuthorizedKeyLines]. When path is a directory, every regular
// file in it is read (not recursively, hidden files included, in name
// order) and the lines are concatenated (KEY-03); private-key material in
// any of them refuses them all (KEY-07). A file larger than [MaxFileSize]
// is skipped with a warning (KEY-08). Each entry and warning names its
// file.
//
// A missing path gives an error wrapping fs.ErrNotExist; the caller decides
// what it means (KEY-03: key login fails, password login is unaffected). A
// file or directory entry that cannot be examined or read fails the whole
// load, since it might hold a private key. Errors and warnings name the
// file and line. Nothing is cached: call it at every login (KEY-10).
func LoadAuthorizedKeyLines(path string) ([]AuthorizedKey, []Warning, error) {
	files, err := loadPath(path)
	if err != nil {
		return nil, nil, err
	}
	var (
		out      []AuthorizedKey
		warnings []Warning
	)
	for _, f := range files {
		out = append(out, f.keys...)
		warnings = append(warnings, f.warnings...)
	}
	return out, warnings, nil
}

// LoadAuthorizedKeys is [LoadAuthorizedKeyLines] for callers that only want
// keys, with the rules of [ParseAuthorizedKeys]: the keys of unconditional
// lines, without duplicates across all files; lines with from= or
// expiry-time= are left out with a [WarnConditional] warning. Callers that
// authenticate should use LoadAuthorizedKeyLines.
func LoadAuthorizedKeys(path string) ([]ssh.PublicKey, []Warning, error) {
	files, err := loadPath(path)
	if err != nil {
		return nil, nil, err
	}
	var (
		out      []ssh.PublicKey
		warnings []Warning
		seen     = make(map[string]bool)
	)
	for _, f := range files {
		keys, ws := unconditional(f.keys, f.warnings, seen)
		out = append(out, keys...)
		warnings = append(warnings, ws...)
	}
	return out, warnings, nil
}

// fileResult is what one file of an authorized-keys path gave.
type fileResult struct {
	keys     []AuthorizedKey
	warnings []Warning
}

// loadPath reads the file at path, or every regular file of the directory
// at path in name order.
func loadPath(path string) ([]fileResult, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if !fi.IsDir() {
		return loadFiles([]string{path})
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	var files []string
	for _, e := range entries {
		name := filepath.Join(path, e.Name())
		st, err := os.Stat(name) // follows symlinks, like opening the file would
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		if st.Mode().IsRegular() {
			files = append(files, name)
		}
	}
	return loadFiles(files)
}

func loadFiles(files []string) ([]fileResult, error) {
	var out []fileResult
	for _, name := range files {
		data, w, err := readKeyFile(name)
		if err != nil {
			return nil, err
		}
		if w != nil {
			out = append(out, fileResult{warnings: []Warning{*w}})
			continue
		}
		keys, ws, err := ParseAuthorizedKeyLines(data)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.File = name
			}
			return nil, err
		}
		for i := range ws {
			ws[i].File = name
		}
		for i := range keys {
			keys[i].File = name
		}
		out = append(out, fileResult{keys: keys, warnings: ws})
	}
	return out, nil
}

// readKeyFile reads a regular file of at most MaxFileSize bytes. A larger
// file gives a warning and no data.
func readKeyFile(name string) ([]byte, *Warning, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: %w", err)
	}
	if !st.Mode().IsRegular() {
		// Checked before opening: opening a FIFO would block.
		return nil, nil, &ParseError{File: name, Err: errors.New("not a regular file")}
	}
	tooLarge := &Warning{File: name, Kind: WarnFileTooLarge,
		Detail: fmt.Sprintf("file larger than %d bytes ignored", MaxFileSize)}
	if st.Size() > MaxFileSize {
		return nil, tooLarge, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("keys: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge, nil
	}
	return data, nil, nil
}

// findPrivateKey looks for private-key material anywhere in data (KEY-07).
// It errs on the side of refusing: a comment quoting a PEM private-key
// header also refuses the input.
func findPrivateKey(data []byte) error {
	// A bare DER private key (no PEM armour) is recognised as a whole file.
	if _, err := x509.ParsePKCS8PrivateKey(data); err == nil {
		return &ParseError{Err: fmt.Errorf("%w (DER PKCS#8 private key)", ErrPrivateKey)}
	}
	if _, err := x509.ParsePKCS1PrivateKey(data); err == nil {
		return &ParseError{Err: fmt.Errorf("%w (DER PKCS#1 private key)", ErrPrivateKey)}
	}
	if _, err := x509.ParseECPrivateKey(data); err == nil {
		return &ParseError{Err: fmt.Errorf("%w (DER EC private key)", ErrPrivateKey)}
	}
	for n, line := range lines(data) {
		if what := privateKeyMarker(line); what != "" {
			return &ParseError{Line: n, Err: fmt.Errorf("%w (%s)", ErrPrivateKey, what)}
		}
	}
	return nil
}

func privateKeyMarker(line string) string {
	switch {
	case strings.Contains(line, "-----BEGIN") && strings.Contains(line, "PRIVATE KEY"):
		return "PEM private key block"
	case strings.Contains(line, "---- BEGIN") && strings.Contains(line, "PRIVATE KEY"):
		return "SSH2 private key block"
	case strings.Contains(line, "SSH PRIVATE KEY FILE FORMAT"):
		return "SSH1 private key file"
	case strings.Contains(line, "PuTTY-User-Key-File-"), strings.HasPrefix(line, "Private-Lines:"),
		strings.HasPrefix(line, "Private-MAC:"):
		return "PuTTY private key"
	// "openssh-key-v1\0" is the magic of the OpenSSH private key format;
	// b3BlbnNzaC1rZXktdjE is its base64 form, as found inside the PEM body.
	case strings.Contains(line, "openssh-key-v1\x00"), strings.Contains(line, "b3BlbnNzaC1rZXktdjE"):
		return "openssh-key-v1 private key blob"
	}
	return ""
}

// lines yields the 1-based number and the content of each line of data,
// without the line end (LF or CRLF), surrounding blanks or a leading BOM.
func lines(data []byte) func(yield func(int, string) bool) {
	return func(yield func(int, string) bool) {
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		n := 0
		for len(data) > 0 {
			n++
			var line []byte
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				line, data = data, nil
			}
			if !yield(n, string(bytes.Trim(line, " \t\r"))) {
				return
			}
		}
	}
}

type parser struct {
	keys     []AuthorizedKey
	warnings []Warning
}

func (p *parser) warn(line int, kind WarningKind, detail string) {
	p.warnings = append(p.warnings, Warning{Line: line, Kind: kind, Detail: detail})
}

const (
	rfc4716Begin = "---- BEGIN SSH2 PUBLIC KEY ----"
	rfc4716End   = "---- END SSH2 PUBLIC KEY ----"
)

// rfc4716Block collects one RFC 4716 block while it is being read.
type rfc4716Block struct {
	start        int
	body         strings.Builder
	inBody       bool
	continuation bool // the previous header line ended in a backslash
	inComment    bool // the header being continued is Comment
	comment      strings.Builder
	badHeader    bool
}

func (p *parser) parse(data []byte) {
	var (
		block *rfc4716Block
		cert  *pemCertBlock
	)
	for n, line := range lines(data) {
		if cert != nil {
			switch p.certLine(cert, line) {
			case blockMore:
				continue
			case blockDone:
				cert = nil
				continue
			}
			p.warn(cert.start, WarnInvalidLine, "X.509 certificate block without END line")
			cert = nil
		}
		if block != nil {
			switch p.blockLine(block, line) {
			case blockMore:
				continue
			case blockDone:
				block = nil
				continue
			}
			// The block ended without its END line: report it and read
			// this line as an ordinary one.
			p.warn(block.start, WarnInvalidLine, "RFC 4716 block without END line")
			block = nil
		}
		switch {
		case line == "" || line[0] == '#':
		case line == rfc4716Begin:
			block = &rfc4716Block{start: n}
		case line == pemCertBegin:
			cert = &pemCertBlock{start: n}
		default:
			p.line(n, line)
		}
	}
	if block != nil {
		p.warn(block.start, WarnInvalidLine, "RFC 4716 block without END line")
	}
	if cert != nil {
		p.warn(cert.start, WarnInvalidLine, "X.509 certificate block without END line")
	}
}

const (
	pemCertBegin = "-----BEGIN CERTIFICATE-----"
	pemCertEnd   = "-----END CERTIFICATE-----"
	// maxCertBody bounds the base64 text of one certificate block, so that
	// a broken block cannot make the parser buffer the whole input (the
	// input is bounded anyway; this keeps one block from being most of it).
	maxCertBody = 64 << 10
)

// pemCertBlock collects one PEM CERTIFICATE block while it is being read.
type pemCertBlock struct {
	start int
	body  strings.Builder
}

// certLine consumes one line inside a PEM CERTIFICATE block. Only base64
// lines may appear between BEGIN and END (no PEM headers).
func (p *parser) certLine(b *pemCertBlock, line string) blockState {
	switch {
	case line == pemCertEnd:
		p.finishCert(b)
		return blockDone
	case isBase64(line) && b.body.Len()+len(line) <= maxCertBody:
		b.body.WriteString(line)
		return blockMore
	}
	return blockBroken
}

// finishCert turns a complete certificate block into one authorised key:
// the certificate's subject public key (KEY-12). Only the key is used, as
// SFTPPlus does: the certificate's issuer, signature, validity window,
// key usage and other extensions are not checked. The Comment is the
// subject's common name.
func (p *parser) finishCert(b *pemCertBlock) {
	der, err := base64.StdEncoding.DecodeString(b.body.String())
	if err != nil {
		p.warn(b.start, WarnInvalidLine, "X.509 certificate block: data is not valid base64")
		return
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		p.warn(b.start, WarnInvalidLine, "X.509 certificate block does not parse as a certificate")
		return
	}
	k, err := ssh.NewPublicKey(cert.PublicKey)
	if err != nil {
		p.warn(b.start, WarnUnsupportedKey, "X.509 certificate holds a key type that is not accepted")
		return
	}
	if reason := refused(k); reason != "" {
		p.warn(b.start, WarnUnsupportedKey, "X.509 certificate: "+reason)
		return
	}
	p.keys = append(p.keys, AuthorizedKey{Key: k, Comment: cert.Subject.CommonName, Line: b.start})
}

type blockState int

const (
	blockMore   blockState = iota // the line belongs to the block
	blockDone                     // the line ended the block
	blockBroken                   // the line cannot belong to the block
)

// blockLine consumes one line inside an RFC 4716 block.
func (p *parser) blockLine(b *rfc4716Block, line string) blockState {
	switch {
	case line == rfc4716End:
		p.finishBlock(b)
		return blockDone
	case b.continuation:
		b.continuation = strings.HasSuffix(line, "\\")
		if b.inComment {
			b.comment.WriteString(strings.TrimSuffix(line, "\\"))
		}
		return blockMore
	case !b.inBody && strings.Contains(line, ":"):
		tag, val, _ := strings.Cut(line, ":")
		b.inComment = false
		switch strings.ToLower(strings.TrimSpace(tag)) {
		case "comment":
			b.inComment = true
			b.comment.Reset()
			b.comment.WriteString(strings.TrimSuffix(strings.TrimLeft(val, " \t"), "\\"))
		case "subject":
		default:
			b.badHeader = true
		}
		b.continuation = strings.HasSuffix(line, "\\")
		return blockMore
	case isBase64(line):
		b.inBody = true
		b.body.WriteString(line)
		return blockMore
	}
	return blockBroken
}

func (p *parser) finishBlock(b *rfc4716Block) {
	if b.badHeader {
		p.warn(b.start, WarnOptions, "RFC 4716 block has headers other than Comment and Subject, which are not interpreted")
		return
	}
	blob, err := base64.StdEncoding.DecodeString(b.body.String())
	if err != nil {
		p.warn(b.start, WarnInvalidLine, "RFC 4716 block: key data is not valid base64")
		return
	}
	k, ok := p.blob(b.start, "", blob)
	if !ok {
		return
	}
	comment := strings.TrimSpace(b.comment.String())
	if len(comment) >= 2 && comment[0] == '"' && comment[len(comment)-1] == '"' {
		comment = comment[1 : len(comment)-1]
	}
	p.keys = append(p.keys, AuthorizedKey{Key: k, Comment: comment, Line: b.start})
}

func isBase64(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

// knownKeyType reports whether typ is a key type name this package knows,
// accepted or not, so that a line starting with it is read as a key line.
func knownKeyType(typ string) bool {
	switch typ {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoRSA, ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256, ssh.InsecureKeyAlgoDSA,
		ssh.KeyAlgoMLDSA44, ssh.KeyAlgoMLDSA65, ssh.KeyAlgoMLDSA87:
		return true
	}
	return strings.HasSuffix(typ, "-cert-v01@openssh.com") || strings.HasSuffix(typ, "-cert-v01@golang.org")
}

// cutField splits s at its first blank (space or tab) into the first field
// and the rest, without leading blanks.
func cutField(s string) (field, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// line parses one OpenSSH authorized_keys line (not blank, not a comment):
// [OPTIONS] TYPE BASE64 [COMMENT].
func (p *parser) line(n int, line string) {
	var (
		opts    lineOptions
		problem string
	)
	keyPart := line
	if typ, _ := cutField(line); !knownKeyType(typ) {
		// Not a key type: either options precede the key or the line is
		// garbage (KEY-04).
		optText, rest, ok := splitOptions(line)
		typ, _ = cutField(rest)
		if !ok || !knownKeyType(typ) {
			p.warn(n, WarnInvalidLine, "not a public key line")
			return
		}
		keyPart = rest
		opts, problem = parseOptions(optText)
	}
	typ, rest := cutField(keyPart)
	b64, comment := cutField(rest)
	if b64 == "" {
		p.warn(n, WarnInvalidLine, "key data missing")
		return
	}
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		blob, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil {
		p.warn(n, WarnInvalidLine, "key data is not valid base64")
		return
	}
	k, ok := p.blob(n, typ, blob)
	if !ok {
		return
	}
	if problem != "" {
		p.warn(n, WarnOptions, problem)
		return
	}
	if opts.hostPat {
		p.warn(n, WarnHostPattern, "option from= holds host-name patterns, which never match (names are not resolved)")
	}
	p.keys = append(p.keys, AuthorizedKey{Key: k, Comment: comment, ExpiresAt: opts.expires,
		From: opts.from, Options: opts.accepted, Line: n})
}

// blob parses the wire form of a key and applies the type policy. typ is
// the declared type of an OpenSSH line, or "" for an RFC 4716 block. It
// warns and returns false when the key is not usable.
func (p *parser) blob(n int, typ string, blob []byte) (ssh.PublicKey, bool) {
	k, err := ssh.ParsePublicKey(blob)
	if err != nil {
		p.warn(n, WarnInvalidLine, "key data does not parse as a public key")
		return nil, false
	}
	if typ != "" && k.Type() != typ {
		p.warn(n, WarnInvalidLine, fmt.Sprintf("declared type %s does not match the key data", typ))
		return nil, false
	}
	if reason := refused(k); reason != "" {
		p.warn(n, WarnUnsupportedKey, reason)
		return nil, false
	}
	return k, true
}

// refused says why k is not accepted as an authorized key, or "" (KEY-09).
func refused(k ssh.PublicKey) string {
	if _, ok := k.(*ssh.Certificate); ok {
		return "certificates are not accepted as authorized keys"
	}
	switch k.Type() {
	case ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
		ssh.KeyAlgoSKED25519, ssh.KeyAlgoSKECDSA256:
		return ""
	case ssh.KeyAlgoRSA:
		ck, ok := k.(ssh.CryptoPublicKey)
		if !ok {
			return "RSA key of unknown size"
		}
		rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey)
		if !ok || rk.N.BitLen() < MinRSABits {
			return fmt.Sprintf("RSA key shorter than %d bits", MinRSABits)
		}
		return ""
	case ssh.InsecureKeyAlgoDSA:
		return "DSA keys are not accepted"
	}
	return fmt.Sprintf("key type %s is not accepted", k.Type())
}
