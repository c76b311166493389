// Package logging builds the process logger and adapts it for Watermill.
package logging

import (
	"io"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/rs/zerolog"
)

// New returns the process logger: JSON lines, or human-readable console
// output, at the given level ("debug", "info", "warn", "error").
func New(out io.Writer, level, format string) zerolog.Logger {
	if out == nil {
		out = os.Stderr
	}
	if format == "console" {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.RFC3339}
	}
	parsed, err := zerolog.ParseLevel(level)
	if err != nil {
		parsed = zerolog.InfoLevel
	}
	return zerolog.New(out).Level(parsed).With().Timestamp().Logger()
}

// Watermill adapts a zerolog logger to watermill.LoggerAdapter. Watermill's
// info lines become debug lines, because Watermill logs each subscription
// and handler at info, which is noise for an operator.
type Watermill struct {
	Logger zerolog.Logger
}

func (w Watermill) fields(event *zerolog.Event, fields watermill.LogFields) *zerolog.Event {
	for key, value := range fields {
		event = event.Interface(key, value)
	}
	return event
}

func (w Watermill) Error(msg string, err error, fields watermill.LogFields) {
	w.fields(w.Logger.Error().Err(err), fields).Msg(msg)
}

func (w Watermill) Info(msg string, fields watermill.LogFields) {
	w.fields(w.Logger.Debug(), fields).Msg(msg)
}

func (w Watermill) Debug(msg string, fields watermill.LogFields) {
	w.fields(w.Logger.Trace(), fields).Msg(msg)
}

func (w Watermill) Trace(msg string, fields watermill.LogFields) {
	w.fields(w.Logger.Trace(), fields).Msg(msg)
}

func (w Watermill) With(fields watermill.LogFields) watermill.LoggerAdapter {
	ctx := w.Logger.With()
	for key, value := range fields {
		ctx = ctx.Interface(key, value)
	}
	return Watermill{Logger: ctx.Logger()}
}
