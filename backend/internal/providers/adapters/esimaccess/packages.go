package esimaccess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// stopError carries the error of the caller's yield through the Doer, which
// must neither retry nor reclassify it.
type stopError struct{ err error }

func (s *stopError) Error() string { return s.err.Error() }

// ListPackages streams the catalog to yield. eSIM Access returns every
// package in one unpaginated response, so the body is decoded token by token
// and only one package is held at a time.
func (c *Client) ListPackages(ctx context.Context, yield func(adapters.Package) error) error {
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(c.packageListPath, c.packageListBody),
		HandleStatus: c.handleStatus,
		Timeout:      c.listTimeout,
		Handle: func(resp *http.Response) error {
			return c.streamPackages(resp, yield)
		},
	})
	var stop *stopError
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return fmt.Errorf("list esim-access packages: %w", err)
	}
	return nil
}

// listStream walks the envelope of the package list.
type listStream struct {
	client  *Client
	resp    *http.Response
	dec     *json.Decoder
	yield   func(adapters.Package) error
	label   string
	success *bool
	code    string
	message string
	sawList bool
}

func (c *Client) streamPackages(resp *http.Response, yield func(adapters.Package) error) error {
	if err := checkJSON(resp); err != nil {
		return err
	}
	s := &listStream{
		client: c,
		resp:   resp,
		dec:    json.NewDecoder(resp.Body),
		yield:  yield,
		label:  httpx.Label(resp.Request),
	}
	if err := s.walkEnvelope(); err != nil {
		return err
	}
	switch {
	case s.success == nil:
		return badResponse("package list has no success field, so it is not the eSIM Access envelope ("+s.label+")", nil)
	case !*s.success:
		return c.codeError(s.code, s.message, s.label)
	case !s.sawList:
		return badResponse("package list response has no obj.packageList ("+s.label+")", nil)
	}
	return nil
}

func (s *listStream) walkEnvelope() error {
	if err := s.expectDelim('{', "the envelope"); err != nil {
		return err
	}
	for s.dec.More() {
		key, err := s.key()
		if err != nil {
			return err
		}
		switch key {
		case "success":
			err = s.dec.Decode(&s.success)
		case "errorCode":
			var raw json.RawMessage
			err = s.dec.Decode(&raw)
			s.code = codeText(raw)
		case "errorMsg":
			var message *string
			err = s.dec.Decode(&message)
			if message != nil {
				s.message = *message
			}
		case "obj":
			err = s.walkObj()
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
	return s.expectDelim('}', "the end of the envelope")
}

// walkObj streams obj.packageList. An obj of null is left for the success
// check to explain.
func (s *listStream) walkObj() error {
	if s.success != nil && !*s.success {
		return s.skip()
	}
	token, err := s.dec.Token()
	if err != nil {
		return s.readError(err)
	}
	if token == nil {
		return nil
	}
	if token != json.Delim('{') {
		return badResponse("obj of the package list is not an object ("+s.label+")", nil)
	}
	for s.dec.More() {
		key, err := s.key()
		if err != nil {
			return err
		}
		if key != "packageList" {
			if err := s.skip(); err != nil {
				return err
			}
			continue
		}
		if err := s.walkList(); err != nil {
			return err
		}
	}
	return s.expectDelim('}', "the end of obj")
}

func (s *listStream) walkList() error {
	token, err := s.dec.Token()
	if err != nil {
		return s.readError(err)
	}
	s.sawList = true
	if token == nil {
		return nil
	}
	if token != json.Delim('[') {
		return badResponse("obj.packageList is not an array ("+s.label+")", nil)
	}
	for index := 0; s.dec.More(); index++ {
		var raw rawPackage
		if err := s.dec.Decode(&raw); err != nil {
			return s.readError(err)
		}
		pkg, err := raw.toPackage()
		if err != nil {
			return badResponse(fmt.Sprintf("package %d of the list (%s): %s", index, s.label, err), nil)
		}
		if err := s.yield(pkg); err != nil {
			return &stopError{err: err}
		}
	}
	return s.expectDelim(']', "the end of obj.packageList")
}

func (s *listStream) key() (string, error) {
	token, err := s.dec.Token()
	if err != nil {
		return "", s.readError(err)
	}
	key, ok := token.(string)
	if !ok {
		return "", badResponse("package list response has a malformed object ("+s.label+")", nil)
	}
	return key, nil
}

func (s *listStream) expectDelim(want json.Delim, what string) error {
	token, err := s.dec.Token()
	if err != nil {
		return s.readError(err)
	}
	if token != want {
		return badResponse(fmt.Sprintf("package list response: expected %q at %s, found %v (%s)",
			want.String(), what, token, s.label), nil)
	}
	return nil
}

// skip reads past one value of any kind.
func (s *listStream) skip() error {
	var ignored json.RawMessage
	if err := s.dec.Decode(&ignored); err != nil {
		return s.readError(err)
	}
	return nil
}

func (s *listStream) readError(err error) error {
	return httpx.BodyError(s.resp, "package list", err)
}
