package perms

import (
	"math"
	"slices"
	"unicode/utf8"
)

// The rule index.
//
// Most rules in a large policy are literal-anchored globs ("/partner0042/*",
// "*.csv"). For each rule, compileExpr records necessary conditions: the
// rule can only match a path that starts (or ends) with some literal. The
// index buckets rules by those literals, in hash maps keyed by the literal
// and probed once per distinct literal length, so a lookup costs a few map
// probes instead of one regexp run per rule. Case-insensitive literals are
// compared in the folded domain of fold.go, case-sensitive ones (from m/…/
// regexps) byte for byte.
//
// Every bucket lists rule numbers in ascending order. A lookup merges the
// buckets the path hits with the list of rules that have no condition
// (negations, e/…/, globs such as "*x*") and runs the matchers of those
// candidates in ascending rule order, stopping at the first match: a rule
// left out cannot match, so the answer is exactly the first matching rule
// of a linear scan.

// keyIndex holds the rules of one key kind.
type keyIndex struct {
	lens []int              // distinct key lengths in bytes, ascending
	m    map[string][]int32 // key → ascending rule numbers
}

func (ki *keyIndex) add(key string, rule int32) {
	if ki.m == nil {
		ki.m = make(map[string][]int32)
	}
	l, seen := ki.m[key]
	if !seen {
		if i, found := slices.BinarySearch(ki.lens, len(key)); !found {
			ki.lens = slices.Insert(ki.lens, i, len(key))
		}
	}
	if len(l) == 0 || l[len(l)-1] != rule {
		ki.m[key] = append(l, rule)
	}
}

// lookupPrefix appends to lists the buckets whose key is a prefix of s.
func (ki *keyIndex) lookupPrefix(lists [][]int32, s []byte) [][]int32 {
	for _, n := range ki.lens {
		if n > len(s) {
			break
		}
		if l, ok := ki.m[string(s[:n])]; ok {
			lists = append(lists, l)
		}
	}
	return lists
}

// lookupSuffix appends to lists the buckets whose key is a suffix of s.
func (ki *keyIndex) lookupSuffix(lists [][]int32, s []byte) [][]int32 {
	for _, n := range ki.lens {
		if n > len(s) {
			break
		}
		if l, ok := ki.m[string(s[len(s)-n:])]; ok {
			lists = append(lists, l)
		}
	}
	return lists
}

// lookupPrefixString and lookupSuffixString are lookupPrefix and
// lookupSuffix for a string.
func (ki *keyIndex) lookupPrefixString(lists [][]int32, s string) [][]int32 {
	for _, n := range ki.lens {
		if n > len(s) {
			break
		}
		if l, ok := ki.m[s[:n]]; ok {
			lists = append(lists, l)
		}
	}
	return lists
}

func (ki *keyIndex) lookupSuffixString(lists [][]int32, s string) [][]int32 {
	for _, n := range ki.lens {
		if n > len(s) {
			break
		}
		if l, ok := ki.m[s[len(s)-n:]]; ok {
			lists = append(lists, l)
		}
	}
	return lists
}

// index is the rule index of a Policy.
type index struct {
	always   []int32 // rules with no known condition, ascending
	keys     [numKeyKinds]keyIndex
	needFold bool // some lookup or matcher needs the folded path
}

func buildIndex(rules []compiledRule) index {
	var ix index
	for i, r := range rules {
		if r.m.fast != nil {
			ix.needFold = true
		}
		if len(r.m.keys) == 0 {
			ix.always = append(ix.always, int32(i))
			continue
		}
		for _, k := range r.m.keys {
			ix.keys[k.kind].add(k.s, int32(i))
			if k.kind == prefixFold || k.kind == suffixFold {
				ix.needFold = true
			}
		}
	}
	return ix
}

// firstMatch returns the number of the first rule matching path, or -1.
func (p *Policy) firstMatch(path string) int {
	if !p.indexed {
		return p.linearMatch(path)
	}
	var listBuf [8][]int32
	lists := listBuf[:0]
	if len(p.ix.always) > 0 {
		lists = append(lists, p.ix.always)
	}
	var foldBuf [256]byte
	var folded []byte
	fk := &p.ix.keys
	if p.ix.needFold {
		folded = appendFold(foldBuf[:0], path)
		lists = fk[prefixFold].lookupPrefix(lists, folded)
		lists = fk[suffixFold].lookupSuffix(lists, folded)
	}
	if len(fk[prefixExact].m) > 0 || len(fk[suffixExact].m) > 0 {
		if utf8.ValidString(path) {
			lists = fk[prefixExact].lookupPrefixString(lists, path)
			lists = fk[suffixExact].lookupSuffixString(lists, path)
		} else {
			var validBuf [256]byte
			valid := appendValid(validBuf[:0], path)
			lists = fk[prefixExact].lookupPrefix(lists, valid)
			lists = fk[suffixExact].lookupSuffix(lists, valid)
		}
	}
	switch len(lists) {
	case 0:
		return -1
	case 1:
		for _, i := range lists[0] {
			if p.rules[i].m.match(path, folded) {
				return int(i)
			}
		}
		return -1
	}
	// Merge the ascending lists, trying each candidate once.
	for {
		next := int32(math.MaxInt32)
		for _, l := range lists {
			if len(l) > 0 && l[0] < next {
				next = l[0]
			}
		}
		if next == math.MaxInt32 {
			return -1
		}
		if p.rules[next].m.match(path, folded) {
			return int(next)
		}
		for j, l := range lists {
			if len(l) > 0 && l[0] == next {
				lists[j] = l[1:]
			}
		}
	}
}

// linearMatch is the reference evaluation: every rule's regexp in order,
// without the index or the literal fast path.
func (p *Policy) linearMatch(path string) int {
	for i := range p.rules {
		if p.rules[i].m.matchRE(path) {
			return i
		}
	}
	return -1
}
