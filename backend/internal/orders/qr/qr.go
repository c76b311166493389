// Package qr renders eSIM activation codes (LPA strings) as QR code images
// that phones scan to install a profile.
package qr

import (
	"errors"
	"fmt"

	"github.com/skip2/go-qrcode"
)

// Limits of PNG. An LPA string is well under MaxContentBytes, and the
// sizes keep a code scannable and the image small.
const (
	MaxContentBytes = 1000
	MinSizePixels   = 64
	MaxSizePixels   = 2048
)

// ErrInvalidContent reports empty content or content over MaxContentBytes.
var ErrInvalidContent = errors.New("invalid QR code content")

// ErrInvalidSize reports a size outside MinSizePixels..MaxSizePixels.
var ErrInvalidSize = errors.New("invalid QR code size")

// PNG encodes content as a square PNG QR code of sizePixels per side, with
// medium (15 %) error recovery. When content needs more modules than fit,
// go-qrcode returns a larger image rather than an unreadable one.
func PNG(content string, sizePixels int) ([]byte, error) {
	if content == "" || len(content) > MaxContentBytes {
		return nil, fmt.Errorf("%w: %d bytes, want 1 to %d", ErrInvalidContent, len(content), MaxContentBytes)
	}
	if sizePixels < MinSizePixels || sizePixels > MaxSizePixels {
		return nil, fmt.Errorf("%w: %d pixels, want %d to %d", ErrInvalidSize, sizePixels, MinSizePixels, MaxSizePixels)
	}
	image, err := qrcode.Encode(content, qrcode.Medium, sizePixels)
	if err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	return image, nil
}
