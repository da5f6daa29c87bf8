// Package sftpwire sits on the SFTP byte stream between the SSH channel and
// pkg/sftp's request server. It does three things pkg/sftp does not:
//
//   - it enforces the request ordering pkg/sftp assumes of clients but does
//     not check;
//   - it answers INIT and the limits@openssh.com extension itself, so that
//     clients learn they may use 255 KiB reads and writes (OpenSSH's client
//     falls back to 32 KiB requests otherwise);
//   - it serves READ and WRITE on open files itself (the fast path), with
//     reused buffers, one channel write per reply and no per-packet
//     allocation, instead of pkg/sftp's fresh buffer per packet and its
//     hand-off to worker goroutines.
//
// # Ordering
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
// Conn therefore serialises what it passes to pkg/sftp:
//   - an OPEN or OPENDIR waits until every earlier request is answered;
//   - a READ or WRITE waits until the last OPEN or OPENDIR is answered;
//   - a WRITE on an APPEND handle waits until every earlier request is
//     answered.
//
// Replies are matched by their order, never by request id (which the client
// chooses and may reuse): pkg/sftp answers every request exactly once, in
// the order received. A reply counts as answered once it has been handed to
// the channel whole.
//
// # The fast path
//
// The request handler that opens a file reports it with [Conn.Opened] while
// the OPEN is in flight (only one OPEN is ever in flight, see above). When
// the HANDLE reply goes out, Conn binds that handle to the file. From then
// on, a READ or WRITE on the handle is served by Conn in its reading
// goroutine, one request at a time, in arrival order — the way OpenSSH's
// sftp-server serves them — after every request handed to pkg/sftp earlier
// has been answered, so the client observes exactly the order it sent. The
// file's ReadAt and WriteAt are the same methods pkg/sftp would have called;
// they must not keep the slice they are given (the io.WriterAt contract),
// as the buffer is reused. A CLOSE unbinds the handle before pkg/sftp sees
// it. Requests on handles Conn does not know, and malformed ones, go to
// pkg/sftp as before.
//
// Every reply reaches the channel in one write: pkg/sftp writes a reply's
// header and payload separately, so Conn collects a reply until it is whole
// (copying only such split replies), which keeps each small reply and each
// DATA header from becoming an SSH packet of its own.
package sftpwire

import (
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"sync"
)

// SFTP packet types and flags this package looks at.
const (
	typeInit          = 1
	typeVersion       = 2
	typeOpen          = 3
	typeClose         = 4
	typeRead          = 5
	typeWrite         = 6
	typeOpendir       = 11
	typeExtended      = 200
	typeStatus        = 101
	typeHandle        = 102
	typeData          = 103
	typeExtendedReply = 201

	flagAppend = 0x04

	statusOK  = 0
	statusEOF = 1
	// statusFailure is SSH_FX_FAILURE.
	statusFailure = 4
)

// MaxPacket is the largest packet (its length field) pkg/sftp accepts, and
// what limits@openssh.com advertises as max-packet-length.
const MaxPacket = 256 << 10

// DefaultMaxData is the default and largest data length of one READ reply
// or WRITE request: a packet's size less room for its header, as OpenSSH's
// sftp-server allows.
const DefaultMaxData = MaxPacket - 1024

// dataHeader is the size of a DATA reply's header: length, type, id, data length.
const dataHeader = 4 + 1 + 4 + 4

// Bounds on what Conn buffers; larger packets pass through unexamined
// (pkg/sftp refuses them or they carry no handle Conn knows).
const (
	maxOpenPacket = 64 << 10
	maxHandle     = 256
	maxExtName    = 64
)

// Options configures a Conn.
type Options struct {
	// MaxData caps the data of one READ reply and one WRITE request, and
	// is advertised as limits@openssh.com's max-read-length and
	// max-write-length. 0 or more than DefaultMaxData means DefaultMaxData.
	MaxData int
	// MaxHandles is advertised as max-open-handles; 0 means no limit.
	MaxHandles int
}

// extensions are the SFTP extensions advertised in VERSION: those pkg/sftp
// implements and the adapter supports, plus limits@openssh.com, answered
// here. statvfs@openssh.com and hardlink@openssh.com, which pkg/sftp would
// advertise, are answered OP_UNSUPPORTED by sftpkit and so not advertised.
var extensions = [][2]string{
	{"posix-rename@openssh.com", "1"},
	{"limits@openssh.com", "1"},
}

// file is an open file the fast path serves; r or w is nil for a file
// opened only for writing or only for reading.
type file struct {
	r io.ReaderAt
	w io.WriterAt
}

