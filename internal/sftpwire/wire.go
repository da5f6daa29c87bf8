// Package sftpwire sits on the SFTP byte stream between the SSH channel and
// pkg/sftp's request server and enforces the ordering pkg/sftp assumes of
// clients but does not check.
//
// pkg/sftp registers the handle of an OPEN (a predictable "1", "2", …) before
// its handler has finished filling in the request, and dispatches READ and
// WRITE packets to 8 workers running concurrently. Two consequences:
//
//   - A client that pipelines a READ or WRITE on a guessed handle around its
//     OPEN makes pkg/sftp read the request while it is still being written:
//     a data race inside pkg/sftp that can crash the process, where nothing
//     can recover it. Well-behaved clients never do this (they need the
//     HANDLE reply first).
//   - WRITEs on a handle opened with APPEND go to the end of the file (as
//     with OpenSSH's O_APPEND), so their order matters; concurrent workers
//     would reorder pipelined appends.
//
// Guard therefore serialises:
//   - an OPEN or OPENDIR waits until every earlier request is answered;
//   - a READ or WRITE waits until the last OPEN or OPENDIR is answered;
//   - a WRITE on an APPEND handle waits until every earlier request is
//     answered.
//
// Replies are matched by their order, never by request id (which the client
// chooses and may reuse): pkg/sftp answers every request exactly once, in
// the order received. Guard parses packet headers, OPEN packets and the
// handle strings of WRITE, CLOSE and HANDLE packets, and streams everything
// else through untouched.
package sftpwire

import (
	"encoding/binary"
	"io"
	"slices"
	"sync"
)

// SFTP packet types and flags this package looks at.
const (
	typeOpen    = 3
	typeClose   = 4
	typeRead    = 5
	typeWrite   = 6
	typeOpendir = 11
	typeHandle  = 102

	flagAppend = 0x04
)

// Bounds on what Guard buffers; larger packets pass through unexamined
// (pkg/sftp refuses them or they carry no handle Guard issued).
const (
	maxOpenPacket = 64 << 10
	maxHandle     = 256
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
	// appendOpens holds the sequence numbers of OPENs with APPEND whose
	// reply has not been seen; appendHandles the handles they were given.
	appendOpens   map[uint64]bool
	appendHandles map[string]bool

	// Inbound (client → pkg/sftp), used by Read only.
	buf     []byte // the current packet's parsed bytes, reused
	pending []byte // parsed bytes not yet handed to pkg/sftp
	remain  uint32 // payload bytes of the current packet still to pass through

	// Outbound (pkg/sftp → client), used by Write only.
	out     []byte // header of the current reply being collected
	outWant int    // bytes of header wanted
	outSkip uint32 // payload bytes of the current reply still to skip
	outSeq  uint64 // sequence number of the request the current reply answers
}

// Guard returns rwc wrapped as described in the package documentation.
func Guard(rwc io.ReadWriteCloser) *Conn {
	c := &Conn{rwc: rwc, appendOpens: map[uint64]bool{}, appendHandles: map[string]bool{}, outWant: 5}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Read passes the client's bytes on, a packet at a time.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.pending) == 0 && c.remain == 0 {
		if err := c.nextPacket(); err != nil {
			return 0, err
		}
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	if uint32(len(p)) > c.remain {
		p = p[:c.remain]
	}
	n, err := c.rwc.Read(p)
	c.remain -= uint32(n)
	return n, err
}

