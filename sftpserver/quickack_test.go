package sftpserver

import (
	"net"
	"runtime"
	"testing"
)

// quickAck works on a TCP connection on Linux and reports false where it
// cannot apply.
func TestQuickAck(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Close()
		}
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, want := quickAck(c), runtime.GOOS == "linux"; got != want {
		t.Errorf("quickAck(TCP) = %v, want %v", got, want)
	}
	p1, p2 := net.Pipe()
	defer p1.Close()
	defer p2.Close()
	if quickAck(p1) {
		t.Error("quickAck(net.Pipe) = true")
	}
}
