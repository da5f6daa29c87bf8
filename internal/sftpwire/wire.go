// Package sftpwire sits on the SFTP byte stream between the SSH channel and
// pkg/sftp's request server and enforces what pkg/sftp assumes of clients.
//
// pkg/sftp registers the handle of an OPEN (a predictable "1", "2", …) before
// its handler has finished filling in the request, and dispatches READ and
// WRITE packets to other workers. A client that pipelines a READ or WRITE on
// a guessed handle around its OPEN makes pkg/sftp read the request while it
// is still being written: a data race inside pkg/sftp that can crash the
// process, where nothing can recover it. Well-behaved clients never do this
// (they need the HANDLE reply first), so Guard serialises around opens:
//   - an OPEN or OPENDIR waits until every earlier request is answered, and
//   - a READ or WRITE waits until the last OPEN or OPENDIR is answered.
//
// Replies are matched by their order, never by request id (which the client
// chooses and may reuse): pkg/sftp answers every request exactly once, in
// the order received. Guard parses only packet headers and streams every
// payload through.
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
)

// Conn wraps one SFTP session's byte stream. Read is called by pkg/sftp's
// receiving goroutine, Write by its sending one; Close may come from anywhere.
type Conn struct {
	rwc io.ReadWriteCloser

	mu       sync.Mutex
	cond     *sync.Cond
	sent     uint64 // requests handed to pkg/sftp
	answered uint64 // replies seen
	lastOpen uint64 // sequence number (1-based) of the last OPEN/OPENDIR
	closed   bool

	// Inbound (client → pkg/sftp), used by Read only.
	hdr    [9]byte
	hdrOut []byte // header bytes parsed but not yet handed to pkg/sftp
	remain uint32 // payload bytes of the current packet still to pass through

	// Outbound (pkg/sftp → client), used by Write only.
	out     [5]byte
	outN    int    // header bytes (length, type) of the current reply collected so far
	outSkip uint32 // payload bytes of the current reply still to skip
}

// Guard returns rwc wrapped so that pkg/sftp never sees a READ or WRITE
// while an OPEN or OPENDIR is being handled.
func Guard(rwc io.ReadWriteCloser) *Conn {
	c := &Conn{rwc: rwc}
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
	}
	c.mu.Lock()
	switch typ {
	case typeOpen, typeOpendir:
		c.waitLocked(c.sent)
		c.lastOpen = c.sent + 1
	case typeRead, typeWrite:
		c.waitLocked(c.lastOpen)
	}
	c.sent++
	c.mu.Unlock()
	c.remain = rest
	n := copy(p, h)
	c.hdrOut = h[n:]
	return n, nil
}

// waitLocked blocks until n replies have been seen or the connection is
// closed. c.mu is held.
func (c *Conn) waitLocked(n uint64) {
	for c.answered < n && !c.closed {
		c.cond.Wait()
	}
}

// Write passes pkg/sftp's replies to the client, noting which OPENs they
// answer.
func (c *Conn) Write(p []byte) (int, error) {
	c.scan(p)
	return c.rwc.Write(p)
}

// scan follows the reply stream's framing across arbitrary write
// boundaries and counts the replies.
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
		c.outN = 0
		// What follows the type byte: length counts the type too.
		if length := binary.BigEndian.Uint32(c.out[:4]); length >= 1 {
			c.outSkip = length - 1
		}
		c.mu.Lock()
		c.answered++
		c.cond.Broadcast()
		c.mu.Unlock()
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
