package airalo

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

// maxPages bounds the pages read for one listing, so a provider that never
// reports a last page cannot keep a sync running forever. The real catalog
// has a few hundred destinations.
const maxPages = 10_000

// stopError carries the error of the caller's yield through the Doer, which
// must neither retry nor reclassify it.
type stopError struct{ err error }

func (s *stopError) Error() string { return s.err.Error() }

// ListPackages streams the catalog to yield, page by page. Airalo pages
// count destinations, not packages, and each destination is decoded and
// converted on its own, so at most one destination is held at a time.
// Top-up packages are skipped: they cannot be ordered as a new eSIM.
func (c *Client) ListPackages(ctx context.Context, yield func(adapters.Package) error) error {
	for page := 1; page <= maxPages; page++ {
		state, err := c.listPage(ctx, page, yield)
		var stop *stopError
		if errors.As(err, &stop) {
			return stop.err
		}
		if err != nil {
			return fmt.Errorf("list airalo packages, page %d: %w", page, err)
		}
		if state.currentPage.Set && state.currentPage.Value != int64(page) {
			return fmt.Errorf("list airalo packages: %w", badResponse(
				fmt.Sprintf("request for page %d returned page %d", page, state.currentPage.Value), nil))
		}
		if !state.hasMore(page) {
			return nil
		}
	}
	return fmt.Errorf("list airalo packages: %w", badResponse(
		fmt.Sprintf("catalog has more than %d pages", maxPages), nil))
}

// pageState holds the pagination fields of one page.
type pageState struct {
	pricingModel string
	currentPage  flexInt
	lastPage     flexInt
	sawLinks     bool
	next         *string
}

// hasMore applies Airalo's rule: stop when current_page reaches last_page
// or links.next is null. A page with neither is the only page.
func (s pageState) hasMore(page int) bool {
	if !s.lastPage.Set && !s.sawLinks {
		return false
	}
	if s.lastPage.Set && int64(page) >= s.lastPage.Value {
		return false
	}
	if s.sawLinks && s.next == nil {
		return false
	}
	return true
}

func (c *Client) listPage(ctx context.Context, page int, yield func(adapters.Package) error) (pageState, error) {
	var state pageState
	err := c.authorized(ctx, request{
		method: http.MethodGet,
		path:   packagesPath,
		query: url.Values{
			"limit": {strconv.Itoa(c.pageSize)},
			"page":  {strconv.Itoa(page)},
		},
		timeout: c.listTimeout,
		handle: func(resp *http.Response) error {
			state = pageState{}
			return c.streamPage(resp, &state, yield)
		},
	})
	return state, err
}

// pageStream walks one page: {"pricing", "data", "links", "meta"}.
type pageStream struct {
	resp    *http.Response
	dec     *json.Decoder
	state   *pageState
	yield   func(adapters.Package) error
	label   string
	sawData bool
}

func (c *Client) streamPage(resp *http.Response, state *pageState, yield func(adapters.Package) error) error {
	if err := checkJSON(resp); err != nil {
		return err
	}
	s := &pageStream{
		resp:  resp,
		dec:   json.NewDecoder(resp.Body),
		state: state,
		yield: yield,
		label: httpx.Label(resp.Request),
	}
	if err := s.walkPage(); err != nil {
		return err
	}
	if !s.sawData {
		return badResponse("package list page has no data ("+s.label+")", nil)
	}
	return nil
}

func (s *pageStream) walkPage() error {
	if err := s.expectDelim('{', "the start of the page"); err != nil {
		return err
	}
	for s.dec.More() {
		key, err := s.key()
		if err != nil {
			return err
		}
		switch key {
		case "pricing":
			var pricing struct {
				Model string `json:"model"`
			}
			err = s.decode(&pricing)
			s.state.pricingModel = pricing.Model
		case "data":
			err = s.walkData()
		case "links":
			var links struct {
				Next *string `json:"next"`
			}
			err = s.decode(&links)
			s.state.sawLinks = true
			s.state.next = links.Next
		case "meta":
			var meta struct {
				CurrentPage flexInt `json:"current_page"`
				LastPage    flexInt `json:"last_page"`
			}
			err = s.decode(&meta)
			s.state.currentPage = meta.CurrentPage
			s.state.lastPage = meta.LastPage
		default:
			err = s.decode(new(json.RawMessage))
		}
		if err != nil {
			return err
		}
	}
	return s.expectDelim('}', "the end of the page")
}

// walkData reads data as an array of destinations or, as Airalo warns for
// page 2 and later, an object whose values are destinations keyed by index.
func (s *pageStream) walkData() error {
	token, err := s.dec.Token()
	if err != nil {
		return s.readError(err)
	}
	s.sawData = true
	var keyed bool
	switch token {
	case nil:
		return nil
	case json.Delim('['):
	case json.Delim('{'):
		keyed = true
	default:
		return badResponse("data of the package list is neither an array nor an object ("+s.label+")", nil)
	}
	for index := 0; s.dec.More(); index++ {
		if keyed {
			if _, err := s.key(); err != nil {
				return err
			}
		}
		var destination rawDestination
		if err := s.decode(&destination); err != nil {
			return err
		}
		if err := s.yieldDestination(destination, index); err != nil {
			return err
		}
	}
	if keyed {
		return s.expectDelim('}', "the end of data")
	}
	return s.expectDelim(']', "the end of data")
}

func (s *pageStream) yieldDestination(destination rawDestination, index int) error {
	for _, operator := range destination.Operators {
		for _, raw := range operator.Packages {
			if raw.Type == packageTypeTopup {
				continue
			}
			pkg, err := toPackage(destination, operator, raw, s.state.pricingModel)
			if err != nil {
				return badResponse(fmt.Sprintf("destination %d (%q) of the page (%s): %s",
					index, shorten(destination.Slug), s.label, err), nil)
			}
			if err := s.yield(pkg); err != nil {
				return &stopError{err: err}
			}
		}
	}
	return nil
}

func (s *pageStream) key() (string, error) {
	token, err := s.dec.Token()
	if err != nil {
		return "", s.readError(err)
	}
	key, ok := token.(string)
	if !ok {
		return "", badResponse("package list page has a malformed object ("+s.label+")", nil)
	}
	return key, nil
}

func (s *pageStream) expectDelim(want json.Delim, what string) error {
	token, err := s.dec.Token()
	if err != nil {
		return s.readError(err)
	}
	if token != want {
		return badResponse(fmt.Sprintf("package list page: expected %q at %s, found %v (%s)",
			want.String(), what, token, s.label), nil)
	}
	return nil
}

func (s *pageStream) decode(v any) error {
	if err := s.dec.Decode(v); err != nil {
		return s.readError(err)
	}
	return nil
}

// readError classifies a failure to read or decode the page: a deadline is
// CauseTimeout, anything else CauseBadResponse.
func (s *pageStream) readError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) {
		return badResponse("package list page is not the expected JSON ("+s.label+")", err)
	}
	return httpx.BodyError(s.resp, "package list page", err)
}
