package eventstore

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// ErrInvalidAppend reports an append that no store accepts: an empty stream
// name, an event without a type, an ID that is not a UUID, or data that is
// not a JSON document. Nothing is written.
var ErrInvalidAppend = errors.New("invalid append")

// ErrInvalidLimit reports a ReadAll call whose limit is not positive.
var ErrInvalidLimit = errors.New("invalid limit")

// PrepareAppend validates an append and returns a copy of events with every
// empty ID replaced by a new random UUID. Errors wrap ErrInvalidAppend and
// name the event's index and field. Both implementations call it first, so
// that they reject the same input.
func PrepareAppend(stream string, events []EventData) ([]EventData, error) {
	if stream == "" {
		return nil, fmt.Errorf("%w: stream name is empty", ErrInvalidAppend)
	}
	prepared := make([]EventData, len(events))
	for i, event := range events {
		if event.Type == "" {
			return nil, fmt.Errorf("%w: event %d: type is empty", ErrInvalidAppend, i)
		}
		if event.ID == "" {
			event.ID = uuid.NewString()
		} else if _, err := uuid.Parse(event.ID); err != nil {
			return nil, fmt.Errorf("%w: event %d: id %q is not a UUID", ErrInvalidAppend, i, event.ID)
		}
		if !json.Valid(event.Data) {
			return nil, fmt.Errorf("%w: event %d (%s): data is not valid JSON", ErrInvalidAppend, i, event.Type)
		}
		prepared[i] = event
	}
	return prepared, nil
}

// CheckLimit returns an error wrapping ErrInvalidLimit unless limit is
// positive.
func CheckLimit(limit int) error {
	if limit <= 0 {
		return fmt.Errorf("%w: %d, must be at least 1", ErrInvalidLimit, limit)
	}
	return nil
}
