package filestore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// ErrCorrupt reports a damaged record that is not the torn tail of an
// interrupted write, for example a checksum mismatch followed by more data.
// The store refuses to open rather than drop committed events.
var ErrCorrupt = errors.New("event log is corrupt")

// scanResult describes the frames found by scanFrames.
type scanResult struct {
	// end is the offset just after the last complete, valid frame.
	end int64
	// tornReason is set when the bytes from end to the end of the file form
	// no complete frame: the tail of a write that a crash interrupted.
	tornReason string
}

// scanFrames reads the frames from offset start up to size and calls visit
// with each frame's offset and payload. The payload buffer is reused, so
// visit must not keep it. Damage at the tail is reported in the result;
// damage with valid data after it is an error wrapping ErrCorrupt.
func scanFrames(
	file *os.File,
	start, size int64,
	visit func(offset int64, payload []byte) error,
) (scanResult, error) {
	reader := bufio.NewReaderSize(io.NewSectionReader(file, start, size-start), 1<<20)
	header := make([]byte, frameHeaderSize)
	var payload []byte
	offset := start
	for offset < size {
		if size-offset < frameHeaderSize {
			return scanResult{end: offset, tornReason: "incomplete frame header"}, nil
		}
		if _, err := io.ReadFull(reader, header); err != nil {
			return scanResult{}, fmt.Errorf("read frame header at offset %d: %w", offset, err)
		}
		payloadSize := int64(binary.LittleEndian.Uint32(header[0:4]))
		if binary.LittleEndian.Uint32(header[8:12]) != crc32.Checksum(header[0:8], castagnoli) {
			return damagedFrame(file, offset, offset, size, "frame header checksum mismatch")
		}
		if payloadSize > maxPayloadSize {
			return scanResult{}, fmt.Errorf("%w: frame at offset %d claims %d bytes", ErrCorrupt, offset, payloadSize)
		}
		frameEnd := offset + frameHeaderSize + payloadSize
		if frameEnd > size {
			return scanResult{end: offset, tornReason: "incomplete frame"}, nil
		}
		if int64(cap(payload)) < payloadSize {
			payload = make([]byte, payloadSize)
		}
		payload = payload[:payloadSize]
		if _, err := io.ReadFull(reader, payload); err != nil {
			return scanResult{}, fmt.Errorf("read frame at offset %d: %w", offset, err)
		}
		if binary.LittleEndian.Uint32(header[4:8]) != crc32.Checksum(payload, castagnoli) {
			return damagedFrame(file, offset, frameEnd, size, "frame checksum mismatch")
		}
		if err := visit(offset, payload); err != nil {
			return scanResult{}, fmt.Errorf("%w: frame at offset %d: %w", ErrCorrupt, offset, err)
		}
		offset = frameEnd
	}
	return scanResult{end: offset}, nil
}

// damagedFrame decides whether a frame at offset with a checksum mismatch
// is a torn tail: it is when only zero bytes follow from restStart, which is
// what a file extended by a write that never reached the disk contains.
func damagedFrame(file *os.File, offset, restStart, size int64, reason string) (scanResult, error) {
	zero, err := onlyZeros(file, restStart, size)
	if err != nil {
		return scanResult{}, fmt.Errorf("read tail after offset %d: %w", restStart, err)
	}
	if zero {
		return scanResult{end: offset, tornReason: reason}, nil
	}
	return scanResult{}, fmt.Errorf("%w: %s at offset %d, with %d bytes after it", ErrCorrupt, reason, offset, size-restStart)
}

func onlyZeros(file *os.File, from, to int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for from < to {
		chunk := buf[:min(int64(len(buf)), to-from)]
		if _, err := file.ReadAt(chunk, from); err != nil {
			return false, err
		}
		for _, b := range chunk {
			if b != 0 {
				return false, nil
			}
		}
		from += int64(len(chunk))
	}
	return true, nil
}
