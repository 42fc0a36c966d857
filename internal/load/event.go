package load

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// MaxEventLine bounds one line of Decode's input.
const MaxEventLine = 16 << 20

// Event is one JSON line of `lvslab load-agent`: exactly one field is set.
type Event struct {
	Interval *Interval   `json:"interval,omitempty"`
	Step     *RampStep   `json:"step,omitempty"`
	Summary  *Summary    `json:"summary,omitempty"`
	Ramp     *RampResult `json:"ramp,omitempty"`
	Error    string      `json:"error,omitempty"`
}

// Encoder writes Events as JSON lines. It is safe for concurrent use.
type Encoder struct {
	mu sync.Mutex
	w  io.Writer
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes e as one line, in one Write.
func (e *Encoder) Encode(ev Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, err := e.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return nil
}

// Decode reads JSON lines from r and calls fn with each Event, in order;
// blank lines are skipped. It stops at the first error: a line longer than
// MaxEventLine or that is not an Event (both naming the line), r's, or
// fn's, returned as it is.
func Decode(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxEventLine)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			return fmt.Errorf("event line %d: %w", line, err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("event line %d: longer than %d MiB", line+1, MaxEventLine>>20)
		}
		return fmt.Errorf("read events: %w", err)
	}
	return nil
}
