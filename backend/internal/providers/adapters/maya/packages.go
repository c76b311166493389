package maya

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

// ListPackages streams the catalog to yield. Maya returns the product list
// without filters with every product in one unpaginated response, so the
// body is decoded token by token and only one product is held at a time.
// A product listed twice is yielded twice.
func (c *Client) ListPackages(ctx context.Context, yield func(adapters.Package) error) error {
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(request{method: http.MethodGet, path: c.packageListPath}),
		HandleStatus: c.handleStatus(false),
		Timeout:      c.listTimeout,
		Handle: func(resp *http.Response) error {
			return c.streamProducts(resp, yield)
		},
	})
	var stop *stopError
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return fmt.Errorf("list maya products: %w", err)
	}
	return nil
}

// listStream walks the envelope of the product list.
type listStream struct {
	client  *Client
	resp    *http.Response
	dec     *json.Decoder
	yield   func(adapters.Package) error
	label   string
	env     envelope
	sawList bool
}

func (c *Client) streamProducts(resp *http.Response, yield func(adapters.Package) error) error {
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
	if err := c.checkResult(s.env, s.label); err != nil {
		return err
	}
	if !s.sawList {
		return badResponse("product list response has no products array ("+s.label+")", nil)
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
		case "result":
			err = s.dec.Decode(&s.env.Result)
		case "message":
			err = s.decodeText(&s.env.Message)
		case "developer_message":
			err = s.decodeText(&s.env.DeveloperMessage)
		case "error_code":
			err = s.dec.Decode(&s.env.ErrorCode)
		case "products":
			err = s.walkProducts()
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
	return s.expectDelim('}', "the end of the envelope")
}

// walkProducts streams products[]. Products of a failed envelope are
// skipped, and a null list is left for the result check to explain.
func (s *listStream) walkProducts() error {
	if s.env.present() && !s.env.succeeded() {
		return s.skip()
	}
	token, err := s.dec.Token()
	if err != nil {
		return s.readError(err)
	}
	if token == nil {
		return nil
	}
	if token != json.Delim('[') {
		return badResponse("products is not an array ("+s.label+")", nil)
	}
	s.sawList = true
	for index := 0; s.dec.More(); index++ {
		var raw rawProduct
		if err := s.dec.Decode(&raw); err != nil {
			return s.readError(err)
		}
		pkg, err := raw.toPackage()
		if err != nil {
			return badResponse(fmt.Sprintf("product %d of the list (%s): %s", index, s.label, err), nil)
		}
		if err := s.yield(pkg); err != nil {
			return &stopError{err: err}
		}
	}
	return s.expectDelim(']', "the end of products")
}

// decodeText reads a string value; a value of another type is ignored,
// since messages only describe errors.
func (s *listStream) decodeText(target *string) error {
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		return s.readError(err)
	}
	_ = json.Unmarshal(raw, target)
	return nil
}

func (s *listStream) key() (string, error) {
	token, err := s.dec.Token()
	if err != nil {
		return "", s.readError(err)
	}
	key, ok := token.(string)
	if !ok {
		return "", badResponse("product list response has a malformed object ("+s.label+")", nil)
	}
	return key, nil
}

func (s *listStream) expectDelim(want json.Delim, position string) error {
	token, err := s.dec.Token()
	if err != nil {
		return s.readError(err)
	}
	if token != want {
		return badResponse(fmt.Sprintf("product list response: expected %q at %s, found %v (%s)",
			want.String(), position, token, s.label), nil)
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
	return httpx.BodyError(s.resp, "product list", err)
}
