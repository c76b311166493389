package esimgo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// maxPages bounds the catalogue pages read, so that a provider that
// ignores page and repeats itself cannot keep a sync running forever.
const maxPages = 10_000

// stopError carries the error of the caller's yield through the Doer,
// which must neither retry nor reclassify it.
type stopError struct{ err error }

func (s *stopError) Error() string { return s.err.Error() }

// pageResult is what one catalogue page reported about the pagination.
type pageResult struct {
	bundles   int
	pageCount int  // 0 when the page did not say
	bareArray bool // the page was a bare array of bundles, not an object
}

// ListPackages streams every catalogue page to yield, page 1 first, until
// page == pageCount or a page has no bundles. Bundles are priced in the
// organisation's currency, so GET /organisation is called first. Each page
// is decoded bundle by bundle, so a provider that ignores perPage and
// returns the whole catalogue as one bare array costs no more memory.
//
// NOTE: pages start at 1, as in most public clients. One client starts at
// 0, and if the API counted from 0, the first page would be skipped.
func (c *Client) ListPackages(ctx context.Context, yield func(adapters.Package) error) error {
	org, err := c.organisation(ctx)
	if err != nil {
		return fmt.Errorf("list esim-go packages: read organisation currency: %w", err)
	}
	for page := 1; page <= maxPages; page++ {
		result, err := c.listPage(ctx, page, org.Currency, yield)
		var stop *stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		if err != nil {
			return fmt.Errorf("list esim-go packages: page %d: %w", page, err)
		}
		if lastPage(page, result, c.pageSize) {
			return nil
		}
	}
	return fmt.Errorf("list esim-go packages: %w", badResponse(
		fmt.Sprintf("catalogue still not finished after %d pages", maxPages), nil))
}

// lastPage decides whether page was the last one.
func lastPage(page int, result pageResult, pageSize int) bool {
	switch {
	case result.bundles == 0:
		return true
	case result.pageCount > 0:
		return page >= result.pageCount
	case result.bareArray:
		// A bare array carries no page count, so a short one is the last.
		return result.bundles < pageSize
	default:
		return false
	}
}

func (c *Client) listPage(ctx context.Context, page int, currency string, yield func(adapters.Package) error) (pageResult, error) {
	query := url.Values{
		"page":    {strconv.Itoa(page)},
		"perPage": {strconv.Itoa(c.pageSize)},
	}
	var result pageResult
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(http.MethodGet, c.packageListPath, query, nil),
		HandleStatus: c.handleStatus,
		Timeout:      c.listTimeout,
		Handle: func(resp *http.Response) error {
			if err := checkJSON(resp); err != nil {
				return err
			}
			stream := &pageStream{
				resp:     resp,
				dec:      json.NewDecoder(resp.Body),
				label:    httpx.Label(resp.Request),
				currency: currency,
				yield:    yield,
			}
			var err error
			result, err = stream.read()
			return err
		},
	})
	return result, err
}

// pageStream walks one catalogue page: either {"bundles": [...],
// "pageCount": N, ...} or a bare array of bundles.
type pageStream struct {
	resp     *http.Response
	dec      *json.Decoder
	label    string
	currency string
	yield    func(adapters.Package) error
	result   pageResult
}

func (s *pageStream) read() (pageResult, error) {
	token, err := s.dec.Token()
	if err != nil {
		return s.result, s.readError(err)
	}
	switch token {
	case json.Delim('['):
		s.result.bareArray = true
		return s.result, s.readBundles()
	case json.Delim('{'):
		return s.result, s.readObject()
	default:
		return s.result, badResponse("catalogue page is neither an object nor an array ("+s.label+")", nil)
	}
}

func (s *pageStream) readObject() error {
	sawBundles := false
	for s.dec.More() {
		token, err := s.dec.Token()
		if err != nil {
			return s.readError(err)
		}
		key, _ := token.(string)
		switch key {
		case "bundles":
			sawBundles = true
			err = s.readBundlesValue()
		case "pageCount":
			var count *json.Number
			if err = s.dec.Decode(&count); err == nil && count != nil {
				s.result.pageCount, err = s.pageCount(*count)
			}
		default:
			var ignored json.RawMessage
			err = s.dec.Decode(&ignored)
		}
		if err != nil {
			return s.readError(err)
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return s.readError(err)
	}
	if !sawBundles {
		return badResponse("catalogue page has no bundles ("+s.label+")", nil)
	}
	return nil
}

func (s *pageStream) pageCount(number json.Number) (int, error) {
	count, err := parseWhole(number)
	if err != nil || count < 0 || count > maxPages {
		return 0, badResponse(fmt.Sprintf("catalogue pageCount %s is not a page count (%s)", number, s.label), err)
	}
	return int(count), nil
}

// readBundlesValue reads the value of "bundles": an array, or null for an
// empty page.
func (s *pageStream) readBundlesValue() error {
	token, err := s.dec.Token()
	if err != nil {
		return err
	}
	if token == nil {
		return nil
	}
	if token != json.Delim('[') {
		return badResponse("catalogue bundles is not an array ("+s.label+")", nil)
	}
	return s.readBundles()
}

// readBundles decodes the elements of an opened array up to its end.
func (s *pageStream) readBundles() error {
	for s.dec.More() {
		var raw rawBundle
		if err := s.dec.Decode(&raw); err != nil {
			return s.readError(err)
		}
		pkg, err := raw.toPackage(s.currency)
		if err != nil {
			return badResponse(fmt.Sprintf("bundle %d of the page (%s): %s", s.result.bundles, s.label, err), nil)
		}
		s.result.bundles++
		if err := s.yield(pkg); err != nil {
			return &stopError{err: err}
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return s.readError(err)
	}
	return nil
}

// readError classifies a decoding failure, leaving classified errors and
// the caller's stop as they are.
func (s *pageStream) readError(err error) error {
	var providerErr *adapters.Error
	var stop *stopError
	if errors.As(err, &providerErr) || errors.As(err, &stop) {
		return err
	}
	return httpx.BodyError(s.resp, "catalogue page", err)
}
