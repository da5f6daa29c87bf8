package sftpwire

import (
	"bytes"
	"encoding/binary"
	"io"
	"sync"
	"testing"
	"time"
)

// pipeRWC is a client-side byte source and a reply sink.
type pipeRWC struct {
	in  *io.PipeReader
	out bytes.Buffer
}

func (p *pipeRWC) Read(b []byte) (int, error)  { return p.in.Read(b) }
func (p *pipeRWC) Write(b []byte) (int, error) { return p.out.Write(b) }
func (p *pipeRWC) Close() error                { return p.in.Close() }

func packet(typ byte, id uint32, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(1+4+len(payload)))
	b = append(b, typ)
	b = binary.BigEndian.AppendUint32(b, id)
	return append(b, payload...)
}

// readPacket reads one whole packet through c, as pkg/sftp does.
func readPacket(c *Conn) ([]byte, error) {
	var l [4]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(l[:]))
	_, err := io.ReadFull(c, body)
	return append(l[:], body...), err
}

// A WRITE pipelined behind an unanswered OPEN is held until the OPEN's reply
// goes out, and every byte passes through unchanged.
func TestGuard_HoldsReadWriteBehindOpen(t *testing.T) {
	pr, pw := io.Pipe()
	rwc := &pipeRWC{in: pr}
	c := Guard(rwc, Options{})
	open := packet(typeOpen, 7, []byte("\x00\x00\x00\x02/f\x00\x00\x00\x1a\x00\x00\x00\x00"))
	write := packet(typeWrite, 8, []byte("\x00\x00\x00\x011\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03abc"))
	go pw.Write(append(append([]byte{}, open...), write...))

	got, err := readPacket(c)
	if err != nil || !bytes.Equal(got, open) {
		t.Fatalf("OPEN = %x, %v", got, err)
	}
	done := make(chan []byte)
	go func() {
		p, _ := readPacket(c)
		done <- p
	}()
	select {
	case <-done:
		t.Fatal("WRITE released before the OPEN was answered")
	case <-time.After(50 * time.Millisecond):
	}
	// The HANDLE reply, written in two pieces as pkg/sftp does.
	reply := packet(102, 7, []byte("\x00\x00\x00\x011"))
	c.Write(reply[:3])
	c.Write(reply[3:])
	select {
	case p := <-done:
		if !bytes.Equal(p, write) {
			t.Fatalf("WRITE = %x, want %x", p, write)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WRITE still held after the OPEN was answered")
	}
	if !bytes.Equal(rwc.out.Bytes(), reply) {
		t.Fatal("reply bytes altered")
	}
}

// Close releases a held READ.
func TestGuard_CloseReleases(t *testing.T) {
	pr, pw := io.Pipe()
	c := Guard(&pipeRWC{in: pr}, Options{})
	go pw.Write(append(packet(typeOpen, 1, nil), packet(typeRead, 2, nil)...))
	if _, err := readPacket(c); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		readPacket(c)
		close(done)
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the held READ")
	}
}

// Short and odd packets pass through byte for byte.
func TestGuard_PassesShortPackets(t *testing.T) {
	pr, pw := io.Pipe()
	c := Guard(&pipeRWC{in: pr}, Options{})
	stream := []byte{0, 0, 0, 1, 1, 0, 0, 0, 3, 5, 0, 0}
	go func() {
		pw.Write(stream)
		pw.Close()
	}()
	got, err := io.ReadAll(c)
	if err != nil && err != io.ErrUnexpectedEOF {
		t.Fatal(err)
	}
	if !bytes.Equal(got, stream[:len(got)]) {
		t.Fatalf("got %x, want a prefix of %x", got, stream)
	}
}

