//go:build !linux

package sftpserver

import "net"

// quickAck is only implemented on Linux.
func quickAck(net.Conn) bool { return false }
