package adminapi

import (
	"sync"
	"time"
)

// DefaultEventLogSize is the default capacity of an EventLog.
const DefaultEventLogSize = 1000

// Event is one entry of the event log GET /api/v1/events returns: logins
// (with the refusal reason), transfers, administrative changes.
type Event struct {
	Time   time.Time `json:"time"`
	Type   string    `json:"type"`
	User   string    `json:"user,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Path   string    `json:"path,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// EventLog keeps the latest events in memory, oldest dropped first. It is
// safe for concurrent use.
type EventLog struct {
	mu   sync.Mutex
	ring []Event
	next int
	full bool
}

// NewEventLog returns a log holding the latest size events.
func NewEventLog(size int) *EventLog {
	if size < 1 {
		size = DefaultEventLogSize
	}
	return &EventLog{ring: make([]Event, size)}
}

// Add records e.
func (l *EventLog) Add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next] = e
	l.next = (l.next + 1) % len(l.ring)
	if l.next == 0 {
		l.full = true
	}
}

// Latest returns up to n events, newest first.
func (l *EventLog) Latest(n int) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := l.next
	if l.full {
		size = len(l.ring)
	}
	n = min(n, size)
	out := make([]Event, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, l.ring[(l.next-i+len(l.ring))%len(l.ring)])
	}
	return out
}