// An OPEN waits until every earlier request is answered, so a READ sent
// just before the OPEN that will create its handle cannot race it; reply
// order counts, not ids (a STAT reusing the OPEN's id releases nothing).
func TestGuard_OpenWaitsForEarlierRequests(t *testing.T) {
	pr, pw := io.Pipe()
	c := Guard(&pipeRWC{in: pr}, Options{})
	read := packet(typeRead, 9, []byte("\x00\x00\x00\x011"))
	open := packet(typeOpen, 9, nil)
	write := packet(typeWrite, 10, nil)
	go pw.Write(append(append(append([]byte{}, read...), open...), write...))
	if p, err := readPacket(c); err != nil || !bytes.Equal(p, read) {
		t.Fatalf("READ = %x, %v", p, err)
	}
	got := make(chan []byte, 2)
	go func() {
		for range 2 {
			p, _ := readPacket(c)
			got <- p
		}
	}()
	select {
	case <-got:
		t.Fatal("OPEN released while an earlier READ is unanswered")
	case <-time.After(50 * time.Millisecond):
	}
	c.Write(packet(101, 9, []byte("\x00\x00\x00\x09"))) // the READ's STATUS
	if p := <-got; !bytes.Equal(p, open) {
		t.Fatalf("got %x, want the OPEN", p)
	}
	select {
	case <-got:
		t.Fatal("WRITE released before the OPEN was answered")
	case <-time.After(50 * time.Millisecond):
	}
	c.Write(packet(101, 9, nil)) // a reply reusing id 9 is the OPEN's, by order
	select {
	case p := <-got:
		if !bytes.Equal(p, write) {
			t.Fatalf("got %x, want the WRITE", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WRITE still held after the OPEN was answered")
	}
}

// Replies are counted across arbitrary write boundaries, payloads included.
func TestGuard_CountsRepliesAcrossWrites(t *testing.T) {
	c := Guard(&pipeRWC{in: nil}, Options{})
	var stream []byte
	for i := range 5 {
		stream = append(stream, packet(103, uint32(i), bytes.Repeat([]byte{byte(i)}, 100*i))...)
	}
	for len(stream) > 0 {
		k := min(len(stream), 7)
		c.scan(stream[:k])
		stream = stream[k:]
	}
	if c.answered != 5 {
		t.Fatalf("counted %d replies, want 5", c.answered)
	}
}

// A WRITE on a handle that an APPEND open received waits until every
// earlier request is answered; WRITEs on other handles do not.
func TestGuard_SerialisesAppendWrites(t *testing.T) {
	pr, pw := io.Pipe()
	c := Guard(&pipeRWC{in: pr}, Options{})
	openBody := append(append([]byte("\x00\x00\x00\x02/f"), 0, 0, 0, 0x06), 0, 0, 0, 0) // WRITE|APPEND, no attrs
	open := packet(typeOpen, 1, openBody)
	w1 := packet(typeWrite, 2, []byte("\x00\x00\x00\x01A\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01x"))
	w2 := packet(typeWrite, 3, []byte("\x00\x00\x00\x01A\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01y"))
	go pw.Write(append(append(append([]byte{}, open...), w1...), w2...))
	if p, err := readPacket(c); err != nil || !bytes.Equal(p, open) {
		t.Fatalf("OPEN = %x, %v", p, err)
	}
	c.Write(packet(typeHandle, 1, []byte("\x00\x00\x00\x01A"))) // handle "A"
	if p, err := readPacket(c); err != nil || !bytes.Equal(p, w1) {
		t.Fatalf("first WRITE = %x, %v", p, err)
	}
	got := make(chan []byte, 1)
	go func() {
		p, _ := readPacket(c)
		got <- p
	}()
	select {
	case <-got:
		t.Fatal("second append WRITE released while the first is unanswered")
	case <-time.After(50 * time.Millisecond):
	}
	c.Write(packet(101, 2, []byte("\x00\x00\x00\x00")))
	select {
	case p := <-got:
		if !bytes.Equal(p, w2) {
			t.Fatalf("second WRITE = %x", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second append WRITE never released")
	}
}

// recRWC is a client-side byte source that records each write separately.
type recRWC struct {
	in     io.Reader
	mu     sync.Mutex
	writes [][]byte
}

func (r *recRWC) Read(b []byte) (int, error) { return r.in.Read(b) }
func (r *recRWC) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, bytes.Clone(b))
	return len(b), nil
}
func (r *recRWC) Close() error { return nil }

// take returns the writes recorded so far and forgets them.
func (r *recRWC) take() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.writes
	r.writes = nil
	return w
}

func str(s string) []byte { return binary.BigEndian.AppendUint32(nil, uint32(len(s))) }

// INIT and limits@openssh.com are answered by the Conn itself; pkg/sftp
// never sees them.
func TestGuard_AnswersInitAndLimits(t *testing.T) {
	var in bytes.Buffer
	in.Write(packet(typeInit, 3, nil)) // INIT carries the version where the id would be
	in.Write(packet(typeExtended, 9, append(str("limits@openssh.com"), "limits@openssh.com"...)))
	stat := packet(17, 10, append(str("/"), '/'))
	in.Write(stat)
	rwc := &recRWC{in: &in}
	c := Guard(rwc, Options{MaxHandles: 77})
	if p, err := readPacket(c); err != nil || !bytes.Equal(p, stat) {
		t.Fatalf("first packet handed on = %x, %v; want the STAT", p, err)
	}
	w := rwc.take()
	if len(w) != 2 {
		t.Fatalf("%d replies, want VERSION and EXTENDED_REPLY", len(w))
	}
	version := []byte{typeVersion, 0, 0, 0, 3}
	for _, e := range extensions {
		version = append(append(append(append(version, str(e[0])...), e[0]...), str(e[1])...), e[1]...)
	}
	if want := append(binary.BigEndian.AppendUint32(nil, uint32(len(version))), version...); !bytes.Equal(w[0], want) {
		t.Errorf("VERSION = %x, want %x", w[0], want)
	}
	limits := []byte{typeExtendedReply, 0, 0, 0, 9}
	for _, v := range []uint64{MaxPacket, DefaultMaxData, DefaultMaxData, 77} {
		limits = binary.BigEndian.AppendUint64(limits, v)
	}
	if want := append(binary.BigEndian.AppendUint32(nil, uint32(len(limits))), limits...); !bytes.Equal(w[1], want) {
		t.Errorf("limits reply = %x, want %x", w[1], want)
	}
}

// An extended request other than limits passes through untouched.
func TestGuard_PassesOtherExtensions(t *testing.T) {
	ext := packet(typeExtended, 4, append(append(str("statvfs@openssh.com"), "statvfs@openssh.com"...), append(str("/"), '/')...))
	rwc := &recRWC{in: bytes.NewReader(ext)}
	c := Guard(rwc, Options{})
	if p, err := readPacket(c); err != nil || !bytes.Equal(p, ext) {
		t.Fatalf("handed on %x, %v; want %x", p, err, ext)
	}
	if w := rwc.take(); len(w) != 0 {
		t.Fatalf("answered %x itself", w)
	}
}

// A reply pkg/sftp writes in pieces reaches the channel in one write.
func TestGuard_OneWritePerReply(t *testing.T) {
	rwc := &recRWC{in: bytes.NewReader(nil)}
	c := Guard(rwc, Options{})
	data := packet(typeData, 1, append([]byte{0, 0, 0, 5}, "hello"...))
	status := packet(typeStatus, 2, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	for _, piece := range [][]byte{data[:13], data[13:], status} {
		if n, err := c.Write(piece); n != len(piece) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	w := rwc.take()
	if len(w) != 2 || !bytes.Equal(w[0], data) || !bytes.Equal(w[1], status) {
		t.Fatalf("writes = %x, want the DATA then the STATUS, each whole", w)
	}
	if c.answered != 2 {
		t.Fatalf("answered = %d, want 2", c.answered)
	}
}

// memFile is an in-memory file for the fast path.
type memFile struct {
	mu   sync.Mutex
	data []byte
	err  error // returned by WriteAt when set
}

type codedErr struct{}

func (codedErr) Error() string { return "quota exceeded" }
func (codedErr) Code() uint32  { return 4 }

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	if end := int(off) + len(p); end > len(f.data) {
		f.data = append(f.data, make([]byte, end-len(f.data))...)
	}
	return copy(f.data[off:], p), nil
}

func readReq(id uint32, handle string, off uint64, n uint32) []byte {
	b := append(str(handle), handle...)
	b = binary.BigEndian.AppendUint64(b, off)
	return packet(typeRead, id, binary.BigEndian.AppendUint32(b, n))
}

func writeReq(id uint32, handle string, off uint64, data string) []byte {
	b := append(str(handle), handle...)
	b = binary.BigEndian.AppendUint64(b, off)
	return packet(typeWrite, id, append(append(b, str(data)...), data...))
}

func statusReply(id, code uint32, msg string) []byte {
	b := binary.BigEndian.AppendUint32(nil, code)
	b = append(append(b, str(msg)...), msg...)
	return packet(typeStatus, id, append(b, 0, 0, 0, 0))
}

// READ and WRITE on a handle an OPEN reported through Opened are served
// by the Conn, in order, with pkg/sftp's replies; CLOSE unbinds the handle.
func TestGuard_FastPath(t *testing.T) {
	pr, pw := io.Pipe()
	rwc := &recRWC{in: pr}
	c := Guard(rwc, Options{})
	open := packet(typeOpen, 1, append(append(str("/f"), "/f"...), 0, 0, 0, 0x1b, 0, 0, 0, 0))
	go pw.Write(open)
	if p, err := readPacket(c); err != nil || !bytes.Equal(p, open) {
		t.Fatalf("OPEN = %x, %v", p, err)
	}
	f := &memFile{}
	c.Opened(f, f) // what the adapter does while the OPEN is in flight
	handle := packet(typeHandle, 1, append(str("7"), '7'))
	c.Write(handle[:9])
	c.Write(handle[9:])

	stat := packet(17, 6, append(str("/"), '/'))
	reqs := [][]byte{
		writeReq(2, "7", 0, "hello, "),
		writeReq(3, "7", 7, "world"),
		readReq(4, "7", 0, 100),
		readReq(5, "7", 12, 10),
		stat, // goes to pkg/sftp; the WRITE after it waits for its reply
		writeReq(7, "7", 12, "!"),
	}
	go func() {
		for _, r := range reqs {
			pw.Write(r)
		}
	}()
	if p, err := readPacket(c); err != nil || !bytes.Equal(p, stat) {
		t.Fatalf("handed on %x, %v; want only the STAT", p, err)
	}
	got := rwc.take()
	want := [][]byte{
		handle,
		statusReply(2, 0, ""),
		statusReply(3, 0, ""),
		packet(typeData, 4, append([]byte{0, 0, 0, 12}, "hello, world"...)),
		statusReply(5, 1, "EOF"),
	}
	if len(got) != len(want) {
		t.Fatalf("replies = %q, want %q", got, want)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("reply %d = %x, want %x", i, got[i], want[i])
		}
	}

	// The WRITE behind the unanswered STAT waits for its reply.
	next := make(chan []byte, 1)
	go func() {
		p, _ := readPacket(c)
		next <- p
	}()
	time.Sleep(50 * time.Millisecond)
	if w := rwc.take(); len(w) != 0 {
		t.Fatalf("WRITE answered before the earlier STAT: %x", w)
	}
	statReply := statusReply(6, 2, "no such file")
	c.Write(statReply)
	deadline := time.Now().Add(5 * time.Second)
	var w [][]byte
	for len(w) < 2 && time.Now().Before(deadline) {
		w = append(w, rwc.take()...)
		time.Sleep(time.Millisecond)
	}
	if len(w) != 2 || !bytes.Equal(w[0], statReply) || !bytes.Equal(w[1], statusReply(7, 0, "")) {
		t.Fatalf("replies = %x, want the STAT's then the WRITE's", w)
	}

	// A failing write answers with the file's code and message.
	f.mu.Lock()
	f.err = codedErr{}
	f.mu.Unlock()
	closeReq := packet(typeClose, 9, append(str("7"), '7'))
	after := readReq(10, "7", 0, 1)
	go func() {
		pw.Write(writeReq(8, "7", 0, "x"))
		pw.Write(closeReq)
		pw.Write(after)
	}()
	if p := <-next; !bytes.Equal(p, closeReq) {
		t.Fatalf("handed on %x, want the CLOSE", p)
	}
	if w := rwc.take(); len(w) != 1 || !bytes.Equal(w[0], statusReply(8, 4, "quota exceeded")) {
		t.Fatalf("failed WRITE answered %x", w)
	}
	// After CLOSE the handle is pkg/sftp's again (which answers it invalid).
	c.Write(statusReply(9, 0, ""))
	if p, err := readPacket(c); err != nil || !bytes.Equal(p, after) {
		t.Fatalf("READ after CLOSE = %x, %v; want it handed on", p, err)
	}
	if string(f.data) != "hello, world!" {
		t.Fatalf("file = %q", f.data)
	}
}
