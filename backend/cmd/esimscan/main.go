// Command esimscan runs the esimScan store and its tools for operators and
// analysts.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `esimscan: a self-hosted eSIM reseller store

Usage:
  esimscan serve                      run the store (configured by environment variables)
  esimscan events export [flags]      write the event history to stdout
  esimscan replay [--projection NAME] rebuild read models from the log
  esimscan simulator PROVIDER         run a loopback simulator of a provider or PayPal API
  esimscan keygen                     print a new APP_KEY

Run "esimscan COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "events":
		if len(args) < 2 || args[1] != "export" {
			fmt.Fprintln(stderr, "usage: esimscan events export [--from RFC3339] [--to RFC3339] [--type T] [--format ndjson|csv]")
			return 2
		}
		err = exportEvents(ctx, args[2:], stdout, stderr)
	case "replay":
		err = replay(ctx, args[1:], stdout, stderr)
	case "simulator":
		err = simulator(ctx, args[1:], stderr)
	case "keygen":
		err = keygen(stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "esimscan: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if exit, ok := err.(usageError); ok {
			fmt.Fprintln(stderr, "esimscan:", exit.Error())
			return 2
		}
		fmt.Fprintln(stderr, "esimscan:", err)
		return 1
	}
	return 0
}

// usageError reports wrong flags or arguments (exit status 2).
type usageError struct{ message string }

func (e usageError) Error() string { return e.message }