// bufPool holds the fast path's packet buffers (dataHeader+DefaultMaxData
// bytes), shared by all connections so that an idle session holds none.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, dataHeader+DefaultMaxData)
	return &b
}}

// Conn wraps one SFTP session's byte stream. Read is called by pkg/sftp's
// receiving goroutine, Write by its sending one; Close may come from anywhere.
type Conn struct {
	rwc     io.ReadWriteCloser
	maxData int
	maxOpen int

	mu       sync.Mutex
	cond     *sync.Cond
	sent     uint64 // requests handed to pkg/sftp
	answered uint64 // replies handed to the channel
	lastOpen uint64 // sequence number (1-based) of the last OPEN/OPENDIR
	closed   bool
	// opens holds, for each OPEN whose reply has not been seen, whether it
	// asked for APPEND; appendHandles the handles APPEND opens were given.
	opens         map[uint64]bool
	appendHandles map[string]bool
	// opened is the file the OPEN in flight opened (see Opened); files
	// the fast path's handles.
	opened *file
	files  map[string]*file

	// Inbound (client → pkg/sftp), used by Read only.
	buf     []byte // the current packet's parsed bytes, reused
	pending []byte // parsed bytes not yet handed to pkg/sftp
	remain  uint32 // payload bytes of the current packet still to pass through
	reply   []byte // the fast path's small replies, reused

	// Outbound, guarded by outMu: pkg/sftp's replies and the fast path's
	// are written whole, one at a time.
	outMu   sync.Mutex
	hold    []byte // a reply pkg/sftp has written only part of
	out     []byte // header of the current reply being collected
	outWant int    // bytes of header wanted
	outSkip uint32 // payload bytes of the current reply still to pass
	outSeq  uint64 // sequence number of the request the current reply answers
	outOpen bool   // the current reply answers an OPEN
}

