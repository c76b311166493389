# esimScan build, run and test entry points. `make run` and `make test` are
# the two set-up commands in the README; both install what they need.

GO_PACKAGES := esimscan/backend/... esimscan/projections/... esimscan/frontend/...
BINARY      := bin/esimscan

.PHONY: run build spa binary test test-go test-frontend test-e2e bench clean

## run: build everything and start the store on the embedded default, with
## the demo sandbox, test payments and demo eSIMs switched on.
run: build
	ESIMSCAN_SANDBOX=$${ESIMSCAN_SANDBOX:-1} \
	ESIMSCAN_TEST_PAYMENTS=$${ESIMSCAN_TEST_PAYMENTS:-1} \
	ESIM_PROVISIONING_DRIVER=$${ESIM_PROVISIONING_DRIVER:-stub} \
	ESIMSCAN_LOG_FORMAT=$${ESIMSCAN_LOG_FORMAT:-console} \
	./$(BINARY) serve

## build: the SPA, then the binary that embeds it.
build: spa binary

spa: node_modules
	npm run build

node_modules: package.json package-lock.json frontend/package.json
	npm ci --no-audit --no-fund
	@touch node_modules

binary:
	go build -trimpath -o $(BINARY) ./backend/cmd/esimscan

## test: everything, against real Redis and a real browser (installed when missing).
test:
	deploy/test/run-all.sh

test-go:
	@unformatted=$$(gofmt -l backend projections frontend/embed.go); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet $(GO_PACKAGES)
	go test -count=1 -timeout 20m $(GO_PACKAGES)

test-frontend: node_modules
	npm test

## bench: the benchmarks recorded in docs/benchmarks.md.
bench:
	go test -run '^$$' -bench . -benchmem -timeout 30m $(GO_PACKAGES)

clean:
	rm -rf bin frontend/dist/assets frontend/dist/index.html
