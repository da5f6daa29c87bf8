package sftpserver

import (
	"net"
	"syscall"
)

// quickAck asks the kernel to acknowledge what nc has received at once
// rather than delaying the ACK (TCP_QUICKACK). Linux leaves quick-ack mode
// again on its own, so it is asked after every read while it matters. It
// reports whether nc supports it.
func quickAck(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	}); err != nil || serr != nil {
		return false
	}
	return true
}
