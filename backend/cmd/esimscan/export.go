package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/config"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/server"
)

// exportedEvent is one line of the NDJSON export.
type exportedEvent struct {
	Position   uint64              `json:"position"`
	ID         string              `json:"id"`
	Type       string              `json:"type"`
	Stream     string              `json:"stream"`
	Revision   uint64              `json:"revision"`
	RecordedAt string              `json:"recorded_at"`
	Metadata   eventstore.Metadata `json:"metadata"`
	Data       json.RawMessage     `json:"data"`
}

var csvHeader = []string{"position", "id", "type", "stream", "revision", "recorded_at",
	"actor_id", "correlation_id", "causation_id", "schema_version", "data"}

type exportFilter struct {
	from, to time.Time
	types    map[string]bool
}

func (f exportFilter) matches(event eventstore.RecordedEvent) bool {
	if !f.from.IsZero() && event.RecordedAt.Before(f.from) {
		return false
	}
	if !f.to.IsZero() && event.RecordedAt.After(f.to) {
		return false
	}
	return len(f.types) == 0 || f.types[event.Type]
}

func exportEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("events export", flag.ContinueOnError)
	flags.SetOutput(stderr)
	from := flags.String("from", "", "only events recorded at or after this RFC 3339 time")
	to := flags.String("to", "", "only events recorded at or before this RFC 3339 time")
	types := flags.String("type", "", "only events of these types (comma-separated, e.g. OrderPlaced,OrderPaid)")
	format := flags.String("format", "ndjson", "output format: ndjson or csv")
	if err := flags.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	filter, err := parseExportFilter(*from, *to, *types)
	if err != nil {
		return err
	}
	if *format != "ndjson" && *format != "csv" {
		return usageError{fmt.Sprintf("--format %q is not ndjson or csv", *format)}
	}
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return err
	}
	store, err := server.OpenStoreReadOnly(cfg)
	if err != nil {
		return err
	}
	defer store.Close()

	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	write := ndjsonWriter(out)
	if *format == "csv" {
		write, err = csvWriter(out)
		if err != nil {
			return err
		}
	}
	return forEachEvent(ctx, store, func(event eventstore.RecordedEvent) error {
		if !filter.matches(event) {
			return nil
		}
		return write(event)
	})
}

func parseExportFilter(from, to, types string) (exportFilter, error) {
	var filter exportFilter
	var err error
	if from != "" {
		if filter.from, err = time.Parse(time.RFC3339, from); err != nil {
			return filter, usageError{fmt.Sprintf("--from %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", from)}
		}
	}
	if to != "" {
		if filter.to, err = time.Parse(time.RFC3339, to); err != nil {
			return filter, usageError{fmt.Sprintf("--to %q is not an RFC 3339 time such as 2026-01-31T23:59:59Z", to)}
		}
	}
	if types != "" {
		filter.types = map[string]bool{}
		for _, eventType := range strings.Split(types, ",") {
			filter.types[strings.TrimSpace(eventType)] = true
		}
	}
	return filter, nil
}

// forEachEvent reads the whole log in order, a page at a time.
func forEachEvent(ctx context.Context, store eventstore.Store, visit func(eventstore.RecordedEvent) error) error {
	var after eventstore.Position
	for {
		page, err := store.ReadAll(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("read log after position %d: %w", after, err)
		}
		if len(page) == 0 {
			return nil
		}
		for _, event := range page {
			if err := visit(event); err != nil {
				return err
			}
		}
		after = page[len(page)-1].Position
	}
}

// redactedFields are data fields an export never shows: password hashes,
// and sealed credentials, which are ciphertext of no use to an analyst.
var redactedFields = []string{"password_hash", "sealed"}

// redact returns data with the redacted fields replaced by "[redacted]".
// Data without them is returned as it is, byte for byte.
func redact(data []byte) []byte {
	found := false
	for _, field := range redactedFields {
		found = found || bytes.Contains(data, []byte(`"`+field+`"`))
	}
	if !found {
		return data
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(data, &object); err != nil {
		return data
	}
	for _, field := range redactedFields {
		if _, ok := object[field]; ok {
			object[field] = json.RawMessage(`"[redacted]"`)
		}
	}
	encoded, err := json.Marshal(object)
	if err != nil {
		return data
	}
	return encoded
}

func ndjsonWriter(out io.Writer) func(eventstore.RecordedEvent) error {
	encoder := json.NewEncoder(out)
	return func(event eventstore.RecordedEvent) error {
		return encoder.Encode(exportedEvent{
			Position:   uint64(event.Position),
			ID:         event.ID,
			Type:       event.Type,
			Stream:     event.Stream,
			Revision:   uint64(event.Revision),
			RecordedAt: event.RecordedAt.UTC().Format(time.RFC3339Nano),
			Metadata:   event.Metadata,
			Data:       json.RawMessage(redact(event.Data)),
		})
	}
}

func csvWriter(out io.Writer) (func(eventstore.RecordedEvent) error, error) {
	writer := csv.NewWriter(out)
	if err := writer.Write(csvHeader); err != nil {
		return nil, err
	}
	return func(event eventstore.RecordedEvent) error {
		err := writer.Write([]string{
			strconv.FormatUint(uint64(event.Position), 10),
			event.ID,
			event.Type,
			event.Stream,
			strconv.FormatUint(uint64(event.Revision), 10),
			event.RecordedAt.UTC().Format(time.RFC3339Nano),
			event.Metadata.ActorID,
			event.Metadata.CorrelationID,
			event.Metadata.CausationID,
			strconv.Itoa(event.Metadata.SchemaVersion),
			string(redact(event.Data)),
		})
		if err != nil {
			return err
		}
		writer.Flush()
		return writer.Error()
	}, nil
}

func generateAppKey() (string, error) { return secrets.GenerateAppKey() }