// Guard returns rwc wrapped as described in the package documentation.
func Guard(rwc io.ReadWriteCloser, opts Options) *Conn {
	c := &Conn{
		rwc: rwc, maxData: opts.MaxData, maxOpen: max(opts.MaxHandles, 0),
		opens: map[uint64]bool{}, appendHandles: map[string]bool{}, files: map[string]*file{},
		outWant: 5,
	}
	if c.maxData <= 0 || c.maxData > DefaultMaxData {
		c.maxData = DefaultMaxData
	}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Opened tells c which file the OPEN in flight opened, for the fast path:
// r is nil unless the handle may read, w nil unless it may write. The
// request handler calls it just before returning the file to pkg/sftp.
func (c *Conn) Opened(r io.ReaderAt, w io.WriterAt) {
	c.mu.Lock()
	c.opened = &file{r: r, w: w}
	c.mu.Unlock()
}

// Read passes the client's bytes on, a packet at a time, serving the
// packets the fast path takes on the way.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(c.pending) == 0 && c.remain == 0 {
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

// nextPacket reads the next packet's header (and, for the packets Conn
// examines, the part of the payload it needs). It either serves the packet
// itself or waits as the ordering rules require and leaves the bytes read
// in c.pending for pkg/sftp.
func (c *Conn) nextPacket() error {
	// The previous packet's bytes have all been handed on (nextPacket runs
	// only when pending is empty), so its buffer is reused.
	if cap(c.buf) < 9 {
		c.buf = make([]byte, 0, 64)
	}
	buf := c.buf[:5]
	defer func() { c.buf = buf }() // keep what take grew
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
	// takeHandle reads a handle string (length first) if one of at most
	// maxHandle bytes fits in the packet. The bytes stay in buf: maps are
	// indexed with string(handle), which does not allocate.
	takeHandle := func() ([]byte, bool, error) {
		if rest < 4 {
			return nil, false, nil
		}
		l, err := take(4)
		if err != nil {
			return nil, false, err
		}
		n := binary.BigEndian.Uint32(l)
		if n > maxHandle || n > rest {
			return nil, false, nil
		}
		h, err := take(n)
		return h, err == nil, err
	}

	isAppendOpen := false
	var handle []byte
	examined := rest >= 4
	if examined {
		idb, err := take(4) // request id, or INIT's version
		if err != nil {
			return err
		}
		id := binary.BigEndian.Uint32(idb)
		switch typ {
		case typeInit:
			// Extension data a client may send with INIT is ignored.
			if _, err := io.CopyN(io.Discard, c.rwc, int64(rest)); err != nil {
				return err
			}
			return c.sendVersion()
		case typeExtended:
			if rest >= 4 && rest <= 4+maxExtName {
				size := rest
				name, err := take(size)
				if err != nil {
					return err
				}
				if n := binary.BigEndian.Uint32(name); n == size-4 && string(name[4:]) == "limits@openssh.com" {
					return c.sendLimits(id)
				}
			}
		case typeOpen:
			if rest <= maxOpenPacket {
				body, err := take(rest)
				if err != nil {
					return err
				}
				isAppendOpen = openAppends(body)
			}
		case typeRead:
			h, ok, err := takeHandle()
			if err != nil {
				return err
			}
			if ok && rest == 12 {
				if f := c.fastFile(h); f != nil && f.r != nil {
					tail, err := take(12)
					if err != nil {
						return err
					}
					return c.serveRead(id, f.r, binary.BigEndian.Uint64(tail), binary.BigEndian.Uint32(tail[8:]))
				}
			}
		case typeWrite:
			h, ok, err := takeHandle()
			if err != nil {
				return err
			}
			handle = h
			if ok && rest >= 12 {
				if f := c.fastFile(h); f != nil && f.w != nil {
					tail, err := take(12)
					if err != nil {
						return err
					}
					if n := binary.BigEndian.Uint32(tail[8:]); n == rest && int(n) <= c.maxData {
						return c.serveWrite(id, f.w, binary.BigEndian.Uint64(tail), n)
					}
				}
			}
		case typeClose:
			h, _, err := takeHandle()
			if err != nil {
				return err
			}
			handle = h
		}
	}

	c.mu.Lock()
	if examined {
		switch typ {
		case typeOpen, typeOpendir:
			c.waitLocked(c.sent)
			c.lastOpen = c.sent + 1
			c.opened = nil
			if typ == typeOpen {
				c.opens[c.lastOpen] = isAppendOpen
			}
		case typeRead:
			c.waitLocked(c.lastOpen)
		case typeWrite:
			c.waitLocked(c.lastOpen)
			if c.appendHandles[string(handle)] {
				c.waitLocked(c.sent)
			}
		case typeClose:
			delete(c.appendHandles, string(handle))
			delete(c.files, string(handle))
		}
	}
	c.sent++
	c.mu.Unlock()

	c.pending = buf
	c.remain = rest
	return nil
}

// fastFile returns the fast path's file for handle, or nil, after every
// request handed to pkg/sftp earlier has been answered.
func (c *Conn) fastFile(handle []byte) *file {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.files[string(handle)]
	if f != nil {
		c.waitLocked(c.sent)
		if c.closed {
			return nil
		}
	}
	return f
}

// serveRead answers a READ of n bytes at off from r.
func (c *Conn) serveRead(id uint32, r io.ReaderAt, off uint64, n uint32) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b := *bp
	n = min(n, uint32(c.maxData))
	got, err := r.ReadAt(b[dataHeader:dataHeader+int(n)], int64(off))
	if err != nil && (err != io.EOF || got == 0) {
		return c.sendStatus(id, err)
	}
	binary.BigEndian.PutUint32(b[0:], uint32(dataHeader-4+got))
	b[4] = typeData
	binary.BigEndian.PutUint32(b[5:], id)
	binary.BigEndian.PutUint32(b[9:], uint32(got))
	return c.send(b[:dataHeader+got])
}

// serveWrite reads a WRITE's n data bytes and writes them at off to w.
func (c *Conn) serveWrite(id uint32, w io.WriterAt, off uint64, n uint32) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b := (*bp)[:n]
	if _, err := io.ReadFull(c.rwc, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	_, err := w.WriteAt(b, int64(off))
	return c.sendStatus(id, err)
}

// coded is implemented by errors that carry an SFTP status code (the
// adapter's); their message is safe to send to the client.
type coded interface {
	error
	Code() uint32
}

// sendStatus answers id with the status err maps to, as pkg/sftp would
// for the adapter's errors: nil is OK, io.EOF is EOF, a coded error its
// code and message, anything else a bare failure.
func (c *Conn) sendStatus(id uint32, err error) error {
	code, msg := uint32(statusOK), ""
	var ce coded
	switch {
	case err == nil:
	case err == io.EOF:
		code, msg = statusEOF, "EOF"
	case errors.As(err, &ce):
		code, msg = ce.Code(), ce.Error()
	default:
		code, msg = statusFailure, "failure"
	}
	b := append(c.reply[:0], 0, 0, 0, 0, typeStatus)
	b = binary.BigEndian.AppendUint32(b, id)
	b = binary.BigEndian.AppendUint32(b, code)
	b = appendString(b, msg)
	b = appendString(b, "")
	c.reply = b
	return c.send(b)
}

