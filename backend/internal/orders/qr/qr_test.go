package qr

import (
	"bytes"
	"errors"
	"image/png"
	"strings"
	"testing"
)

var pngSignature = []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

const demoLPA = "LPA:1$demo.esimscan.invalid$DEMO-0123456789abcdef"

func TestPNG_writesSquareImage(t *testing.T) {
	for _, size := range []int{256, 512} {
		image, err := PNG(demoLPA, size)
		if err != nil {
			t.Fatalf("PNG(%d): %v", size, err)
		}
		if !bytes.HasPrefix(image, pngSignature) {
			t.Fatalf("PNG(%d) output does not start with the PNG signature", size)
		}
		config, err := png.DecodeConfig(bytes.NewReader(image))
		if err != nil {
			t.Fatalf("read PNG header: %v", err)
		}
		if config.Width != size || config.Height != size {
			t.Errorf("PNG(%d) is %d×%d", size, config.Width, config.Height)
		}
		if len(image) > 64*1024 {
			t.Errorf("PNG(%d) is %d bytes, want at most 64 KiB", size, len(image))
		}
	}
}

func TestPNG_largestContent(t *testing.T) {
	image, err := PNG(strings.Repeat("A", MaxContentBytes), MinSizePixels)
	if err != nil {
		t.Fatal(err)
	}
	config, err := png.DecodeConfig(bytes.NewReader(image))
	if err != nil {
		t.Fatal(err)
	}
	// Too many modules for 64 pixels: go-qrcode grows the image instead.
	if config.Width < MinSizePixels || config.Width != config.Height {
		t.Errorf("image is %d×%d", config.Width, config.Height)
	}
}

func TestPNG_rejectsBadContent(t *testing.T) {
	for name, content := range map[string]string{
		"empty":    "",
		"too long": strings.Repeat("A", MaxContentBytes+1),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := PNG(content, 256); !errors.Is(err, ErrInvalidContent) {
				t.Errorf("error = %v, want ErrInvalidContent", err)
			}
		})
	}
}

func TestPNG_rejectsBadSize(t *testing.T) {
	for _, size := range []int{-5, 0, MinSizePixels - 1, MaxSizePixels + 1} {
		if _, err := PNG(demoLPA, size); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("PNG(%d): error = %v, want ErrInvalidSize", size, err)
		}
	}
}
