package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// Algorithm names a host-key algorithm [GenerateHostKey] can create.
type Algorithm string

// Host-key algorithms.
const (
	Ed25519   Algorithm = "ed25519"
	ECDSAP256 Algorithm = "ecdsa-p256"
)

// maxHostKeySize bounds the size of a host-key file LoadHostKey reads.
const maxHostKeySize = 1 << 20

// GenerateHostKey creates a new host key with alg. It returns the signer to
// give to ssh.ServerConfig.AddHostKey and the private key as an unencrypted
// OpenSSH PEM block ("-----BEGIN OPENSSH PRIVATE KEY-----") for the caller
// to store. It writes nothing.
func GenerateHostKey(alg Algorithm) (ssh.Signer, []byte, error) {
	var priv crypto.Signer
	switch alg {
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("keys: generate %s host key: %w", alg, err)
		}
		priv = k
	case ECDSAP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("keys: generate %s host key: %w", alg, err)
		}
		priv = k
	default:
		return nil, nil, fmt.Errorf("keys: unknown host key algorithm %q (want %q or %q)", alg, Ed25519, ECDSAP256)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("keys: generate %s host key: %w", alg, err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, nil, fmt.Errorf("keys: encode %s host key: %w", alg, err)
	}
	return signer, pem.EncodeToMemory(block), nil
}

// LoadHostKey reads an unencrypted private host key from path, in OpenSSH
// format or as a PEM PKCS#1, PKCS#8 or SEC 1 key. Encrypted keys, DSA keys
// and RSA keys shorter than [MinRSABits] are refused; errors name the file.
func LoadHostKey(path string) (ssh.Signer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: host key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxHostKeySize+1))
	if err != nil {
		return nil, fmt.Errorf("keys: host key: %w", err)
	}
	if len(data) > maxHostKeySize {
		return nil, fmt.Errorf("keys: host key %s: file larger than %d bytes", path, maxHostKeySize)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("keys: host key %s is encrypted; only unencrypted keys are supported", path)
		}
		return nil, fmt.Errorf("keys: host key %s: not a supported unencrypted private key: %w", path, err)
	}
	switch pub := signer.PublicKey(); pub.Type() {
	case ssh.InsecureKeyAlgoDSA:
		return nil, fmt.Errorf("keys: host key %s: DSA keys are not supported", path)
	case ssh.KeyAlgoRSA:
		if ck, ok := pub.(ssh.CryptoPublicKey); ok {
			if rk, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && rk.N.BitLen() < MinRSABits {
				return nil, fmt.Errorf("keys: host key %s: RSA key shorter than %d bits", path, MinRSABits)
			}
		}
	}
	return signer, nil
}

// LoadOrCreateHostKey loads the host key at path when the file exists.
// Otherwise it generates one with alg and stores it at path as an OpenSSH
// private key with mode 0600, creating the parent directory with mode 0700
// when it is missing; created reports that. The file is written to a
// temporary file in the same directory and then moved into place, so a
// crash never leaves a partial key, and an existing file is never
// replaced: when another process created the key first, that key is
// loaded instead.
func LoadOrCreateHostKey(path string, alg Algorithm) (signer ssh.Signer, created bool, err error) {
	if _, err := os.Stat(path); err == nil {
		s, err := LoadHostKey(path)
		return s, false, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("keys: host key: %w", err)
	}
	signer, pemBytes, err := GenerateHostKey(alg)
	if err != nil {
		return nil, false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("keys: host key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, false, fmt.Errorf("keys: host key: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // a no-op once the file is in place
	if err := writeSync(tmp, pemBytes); err != nil {
		return nil, false, fmt.Errorf("keys: write host key %s: %w", path, err)
	}
	// Link refuses to replace an existing file; fall back to Rename where
	// hard links are not supported.
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			s, err := LoadHostKey(path)
			return s, false, err
		}
		if err := os.Rename(tmpName, path); err != nil {
			return nil, false, fmt.Errorf("keys: write host key: %w", err)
		}
	}
	syncDir(dir)
	return signer, true, nil
}

func writeSync(f *os.File, data []byte) error {
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a new directory entry durable where the platform allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