// nextPacket reads the next packet's header (and, for the packets Guard
// examines, the part of the payload it needs), waits as the rules require,
// and leaves the bytes read in c.pending.
func (c *Conn) nextPacket() error {
	// The previous packet's bytes have all been handed on (nextPacket runs
	// only when pending is empty), so its buffer is reused.
	if cap(c.buf) < 9 {
		c.buf = make([]byte, 0, 64)
	}
	buf := c.buf[:5]
	if _, err := io.ReadFull(c.rwc, buf); err != nil {
		return err
	}
	length := binary.BigEndian.Uint32(buf[:4])
	typ := buf[4]
	rest := uint32(0)
	if length > 1 {
		rest = length - 1
	}
	// take reads n more payload bytes into buf.
	take := func(n uint32) ([]byte, error) {
		start := len(buf)
		buf = slices.Grow(buf, int(n))[:start+int(n)]
		_, err := io.ReadFull(c.rwc, buf[start:])
		rest -= n
		return buf[start:], err
	}
	isAppendOpen := false
	var handle string
	examined := rest >= 4
	if examined {
		if _, err := take(4); err != nil { // request id
			return err
		}
		switch typ {
		case typeOpen:
			if rest <= maxOpenPacket {
				body, err := take(rest)
				if err != nil {
					return err
				}
				isAppendOpen = openAppends(body)
			}
		case typeWrite, typeClose:
			if rest >= 4 {
				l, err := take(4)
				if err != nil {
					return err
				}
				if n := binary.BigEndian.Uint32(l); n <= maxHandle && n <= rest {
					h, err := take(n)
					if err != nil {
						return err
					}
					handle = string(h)
				}
			}
		}
	}

	c.mu.Lock()
	if examined {
		switch typ {
		case typeOpen, typeOpendir:
			c.waitLocked(c.sent)
			c.lastOpen = c.sent + 1
			if isAppendOpen {
				c.appendOpens[c.lastOpen] = true
			}
		case typeRead:
			c.waitLocked(c.lastOpen)
		case typeWrite:
			c.waitLocked(c.lastOpen)
			if c.appendHandles[handle] {
				c.waitLocked(c.sent)
			}
		case typeClose:
			delete(c.appendHandles, handle)
		}
	}
	c.sent++
	c.mu.Unlock()

	c.buf, c.pending = buf, buf
	c.remain = rest
	return nil
}

// openAppends reports whether an OPEN payload (after the id: filename,
// pflags, attrs) asks for APPEND.
func openAppends(body []byte) bool {
	if len(body) < 4 {
		return false
	}
	n := binary.BigEndian.Uint32(body)
	if uint64(n)+8 > uint64(len(body)) {
		return false
	}
	return binary.BigEndian.Uint32(body[4+n:])&flagAppend != 0
}

// waitLocked blocks until n replies have been seen or the connection is
// closed. c.mu is held.
func (c *Conn) waitLocked(n uint64) {
	for c.answered < n && !c.closed {
		c.cond.Wait()
	}
}

// Write passes pkg/sftp's replies to the client, counting them.
func (c *Conn) Write(p []byte) (int, error) {
	c.scan(p)
	return c.rwc.Write(p)
}

// scan follows the reply stream's framing across arbitrary write
// boundaries, counts the replies, and records the handles given to APPEND
// opens.
func (c *Conn) scan(p []byte) {
	for len(p) > 0 {
		if c.outSkip > 0 {
			k := min(uint32(len(p)), c.outSkip)
			c.outSkip -= k
			p = p[k:]
			continue
		}
		k := min(len(p), c.outWant-len(c.out))
		c.out = append(c.out, p[:k]...)
		p = p[k:]
		if len(c.out) < c.outWant {
			return
		}
		length := binary.BigEndian.Uint32(c.out[:4]) // counts the type byte too
		if c.outWant == 5 {
			c.mu.Lock()
			c.answered++
			c.outSeq = c.answered
			wantHandle := c.appendOpens[c.outSeq]
			delete(c.appendOpens, c.outSeq)
			c.cond.Broadcast()
			c.mu.Unlock()
			// A HANDLE reply to an APPEND open: collect id, length and handle.
			if wantHandle && c.out[4] == typeHandle && length >= 9 && length-1 <= 8+maxHandle {
				c.outWant = 4 + int(length)
				continue
			}
		} else {
			if n := binary.BigEndian.Uint32(c.out[9:13]); 13+int(n) <= len(c.out) {
				c.mu.Lock()
				c.appendHandles[string(c.out[13:13+n])] = true
				c.mu.Unlock()
			}
		}
		if length >= 1 {
			c.outSkip = 4 + length - uint32(len(c.out))
		}
		c.out = c.out[:0]
		c.outWant = 5
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
