package perms

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// Case folding for the index.
//
// Case-insensitive matchers are RE2 programs compiled with (?i), which
// compare runes by Unicode simple case folding: two runes are equal when
// they are in the same unicode.SimpleFold orbit ('k', 'K' and the Kelvin
// sign U+212A are one orbit; 's', 'S' and 'ſ' U+017F another). The index
// must never be stricter than the matcher, so it compares literals after
// mapping every rune to one representative of its orbit: the ASCII lower-case
// letter when the orbit has one, else the smallest rune of the orbit. Bytes
// that are not valid UTF-8 become U+FFFD, which is also what RE2 sees.
// strings.ToLower would not do: it leaves 'ſ' alone although (?i)s matches
// it.

// foldRune returns the representative of r's simple-fold orbit.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	best := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		best = min(best, f)
	}
	if 'A' <= best && best <= 'Z' {
		return best + 'a' - 'A'
	}
	return best
}

// appendFold appends the folded form of s to dst. ASCII text (the common
// case) is folded in one tight loop; the first non-ASCII byte hands the
// rest to appendFoldSlow.
func appendFold(dst []byte, s string) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(s))[:n+len(s)]
	d := dst[n:]
	s = s[:len(d)]
	for i := range d {
		c := s[i]
		if c >= utf8.RuneSelf {
			return appendFoldSlow(dst[:n+i], s[i:])
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		d[i] = c
	}
	return dst
}

// appendFoldSlow is appendFold for text that may hold multi-byte runes.
func appendFoldSlow(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += w
	}
	return dst
}

// foldString returns the folded form of s.
func foldString(s string) string { return string(appendFold(nil, s)) }

// appendValid appends s to dst with every byte that is not valid UTF-8
// replaced by U+FFFD, which is how RE2 reads it.
func appendValid(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			dst = utf8.AppendRune(dst, r)
		} else {
			dst = append(dst, s[i:i+w]...)
		}
		i += w
	}
	return dst
}
