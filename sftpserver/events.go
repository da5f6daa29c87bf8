package sftpserver

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// EventType is the stable name of an event (SPEC EVT-01).
type EventType string

// Event types.
const (
	EventAuthSucceeded EventType = "auth.succeeded" // a connection authenticated
	EventAuthRejected  EventType = "auth.rejected"  // a connection failed to authenticate; Reason says why
	EventSessionStart  EventType = "session.started"
	EventSessionEnd    EventType = "session.ended"
	// A transfer event is emitted when a file handle closes: upload for a
	// write-only handle, download for a read-only one. A read-write handle
	// (pkg/sftp's client creates files that way) is classified by what it
	// did: only writes make an upload, only reads a download, both (or
	// neither) a transfer.close.
	EventUpload   EventType = "transfer.upload"
	EventDownload EventType = "transfer.download"
	EventTransfer EventType = "transfer.close"
	EventMkdir    EventType = "fs.mkdir"
	EventRmdir    EventType = "fs.rmdir"
	EventRemove   EventType = "fs.remove"
	EventRename   EventType = "fs.rename"
	EventSetstat  EventType = "fs.setstat"
	EventSymlink  EventType = "fs.symlink"
	// Events an authenticator reports through auth.Identity.Notices, right
	// after auth.succeeded (SPEC EVT-07); Reason holds the detail. These
	// are the types auth.Configured uses.
	EventHomeCreated         EventType = "home.created"
	EventHomeStructureFailed EventType = "home.structure-failed"
	EventVFMissingRealPath   EventType = "vf.missing-real-path"
	EventVFDuplicate         EventType = "vf.duplicate"
	EventKeysInvalid         EventType = "keys.invalid"
	EventKeysReadFailed      EventType = "keys.read-failed"
	EventKeysPrivateKeyFound EventType = "keys.private-key-found"
	// EventRemoveDelayed reports the outcome of a REMOVE that
	// ssh_delete_delay deferred: Outcome is "deleted", "failed",
	// "skipped-replaced" or "dropped" (SPEC DEL-04, DEL-08, EVT-06).
	EventRemoveDelayed EventType = "fs.remove.delayed"
)

// Event is one thing that happened on the server. Fields that do not apply
// to a type are zero.
type Event struct {
	Type      EventType
	Time      time.Time
	SessionID string // connection id, plus "/N" for the Nth session channel
	User      string // account name; empty before authentication
	Remote    net.Addr
	Local     net.Addr

	// Authentication.
	Methods  []string // methods that succeeded
	Reason   string   // why authentication failed (auth.Reason values)
	Attempts int      // authentication attempts (excluding "none")

	// File operations and transfers. Paths are virtual.
	Path          string
	Target        string // rename and symlink destination
	RequestedPath string // the client's path when an upload was stored under another name (amend_write_name)
	// Delayed marks a REMOVE deferred by ssh_delete_delay: on fs.remove it
	// means "accepted, runs later"; fs.remove.delayed carries the Outcome.
	Delayed      bool
	Outcome      string
	BytesRead    int64
	BytesWritten int64
	Duration     time.Duration
	// Aborted is set when a transfer ended because the connection broke
	// before the client closed the handle.
	Aborted bool
	// Status is the SFTP status code sent to the client (0 = OK) and Err
	// the client-visible error, nil on success.
	Status uint32
	Err    error
	// Permission, Rule and RuleSource explain a permission denial: the
	// missing permission ("allow-write"), the deciding rule's expression
	// ("(global)" for the global set) and who contributed it ("group
	// partners", "account alice").
	Permission string
	Rule       string
	RuleSource string
}

// Failed reports whether the event records a failure.
func (e Event) Failed() bool {
	return e.Err != nil || e.Aborted || e.Type == EventAuthRejected
}

// An EventSink receives the server's events, one at a time, in order, on a
// goroutine of the server's. A slow sink never delays a client: events that
// do not fit in the queue are dropped and counted (see Server.DroppedEvents).
type EventSink interface {
	HandleEvent(ctx context.Context, e Event)
}

// EventSinkFunc adapts a function to the EventSink interface.
type EventSinkFunc func(ctx context.Context, e Event)

// HandleEvent calls f(ctx, e).
func (f EventSinkFunc) HandleEvent(ctx context.Context, e Event) { f(ctx, e) }

// eventQueueLen bounds the events waiting for the sink.
const eventQueueLen = 4096

// emitter delivers events to the logger and the sink without ever blocking
// the emitting goroutine.
type emitter struct {
	sink    EventSink
	log     *slog.Logger
	mu      sync.RWMutex
	ch      chan Event
	closed  bool
	done    chan struct{}
	dropped atomic.Int64
}

func newEmitter(sink EventSink, log *slog.Logger) *emitter {
	e := &emitter{sink: sink, log: log, ch: make(chan Event, eventQueueLen), done: make(chan struct{})}
	go e.run()
	return e
}

func (e *emitter) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		e.dropped.Add(1)
		return
	}
	select {
	case e.ch <- ev:
	default:
		e.dropped.Add(1)
	}
}

func (e *emitter) run() {
	defer close(e.done)
	ctx := context.Background()
	for ev := range e.ch {
		e.logEvent(ev)
		if e.sink != nil {
			e.deliver(ctx, ev)
		}
	}
}

func (e *emitter) deliver(ctx context.Context, ev Event) {
	defer func() {
		if r := recover(); r != nil {
			e.dropped.Add(1)
			e.log.Error("sftpserver: event sink panicked", "type", string(ev.Type), "panic", r)
		}
	}()
	e.sink.HandleEvent(ctx, ev)
}

func (e *emitter) logEvent(ev Event) {
	level := slog.LevelInfo
	if ev.Failed() {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("session", ev.SessionID)}
	if ev.User != "" {
		attrs = append(attrs, slog.String("user", ev.User))
	}
	if ev.Remote != nil {
		attrs = append(attrs, slog.String("remote", ev.Remote.String()))
	}
	if ev.Reason != "" {
		attrs = append(attrs, slog.String("reason", ev.Reason))
	}
	if ev.Path != "" {
		attrs = append(attrs, slog.String("path", ev.Path))
	}
	if ev.Target != "" {
		attrs = append(attrs, slog.String("target", ev.Target))
	}
	if ev.RequestedPath != "" {
		attrs = append(attrs, slog.String("requested_path", ev.RequestedPath))
	}
	if ev.BytesRead != 0 || ev.BytesWritten != 0 {
		attrs = append(attrs, slog.Int64("bytes_read", ev.BytesRead), slog.Int64("bytes_written", ev.BytesWritten))
	}
	if ev.Duration != 0 {
		attrs = append(attrs, slog.Duration("duration", ev.Duration))
	}
	if ev.Aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	if ev.Delayed {
		attrs = append(attrs, slog.Bool("delayed", true))
	}
	if ev.Outcome != "" {
		attrs = append(attrs, slog.String("outcome", ev.Outcome))
	}
	if ev.Err != nil {
		attrs = append(attrs, slog.String("err", ev.Err.Error()))
	}
	if ev.Permission != "" {
		attrs = append(attrs, slog.String("permission", ev.Permission), slog.String("rule", ev.Rule), slog.String("rule_source", ev.RuleSource))
	}
	e.log.LogAttrs(context.Background(), level, string(ev.Type), attrs...)
}

// close stops accepting events and waits until the queued ones are delivered.
func (e *emitter) close() {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		close(e.ch)
	}
	e.mu.Unlock()
	<-e.done
}
