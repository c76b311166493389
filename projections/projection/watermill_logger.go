package projection

import (
	"github.com/ThreeDotsLabs/watermill"
	"github.com/rs/zerolog"
)

// watermillLogger routes Watermill's logs to zerolog. Watermill logs each
// handler start and stop at info, which the runner reports itself, so info
// becomes debug here.
type watermillLogger struct {
	logger zerolog.Logger
}

func newWatermillLogger(logger zerolog.Logger) watermill.LoggerAdapter {
	return watermillLogger{logger: logger.With().Str("library", "watermill").Logger()}
}

func (l watermillLogger) Error(msg string, err error, fields watermill.LogFields) {
	l.logger.Error().Err(err).Fields(map[string]any(fields)).Msg(msg)
}

func (l watermillLogger) Info(msg string, fields watermill.LogFields) {
	l.logger.Debug().Fields(map[string]any(fields)).Msg(msg)
}

func (l watermillLogger) Debug(msg string, fields watermill.LogFields) {
	l.logger.Debug().Fields(map[string]any(fields)).Msg(msg)
}

func (l watermillLogger) Trace(msg string, fields watermill.LogFields) {
	l.logger.Trace().Fields(map[string]any(fields)).Msg(msg)
}

func (l watermillLogger) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return watermillLogger{logger: l.logger.With().Fields(map[string]any(fields)).Logger()}
}
