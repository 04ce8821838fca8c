// Command cache-server runs the cache server of nektos/act (package
// github.com/nektos/act/pkg/artifactcache, act v0.2.89) on 127.0.0.1, for end-to-end
// tests that run the action outside act. It serves the v1 cache protocol that
// @actions/cache 6 uses while ACTIONS_CACHE_SERVICE_V2 is unset.
//
// Once listening, it writes one line to standard output:
//
//	ACTIONS_CACHE_URL=http://127.0.0.1:<port>/<token>/
//
// act puts a random token in front of /_apis/artifactcache, so the URL must be taken from
// that line. ACTIONS_RUNTIME_TOKEN may be any non-empty value, because the server checks
// no bearer token. It stops on SIGINT or SIGTERM, and with -exit-on-stdin-eof also when
// its standard input closes, so it ends with the test process that started it.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/nektos/act/pkg/artifactcache"
	"github.com/sirupsen/logrus"
)

// loopbackAddress is the only address the server listens on.
const loopbackAddress = "127.0.0.1"

func main() {
	port := flag.Uint("port", 0, "TCP port on 127.0.0.1; 0 picks a free port")
	dir := flag.String("dir", "", "directory for the cache entries and their database (required)")
	exitOnStdinEOF := flag.Bool("exit-on-stdin-eof", false, "stop when standard input reaches end of file")
	verbose := flag.Bool("verbose", false, "log every request to standard error")
	flag.Parse()

	if *dir == "" {
		fmt.Fprintln(os.Stderr, "cache-server: -dir is required: pass the directory that stores the cache entries")
		os.Exit(2)
	}
	if *port > 65535 {
		fmt.Fprintf(os.Stderr, "cache-server: invalid -port %d: use 0 to 65535\n", *port)
		os.Exit(2)
	}

	logger := logrus.New()
	logger.Out = os.Stderr
	if *verbose {
		logger.SetLevel(logrus.DebugLevel)
	}

	handler, err := artifactcache.StartHandler(*dir, "", loopbackAddress, uint16(*port), logger)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cache-server: starting the cache server on %s:%d failed: %v\n", loopbackAddress, *port, err)
		os.Exit(1)
	}
	fmt.Printf("ACTIONS_CACHE_URL=%s/\n", handler.ExternalURL())
	logger.Infof("cache server listening on %s/, entries in %s", handler.ExternalURL(), *dir)

	stop := make(chan string, 2)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	go func() { stop <- (<-signals).String() }()
	if *exitOnStdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- "end of standard input"
		}()
	}

	reason := <-stop
	logger.Infof("stopping the cache server: %s", reason)
	if err := handler.Close(); err != nil {
		logger.Errorf("closing the cache server failed: %v", err)
		os.Exit(1)
	}
}
