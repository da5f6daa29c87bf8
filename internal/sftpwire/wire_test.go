package sftpwire

import (
	"bytes"
	"encoding/binary"
	"io"
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
	c := Guard(rwc)
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
	c := Guard(&pipeRWC{in: pr})
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
	c := Guard(&pipeRWC{in: pr})
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
	c := Guard(&pipeRWC{in: pr})
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
	c := Guard(&pipeRWC{in: nil})
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
	c := Guard(&pipeRWC{in: pr})
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
