// Package sftpwire sits on the SFTP byte stream between the SSH channel and
// pkg/sftp's request server and enforces what pkg/sftp assumes of clients.
//
// pkg/sftp registers the handle of an OPEN (a predictable "1", "2", …) before
// its handler has finished filling in the request, and dispatches READ and
// WRITE packets to other workers. A client that pipelines a READ or WRITE on
// a guessed handle behind its OPEN makes pkg/sftp read the request while it
// is still being written: a data race inside pkg/sftp. Well-behaved clients
// never do this (they need the HANDLE reply first), so Guard simply holds
// any READ or WRITE while an OPEN or OPENDIR is unanswered. It parses only
// packet headers (length, type, id) and streams every payload through.
//
// Later work (answering extensions pkg/sftp lacks, coalescing replies) belongs
// here too, keeping pkg/sftp specifics out of the server.
package sftpwire

import (
	"encoding/binary"
	"io"
	"sync"
)

// SFTP packet types this package looks at.
const (
	typeOpen    = 3
	typeRead    = 5
	typeWrite   = 6
	typeOpendir = 11
	typeStatus  = 101
	typeHandle  = 102
)

// Conn wraps one SFTP session's byte stream. Read is called by pkg/sftp's
// receiving goroutine, Write by its sending one; Close may come from anywhere.
type Conn struct {
	rwc io.ReadWriteCloser

	mu      sync.Mutex
	cond    *sync.Cond
	pending map[uint32]int // ids of OPEN/OPENDIR requests not yet answered
	closed  bool

	// Inbound (client → pkg/sftp), used by Read only.
	hdr    [9]byte
	hdrOut []byte // header bytes parsed but not yet handed to pkg/sftp
	remain uint32 // payload bytes of the current packet still to pass through

	// Outbound (pkg/sftp → client), used by Write only.
	out     [9]byte
	outN    int    // header bytes of the current reply collected so far
	outSkip uint32 // payload bytes of the current reply still to skip
}

// Guard returns rwc wrapped so that no READ or WRITE reaches pkg/sftp while
// an OPEN or OPENDIR of the same session is unanswered.
func Guard(rwc io.ReadWriteCloser) *Conn {
	c := &Conn{rwc: rwc, pending: make(map[uint32]int)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Read passes the client's bytes on, a packet header at a time.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.hdrOut) > 0 {
		n := copy(p, c.hdrOut)
		c.hdrOut = c.hdrOut[n:]
		return n, nil
	}
	if c.remain > 0 {
		if uint32(len(p)) > c.remain {
			p = p[:c.remain]
		}
		n, err := c.rwc.Read(p)
		c.remain -= uint32(n)
		return n, err
	}
	// A new packet: length (4), type (1), then up to 4 bytes of id.
	if _, err := io.ReadFull(c.rwc, c.hdr[:5]); err != nil {
		return 0, err
	}
	length := binary.BigEndian.Uint32(c.hdr[:4])
	typ := c.hdr[4]
	h := c.hdr[:5]
	rest := uint32(0)
	if length > 1 {
		rest = length - 1
	}
	if rest >= 4 {
		if _, err := io.ReadFull(c.rwc, c.hdr[5:9]); err != nil {
			return 0, err
		}
		h = c.hdr[:9]
		rest -= 4
		id := binary.BigEndian.Uint32(c.hdr[5:9])
		switch typ {
		case typeRead, typeWrite:
			c.waitOpens()
		case typeOpen, typeOpendir:
			c.mu.Lock()
			c.pending[id]++
			c.mu.Unlock()
		}
	}
	c.remain = rest
	n := copy(p, h)
	c.hdrOut = h[n:]
	return n, nil
}

// waitOpens blocks until no OPEN or OPENDIR is unanswered, or the
// connection is closed.
func (c *Conn) waitOpens() {
	c.mu.Lock()
	for len(c.pending) > 0 && !c.closed {
		c.cond.Wait()
	}
	c.mu.Unlock()
}

// Write passes pkg/sftp's replies to the client, noting which OPENs they
// answer.
func (c *Conn) Write(p []byte) (int, error) {
	c.scan(p)
	return c.rwc.Write(p)
}

// scan follows the reply stream's framing across arbitrary write
// boundaries and releases the OPENs that HANDLE or STATUS replies answer.
func (c *Conn) scan(p []byte) {
	for len(p) > 0 {
		if c.outSkip > 0 {
			k := min(uint32(len(p)), c.outSkip)
			c.outSkip -= k
			p = p[k:]
			continue
		}
		k := copy(c.out[c.outN:], p)
		c.outN += k
		p = p[k:]
		if c.outN < len(c.out) {
			return
		}
		length := binary.BigEndian.Uint32(c.out[:4])
		typ := c.out[4]
		id := binary.BigEndian.Uint32(c.out[5:9])
		c.outN = 0
		if length >= 5 {
			c.outSkip = length - 5
		}
		if typ == typeHandle || typ == typeStatus {
			c.answered(id)
		}
	}
}

func (c *Conn) answered(id uint32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.pending[id]; ok {
		if n <= 1 {
			delete(c.pending, id)
		} else {
			c.pending[id] = n - 1
		}
		if len(c.pending) == 0 {
			c.cond.Broadcast()
		}
	}
}

// Close closes the underlying stream and releases any waiting Read.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	return c.rwc.Close()
}