// sendVersion answers INIT.
func (c *Conn) sendVersion() error {
	b := append(c.reply[:0], 0, 0, 0, 0, typeVersion, 0, 0, 0, 3)
	for _, e := range extensions {
		b = appendString(b, e[0])
		b = appendString(b, e[1])
	}
	c.reply = b
	return c.send(b)
}

// sendLimits answers limits@openssh.com.
func (c *Conn) sendLimits(id uint32) error {
	b := append(c.reply[:0], 0, 0, 0, 0, typeExtendedReply)
	b = binary.BigEndian.AppendUint32(b, id)
	b = binary.BigEndian.AppendUint64(b, MaxPacket)
	b = binary.BigEndian.AppendUint64(b, uint64(c.maxData))
	b = binary.BigEndian.AppendUint64(b, uint64(c.maxData))
	b = binary.BigEndian.AppendUint64(b, uint64(c.maxOpen))
	c.reply = b
	return c.send(b)
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// send writes one whole reply of the fast path (its length field is filled
// in here) between pkg/sftp's replies.
func (c *Conn) send(b []byte) error {
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	c.outMu.Lock()
	defer c.outMu.Unlock()
	_, err := c.rwc.Write(b)
	return err
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

// maxHold is the largest buffer kept for collecting split replies between
// replies; a larger one (a big DATA or NAME reply) is dropped after use.
const maxHold = 64 << 10

// Write passes pkg/sftp's replies to the client, each in one write, and
// counts them. pkg/sftp writes one reply at a time from one goroutine.
func (c *Conn) Write(p []byte) (int, error) {
	c.outMu.Lock()
	defer c.outMu.Unlock()
	whole := c.scan(p)
	if len(c.hold) == 0 && whole {
		return c.rwc.Write(p)
	}
	c.hold = append(c.hold, p...)
	if !whole {
		return len(p), nil
	}
	_, err := c.rwc.Write(c.hold)
	if cap(c.hold) > maxHold {
		c.hold = nil
	} else {
		c.hold = c.hold[:0]
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// scan follows the reply stream's framing across arbitrary write
// boundaries, counts the replies that end in p, binds the handles HANDLE
// replies give to OPENs, and reports whether p ends at a reply boundary.
func (c *Conn) scan(p []byte) bool {
	for len(p) > 0 {
		if c.outSkip > 0 {
			k := min(uint32(len(p)), c.outSkip)
			c.outSkip -= k
			p = p[k:]
			if c.outSkip == 0 {
				c.finishReply()
			}
			continue
		}
		k := min(len(p), c.outWant-len(c.out))
		c.out = append(c.out, p[:k]...)
		p = p[k:]
		if len(c.out) < c.outWant {
			return false
		}
		length := binary.BigEndian.Uint32(c.out[:4]) // counts the type byte too
		if c.outWant == 5 {
			c.mu.Lock()
			c.outSeq = c.answered + 1
			_, c.outOpen = c.opens[c.outSeq]
			c.mu.Unlock()
			// A HANDLE reply to an OPEN: collect id, length and handle.
			if c.outOpen && c.out[4] == typeHandle && length >= 9 && length-1 <= 8+maxHandle {
				c.outWant = 4 + int(length)
				continue
			}
		}
		if length >= 1 && 4+length > uint32(len(c.out)) {
			c.outSkip = 4 + length - uint32(len(c.out))
		} else {
			c.finishReply()
		}
	}
	return c.outSkip == 0 && len(c.out) == 0
}

// finishReply records a reply whose last byte has been scanned.
func (c *Conn) finishReply() {
	c.mu.Lock()
	if c.outOpen {
		appends := c.opens[c.outSeq]
		delete(c.opens, c.outSeq)
		if len(c.out) > 13 && c.out[4] == typeHandle {
			if n := binary.BigEndian.Uint32(c.out[9:13]); 13+int(n) <= len(c.out) {
				h := string(c.out[13 : 13+n])
				if appends {
					c.appendHandles[h] = true
				}
				if c.opened != nil {
					c.files[h] = c.opened
				}
			}
		}
		c.opened = nil
	}
	c.answered++
	c.cond.Broadcast()
	c.mu.Unlock()
	c.out = c.out[:0]
	c.outWant = 5
	c.outOpen = false
}

// Close closes the underlying stream and releases any waiting Read.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	return c.rwc.Close()
}
