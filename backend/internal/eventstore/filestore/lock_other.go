//go:build !unix

package filestore

import (
	"errors"
	"os"
)

func lockFile(string) (*os.File, error) {
	return nil, errors.New("lock event store: file locks are implemented for unix systems only")
}
