package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrSpec is wrapped by Agent's error when the spec is not valid JSON, has
// unknown fields or fails validation: the caller's input is at fault.
var ErrSpec = errors.New("invalid load spec")

// AgentSpec is what `lvslab load-agent --spec JSON` runs: Run with
// Options, or Ramp with Options and Ramp when Ramp is set.
type AgentSpec struct {
	Options Options      `json:"options"`
	Ramp    *RampOptions `json:"ramp,omitempty"`
}

// ParseSpec decodes a JSON AgentSpec strictly (no unknown fields, nothing
// after it) and validates it. Errors wrap ErrSpec.
func ParseSpec(spec []byte) (AgentSpec, error) {
	var s AgentSpec
	dec := json.NewDecoder(bytes.NewReader(spec))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	if dec.More() {
		return s, fmt.Errorf("%w: data after the spec", ErrSpec)
	}
	var err error
	if s.Ramp != nil {
		o, r := s.Options, *s.Ramp
		err = validateRamp(&o, &r)
	} else {
		err = s.Options.Validate()
	}
	if err != nil {
		return s, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	return s, nil
}

// Agent runs spec (see ParseSpec) and writes its events to w as JSON lines
// as they happen: every Interval, every RampStep, then one Summary (or
// Ramp) event. On an error it writes an Error event and returns the error;
// a cancelled run writes what it has first.
func Agent(ctx context.Context, spec []byte, w io.Writer) error {
	enc := NewEncoder(w)
	err := agent(ctx, spec, enc)
	if err != nil {
		if werr := enc.Encode(Event{Error: err.Error()}); werr != nil {
			return errors.Join(err, werr)
		}
	}
	return err
}

func agent(ctx context.Context, spec []byte, enc *Encoder) error {
	s, err := ParseSpec(spec)
	if err != nil {
		return err
	}
	var encErr error
	send := func(ev Event) {
		if err := enc.Encode(ev); err != nil && encErr == nil {
			encErr = err
		}
	}
	interval := func(iv Interval) { send(Event{Interval: &iv}) }
	if s.Ramp != nil {
		res, err := Ramp(ctx, s.Options, *s.Ramp, interval, func(st RampStep) { send(Event{Step: &st}) })
		if err == nil || ctx.Err() != nil {
			send(Event{Ramp: &res})
		}
		return errors.Join(err, encErr)
	}
	sum, err := Run(ctx, s.Options, interval)
	if err == nil || ctx.Err() != nil {
		send(Event{Summary: &sum})
	}
	return errors.Join(err, encErr)
}
