// Command sftpclient is the Go SFTP client of the benchmark harness
// (bench/run.sh), built on github.com/pkg/sftp with concurrent reads and
// writes. It authenticates with a private key and does not check host keys:
// it is for benchmarks on loopback only.
//
// Usage:
//
//	sftpclient get   [flags] REMOTE LOCAL   download one file
//	sftpclient put   [flags] LOCAL REMOTE   upload one file
//	sftpclient scale [flags]                -n sessions at once, each uploads then downloads its own -mib file
//	sftpclient idle  [flags]                open -n sessions, print "idle: ..." and hold them until stdin closes or a signal
//	sftpclient rss   -pid PID [-once] [-pss]
//
// rss is the harness's memory probe: it sums the resident set size (VmRSS,
// from /proc/P/statm) of PID and all its descendants, every -interval until
// SIGTERM or SIGINT, and prints the largest sum in KiB; with -once it prints
// the current sum (and with -pss the sum of Pss from smaps_rollup as well).
package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

type options struct {
	addr, user, key, cipher string
	packet, requests        int
	n, mib, handshakes      int
	dir                     string
	pid                     int
	interval                time.Duration
	once, pss               bool

	signer ssh.Signer
	sem    chan struct{} // bounds the handshakes in progress
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sftpclient get|put|scale|idle|rss [flags] [args]")
		os.Exit(2)
	}
	mode := os.Args[1]
	var o options
	fs := flag.NewFlagSet("sftpclient "+mode, flag.ExitOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:22", "server address")
	fs.StringVar(&o.user, "user", "root", "user name")
	fs.StringVar(&o.key, "key", "", "private key file (OpenSSH format, no passphrase)")
	fs.StringVar(&o.cipher, "cipher", "", "SSH cipher (default: x/crypto's preference list)")
	fs.IntVar(&o.packet, "packet", 32768, "SFTP data bytes per read/write request")
	fs.IntVar(&o.requests, "requests", 64, "requests in flight per file")
	fs.IntVar(&o.n, "n", 0, "scale, idle: sessions (default 200 for scale, 1000 for idle)")
	fs.IntVar(&o.mib, "mib", 16, "scale: MiB per session")
	fs.StringVar(&o.dir, "dir", "", "scale: remote directory for the files")
	fs.IntVar(&o.handshakes, "handshakes", 32, "scale, idle: SSH handshakes in progress at most")
	fs.IntVar(&o.pid, "pid", 0, "rss: root process")
	fs.DurationVar(&o.interval, "interval", 20*time.Millisecond, "rss: sampling interval")
	fs.BoolVar(&o.once, "once", false, "rss: print the current sum and exit")
	fs.BoolVar(&o.pss, "pss", false, "rss -once: also print the sum of Pss")
	fs.Parse(os.Args[2:])

	var err error
	switch mode {
	case "get", "put":
		if fs.NArg() != 2 {
			err = fmt.Errorf("%s needs two paths", mode)
			break
		}
		err = transfer(&o, mode, fs.Arg(0), fs.Arg(1))
	case "scale":
		err = scale(&o)
	case "idle":
		err = idle(&o)
	case "rss":
		err = rss(&o)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sftpclient %s: %v\n", mode, err)
		os.Exit(1)
	}
}

// dial opens an SSH connection and an SFTP session on it.
func (o *options) dial() (*ssh.Client, *sftp.Client, error) {
	if o.signer == nil {
		pem, err := os.ReadFile(o.key)
		if err != nil {
			return nil, nil, err
		}
		if o.signer, err = ssh.ParsePrivateKey(pem); err != nil {
			return nil, nil, err
		}
	}
	cfg := &ssh.ClientConfig{
		User:            o.user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(o.signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // benchmark on loopback only
		Timeout:         time.Minute,
	}
	if o.cipher != "" {
		cfg.Ciphers = []string{o.cipher}
	}
	if o.sem != nil {
		o.sem <- struct{}{}
	}
	conn, err := ssh.Dial("tcp", o.addr, cfg)
	if o.sem != nil {
		<-o.sem
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := sftp.NewClient(conn,
		sftp.UseConcurrentReads(true),
		sftp.UseConcurrentWrites(true),
		sftp.MaxConcurrentRequestsPerFile(o.requests),
		sftp.MaxPacketUnchecked(o.packet))
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, c, nil
}

// transfer downloads (get) or uploads (put) one file.
func transfer(o *options, mode, src, dst string) error {
	conn, c, err := o.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	defer c.Close()
	start := time.Now()
	var n, size int64
	if mode == "get" {
		r, err := c.Open(src)
		if err != nil {
			return err
		}
		defer r.Close()
		fi, err := r.Stat()
		if err != nil {
			return err
		}
		size = fi.Size()
		w, err := os.Create(dst)
		if err != nil {
			return err
		}
		if n, err = r.WriteTo(w); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	} else {
		r, err := os.Open(src)
		if err != nil {
			return err
		}
		defer r.Close()
		fi, err := r.Stat()
		if err != nil {
			return err
		}
		size = fi.Size()
		w, err := c.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return err
		}
		if n, err = w.ReadFrom(r); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	if n != size {
		// pkg/sftp's concurrent WriteTo expects every read to be answered
		// in full; a server that returns less than -packet bytes per read
		// leaves the download short.
		return fmt.Errorf("transferred %d bytes of %d (for get: does the server cap reads below -packet %d?)", n, size, o.packet)
	}
	d := time.Since(start).Seconds()
	fmt.Printf("%s: %d bytes in %.3f s, %.0f MB/s\n", mode, n, d, float64(n)/d/1e6)
	return nil
}

// compareWriter checks that what is written equals want, in order.
type compareWriter struct {
	want []byte
	off  int
}

func (w *compareWriter) Write(p []byte) (int, error) {
	if len(p) > len(w.want)-w.off || !bytes.Equal(p, w.want[w.off:w.off+len(p)]) {
		return 0, fmt.Errorf("downloaded data differs at or after byte %d", w.off)
	}
	w.off += len(p)
	return len(p), nil
}

// scale runs o.n sessions at once; each uploads its own file of o.mib MiB,
// downloads it and checks its contents.
func scale(o *options) error {
	if o.n <= 0 {
		o.n = 200
	}
	o.sem = make(chan struct{}, o.handshakes)
	data := make([]byte, o.mib<<20)
	rand.Read(data)
	conn, _, err := o.dial() // fail early, and parse the key once
	if err != nil {
		return err
	}
	conn.Close()
	times := make([]time.Duration, o.n)
	errs := make([]error, o.n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.n {
		wg.Go(func() {
			t0 := time.Now()
			errs[i] = session(o, path.Join(o.dir, fmt.Sprintf("scale%d.bin", i)), data)
			times[i] = time.Since(t0)
		})
	}
	wg.Wait()
	wall := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	slices.Sort(times)
	pct := func(p int) float64 { return times[(len(times)*p+99)/100-1].Seconds() } // nearest rank
	fmt.Printf("scale: sessions=%d mib=%d wall_s=%.3f mbps=%.1f p50_s=%.3f p99_s=%.3f max_s=%.3f\n",
		o.n, o.mib, wall.Seconds(), 2*float64(o.n*len(data))/wall.Seconds()/1e6, pct(50), pct(99), pct(100))
	return nil
}

// session is one scale session: log in, upload, download and compare.
func session(o *options, name string, data []byte) error {
	conn, c, err := o.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	defer c.Close()
	w, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	if _, err := w.ReadFrom(bytes.NewReader(data)); err != nil {
		w.Close()
		return fmt.Errorf("%s: upload: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: upload: %w", name, err)
	}
	r, err := c.Open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	cw := &compareWriter{want: data}
	if _, err := r.WriteTo(cw); err != nil {
		return fmt.Errorf("%s: download: %w", name, err)
	}
	if cw.off != len(data) {
		return fmt.Errorf("%s: downloaded %d bytes of %d", name, cw.off, len(data))
	}
	return nil
}

// idle opens o.n sessions, reports it on stdout, and holds them until stdin
// reaches EOF or a signal arrives.
func idle(o *options) error {
	if o.n <= 0 {
		o.n = 1000
	}
	o.sem = make(chan struct{}, o.handshakes)
	conns := make([]*ssh.Client, o.n)
	errs := make([]error, o.n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.n {
		wg.Go(func() {
			conn, c, err := o.dial()
			if err == nil {
				_, err = c.Getwd() // one round trip on the SFTP session
				conns[i] = conn
			}
			errs[i] = err
		})
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Printf("idle: sessions=%d open_s=%.3f\n", o.n, time.Since(start).Seconds())
	done := make(chan os.Signal, 1)
	signal.Notify(done, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		done <- syscall.SIGHUP
	}()
	<-done
	return nil
}

// rss prints the resident set size of o.pid and its descendants: the
// largest sum seen until a signal, or with -once the current one.
func rss(o *options) error {
	t := procTree{ppid: map[int]int{}}
	if o.once {
		kib, pss, nproc, err := t.sum(o.pid, o.pss)
		if err != nil {
			return err
		}
		if o.pss {
			fmt.Println(kib, pss, nproc)
		} else {
			fmt.Println(kib, nproc)
		}
		return nil
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	var peak int64
	for {
		kib, _, _, err := t.sum(o.pid, false)
		if err != nil {
			return err
		}
		peak = max(peak, kib)
		select {
		case <-stop:
			if kib, _, _, err := t.sum(o.pid, false); err == nil {
				peak = max(peak, kib)
			}
			fmt.Println(peak)
			return nil
		case <-tick.C:
		}
	}
}

// procTree caches the parent of every process seen in /proc, so that a
// sample reads /proc/N/stat only for processes that are new since the last.
type procTree struct {
	proc *os.File // /proc, read again for every sample
	ppid map[int]int
}

// sum returns the sum of VmRSS (and with pss, of Pss) in KiB over root and
// its descendants, and how many processes that is.
func (t *procTree) sum(root int, pss bool) (rssKiB, pssKiB int64, n int, err error) {
	if t.proc == nil {
		if t.proc, err = os.Open("/proc"); err != nil {
			return 0, 0, 0, err
		}
	}
	if _, err := t.proc.Seek(0, io.SeekStart); err != nil {
		return 0, 0, 0, err
	}
	names, err := t.proc.Readdirnames(-1)
	if err != nil {
		return 0, 0, 0, err
	}
	alive := make(map[int]bool, len(names))
	children := map[int][]int{}
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		alive[pid] = true
		pp, ok := t.ppid[pid]
		if !ok {
			b, err := os.ReadFile("/proc/" + name + "/stat")
			if err != nil {
				continue // exited meanwhile
			}
			// pid (comm) state ppid ...; comm may contain spaces and parentheses.
			f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
			if len(f) < 2 {
				continue
			}
			pp, _ = strconv.Atoi(f[1])
			t.ppid[pid] = pp
		}
		children[pp] = append(children[pp], pid)
	}
	for pid := range t.ppid {
		if !alive[pid] {
			delete(t.ppid, pid)
		}
	}
	if !alive[root] {
		return 0, 0, 0, fmt.Errorf("process %d not found", root)
	}
	page := int64(os.Getpagesize()) / 1024
	for queue := []int{root}; len(queue) > 0; queue = queue[1:] {
		pid := queue[0]
		queue = append(queue, children[pid]...)
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
		if err != nil {
			continue // exited meanwhile
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			continue
		}
		pages, _ := strconv.ParseInt(f[1], 10, 64)
		rssKiB += pages * page
		n++
		if pss {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
			if err != nil {
				continue
			}
			for l := range strings.Lines(string(b)) {
				if rest, ok := strings.CutPrefix(l, "Pss:"); ok {
					kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
					pssKiB += kib
					break
				}
			}
		}
	}
	return rssKiB, pssKiB, n, nil
}
